//! `cargo xtask oracle`: GCC itself says what the layouts are.
//!
//! The target C file is built as an out-of-tree kernel module against a kernel tree with that
//! tree's own kbuild and gcc-12 (`make -C TREE M=TMP NAME.o`, with `ccflags-y += -g
//! -gno-split-dwarf -femit-struct-debug-detailed=any` in the module's `Kbuild` file, so that
//! configurations with split or reduced debug info still put every type into the object), in a
//! scratch directory; only the object is built, so modpost never
//! runs and the target needs no `MODULE_LICENSE`. The DWARF of the object is read by `dwarf` into
//! the canonical layout JSON of `layout_json`, together with the gcc version and the exact compile
//! command kbuild used (from the object's `.NAME.o.cmd` file).
//!
//! Caching: the JSON is stored as `target/oracle/<key>.json`, where the key is the SHA-256 of the
//! canonical tree path, the tree's `.config`, the target's text and module name, the gcc version
//! line, the debug and extra compiler flags, and the source text of the DWARF reader and the schema modules
//! themselves (so that a change to the reader invalidates old results). A repeated run with the
//! same key skips the compile; the JSON is written to a temporary name and renamed into place.
//!
//! `--preprocess` runs `gcc -E` of the target with exactly kbuild's flags: the compile command
//! from the `.cmd` file with `-c -o NAME.o` replaced by `-E -o OUT.i` and `-Wp,-MMD,...` dropped,
//! run in the directory kbuild ran it in (the tree's object directory, where the command's
//! `-I./include` paths resolve).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::layout_json::Layouts;
use crate::util::{self, Result, TempDir};
use crate::{bail, dwarf, format_err};

/// The debug flags the module's `Kbuild` file adds after kbuild's own flags.
pub const DEBUG_CFLAGS: &[&str] = &["-g", "-gno-split-dwarf", "-femit-struct-debug-detailed=any"];

/// What to build.
#[derive(Debug, Clone)]
pub struct Request {
    /// The kernel tree (a Debian flavour directory or a prepared `O=` build directory).
    pub tree: PathBuf,
    /// The target C file.
    pub source: PathBuf,
    /// Extra compiler flags for the module's `ccflags-y` after `-g` (e.g. `-gdwarf-4`).
    pub extra_cflags: Vec<String>,
}

/// The outcome of [`run`].
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The layouts GCC produced.
    pub layouts: Layouts,
    /// Where the JSON is cached.
    pub cache_file: PathBuf,
    /// Whether it came from the cache.
    pub cached: bool,
    /// Seconds spent (compile + DWARF reading, or reading the cache).
    pub seconds: f64,
    /// Of which kbuild compiling the target (0 when cached).
    pub compile_seconds: f64,
    /// Of which reading the DWARF (0 when cached).
    pub read_seconds: f64,
}

/// A finished module build in a scratch directory.
#[derive(Debug)]
pub struct ModuleBuild {
    /// The scratch directory (removed when this is dropped).
    pub dir: TempDir,
    /// The object file.
    pub object: PathBuf,
    /// kbuild's compile command for the object.
    pub command: String,
    /// The directory kbuild ran the compile command in.
    pub cwd: PathBuf,
}

/// The compiler for a tree whose `.config` names a GCC major release other than 12 (the
/// machine's gcc-12 builds the rest): that release's `gcc-N` from its Debian suite.
pub fn tree_compiler(tree: &Path) -> Result<Option<String>> {
    let config = std::fs::read_to_string(tree.join(".config")).unwrap_or_default();
    let major = config
        .lines()
        .find_map(|l| l.strip_prefix("CONFIG_GCC_VERSION="))
        .and_then(|v| v.trim().parse::<u32>().ok())
        .map(|v| v / 10000);
    match major {
        Some(m) if m != 12 && m != 0 => Ok(Some(crate::compilers::ensure_gcc(m)?.cc()?)),
        _ => Ok(None),
    }
}

/// The default target: `targets/forensics.c` in the repository, when it exists.
pub fn default_source() -> Option<PathBuf> {
    let path = util::repo_root().join("targets/forensics.c");
    path.is_file().then_some(path)
}

