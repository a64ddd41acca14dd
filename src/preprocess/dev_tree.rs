//! A stand-in for the pre-AST loader while `build-pre-ast` is being written: builds a `PreAst` in
//! memory from an unpacked Debian headers flavour directory (every header of the source and object
//! trees, kbuild's search order and forced includes, and predefined macros from `gcc-12 -dM -E`
//! with kbuild's flags). To be deleted once the pre-AST file format lands.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::pre_ast::{FileId, FileKind, GeneratedHeader, Metadata, PreAst, PreAstFile};

/// The C-dialect and target flags of kbuild's x86-64 compile that change predefined macros
/// (from the real command line of a 6.1 module build; 6.12 uses the same ones).
pub const KBUILD_MACRO_FLAGS: &[&str] = &[
    "-nostdinc", "-fno-strict-aliasing", "-fno-common", "-fshort-wchar", "-fno-PIE", "-std=gnu11",
    "-mno-sse", "-mno-mmx", "-mno-sse2", "-mno-3dnow", "-mno-avx", "-fcf-protection=none", "-m64",
    "-mno-80387", "-mno-fp-ret-in-387", "-mpreferred-stack-boundary=3", "-mskip-rax-setup",
    "-mtune=generic", "-mno-red-zone", "-mcmodel=kernel", "-fno-asynchronous-unwind-tables",
    "-mindirect-branch=thunk-extern", "-mindirect-branch-register", "-mfunction-return=thunk-extern",
    "-fno-jump-tables", "-fno-delete-null-pointer-checks", "-O2", "-fstack-protector-strong",
    "-fno-stack-clash-protection", "-pg", "-mrecord-mcount", "-mfentry", "-fno-strict-overflow",
    "-fno-stack-check", "-fconserve-stack",
];

/// kbuild's `-D` flags for a module named `probe` (in command-line order).
pub const KBUILD_DEFINES: &str = "#define __KERNEL__ 1\n#define CC_USING_FENTRY 1\n#define MODULE 1\n#define KBUILD_BASENAME \"probe\"\n#define KBUILD_MODNAME \"probe\"\n#define __KBUILD_MODNAME kmod_probe\n";

/// The source tree of a flavour directory: the directory its Makefile includes, or the sibling
/// with the same name when that absolute path does not exist here.
pub fn source_tree(flavour: &Path) -> Result<PathBuf, String> {
    let mk = std::fs::read_to_string(flavour.join("Makefile")).map_err(|e| format!("{}: {e}", flavour.join("Makefile").display()))?;
    let line = mk.lines().find_map(|l| l.strip_prefix("include ")).ok_or("the flavour Makefile includes no source tree")?;
    let dir = Path::new(line.trim()).parent().ok_or("bad include line")?;
    if dir.join("include").is_dir() {
        return Ok(dir.to_owned());
    }
    let sibling = flavour.parent().ok_or("no parent")?.join(dir.file_name().ok_or("bad include line")?);
    if sibling.join("include").is_dir() {
        Ok(sibling)
    } else {
        Err(format!("source tree {} not found", dir.display()))
    }
}

/// The predefined macros of gcc-12 for kbuild's flags, plus kbuild's `-D`s.
pub fn gcc_predefined() -> Result<String, String> {
    let out = Command::new("gcc-12")
        .args(["-dM", "-E", "-x", "c", "/dev/null"])
        .args(KBUILD_MACRO_FLAGS)
        .output()
        .map_err(|e| format!("cannot run gcc-12: {e}"))?;
    if !out.status.success() {
        return Err(format!("gcc-12 -dM -E failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let mut text = String::from_utf8(out.stdout).map_err(|_| "gcc output is not UTF-8")?;
    text.push_str(KBUILD_DEFINES);
    Ok(text)
}

/// Builds the in-memory pre-AST of a flavour directory with `target` as the main file.
pub fn pre_ast_from_flavour(flavour: &Path, target_name: &str, target_text: &str, predefined: String) -> Result<PreAst, String> {
    let src = source_tree(flavour)?;
    let mut files = Vec::new();
    for (root, vroot, dirs) in [
        (&src, "src", &["arch/x86/include", "include"][..]),
        (&flavour.to_path_buf(), "obj", &["arch/x86/include/generated", "include/generated"][..]),
    ] {
        for d in dirs {
            collect(root, &root.join(d), vroot, &mut files)?;
        }
    }
    let target_path = format!("target/{target_name}");
    files.push(PreAstFile { path: target_path.clone(), text: target_text.to_owned(), kind: FileKind::Source });
    let version = std::fs::read_to_string(flavour.join(".config"))
        .ok()
        .and_then(|c| crate::config::ConfigFile::parse(".config", &c).ok())
        .and_then(|c| c.version)
        .unwrap_or_default();
    let meta = Metadata { kernel_release: String::new(), kernel_version: version, arch: "x86_64".into(), compiler: String::new() };
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
    pre_ast.forced_includes = ["src/include/linux/compiler-version.h", "src/include/linux/kconfig.h", "src/include/linux/compiler_types.h"]
        .iter()
        .filter_map(|p| pre_ast.lookup(p))
        .collect::<Vec<FileId>>();
    pre_ast.predefined = predefined;
    Ok(pre_ast)
}

fn collect(root: &Path, dir: &Path, vroot: &str, out: &mut Vec<PreAstFile>) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    for e in entries {
        let e = e.map_err(|e| e.to_string())?;
        let path = e.path();
        let ft = e.file_type().map_err(|e| e.to_string())?;
        if ft.is_dir() || (ft.is_symlink() && path.is_dir()) {
            collect(root, &path, vroot, out)?;
        } else if path.extension().is_some_and(|x| x == "h") {
            let rel = path.strip_prefix(root).map_err(|e| e.to_string())?.to_string_lossy().replace('\\', "/");
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let kind = match (vroot, rel.as_str()) {
                ("obj", "include/generated/autoconf.h") => FileKind::ConfigDerived(GeneratedHeader::Autoconf),
                ("obj", "include/generated/bounds.h") => FileKind::ConfigDerived(GeneratedHeader::Bounds),
                ("obj", "include/generated/timeconst.h") => FileKind::ConfigDerived(GeneratedHeader::Timeconst),
                ("obj", "include/generated/asm-offsets.h") => FileKind::ConfigDerived(GeneratedHeader::AsmOffsets),
                _ => FileKind::Source,
            };
            out.push(PreAstFile { path: format!("{vroot}/{rel}"), text, kind });
        }
    }
    Ok(())
}
