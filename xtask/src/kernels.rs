//! `cargo xtask kernels`: the real Debian kernel header packages, unpacked into a cache under
//! `target/kernels/` so that tests and the oracle have real trees to work on.
//!
//! The packages come from `shared/kernels` next to the repository (found as `<repo>/../shared`, or
//! in any ancestor directory of the repository, or at `$LAYOUT_EXPERT_KERNELS`), SHA-256 checked
//! against its `SHA256SUMS` *and* against the pins below; when no such directory exists they are
//! fetched with `apt-get download NAME=VERSION` into `target/kernels/debs/` and checked against the
//! same pins. Each kernel gets its own prefix (`6.1`, `6.1-rt`, `6.12`), into which all of its
//! packages are unpacked with `dpkg-deb -x`, so that the flavour directories' relative `scripts` and
//! `tools` symlinks into `usr/lib/linux-kbuild-*` resolve. A flavour's `Makefile` includes the
//! `-common` tree's Makefile by the absolute path `/usr/src/...`; we rewrite that line to the
//! unpacked location so that out-of-tree module builds work.
//!
//! Caching: a prefix is unpacked into a temporary sibling directory and renamed into place, then a
//! stamp file listing the package digests is written. A prefix whose stamp matches the pins is
//! used as it is, so a second run does no work at all.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::util::{self, Result};
use crate::{bail, format_err};

/// One pinned Debian package.
#[derive(Debug, Clone, Copy)]
pub struct Package {
    /// The `.deb` file name as the archive names it.
    pub file: &'static str,
    /// The package name, for `apt-get download`.
    pub name: &'static str,
    /// The exact version, for `apt-get download NAME=VERSION`.
    pub version: &'static str,
    /// The SHA-256 digest of the `.deb`.
    pub sha256: &'static str,
}

/// One kernel: the packages unpacked together under one prefix.
#[derive(Debug, Clone, Copy)]
pub struct Kernel {
    /// The prefix directory name under `target/kernels/`.
    pub prefix: &'static str,
    /// The packages of this kernel (headers, common headers, kbuild).
    pub packages: &'static [Package],
    /// The flavour directories under `usr/src/` with their tree names.
    pub flavours: &'static [(&'static str, &'static str)],
}

/// A flavour tree ready for module builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    /// A short name such as `6.1-amd64`.
    pub name: String,
    /// The flavour directory, e.g. `.../target/kernels/6.1/usr/src/linux-headers-6.1.0-56-amd64`.
    pub path: PathBuf,
}

