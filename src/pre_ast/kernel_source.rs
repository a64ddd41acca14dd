//! The kernel's full source next to a headers package (`build-pre-ast --kernel-source SRC`): the
//! private headers and the excerpts of `.c` files that the types memory forensics reads live in
//! (fs/mount.h, kernel/printk/printk_ringbuffer.h, `struct kthread` in kernel/kthread.c, …).
//!
//! SRC is an unpacked source tree or a source tarball (`.tar`, `.tar.xz`, as Debian's
//! `linux-source-X` package installs it under `/usr/src`). Only *private* files are taken from it,
//! paths outside the public include directories (`include/`, `arch/*/include/`), so every public
//! header still comes from the headers package; and of `.c` files only the ones an
//! [`Excerpt`] names, reduced to the declarations it names (see [`excerpt`]). What is taken is
//! recorded in the pre-AST with the source it came from. Nothing here depends on a configuration.

use std::io::Read;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

/// Declarations to take from one `.c` file of the kernel source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Excerpt {
    /// The file, relative to the source root (`kernel/kthread.c`).
    pub file: String,
    /// What to keep: `struct NAME`/`union NAME`/`enum NAME` definitions, or variable names.
    pub names: Vec<String>,
}

/// An opened kernel source.
#[derive(Debug)]
pub struct KernelSource {
    /// What it is, for the pre-AST's record (`linux-source-6.1.tar.xz` or a directory's path).
    pub origin: String,
    /// `VERSION.PATCHLEVEL.SUBLEVEL` of its top Makefile.
    pub version: String,
    files: Files,
}

#[derive(Debug)]
enum Files {
    Dir(PathBuf),
    /// The private `.h` files and the wanted `.c` files of an archive, by relative path.
    Archive(FxHashMap<String, Vec<u8>>),
}

impl KernelSource {
    /// Opens a source tree or tarball; `wanted_c` are the `.c` files to keep from an archive.
    pub fn open(path: &Path, wanted_c: &[&str]) -> Result<KernelSource, String> {
        let shown = path.display();
        if path.is_dir() {
            let makefile = std::fs::read_to_string(path.join("Makefile")).map_err(|e| {
                format!("{shown}: not a kernel source tree (no readable Makefile: {e})")
            })?;
            if !path.join("kernel").is_dir() {
                return Err(format!("{shown}: not a full kernel source tree (no kernel/ directory); give the unpacked source or its .tar.xz"));
            }
            let version = makefile_version(&makefile)
                .ok_or_else(|| format!("{shown}/Makefile: no VERSION/PATCHLEVEL/SUBLEVEL"))?;
            return Ok(KernelSource {
                origin: shown.to_string(),
                version,
                files: Files::Dir(path.to_path_buf()),
            });
        }
        let file = std::fs::File::open(path)
            .map_err(|e| format!("{shown}: cannot open the kernel source: {e}"))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let reader: Box<dyn Read> = if name.ends_with(".tar.xz") || name.ends_with(".txz") {
            Box::new(lzma_rust2::XzReader::new(
                std::io::BufReader::with_capacity(1 << 20, file),
                true,
            ))
        } else if name.ends_with(".tar") {
            Box::new(std::io::BufReader::with_capacity(1 << 20, file))
        } else {
            return Err(format!("{shown}: give a kernel source directory, a .tar or a .tar.xz"));
        };
        let mut makefile = None;
        let mut files = FxHashMap::default();
        read_tar(reader, &mut |rel, bytes| {
            if rel == "Makefile" {
                makefile = Some(String::from_utf8_lossy(&bytes).into_owned());
            } else if is_private(rel) && (rel.ends_with(".h") || wanted_c.contains(&rel)) {
                files.insert(rel.to_owned(), bytes);
            }
        })
        .map_err(|e| format!("{shown}: {e}"))?;
        let makefile = makefile.ok_or_else(|| {
            format!("{shown}: no top-level Makefile in the archive: not a kernel source")
        })?;
        let version = makefile_version(&makefile)
            .ok_or_else(|| format!("{shown}: the Makefile has no VERSION/PATCHLEVEL/SUBLEVEL"))?;
        Ok(KernelSource { origin: name, version, files: Files::Archive(files) })
    }

