//! Finding a kernel tree's parts: the source tree (headers), the object tree (the configuration
//! and generated headers), the kernel release and version, and the compiler the config names.
//!
//! Three layouts are recognised. A Debian/Ubuntu flavour directory (`linux-headers-6.1.0-56-amd64`)
//! is an object tree whose `Makefile` is `include /usr/src/linux-headers-…-common/Makefile`; that
//! line names the source tree, and when its absolute path does not exist (the packages were
//! unpacked somewhere else) the directory of the same name next to the flavour directory is used.
//! A build directory made with `make O=DIR modules_prepare` looks the same (its generated
//! `Makefile` includes the source tree's `Makefile`). A source tree prepared in place
//! (`make modules_prepare` without `O=`) is its own object tree.

use std::fmt;
use std::path::{Path, PathBuf};

/// How the tree was laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeLayout {
    /// An object directory whose `Makefile` includes the source tree's (a distribution's
    /// flavour headers directory, or `make O=DIR`).
    SeparateObjtree,
    /// A source tree with its build output in place.
    InPlace,
}

/// A kernel tree ready to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelTree {
    pub layout: TreeLayout,
    /// Where the headers are (kbuild's `$(srctree)`).
    pub srctree: PathBuf,
    /// Where `.config` and the generated headers are (kbuild's `$(objtree)`).
    pub objtree: PathBuf,
    /// `uname -r`, from `include/generated/utsrelease.h` (else `include/config/kernel.release`).
    pub kernel_release: String,
    /// `VERSION.PATCHLEVEL.SUBLEVEL` from the source tree's `Makefile` (else the `.config`
    /// header).
    pub kernel_version: String,
    /// `CONFIG_CC_VERSION_TEXT`, unquoted.
    pub cc_version_text: String,
    /// `CONFIG_GCC_VERSION` (0 when the kernel was not built with GCC).
    pub gcc_version: u32,
    /// The text of the source tree's top `Makefile` (read once; kbuild flag rules look at it).
    pub src_makefile: String,
    /// A note for the user when the source tree was not where the `Makefile` said.
    pub relocated_from: Option<PathBuf>,
}

/// Why a directory is not a usable kernel tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeError {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for TreeError {}

const EXPECTED: &str = "expected a Debian/Ubuntu kernel headers directory (such as \
/usr/src/linux-headers-6.1.0-56-amd64) or a kernel source tree prepared with \
`make O=DIR modules_prepare` (pass DIR or the source tree)";

/// Finds the parts of the kernel tree at `path`.
pub fn discover(path: &Path) -> Result<KernelTree, TreeError> {
    let err = |p: &Path, m: String| TreeError { path: p.to_path_buf(), message: m };
    if !path.is_dir() {
        let what = if path.exists() { "is not a directory" } else { "does not exist" };
        return Err(err(path, format!("{what}; {EXPECTED}")));
    }
    let makefile = read_text(&path.join("Makefile"))
        .ok_or_else(|| err(path, format!("no Makefile here, so not a kernel tree; {EXPECTED}")))?;
    let (layout, srctree, objtree, relocated_from) = match included_makefile(&makefile) {
        Some(included) => {
            // A relative path is relative to the directory make runs in, TREE.
            let included = path.join(included);
            let named = included.parent().map(Path::to_path_buf).unwrap_or_default();
            let (srctree, relocated) = if named.join("include/linux/kconfig.h").is_file() {
                (named, None)
            } else {
                let sibling = named.file_name().and_then(|n| path.parent().map(|p| p.join(n)));
                match sibling {
                    Some(s) if s.join("include/linux/kconfig.h").is_file() => (s, Some(named)),
                    _ => {
                        return Err(err(
                            path,
                            format!(
                                "its Makefile includes {}, but neither that directory nor a \
                                 directory of the same name next to this one holds kernel headers \
                                 (install or unpack the matching -common headers package too)",
                                included.display()
                            ),
                        ));
                    }
                }
            };
            (TreeLayout::SeparateObjtree, srctree, path.to_path_buf(), relocated)
        }
        None if makefile_var(&makefile, "VERSION").is_some() => {
            (TreeLayout::InPlace, path.to_path_buf(), path.to_path_buf(), None)
        }
        None => {
            return Err(err(path, format!("its Makefile is not a kernel Makefile; {EXPECTED}")));
        }
    };
    // Absolute, without `..` (a build directory inside the source tree names it as `..`).
    let srctree = srctree.canonicalize().unwrap_or(srctree);
    let objtree = objtree.canonicalize().unwrap_or(objtree);
    if !srctree.join("include/linux/kconfig.h").is_file() {
        return Err(err(&srctree, format!("no include/linux/kconfig.h; {EXPECTED}")));
    }
    let src_makefile = if srctree == objtree {
        makefile
    } else {
        read_text(&srctree.join("Makefile"))
            .ok_or_else(|| err(&srctree, "cannot read the source tree's Makefile".to_string()))?
    };
    let config = read_text(&objtree.join(".config")).ok_or_else(|| {
        let hint = if layout == TreeLayout::InPlace {
            " (a source tree built with `make O=DIR` keeps its .config in DIR: pass DIR)"
        } else {
            ""
        };
        err(&objtree, format!("no .config: the tree is not configured{hint}"))
    })?;
    if !objtree.join("include/generated/autoconf.h").is_file() {
        return Err(err(
            &objtree,
            "no include/generated/autoconf.h: run `make modules_prepare` first".to_string(),
        ));
    }
    let kernel_release = read_text(&objtree.join("include/generated/utsrelease.h"))
        .and_then(|t| {
            t.lines().find_map(|l| {
                let rest = l.trim().strip_prefix("#define")?.trim().strip_prefix("UTS_RELEASE")?;
                Some(rest.trim().trim_matches('"').to_string())
            })
        })
        .or_else(|| {
            read_text(&objtree.join("include/config/kernel.release")).map(|t| t.trim().to_string())
        })
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            err(
                &objtree,
                "cannot find the kernel release (include/generated/utsrelease.h or \
                 include/config/kernel.release): run `make modules_prepare` first"
                    .to_string(),
            )
        })?;
    let kernel_version = version_from_makefile(&src_makefile)
        .or_else(|| version_from_config(&config))
        .ok_or_else(|| {
            err(&srctree, "cannot find the kernel version (Makefile VERSION/PATCHLEVEL/SUBLEVEL or the .config header)".to_string())
        })?;
    let cc_version_text = config_value(&config, "CONFIG_CC_VERSION_TEXT")
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_default();
    let gcc_version =
        config_value(&config, "CONFIG_GCC_VERSION").and_then(|v| v.parse().ok()).unwrap_or(0);
    Ok(KernelTree {
        layout,
        srctree,
        objtree,
        kernel_release,
        kernel_version,
        cc_version_text,
        gcc_version,
        src_makefile,
        relocated_from,
    })
}