const COMMON_61: Package = Package {
    file: "linux-headers-6.1.0-56-common_6.1.192-2_all.deb",
    name: "linux-headers-6.1.0-56-common",
    version: "6.1.192-2",
    sha256: "509e776de8353799a53f4b14d29e87863aac2b7ee9264544bc2821461a853930",
};
const KBUILD_61: Package = Package {
    file: "linux-kbuild-6.1_6.1.192-2_amd64.deb",
    name: "linux-kbuild-6.1",
    version: "6.1.192-2",
    sha256: "7e852381f1c455a439230ea3261e3669f2307afdbed57db0fc08ed8ffa689f60",
};
const AMD64_61: Package = Package {
    file: "linux-headers-6.1.0-56-amd64_6.1.192-2_amd64.deb",
    name: "linux-headers-6.1.0-56-amd64",
    version: "6.1.192-2",
    sha256: "796a7b4584d7a57f97913e34e80a2fcce96b6c5016fa9d4fc2212a93e4868677",
};
const CLOUD_61: Package = Package {
    file: "linux-headers-6.1.0-56-cloud-amd64_6.1.192-2_amd64.deb",
    name: "linux-headers-6.1.0-56-cloud-amd64",
    version: "6.1.192-2",
    sha256: "66b3332567754d46edbe47f2e424db28a7bb28afedd5f51867b17f8af0d41191",
};
const COMMON_RT_61: Package = Package {
    file: "linux-headers-6.1.0-56-common-rt_6.1.192-2_all.deb",
    name: "linux-headers-6.1.0-56-common-rt",
    version: "6.1.192-2",
    sha256: "d8f558a7fda205f6bfce82d783c38a001c4421331d98cc47cf022ad6d9900a7c",
};
const RT_61: Package = Package {
    file: "linux-headers-6.1.0-56-rt-amd64_6.1.192-2_amd64.deb",
    name: "linux-headers-6.1.0-56-rt-amd64",
    version: "6.1.192-2",
    sha256: "95898601143bbb2d2ba1d9df063fef547de52ca8ed1bc80167031195b045260a",
};
const COMMON_612: Package = Package {
    file: "linux-headers-6.12.117+deb12-common_6.12.117-1~deb12u1_all.deb",
    name: "linux-headers-6.12.117+deb12-common",
    version: "6.12.117-1~deb12u1",
    sha256: "0c70107dda266a9d26dc119d80a71589202b17fbf4d4ddf544681c89e2002742",
};
const KBUILD_612: Package = Package {
    file: "linux-kbuild-6.12.117+deb12_6.12.117-1~deb12u1_amd64.deb",
    name: "linux-kbuild-6.12.117+deb12",
    version: "6.12.117-1~deb12u1",
    sha256: "69761d1daf39e43485d278cc7066f77c15edc3b881d6e47afd61cf0da0985677",
};
const AMD64_612: Package = Package {
    file: "linux-headers-6.12.117+deb12-amd64_6.12.117-1~deb12u1_amd64.deb",
    name: "linux-headers-6.12.117+deb12-amd64",
    version: "6.12.117-1~deb12u1",
    sha256: "8ee4c67f8399bc6f9aa1c5256d9d1b1b7eace76c7acca519e63f1b7df5fc4bd0",
};
const CLOUD_612: Package = Package {
    file: "linux-headers-6.12.117+deb12-cloud-amd64_6.12.117-1~deb12u1_amd64.deb",
    name: "linux-headers-6.12.117+deb12-cloud-amd64",
    version: "6.12.117-1~deb12u1",
    sha256: "d554fd0fd1ba990b36a428a5982c295e365bb5598c366bdf088aeb467c4c6dd3",
};

/// The three kernels and their five flavours.
pub const KERNELS: &[Kernel] = &[
    Kernel {
        prefix: "6.1",
        packages: &[COMMON_61, AMD64_61, CLOUD_61, KBUILD_61],
        flavours: &[
            ("6.1-amd64", "linux-headers-6.1.0-56-amd64"),
            ("6.1-cloud-amd64", "linux-headers-6.1.0-56-cloud-amd64"),
        ],
    },
    Kernel {
        prefix: "6.1-rt",
        packages: &[COMMON_RT_61, RT_61, KBUILD_61],
        flavours: &[("6.1-rt-amd64", "linux-headers-6.1.0-56-rt-amd64")],
    },
    Kernel {
        prefix: "6.12",
        packages: &[COMMON_612, AMD64_612, CLOUD_612, KBUILD_612],
        flavours: &[
            ("6.12-amd64", "linux-headers-6.12.117+deb12-amd64"),
            (
                "6.12-cloud-amd64",
                "linux-headers-6.12.117+deb12-cloud-amd64",
            ),
        ],
    },
];

/// What [`ensure_kernels`] did for one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The stamp matched: nothing was done.
    UpToDate,
    /// The packages were unpacked from the given directory.
    Unpacked { from: PathBuf },
}

/// The cache root, `target/kernels`.
pub fn cache_dir() -> PathBuf {
    util::target_dir().join("kernels")
}

/// The five flavour trees (6.1 amd64, cloud-amd64, rt-amd64; 6.12 amd64, cloud-amd64), unpacking
/// them on first use. Safe to call from several test threads at once.
pub fn debian_trees() -> Result<Vec<Tree>> {
    ensure_kernels(&mut |_, _| {})?;
    Ok(trees_in(&cache_dir()))
}

/// The flavour trees under a cache root (whether or not they are unpacked).
pub fn trees_in(cache: &Path) -> Vec<Tree> {
    let mut res = Vec::new();
    for kernel in KERNELS {
        for (name, dir) in kernel.flavours {
            res.push(Tree {
                name: (*name).to_owned(),
                path: cache.join(kernel.prefix).join("usr/src").join(dir),
            });
        }
    }
    res
}

