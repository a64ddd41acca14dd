//! A stand-in for the pre-AST loader while `build-pre-ast` is being written: builds a `PreAst` in
//! memory from an unpacked Debian headers flavour directory (every header of the source and object
//! trees, kbuild's search order and forced includes, and predefined macros from `gcc-12 -dM -E`
//! with kbuild's flags). To be deleted once the pre-AST file format lands.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::pre_ast::{FileId, FileKind, GeneratedHeader, Metadata, PreAst, PreAstFile};

/// kbuild's real command line for a module `probe.c`, recorded from `make M=... modules` in each
/// Debian flavour (templated: `{srctree}`, `{target}`, `{output}`), with `-c` replaced by `-E`.
pub const KBUILD_COMMANDS: &[(&str, &str)] = &[
    ("6.1-amd64", include_str!("kbuild_cmd/6.1-amd64.cmd")),
    (
        "6.1-cloud-amd64",
        include_str!("kbuild_cmd/6.1-cloud-amd64.cmd"),
    ),
    ("6.1-rt-amd64", include_str!("kbuild_cmd/6.1-rt-amd64.cmd")),
    ("6.12-amd64", include_str!("kbuild_cmd/6.12-amd64.cmd")),
    (
        "6.12-cloud-amd64",
        include_str!("kbuild_cmd/6.12-cloud-amd64.cmd"),
    ),
];

/// The recorded command for a flavour directory (`linux-headers-6.1.0-56-cloud-amd64` →
/// `6.1-cloud-amd64`), falling back to the plain amd64 flavour of the same kernel series.
pub fn kbuild_command(flavour: &Path) -> Result<&'static str, String> {
    let name = flavour
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rest = name
        .strip_prefix("linux-headers-")
        .ok_or_else(|| format!("{name}: not a linux-headers flavour directory"))?;
    let mut parts = rest.split('.');
    let series = format!(
        "{}.{}",
        parts.next().unwrap_or(""),
        parts
            .next()
            .unwrap_or("")
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap_or("")
    );
    let flavour_kind = ["rt-amd64", "cloud-amd64", "amd64"]
        .into_iter()
        .find(|k| rest.ends_with(k))
        .unwrap_or("amd64");
    for key in [
        format!("{series}-{flavour_kind}"),
        format!("{series}-amd64"),
    ] {
        if let Some((_, cmd)) = KBUILD_COMMANDS.iter().find(|(k, _)| *k == key) {
            return Ok(cmd.trim());
        }
    }
    Err(format!(
        "{name}: no recorded kbuild command for Linux {series}"
    ))
}

/// Splits a command line into words as the shell would (single and double quotes, no expansion).
pub fn shell_words(cmd: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => cur.extend(chars.next()),
                        c => cur.push(c),
                    }
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// The words of a recorded command with its placeholders filled in.
pub fn command_words(cmd: &str, srctree: &Path, target: &Path, output: &Path) -> Vec<String> {
    shell_words(cmd)
        .into_iter()
        .map(|w| {
            w.replace("{srctree}", &srctree.to_string_lossy())
                .replace("{target}", &target.to_string_lossy())
                .replace("{output}", &output.to_string_lossy())
        })
        .collect()
}

/// The flags of a recorded command that change predefined macros: everything but include paths,
/// forced includes, warnings, debug info, the file names and `-E -o`.
pub fn macro_flags(cmd: &str) -> Vec<String> {
    let words = shell_words(cmd);
    let mut out = Vec::new();
    let mut i = 1;
    while i < words.len() {
        let w = &words[i];
        i += 1;
        if w == "-include" || w == "-o" {
            i += 1;
            continue;
        }
        if w.starts_with("-I")
            || w.starts_with("-W")
            || w.starts_with("-g")
            || w == "-E"
            || w == "-c"
            || !w.starts_with('-')
            || w.starts_with("-fmacro-prefix-map")
        {
            continue;
        }
        out.push(w.clone());
    }
    out
}

/// The source tree of a flavour directory: the directory its Makefile includes, or the sibling
/// with the same name when that absolute path does not exist here.
pub fn source_tree(flavour: &Path) -> Result<PathBuf, String> {
    let mk = std::fs::read_to_string(flavour.join("Makefile"))
        .map_err(|e| format!("{}: {e}", flavour.join("Makefile").display()))?;
    let line = mk
        .lines()
        .find_map(|l| l.strip_prefix("include "))
        .ok_or("the flavour Makefile includes no source tree")?;
    let dir = Path::new(line.trim()).parent().ok_or("bad include line")?;
    if dir.join("include").is_dir() {
        return Ok(dir.to_owned());
    }
    let sibling = flavour
        .parent()
        .ok_or("no parent")?
        .join(dir.file_name().ok_or("bad include line")?);
    if sibling.join("include").is_dir() {
        Ok(sibling)
    } else {
        Err(format!("source tree {} not found", dir.display()))
    }
}