/// The cached or freshly computed layouts for a request.
pub fn run(request: &Request) -> Result<Outcome> {
    let start = Instant::now();
    let tree = canonical(&request.tree)?;
    let source = canonical(&request.source)?;
    let text = util::read(&source)?;
    let gcc_version = match tree_compiler(&tree)? {
        Some(cc) => {
            let out =
                util::run_stdout(Command::new("sh").arg("-c").arg(format!("{cc} --version")))?;
            out.lines().next().unwrap_or_default().trim().to_owned()
        }
        None => util::gcc_version()?,
    };
    // The tree's configuration is part of the key, so a re-prepared tree at the same path is
    // compiled again.
    let config = std::fs::read(tree.join(".config")).unwrap_or_default();
    let key = cache_key(
        &tree,
        &config,
        &text,
        &module_name(&source)?,
        &gcc_version,
        &request.extra_cflags,
    )?;
    let cache_file = util::target_dir().join("oracle").join(format!("{key}.json"));
    if let Ok(json) = std::fs::read_to_string(&cache_file) {
        if let Ok(mut layouts) = Layouts::from_json(&json, &cache_file.display().to_string()) {
            // The same text may live at another path; report the one asked about.
            layouts.source = source.display().to_string();
            let seconds = start.elapsed().as_secs_f64();
            return Ok(Outcome {
                layouts,
                cache_file,
                cached: true,
                seconds,
                compile_seconds: 0.0,
                read_seconds: 0.0,
            });
        }
    }
    let compile_start = Instant::now();
    let build = build_module(&tree, &source, &request.extra_cflags)?;
    let compile_seconds = compile_start.elapsed().as_secs_f64();
    let read_start = Instant::now();
    let object = util::read(&build.object)?;
    let mut layouts =
        dwarf::read_object(&object).map_err(|e| format_err!("{}: {e}", build.object.display()))?;
    let read_seconds = read_start.elapsed().as_secs_f64();
    if layouts.records.is_empty() {
        bail!(
            "{}: the DWARF of {} has no struct or union at all (debug info split or reduced?)",
            source.display(),
            build.object.display()
        );
    }
    layouts.gcc_version = gcc_version;
    layouts.command = build.command.clone();
    layouts.tree = tree.display().to_string();
    layouts.source = source.display().to_string();
    // Write through a temporary name so that a concurrent reader never sees half a file.
    let tmp = cache_file.with_extension(format!("json.tmp-{}", std::process::id()));
    util::write(&tmp, layouts.to_json())?;
    std::fs::rename(&tmp, &cache_file)
        .map_err(|e| format_err!("cannot move {} into place: {e}", tmp.display()))?;
    let seconds = start.elapsed().as_secs_f64();
    Ok(Outcome { layouts, cache_file, cached: false, seconds, compile_seconds, read_seconds })
}

/// Builds `source` as the object of an out-of-tree module against `tree` with kbuild.
pub fn build_module(tree: &Path, source: &Path, extra_cflags: &[String]) -> Result<ModuleBuild> {
    let name = module_name(source)?;
    let dir = TempDir::new("oracle")?;
    let c_file = dir.path().join(format!("{name}.c"));
    std::fs::copy(source, &c_file).map_err(|e| {
        format_err!("cannot copy {} to {}: {e}", source.display(), c_file.display())
    })?;
    // `-g` for DWARF; the other two undo what some configurations (DEBUG_INFO_SPLIT,
    // DEBUG_INFO_REDUCED) add, which would move the DWARF to a `.dwo` file or keep struct
    // definitions from headers out of it. They do not change code or layouts.
    let mut kbuild = format!("obj-m += {name}.o\nccflags-y += {}\n", DEBUG_CFLAGS.join(" "));
    for flag in extra_cflags {
        kbuild.push_str(&format!("ccflags-y += {flag}\n"));
    }
    util::write(&dir.path().join("Kbuild"), kbuild)?;
    let mut make = Command::new("make");
    make.arg("-C").arg(tree).arg(format!("M={}", dir.path().display())).arg(format!("{name}.o"));
    // Debian flavour trees name their compiler in `.kernelvariables`; a full source tree uses
    // `gcc` unless told, so say gcc-12 explicitly there. A tree built by another GCC release
    // gets that release, unpacked from its Debian suite (`compilers::ensure_gcc`).
    if let Some(cc) = tree_compiler(tree)? {
        make.arg(format!("CC={cc}"));
        // A newer suite's kbuild ships an objtool built for its own glibc. objtool annotates
        // code (ORC, retpoline and return sites) and leaves the debug info alone, so when this
        // machine cannot run it, the module is built without it.
        let objtool = tree.join("tools/objtool/objtool");
        if objtool.is_file() {
            let probe = Command::new(&objtool).arg("--help").env("SRCARCH", "x86").output();
            if probe.is_ok_and(|o| String::from_utf8_lossy(&o.stderr).contains("version `GLIBC_")) {
                eprintln!(
                    "oracle: {} needs a newer glibc; building without objtool",
                    objtool.display()
                );
                make.arg("objtool=true");
            }
        }
    } else if !tree.join(".kernelvariables").is_file() {
        make.arg("CC=gcc-12");
    }
    util::run(&mut make)?;
    let object = dir.path().join(format!("{name}.o"));
    if !object.is_file() {
        bail!("kbuild did not produce {}", object.display());
    }
    let cmd_file = dir.path().join(format!(".{name}.o.cmd"));
    let command = compile_command(&util::read_to_string(&cmd_file)?)
        .ok_or_else(|| format_err!("{}: no `cmd_...o := ...` line", cmd_file.display()))?;
    let cwd = if tree.join("include/generated/autoconf.h").is_file() {
        tree.to_path_buf()
    } else {
        dir.path().to_path_buf()
    };
    Ok(ModuleBuild { dir, object, command, cwd })
}