/// Unpacks every kernel whose stamp is missing or stale; `report` is told what happened per prefix.
pub fn ensure_kernels(report: &mut dyn FnMut(&Kernel, &Action)) -> Result<()> {
    // One unpacking at a time within this process; other processes are handled by the atomic
    // rename in `unpack`.
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let cache = cache_dir();
    util::create_dir_all(&cache)?;
    let mut debs_dir: Option<PathBuf> = None;
    for kernel in KERNELS {
        let prefix_dir = cache.join(kernel.prefix);
        let stamp = stamp_text(kernel);
        if stamp_matches(&prefix_dir, &stamp) {
            report(kernel, &Action::UpToDate);
            continue;
        }
        let dir = match &debs_dir {
            Some(dir) => dir.clone(),
            None => {
                let dir = find_debs_dir(&cache)?;
                debs_dir = Some(dir.clone());
                dir
            }
        };
        let debs = fetch_and_check(kernel, &dir)?;
        unpack(kernel, &debs, &prefix_dir, &stamp)?;
        report(kernel, &Action::Unpacked { from: dir });
    }
    Ok(())
}

/// The shared packages directory if there is one, else the download cache (created).
fn find_debs_dir(cache: &Path) -> Result<PathBuf> {
    if let Some(dir) = shared_kernels_dir() {
        return Ok(dir);
    }
    let dir = cache.join("debs");
    util::create_dir_all(&dir)?;
    Ok(dir)
}

/// `$LAYOUT_EXPERT_KERNELS`, else the first `shared/kernels` with a `SHA256SUMS` in the repository's
/// parent or any further ancestor.
pub fn shared_kernels_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("LAYOUT_EXPERT_KERNELS") {
        return Some(PathBuf::from(dir));
    }
    let root = util::repo_root();
    root.ancestors()
        .skip(1)
        .map(|a| a.join("shared/kernels"))
        .find(|dir| dir.join("SHA256SUMS").is_file())
}

/// Makes sure every package of `kernel` is in `dir` (downloading missing ones when `dir` is our own
/// download cache) and that its digest equals the pin (and the `SHA256SUMS` line, if present).
fn fetch_and_check(kernel: &Kernel, dir: &Path) -> Result<Vec<PathBuf>> {
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).ok();
    let mut paths = Vec::new();
    for package in kernel.packages {
        let path = dir.join(package.file);
        if !path.is_file() {
            if sums.is_some() {
                bail!("{} is missing from {}", package.file, dir.display());
            }
            apt_download(package, dir)?;
        }
        if let Some(sums) = &sums {
            let listed = sums.lines().find_map(|line| {
                let mut it = line.split_whitespace();
                let digest = it.next()?;
                let file = it.next()?.trim_start_matches('*');
                (file == package.file).then_some(digest)
            });
            match listed {
                Some(digest) if digest == package.sha256 => {}
                Some(digest) => bail!(
                    "{}/SHA256SUMS lists {digest} for {}, but the pinned digest is {}",
                    dir.display(),
                    package.file,
                    package.sha256
                ),
                None => bail!(
                    "{}/SHA256SUMS does not list {}",
                    dir.display(),
                    package.file
                ),
            }
        }
        paths.push(path);
    }
    let digests = util::sha256_files(&paths)?;
    for ((path, package), digest) in paths.iter().zip(kernel.packages).zip(&digests) {
        if digest != package.sha256 {
            bail!(
                "{}: SHA-256 is {digest}, expected {}",
                path.display(),
                package.sha256
            );
        }
    }
    Ok(paths)
}

fn apt_download(package: &Package, dir: &Path) -> Result<()> {
    let spec = format!("{}={}", package.name, package.version);
    eprintln!("kernels: apt-get download {spec}");
    util::run(
        Command::new("apt-get")
            .arg("download")
            .arg(&spec)
            .current_dir(dir),
    )?;
    // apt-get names the file with the version's epoch-less form, which is the archive name, but
    // it escapes characters such as `~`/`+` the same way the archive does; look for it.
    if !dir.join(package.file).is_file() {
        bail!(
            "apt-get download {spec} did not produce {} in {}",
            package.file,
            dir.display()
        );
    }
    Ok(())
}