/// The value of `NAME=` in a `.config` text, as written.
pub fn config_value<'a>(config: &'a str, name: &str) -> Option<&'a str> {
    config.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
}

/// The path of the last `include …/Makefile` line of a wrapper Makefile.
fn included_makefile(makefile: &str) -> Option<PathBuf> {
    makefile.lines().rev().find_map(|l| {
        let rest = l.trim().strip_prefix("include")?;
        if !rest.starts_with([' ', '\t']) {
            return None;
        }
        let p = rest.trim();
        (p.ends_with("/Makefile") && !p.contains('$')).then(|| PathBuf::from(p))
    })
}

/// A top-level `NAME = value` assignment of a Makefile.
fn makefile_var<'a>(makefile: &'a str, name: &str) -> Option<&'a str> {
    makefile.lines().find_map(|l| {
        let rest = l.strip_prefix(name)?.trim_start();
        let value = rest.strip_prefix(":=").or_else(|| rest.strip_prefix('='))?;
        Some(value.trim())
    })
}

fn version_from_makefile(makefile: &str) -> Option<String> {
    let v = makefile_var(makefile, "VERSION")?;
    let p = makefile_var(makefile, "PATCHLEVEL")?;
    let s = makefile_var(makefile, "SUBLEVEL")?;
    let all_digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    (all_digits(v) && all_digits(p) && all_digits(s)).then(|| format!("{v}.{p}.{s}"))
}

/// The version in the `.config` header line `# Linux/x86 6.1.192 Kernel Configuration`.
fn version_from_config(config: &str) -> Option<String> {
    config.lines().take(10).find_map(|l| {
        let rest = l.strip_prefix("# Linux/")?;
        let mut words = rest.split_whitespace();
        let _arch = words.next()?;
        let version = words.next()?;
        (words.next() == Some("Kernel")).then(|| version.to_string())
    })
}

fn read_text(path: &Path) -> Option<String> {
    std::fs::read(path).ok().map(|b| String::from_utf8_lossy(&b).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_sources() {
        let mk = "# SPDX\nVERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\nEXTRAVERSION =\n";
        assert_eq!(version_from_makefile(mk).as_deref(), Some("6.1.192"));
        let cfg = "#\n# Automatically generated file; DO NOT EDIT.\n\
                   # Linux/x86 6.12.117 Kernel Configuration\n#\nCONFIG_GCC_VERSION=120200\n";
        assert_eq!(version_from_config(cfg).as_deref(), Some("6.12.117"));
        assert_eq!(config_value(cfg, "CONFIG_GCC_VERSION"), Some("120200"));
        assert_eq!(
            included_makefile("include /usr/src/linux-headers-6.1.0-56-common/Makefile\n"),
            Some(PathBuf::from("/usr/src/linux-headers-6.1.0-56-common/Makefile"))
        );
        assert_eq!(included_makefile("include $(srctree)/scripts/Kbuild.include\n"), None);
    }
}