/// The predefined macros of gcc-12 for a recorded kbuild command, its `-D`s included
/// (`gcc -dM` lists them with the built-in ones).
pub fn gcc_predefined(cmd: &str) -> Result<String, String> {
    let out = Command::new("gcc-12")
        .args(["-dM", "-E", "-x", "c", "/dev/null"])
        .args(macro_flags(cmd))
        .output()
        .map_err(|e| format!("cannot run gcc-12: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "gcc-12 -dM -E failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout).map_err(|_| "gcc output is not UTF-8".to_owned())
}

/// Builds the in-memory pre-AST of a flavour directory with `target` as the main file.
pub fn pre_ast_from_flavour(
    flavour: &Path,
    target_name: &str,
    target_text: &str,
    predefined: String,
) -> Result<PreAst, String> {
    let src = source_tree(flavour)?;
    let mut files = Vec::new();
    for (root, vroot, dirs) in [
        (&src, "src", &["arch/x86/include", "include"][..]),
        (
            &flavour.to_path_buf(),
            "obj",
            &["arch/x86/include/generated", "include/generated"][..],
        ),
    ] {
        for d in dirs {
            collect(root, &root.join(d), vroot, &mut files)?;
        }
    }
    let target_path = format!("target/{target_name}");
    files.push(PreAstFile {
        path: target_path.clone(),
        text: target_text.to_owned(),
        kind: FileKind::Source,
    });
    let version = std::fs::read_to_string(flavour.join(".config"))
        .ok()
        .and_then(|c| crate::config::ConfigFile::parse(".config", &c).ok())
        .and_then(|c| c.version)
        .unwrap_or_default();
    let meta = Metadata {
        kernel_release: String::new(),
        kernel_version: version,
        arch: "x86_64".into(),
        compiler: String::new(),
    };
    let search_dirs = [
        "src/arch/x86/include",
        "obj/arch/x86/include/generated",
        "src/include",
        "obj/include",
        "src/arch/x86/include/uapi",
        "obj/arch/x86/include/generated/uapi",
        "src/include/uapi",
        "obj/include/generated/uapi",
    ]
    .map(String::from)
    .to_vec();
    let mut pre_ast = PreAst::new(meta, files, search_dirs);
    pre_ast.target = pre_ast.lookup(&target_path);
    pre_ast.forced_includes = [
        "src/include/linux/compiler-version.h",
        "src/include/linux/kconfig.h",
        "src/include/linux/compiler_types.h",
    ]
    .iter()
    .filter_map(|p| pre_ast.lookup(p))
    .collect::<Vec<FileId>>();
    pre_ast.predefined = predefined;
    Ok(pre_ast)
}

fn collect(root: &Path, dir: &Path, vroot: &str, out: &mut Vec<PreAstFile>) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for e in entries {
        let e = e.map_err(|e| e.to_string())?;
        let path = e.path();
        let ft = e.file_type().map_err(|e| e.to_string())?;
        if ft.is_dir() || (ft.is_symlink() && path.is_dir()) {
            collect(root, &path, vroot, out)?;
        } else if path.extension().is_some_and(|x| x == "h") {
            let rel = path
                .strip_prefix(root)
                .map_err(|e| e.to_string())?
                .to_string_lossy()
                .replace('\\', "/");
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let kind = match (vroot, rel.as_str()) {
                ("obj", "include/generated/autoconf.h") => {
                    FileKind::ConfigDerived(GeneratedHeader::Autoconf)
                }
                ("obj", "include/generated/bounds.h") => {
                    FileKind::ConfigDerived(GeneratedHeader::Bounds)
                }
                ("obj", "include/generated/timeconst.h") => {
                    FileKind::ConfigDerived(GeneratedHeader::Timeconst)
                }
                ("obj", "include/generated/asm-offsets.h") => {
                    FileKind::ConfigDerived(GeneratedHeader::AsmOffsets)
                }
                _ => FileKind::Source,
            };
            out.push(PreAstFile {
                path: format!("{vroot}/{rel}"),
                text,
                kind,
            });
        }
    }
    Ok(())
}