fn stamp_text(kernel: &Kernel) -> String {
    let mut text = String::from("layout-expert kernels stamp 1\n");
    for package in kernel.packages {
        text.push_str(&format!("{}  {}\n", package.sha256, package.file));
    }
    text
}

const STAMP_FILE: &str = ".layout-expert-stamp";

fn stamp_matches(prefix_dir: &Path, stamp: &str) -> bool {
    std::fs::read_to_string(prefix_dir.join(STAMP_FILE)).is_ok_and(|text| text == stamp)
}

fn unpack(kernel: &Kernel, debs: &[PathBuf], prefix_dir: &Path, stamp: &str) -> Result<()> {
    let parent = prefix_dir
        .parent()
        .ok_or_else(|| format_err!("no parent for {}", prefix_dir.display()))?;
    let tmp = parent.join(format!(".{}.tmp-{}", kernel.prefix, std::process::id()));
    util::remove_dir_all_if_exists(&tmp)?;
    util::create_dir_all(&tmp)?;
    for deb in debs {
        util::run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&tmp))?;
    }
    for (_, flavour) in kernel.flavours {
        rewrite_flavour_makefile(&tmp.join("usr/src").join(flavour), prefix_dir)?;
    }
    util::write(&tmp.join(STAMP_FILE), stamp)?;
    util::remove_dir_all_if_exists(prefix_dir)?;
    if let Err(e) = std::fs::rename(&tmp, prefix_dir) {
        // Another process may have won the race; its result is as good as ours.
        util::remove_dir_all_if_exists(&tmp)?;
        if !stamp_matches(prefix_dir, stamp) {
            bail!(
                "cannot move {} to {}: {e}",
                tmp.display(),
                prefix_dir.display()
            );
        }
    }
    Ok(())
}

/// Rewrites `include /usr/src/X/Makefile` to `include <prefix>/usr/src/X/Makefile`.
pub(crate) fn rewrite_flavour_makefile(flavour_dir: &Path, prefix_dir: &Path) -> Result<()> {
    let path = flavour_dir.join("Makefile");
    let text = util::read_to_string(&path)?;
    let mut changed = false;
    let mut out = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("include /usr/src/") {
            out.push_str(&format!("include {}/usr/src/{rest}", prefix_dir.display()));
            changed = true;
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    if !changed {
        bail!(
            "{}: no `include /usr/src/...` line to rewrite",
            path.display()
        );
    }
    // The file is a hard link to nothing (dpkg-deb -x wrote it), so writing it in place is safe.
    util::write(&path, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_trees_in_three_prefixes() {
        let names: Vec<String> = trees_in(Path::new("/c"))
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(
            names,
            [
                "6.1-amd64",
                "6.1-cloud-amd64",
                "6.1-rt-amd64",
                "6.12-amd64",
                "6.12-cloud-amd64"
            ]
        );
        let rt = &trees_in(Path::new("/c"))[2];
        assert_eq!(
            rt.path,
            Path::new("/c/6.1-rt/usr/src/linux-headers-6.1.0-56-rt-amd64")
        );
    }

    #[test]
    fn flavour_makefile_include_is_rewritten() {
        let dir = util::TempDir::new("kernels-test").unwrap();
        let makefile = dir.path().join("Makefile");
        util::write(
            &makefile,
            "include /usr/src/linux-headers-6.1.0-56-common/Makefile\n",
        )
        .unwrap();
        rewrite_flavour_makefile(dir.path(), Path::new("/cache/6.1")).unwrap();
        assert_eq!(
            util::read_to_string(&makefile).unwrap(),
            "include /cache/6.1/usr/src/linux-headers-6.1.0-56-common/Makefile\n"
        );
        // A Makefile without such a line is an error, not silently left alone.
        let err = rewrite_flavour_makefile(dir.path(), Path::new("/cache/6.1")).unwrap_err();
        assert!(err.0.contains("no `include /usr/src/...` line"), "{err}");
    }

    #[test]
    fn pins_are_sha256_digests() {
        for kernel in KERNELS {
            for package in kernel.packages {
                assert_eq!(package.sha256.len(), 64, "{}", package.file);
                assert!(package.file.starts_with(package.name), "{}", package.file);
                assert!(package.file.contains(package.version), "{}", package.file);
            }
        }
    }
}