    /// The bytes of a private file (`rel` relative to the source root), if the source has it.
    /// Public paths are never answered from here.
    pub fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, String> {
        if !is_private(rel) {
            return Ok(None);
        }
        match &self.files {
            Files::Archive(map) => Ok(map.get(rel).cloned()),
            Files::Dir(root) => match std::fs::read(root.join(rel)) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                    ) =>
                {
                    Ok(None)
                }
                Err(_) if root.join(rel).is_dir() => Ok(None),
                Err(e) => Err(format!("{}: {e}", root.join(rel).display())),
            },
        }
    }
}

/// Whether a path relative to the source root is outside the public include directories.
pub fn is_private(rel: &str) -> bool {
    let mut parts = rel.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("include"), _, _) => false,
        (Some("arch"), Some(_), Some("include")) => false,
        (Some(first), Some(_), _) => {
            !first.is_empty() && !rel.split('/').any(|p| p == ".." || p == ".")
        }
        _ => false,
    }
}

/// `VERSION.PATCHLEVEL.SUBLEVEL` of a top Makefile.
fn makefile_version(text: &str) -> Option<String> {
    let get = |key: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == key).then(|| v.trim().to_owned())
        })
    };
    Some(format!("{}.{}.{}", get("VERSION")?, get("PATCHLEVEL")?, get("SUBLEVEL")?))
}

/// Reads a tar stream (ustar or GNU, with GNU long names and pax `path` records), calling `f`
/// with each regular file's path below the archive's top directory (`linux-source-6.1/`) and its
/// bytes.
fn read_tar(mut r: impl Read, f: &mut dyn FnMut(&str, Vec<u8>)) -> Result<(), String> {
    let mut header = [0u8; 512];
    let mut long_name: Option<String> = None;
    loop {
        if !read_block(&mut r, &mut header)? {
            return Ok(());
        }
        if header.iter().all(|&b| b == 0) {
            return Ok(());
        }
        let size = octal(&header[124..136]).ok_or("a tar header with a bad size field")?;
        let kind = header[156];
        let mut data = vec![0u8; size as usize];
        r.read_exact(&mut data).map_err(|e| format!("truncated archive: {e}"))?;
        let pad = (512 - size % 512) % 512;
        if std::io::copy(&mut (&mut r).take(pad), &mut std::io::sink())
            .map_err(|e| e.to_string())?
            != pad
        {
            return Err("truncated archive".to_owned());
        }
        match kind {
            b'L' => long_name = Some(cstr(&data)),
            b'x' => {
                // pax extended header: `LEN path=VALUE\n` records.
                let text = String::from_utf8_lossy(&data);
                for rec in text.lines() {
                    if let Some((_, kv)) = rec.split_once(' ') {
                        if let Some(path) = kv.strip_prefix("path=") {
                            long_name = Some(path.to_owned());
                        }
                    }
                }
            }
            b'0' | 0 => {
                let name = long_name.take().unwrap_or_else(|| {
                    let prefix = cstr(&header[345..500]);
                    let name = cstr(&header[0..100]);
                    if prefix.is_empty() {
                        name
                    } else {
                        format!("{prefix}/{name}")
                    }
                });
                if let Some((_, rel)) = name.trim_start_matches("./").split_once('/') {
                    f(rel, data);
                }
            }
            _ => long_name = None,
        }
    }
}