/// Writes `gcc -E` of `source` with kbuild's exact flags for `tree` to `out`; returns the command.
pub fn preprocess(tree: &Path, source: &Path, out: &Path) -> Result<String> {
    let tree = canonical(tree)?;
    let source = canonical(source)?;
    let build = build_module(&tree, &source, &[])?;
    let out = if out.is_absolute() {
        out.to_path_buf()
    } else {
        std::env::current_dir().map_err(|e| format_err!("{e}"))?.join(out)
    };
    if let Some(parent) = out.parent() {
        util::create_dir_all(parent)?;
    }
    // Linux 6.13 on builds an external module inside its own directory, with relative names
    // (`-c -o NAME.o NAME.c`); older kbuild runs in the tree with absolute ones.
    let relative = build.object.file_name().map(PathBuf::from).unwrap_or_default();
    let (object, cwd) = if build.command.contains(&format!("-c -o {} ", build.object.display())) {
        (build.object.clone(), build.cwd.clone())
    } else {
        (relative, build.dir.path().to_path_buf())
    };
    let command = preprocess_command(&build.command, &object, &out)?;
    util::run(Command::new("sh").arg("-c").arg(&command).current_dir(&cwd))?;
    Ok(command)
}

/// Turns kbuild's compile command into the matching `gcc -E` command.
pub fn preprocess_command(command: &str, object: &Path, out: &Path) -> Result<String> {
    let compile = format!("-c -o {}", object.display());
    if !command.contains(&compile) {
        bail!("the kbuild command has no `{compile}`: {command}");
    }
    let replaced = command.replacen(&compile, &format!("-E -o {}", out.display()), 1);
    let words: Vec<&str> =
        replaced.split(' ').filter(|w| !w.starts_with("-Wp,-MMD,") && !w.is_empty()).collect();
    Ok(words.join(" "))
}

/// The compile command from the text of a kbuild `.NAME.o.cmd` file: the value of the first
/// `cmd_X.o :=` or `savedcmd_X.o :=` line, up to the first `;` outside quotes (kbuild appends the
/// objtool run after it).
pub fn compile_command(cmd_file_text: &str) -> Option<String> {
    let line =
        cmd_file_text.lines().find(|l| l.starts_with("cmd_") || l.starts_with("savedcmd_"))?;
    let (_, value) = line.split_once(" := ")?;
    let mut quote: Option<char> = None;
    let mut end = value.len();
    for (i, c) in value.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ';') => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    Some(value[..end].trim().to_owned())
}

fn module_name(source: &Path) -> Result<String> {
    let stem = source
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| format_err!("{}: no usable file name", source.display()))?;
    let name: String =
        stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if name.is_empty() {
        bail!("{}: empty module name", source.display());
    }
    Ok(name)
}

fn canonical(path: &Path) -> Result<PathBuf> {
    path.canonicalize().map_err(|e| format_err!("{}: {e}", path.display()))
}

fn cache_key(
    tree: &Path,
    config: &[u8],
    source_text: &[u8],
    module_name: &str,
    gcc_version: &str,
    extra_cflags: &[String],
) -> Result<String> {
    let mut material = Vec::new();
    material.extend_from_slice(b"layout-expert oracle cache 1\0");
    material.extend_from_slice(tree.display().to_string().as_bytes());
    material.push(0);
    material.extend_from_slice(config);
    material.push(0);
    material.extend_from_slice(gcc_version.as_bytes());
    material.push(0);
    material.extend_from_slice(DEBUG_CFLAGS.join(" ").as_bytes());
    material.push(0);
    material.extend_from_slice(extra_cflags.join(" ").as_bytes());
    material.push(0);
    // The module name (from the file name) is part of kbuild's command line.
    material.extend_from_slice(module_name.as_bytes());
    material.push(0);
    material.extend_from_slice(include_str!("dwarf.rs").as_bytes());
    material.extend_from_slice(include_str!("layout_json.rs").as_bytes());
    material.push(0);
    material.extend_from_slice(source_text);
    util::sha256_bytes(&material)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compile_command_stops_at_objtool() {
        let text = "savedcmd_/m/p.o := gcc-12 -Wp,-MMD,/m/.p.o.d -DKBUILD_BASENAME='\"p;q\"' -c -o /m/p.o /m/p.c   ; ./tools/objtool/objtool --module /m/p.o\n\nsource_/m/p.o := /m/p.c\n";
        let command = compile_command(text).unwrap();
        assert_eq!(
            command,
            "gcc-12 -Wp,-MMD,/m/.p.o.d -DKBUILD_BASENAME='\"p;q\"' -c -o /m/p.o /m/p.c"
        );
        let pp = preprocess_command(&command, Path::new("/m/p.o"), Path::new("/out/p.i")).unwrap();
        assert_eq!(pp, "gcc-12 -DKBUILD_BASENAME='\"p;q\"' -E -o /out/p.i /m/p.c");
        assert!(preprocess_command(&command, Path::new("/x.o"), Path::new("/out/p.i")).is_err());
        assert_eq!(compile_command("nothing here"), None);
    }
}