fn read_block(r: &mut impl Read, buf: &mut [u8; 512]) -> Result<bool, String> {
    let mut got = 0;
    while got < 512 {
        match r.read(&mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err("truncated archive".to_owned()),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(true)
}

fn octal(field: &[u8]) -> Option<u64> {
    let text = cstr(field);
    let text = text.trim();
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

fn cstr(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// The text of a `.c` file reduced to the declarations `names` asks for (`struct NAME`,
/// `union NAME`, `enum NAME`, or a variable's name) and the file's conditional directives
/// (`#if`…`#endif`, so a kept declaration stays under the conditions it is under in the file).
/// Everything else becomes empty lines, so line numbers stay the file's. Also returns the names
/// that were not found.
pub fn excerpt(text: &str, names: &[String]) -> (String, Vec<String>) {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut keep = vec![false; lines.len()];
    let mut found = vec![false; names.len()];
    // File-scope statements: (first line, last line, text with comments and strings blanked).
    let mut start: Option<usize> = None;
    let mut depth = 0i32;
    let mut stmt = String::new();
    let mut in_comment = false;
    // A directive's continuation lines belong to it: (continues, kept).
    let mut continued: Option<bool> = None;
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if let Some(kept) = continued {
            keep[i] = kept;
            continued = line.trim_end().ends_with('\\').then_some(kept);
            continue;
        }
        if !in_comment && trimmed.starts_with('#') {
            let directive = trimmed[1..].trim_start();
            let conditional = ["if", "ifdef", "ifndef", "elif", "else", "endif"].iter().any(|d| {
                directive.starts_with(d)
                    && !directive[d.len()..]
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            });
            // File-scope conditionals are kept; a directive inside a statement (an #ifdef inside
            // a struct) is kept with the statement.
            let kept = conditional && depth == 0 && start.is_none();
            keep[i] = kept;
            continued = line.trim_end().ends_with('\\').then_some(kept);
            stmt.push('\n');
            continue;
        }
        let bytes = line.as_bytes();
        let mut k = 0;
        while k < bytes.len() {
            let c = bytes[k];
            if in_comment {
                if c == b'*' && bytes.get(k + 1) == Some(&b'/') {
                    in_comment = false;
                    k += 1;
                }
                k += 1;
                continue;
            }
            match c {
                b'/' if bytes.get(k + 1) == Some(&b'*') => {
                    in_comment = true;
                    k += 2;
                    continue;
                }
                b'/' if bytes.get(k + 1) == Some(&b'/') => break,
                b'"' | b'\'' => {
                    k += 1;
                    while k < bytes.len() && bytes[k] != c {
                        if bytes[k] == b'\\' {
                            k += 1;
                        }
                        k += 1;
                    }
                    stmt.push(' ');
                }
                b'{' | b'(' | b'[' => {
                    depth += 1;
                    stmt.push(c as char);
                }
                b'}' | b')' | b']' => {
                    depth -= 1;
                    stmt.push(c as char);
                }
                _ => stmt.push(c as char),
            }
            if !c.is_ascii_whitespace() && start.is_none() {
                start = Some(i);
            }
            // A statement ends at `;` at file scope, or at the `}` closing a function body.
            let ends = depth == 0 && (c == b';' || (c == b'}' && is_function_body(&stmt)));
            if ends {
                let first = start.take().unwrap_or(i);
                for (n, name) in names.iter().enumerate() {
                    if declares(&stmt, name) {
                        found[n] = true;
                        keep[first..=i].iter_mut().for_each(|k| *k = true);
                    }
                }
                stmt.clear();
            }
            k += 1;
        }
        stmt.push('\n');
    }
    let mut out = String::with_capacity(text.len() / 8);
    for (i, line) in lines.iter().enumerate() {
        if keep[i] {
            out.push_str(line);
        }
        if i + 1 < lines.len() {
            out.push('\n');
        }
    }
    let missing = names.iter().zip(&found).filter(|(_, f)| !**f).map(|(n, _)| n.clone()).collect();
    (out, missing)
}

/// Whether a file-scope statement ending in `}` is a function definition (its first brace follows
/// a parameter list's `)`), as opposed to a `struct … { … }` that continues to a `;`.
fn is_function_body(stmt: &str) -> bool {
    let Some(brace) = stmt.find('{') else {
        return false;
    };
    stmt[..brace].trim_end().ends_with(')')
}

/// Whether `stmt` (a file-scope statement) declares `name`: `struct X {`, `union X {`,
/// `enum X {` for a tag, else a variable named `name` (not a function: it is not followed by a
/// parameter list, and the statement has no body).
fn declares(stmt: &str, name: &str) -> bool {
    if let Some((keyword, tag)) = name.split_once(' ') {
        let words: Vec<&str> = stmt
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '{'))
            .filter(|w| !w.is_empty())
            .collect();
        return words
            .windows(2)
            .any(|w| w[0] == keyword && (w[1] == tag || w[1] == format!("{tag}{{")))
            && stmt.split_once(tag).is_some_and(|(_, after)| after.trim_start().starts_with('{'));
    }
    let bytes = stmt.as_bytes();
    let mut depth = 0;
    let mut k = 0;
    while k < bytes.len() {
        let c = bytes[k];
        match c {
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => depth -= 1,
            b'=' if depth == 0 => return false,
            _ if c.is_ascii_alphabetic() || c == b'_' => {
                let end = stmt[k..]
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                    .map_or(stmt.len(), |e| k + e);
                if &stmt[k..end] == name {
                    let after = stmt[end..].trim_start();
                    let before = stmt[..k].trim_end();
                    // `int name[…]`, `} name = …`; or `LIST_HEAD(name);`, a macro that declares it.
                    if (depth == 0 && !after.starts_with('('))
                        || (depth == 1 && before.ends_with('(') && after.starts_with(')'))
                    {
                        return true;
                    }
                }
                k = end;
                continue;
            }
            _ => {}
        }
        k += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "// SPDX\n#include <linux/list.h>\n#define X 1\n\nstruct kthread {\n\tint a;\n#ifdef CONFIG_B\n\tint b; /* } */\n#endif\n};\n\nstatic int f(struct kthread *k)\n{\n\treturn k->a;\n}\n#ifdef CONFIG_MODULES\nstatic LIST_HEAD(ftrace_mod_maps);\nstruct other { int x; };\n#endif\nstatic struct {\n\tint seq;\n} tk_core = {\n\t.seq = 1,\n};\nint g(void);\n";

    #[test]
    fn excerpt_keeps_named_declarations_and_conditionals_on_their_lines() {
        let names: Vec<String> = ["struct kthread", "ftrace_mod_maps", "tk_core", "struct absent"]
            .map(String::from)
            .to_vec();
        let (text, missing) = excerpt(FILE, &names);
        assert_eq!(missing, ["struct absent"]);
        assert_eq!(text.lines().count(), FILE.lines().count());
        let kept: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.is_empty())
            .map(|(i, l)| (i + 1, l))
            .collect();
        assert_eq!(
            kept,
            [
                (5, "struct kthread {"),
                (6, "\tint a;"),
                (7, "#ifdef CONFIG_B"),
                (8, "\tint b; /* } */"),
                (9, "#endif"),
                (10, "};"),
                (16, "#ifdef CONFIG_MODULES"),
                (17, "static LIST_HEAD(ftrace_mod_maps);"),
                (19, "#endif"),
                (20, "static struct {"),
                (21, "\tint seq;"),
                (22, "} tk_core = {"),
                (23, "\t.seq = 1,"),
                (24, "};"),
            ]
        );
    }

    #[test]
    fn private_paths() {
        assert!(is_private("fs/mount.h"));
        assert!(is_private("kernel/printk/printk_ringbuffer.h"));
        assert!(!is_private("include/linux/mount.h"));
        assert!(!is_private("arch/x86/include/asm/desc.h"));
        assert!(is_private("arch/x86/kernel/idt.c"));
        assert!(!is_private("Makefile"));
        assert!(!is_private("fs/../include/x.h"));
    }

    #[test]
    fn tar_reader_reads_ustar_and_long_names() {
        fn header(name: &str, size: usize, kind: u8) -> Vec<u8> {
            let mut h = vec![0u8; 512];
            h[..name.len()].copy_from_slice(name.as_bytes());
            let s = format!("{size:011o}\0");
            h[124..136].copy_from_slice(s.as_bytes());
            h[156] = kind;
            h
        }
        fn padded(data: &[u8]) -> Vec<u8> {
            let mut v = data.to_vec();
            v.resize(data.len().div_ceil(512) * 512, 0);
            v
        }
        let long = format!("linux-source-6.1/{}/mount.h", "d".repeat(120));
        let mut tar = Vec::new();
        tar.extend(header("linux-source-6.1/fs/mount.h", 5, b'0'));
        tar.extend(padded(b"hello"));
        tar.extend(header("././@LongLink", long.len() + 1, b'L'));
        tar.extend(padded(format!("{long}\0").as_bytes()));
        tar.extend(header("ignored", 2, b'0'));
        tar.extend(padded(b"hi"));
        tar.extend([0u8; 1024]);
        let mut seen = Vec::new();
        read_tar(&tar[..], &mut |rel, bytes| seen.push((rel.to_owned(), bytes))).unwrap();
        assert_eq!(seen[0], ("fs/mount.h".to_owned(), b"hello".to_vec()));
        assert_eq!(seen[1].0, format!("{}/mount.h", "d".repeat(120)));
        assert!(read_tar(&tar[..700], &mut |_, _| {}).is_err());
    }
}
