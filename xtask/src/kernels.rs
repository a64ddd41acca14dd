//! `cargo xtask kernels`: the real Debian kernel header packages, unpacked into a cache under
//! `target/kernels/` so that tests and the oracle have real trees to work on.
//!
//! Each kernel's pinned packages are taken from where they are: `shared/kernels` next to the
//! repository (found as `<repo>/../shared`, or in any ancestor directory of the repository, or at
//! `$LAYOUT_EXPERT_KERNELS`), the download cache `target/kernels/debs/`, or the package archive
//! (`apt-get download NAME=VERSION`); every pinned file is SHA-256 checked against the pins below
//! (and against `SHA256SUMS` in the shared directory). Debian's archive drops a version when the
//! next upload lands, so when a pinned package can be had from none of these, the kernel falls
//! back to the archive's current packages of the same series (`apt-cache pkgnames` and
//! `apt-cache policy`: the newest ABI of `linux-headers-6.1.0-N-*` that has every package, with
//! its candidate version), says which were used and with which digests, and records them in the
//! prefix's stamp. A digest that does not match a pin is an error, never a reason to fall back.
//!
//! Each kernel gets its own prefix (`6.1`, `6.1-rt`, `6.12`), into which all of its
//! packages are unpacked with `dpkg-deb -x`, so that the flavour directories' relative `scripts` and
//! `tools` symlinks into `usr/lib/linux-kbuild-*` resolve. A flavour's `Makefile` includes the
//! `-common` tree's Makefile by the absolute path `/usr/src/...`; we rewrite that line to the
//! unpacked location so that out-of-tree module builds work.
//!
//! Caching: a prefix is unpacked into a temporary sibling directory and renamed into place, then a
//! stamp file listing the package digests is written. A prefix whose stamp matches the pins is
//! used as it is, so a second run does no work at all; so is a fallback prefix, until the pinned
//! packages are all at hand again.

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
            ("6.12-cloud-amd64", "linux-headers-6.12.117+deb12-cloud-amd64"),
        ],
    },
];

/// What [`ensure_kernels`] did for one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The stamp matched: nothing was done.
    UpToDate,
    /// The pinned packages were unpacked from the given directory.
    Unpacked { from: PathBuf },
    /// A pinned package could not be had: the archive's current packages of the same series were
    /// unpacked instead.
    Substituted { used: Vec<Substitute> },
}

/// A package used in place of a pinned one that the archive no longer has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Substitute {
    /// The pinned package it replaces.
    pub pinned: String,
    pub name: String,
    pub version: String,
    /// The SHA-256 digest of the `.deb` used.
    pub sha256: String,
}

/// Where packages come from when they are not at hand: the package archive, through apt. A trait,
/// so the fallback can be tested against a fake archive.
pub trait Archive {
    /// The names of the archive's packages that start with `prefix`.
    fn names(&self, prefix: &str) -> Result<Vec<String>>;
    /// The version apt would install of `name` (`apt-cache policy`'s candidate), if any.
    fn candidate(&self, name: &str) -> Result<Option<String>>;
    /// Downloads `name=version` into `dir` and returns the `.deb`'s path.
    fn download(&self, name: &str, version: &str, dir: &Path) -> Result<PathBuf>;
}

/// The machine's package archive, through `apt-cache` and `apt-get download`.
pub struct Apt;

impl Archive for Apt {
    fn names(&self, prefix: &str) -> Result<Vec<String>> {
        let out = util::run_stdout(Command::new("apt-cache").arg("pkgnames").arg(prefix))?;
        Ok(out.lines().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect())
    }

    fn candidate(&self, name: &str) -> Result<Option<String>> {
        let out = util::run_stdout(Command::new("apt-cache").arg("policy").arg(name))?;
        Ok(out
            .lines()
            .find_map(|l| l.trim().strip_prefix("Candidate:"))
            .map(str::trim)
            .filter(|v| !v.is_empty() && *v != "(none)")
            .map(str::to_owned))
    }

    fn download(&self, name: &str, version: &str, dir: &Path) -> Result<PathBuf> {
        let spec = format!("{name}={version}");
        eprintln!("kernels: apt-get download {spec}");
        util::run(Command::new("apt-get").arg("download").arg(&spec).current_dir(dir))?;
        deb_in(dir, name, version).ok_or_else(|| {
            format_err!("apt-get download {spec} produced no .deb in {}", dir.display())
        })
    }
}

/// The `.deb` of `name` at `version` in `dir` (apt names it `NAME_VERSION_ARCH.deb`, the epoch's
/// `:` escaped as `%3a`).
fn deb_in(dir: &Path, name: &str, version: &str) -> Option<PathBuf> {
    let version = version.replace(':', "%3a");
    let start = format!("{name}_{version}_");
    std::fs::read_dir(dir).ok()?.filter_map(|e| e.ok()).map(|e| e.path()).find(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(&start) && n.ends_with(".deb"))
    })
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

/// The flavour trees under a cache root (whether or not they are unpacked). A prefix unpacked from
/// substitute packages names its flavour directories in its stamp.
pub fn trees_in(cache: &Path) -> Vec<Tree> {
    trees_of(KERNELS, cache)
}

fn trees_of(kernels: &[Kernel], cache: &Path) -> Vec<Tree> {
    let mut res = Vec::new();
    for kernel in kernels {
        let prefix_dir = cache.join(kernel.prefix);
        let stamp = std::fs::read_to_string(prefix_dir.join(STAMP_FILE)).unwrap_or_default();
        for (name, dir) in kernel.flavours {
            let dir = stamp
                .lines()
                .filter_map(|l| l.strip_prefix("flavour "))
                .find_map(|l| l.split_once(' ').filter(|(pinned, _)| pinned == dir))
                .map_or(*dir, |(_, used)| used);
            res.push(Tree { name: (*name).to_owned(), path: prefix_dir.join("usr/src").join(dir) });
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
    ensure_kernels_in(KERNELS, &cache_dir(), shared_kernels_dir().as_deref(), &Apt, report)
}

/// [`ensure_kernels`] for `kernels` under `cache`, with packages from `shared` (if any), the
/// download cache `cache/debs` and `archive`.
pub fn ensure_kernels_in(
    kernels: &[Kernel],
    cache: &Path,
    shared: Option<&Path>,
    archive: &dyn Archive,
    report: &mut dyn FnMut(&Kernel, &Action),
) -> Result<()> {
    util::create_dir_all(cache)?;
    let debs_dir = cache.join("debs");
    for kernel in kernels {
        let prefix_dir = cache.join(kernel.prefix);
        let stamp = stamp_text(kernel);
        if stamp_matches(&prefix_dir, &stamp) {
            report(kernel, &Action::UpToDate);
            continue;
        }
        // A fallback prefix stays until every pinned package is at hand again.
        let at_hand =
            kernel.packages.iter().all(|p| pinned_at_hand(p, shared, &debs_dir).is_some());
        if !at_hand && is_fallback_stamp(&prefix_dir) {
            report(kernel, &Action::UpToDate);
            continue;
        }
        util::create_dir_all(&debs_dir)?;
        match pinned_packages(kernel, shared, &debs_dir, archive)? {
            Ok((debs, from)) => {
                unpack(kernel, &debs, &prefix_dir, &stamp, &[])?;
                report(kernel, &Action::Unpacked { from });
            }
            Err(missing) => {
                eprintln!(
                    "kernels: {}: the pinned {missing} cannot be had; using the archive's current {} packages",
                    kernel.prefix, kernel.prefix
                );
                let (debs, used, flavours) = current_packages(kernel, &debs_dir, archive)?;
                let mut stamp = String::from(FALLBACK_STAMP_HEADER);
                for u in &used {
                    stamp.push_str(&format!(
                        "{}  {}={} (for {})\n",
                        u.sha256, u.name, u.version, u.pinned
                    ));
                }
                for (pinned, current) in &flavours {
                    stamp.push_str(&format!("flavour {pinned} {current}\n"));
                }
                unpack(kernel, &debs, &prefix_dir, &stamp, &flavours)?;
                report(kernel, &Action::Substituted { used });
            }
        }
    }
    Ok(())
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

/// Where a pinned package already is: the shared directory, else the download cache.
fn pinned_at_hand(package: &Package, shared: Option<&Path>, debs_dir: &Path) -> Option<PathBuf> {
    shared
        .map(|dir| dir.join(package.file))
        .into_iter()
        .chain([debs_dir.join(package.file)])
        .find(|p| p.is_file())
}

/// The pinned packages of `kernel`, SHA-256 checked, from the shared directory, the download cache
/// or the archive, with the directory they came from; `Err(name=version)` for the first one that
/// none of them has. A file whose digest is not the pin's is an error.
#[allow(clippy::type_complexity)]
fn pinned_packages(
    kernel: &Kernel,
    shared: Option<&Path>,
    debs_dir: &Path,
    archive: &dyn Archive,
) -> Result<std::result::Result<(Vec<PathBuf>, PathBuf), String>> {
    let mut paths = Vec::new();
    let mut from = None;
    for package in kernel.packages {
        let path = match pinned_at_hand(package, shared, debs_dir) {
            Some(path) => path,
            None => match archive.download(package.name, package.version, debs_dir) {
                Ok(path) => path,
                Err(e) => {
                    eprintln!("kernels: {e}");
                    return Ok(Err(format!("{}={}", package.name, package.version)));
                }
            },
        };
        let dir = path.parent().unwrap_or(debs_dir).to_path_buf();
        check_pinned(package, &path)?;
        from.get_or_insert(dir);
        paths.push(path);
    }
    Ok(Ok((paths, from.unwrap_or_else(|| debs_dir.to_path_buf()))))
}

/// The digest of a pinned package's file equals the pin (and its directory's `SHA256SUMS` line,
/// when the directory has one).
fn check_pinned(package: &Package, path: &Path) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    if let Ok(sums) = std::fs::read_to_string(dir.join("SHA256SUMS")) {
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
            None => bail!("{}/SHA256SUMS does not list {}", dir.display(), package.file),
        }
    }
    let digest = util::sha256_files(&[path.to_path_buf()])?.remove(0);
    if digest != package.sha256 {
        bail!("{}: SHA-256 is {digest}, expected {}", path.display(), package.sha256);
    }
    Ok(())
}

/// The ABI part of a kernel's package names (`6.1.0-56`, `6.12.117+deb12`), from its `-common`
/// package, split around its number: (`6.1.0-`, `56`, ``), (`6.12.`, `117`, `+deb12`).
fn abi_parts(kernel: &Kernel) -> Option<(String, String, String)> {
    let abi = kernel.packages.iter().find_map(|p| {
        let rest = p.name.strip_prefix("linux-headers-")?;
        rest.strip_suffix("-common").or_else(|| rest.strip_suffix("-common-rt"))
    })?;
    let (base, suffix) = match abi.find('+') {
        Some(i) => abi.split_at(i),
        None => (abi, ""),
    };
    let digits = base.len() - base.bytes().rev().take_while(u8::is_ascii_digit).count();
    let (head, number) = base.split_at(digits);
    (!number.is_empty()).then(|| (head.to_owned(), number.to_owned(), suffix.to_owned()))
}

/// The archive's current packages of `kernel`'s series: the newest ABI number for which the
/// archive has every package (names with the pinned ABI replaced), at apt's candidate versions,
/// downloaded into `debs_dir`. Returns the files, what was used, and the flavour directories
/// (pinned, current).
#[allow(clippy::type_complexity)]
fn current_packages(
    kernel: &Kernel,
    debs_dir: &Path,
    archive: &dyn Archive,
) -> Result<(Vec<PathBuf>, Vec<Substitute>, Vec<(String, String)>)> {
    let (head, pinned_number, suffix) = abi_parts(kernel)
        .ok_or_else(|| format_err!("{}: no ABI in the package names", kernel.prefix))?;
    let pinned_abi = format!("{head}{pinned_number}{suffix}");
    let rename = |name: &str, abi: &str| name.replace(&pinned_abi, abi);
    let mut numbers: Vec<u64> = archive
        .names(&format!("linux-headers-{head}"))?
        .iter()
        .filter_map(|n| {
            let rest = n.strip_prefix(&format!("linux-headers-{head}"))?;
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            rest[digits.len()..].starts_with(&suffix).then(|| digits.parse().ok())?
        })
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    for number in numbers.into_iter().rev() {
        let abi = format!("{head}{number}{suffix}");
        let mut chosen = Vec::new();
        for package in kernel.packages {
            let name = rename(package.name, &abi);
            match archive.candidate(&name)? {
                Some(version) => chosen.push((package, name, version)),
                None => break,
            }
        }
        if chosen.len() != kernel.packages.len() {
            continue;
        }
        let mut paths = Vec::new();
        let mut used = Vec::new();
        for (package, name, version) in chosen {
            let path = match deb_in(debs_dir, &name, &version) {
                Some(path) => path,
                None => archive.download(&name, &version, debs_dir)?,
            };
            let sha256 = util::sha256_files(std::slice::from_ref(&path))?.remove(0);
            used.push(Substitute {
                pinned: format!("{}={}", package.name, package.version),
                name,
                version,
                sha256,
            });
            paths.push(path);
        }
        let flavours =
            kernel.flavours.iter().map(|(_, dir)| ((*dir).to_owned(), rename(dir, &abi))).collect();
        return Ok((paths, used, flavours));
    }
    bail!(
        "{}: the archive has neither the pinned packages nor a complete set of linux-headers-{head}N{suffix} packages \
         (try `apt-get update`, or put the pinned .debs in ../shared/kernels)",
        kernel.prefix
    )
}

const FALLBACK_STAMP_HEADER: &str =
    "layout-expert kernels stamp 1 (current packages, not the pins)\n";

fn is_fallback_stamp(prefix_dir: &Path) -> bool {
    std::fs::read_to_string(prefix_dir.join(STAMP_FILE))
        .is_ok_and(|text| text.starts_with(FALLBACK_STAMP_HEADER))
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

fn unpack(
    kernel: &Kernel,
    debs: &[PathBuf],
    prefix_dir: &Path,
    stamp: &str,
    flavours: &[(String, String)],
) -> Result<()> {
    let parent =
        prefix_dir.parent().ok_or_else(|| format_err!("no parent for {}", prefix_dir.display()))?;
    let tmp = parent.join(format!(".{}.tmp-{}", kernel.prefix, std::process::id()));
    util::remove_dir_all_if_exists(&tmp)?;
    util::create_dir_all(&tmp)?;
    for deb in debs {
        util::run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&tmp))?;
    }
    for (_, flavour) in kernel.flavours {
        let dir = flavours
            .iter()
            .find(|(pinned, _)| pinned == flavour)
            .map_or(*flavour, |(_, current)| current.as_str());
        rewrite_flavour_makefile(&tmp.join("usr/src").join(dir), prefix_dir)?;
    }
    util::write(&tmp.join(STAMP_FILE), stamp)?;
    util::remove_dir_all_if_exists(prefix_dir)?;
    if let Err(e) = std::fs::rename(&tmp, prefix_dir) {
        // Another process may have won the race; its result is as good as ours.
        util::remove_dir_all_if_exists(&tmp)?;
        if !stamp_matches(prefix_dir, stamp) {
            bail!("cannot move {} to {}: {e}", tmp.display(), prefix_dir.display());
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
        bail!("{}: no `include /usr/src/...` line to rewrite", path.display());
    }
    // The file is a hard link to nothing (dpkg-deb -x wrote it), so writing it in place is safe.
    util::write(&path, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// A package archive that has what it is given and nothing else (in particular not the pinned
    /// versions a test hides), logging what it is asked to download.
    struct FakeArchive {
        /// (name, version) of the packages it has.
        has: Vec<(String, String)>,
        /// Where their `.deb`s are, named `NAME_VERSION_all.deb`.
        debs: PathBuf,
        downloads: RefCell<Vec<String>>,
    }

    impl Archive for FakeArchive {
        fn names(&self, prefix: &str) -> Result<Vec<String>> {
            Ok(self
                .has
                .iter()
                .filter(|(n, _)| n.starts_with(prefix))
                .map(|(n, _)| n.clone())
                .collect())
        }

        fn candidate(&self, name: &str) -> Result<Option<String>> {
            Ok(self.has.iter().filter(|(n, _)| n == name).map(|(_, v)| v.clone()).max())
        }

        fn download(&self, name: &str, version: &str, dir: &Path) -> Result<PathBuf> {
            self.downloads.borrow_mut().push(format!("{name}={version}"));
            if !self.has.iter().any(|(n, v)| n == name && v == version) {
                bail!("E: Version '{version}' for '{name}' was not found");
            }
            let file = format!("{name}_{version}_all.deb");
            let to = dir.join(&file);
            std::fs::copy(self.debs.join(&file), &to).map_err(|e| format_err!("{e}"))?;
            Ok(to)
        }
    }

    /// Builds `NAME_VERSION_all.deb` in `dir` holding `files` (path, text).
    fn build_deb(dir: &Path, name: &str, version: &str, files: &[(String, String)]) -> PathBuf {
        let root = dir.join(format!("root-{name}-{version}"));
        util::write(
            &root.join("DEBIAN/control"),
            format!(
                "Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: t <t@t>\nDescription: test\n"
            ),
        )
        .unwrap();
        for (path, text) in files {
            util::write(&root.join(path), text).unwrap();
        }
        let deb = dir.join(format!("{name}_{version}_all.deb"));
        util::run(
            Command::new("dpkg-deb").args(["--build", "--root-owner-group"]).arg(&root).arg(&deb),
        )
        .unwrap();
        deb
    }

    /// The three packages of a fake kernel with ABI `9.9.0-N` at `version`.
    fn fake_kernel_debs(dir: &Path, n: u32, version: &str) -> Vec<(String, PathBuf)> {
        let common = format!("linux-headers-9.9.0-{n}-common");
        let flavour = format!("linux-headers-9.9.0-{n}-amd64");
        vec![
            (
                common.clone(),
                build_deb(
                    dir,
                    &common,
                    version,
                    &[(format!("usr/src/{common}/Makefile"), "# common\n".into())],
                ),
            ),
            (
                flavour.clone(),
                build_deb(
                    dir,
                    &flavour,
                    version,
                    &[(
                        format!("usr/src/{flavour}/Makefile"),
                        format!("include /usr/src/{common}/Makefile\n"),
                    )],
                ),
            ),
            (
                "linux-kbuild-9.9".into(),
                build_deb(
                    dir,
                    "linux-kbuild-9.9",
                    version,
                    &[("usr/lib/linux-kbuild-9.9/x".into(), "x\n".into())],
                ),
            ),
        ]
    }

    /// A kernel pinning the `9.9.0-5` packages at 9.9.1-2 with the given digests.
    fn pinned_kernel(digests: [String; 3]) -> Kernel {
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        let [c, f, k] = digests;
        let package = |name: &str, sha256: String| Package {
            file: leak(format!("{name}_9.9.1-2_all.deb")),
            name: leak(name.to_owned()),
            version: "9.9.1-2",
            sha256: leak(sha256),
        };
        let packages = vec![
            package("linux-headers-9.9.0-5-common", c),
            package("linux-headers-9.9.0-5-amd64", f),
            package("linux-kbuild-9.9", k),
        ];
        Kernel {
            prefix: "9.9",
            packages: Box::leak(packages.into_boxed_slice()),
            flavours: &[("9.9-amd64", "linux-headers-9.9.0-5-amd64")],
        }
    }

    #[test]
    fn the_archives_current_series_replaces_pins_it_no_longer_has() {
        let dir = util::TempDir::new("kernels-fallback").unwrap();
        let debs = dir.path().join("archive");
        util::create_dir_all(&debs).unwrap();
        // The archive moved on: ABI 6 at 9.9.1-3, and an incomplete ABI 7 (no flavour package).
        let mut has: Vec<(String, String)> = fake_kernel_debs(&debs, 6, "9.9.1-3")
            .into_iter()
            .map(|(name, _)| (name, "9.9.1-3".to_owned()))
            .collect();
        build_deb(&debs, "linux-headers-9.9.0-7-common", "9.9.1-4", &[]);
        has.push(("linux-headers-9.9.0-7-common".into(), "9.9.1-4".into()));
        let archive = FakeArchive { has, debs, downloads: RefCell::new(Vec::new()) };
        let kernel = pinned_kernel(["0".repeat(64), "1".repeat(64), "2".repeat(64)]);
        let kernels = [kernel];
        let cache = dir.path().join("cache");
        let mut actions = Vec::new();
        ensure_kernels_in(&kernels, &cache, None, &archive, &mut |_, a| actions.push(a.clone()))
            .unwrap();
        // The pinned version was asked for first, then the current series was used, and said so.
        assert_eq!(archive.downloads.borrow()[0], "linux-headers-9.9.0-5-common=9.9.1-2");
        let [Action::Substituted { used }] = actions.as_slice() else {
            panic!("expected a substitution, got {actions:?}");
        };
        let used: Vec<String> =
            used.iter().map(|u| format!("{}={} for {}", u.name, u.version, u.pinned)).collect();
        assert_eq!(
            used,
            [
                "linux-headers-9.9.0-6-common=9.9.1-3 for linux-headers-9.9.0-5-common=9.9.1-2",
                "linux-headers-9.9.0-6-amd64=9.9.1-3 for linux-headers-9.9.0-5-amd64=9.9.1-2",
                "linux-kbuild-9.9=9.9.1-3 for linux-kbuild-9.9=9.9.1-2",
            ]
        );
        // The tree is the substitute's flavour directory, its Makefile pointed at the cache.
        let trees = trees_of(&kernels, &cache);
        assert_eq!(trees[0].path, cache.join("9.9/usr/src/linux-headers-9.9.0-6-amd64"));
        assert_eq!(
            util::read_to_string(&trees[0].path.join("Makefile")).unwrap(),
            format!(
                "include {}/usr/src/linux-headers-9.9.0-6-common/Makefile\n",
                cache.join("9.9").display()
            )
        );
        // A second run reuses the prefix without asking the archive again.
        let asked = archive.downloads.borrow().len();
        let mut again = Vec::new();
        ensure_kernels_in(&kernels, &cache, None, &archive, &mut |_, a| again.push(a.clone()))
            .unwrap();
        assert_eq!(again, [Action::UpToDate]);
        assert_eq!(archive.downloads.borrow().len(), asked);
    }

    #[test]
    fn pinned_packages_at_hand_are_used_and_their_digests_checked() {
        let dir = util::TempDir::new("kernels-pinned").unwrap();
        let shared = dir.path().join("shared");
        util::create_dir_all(&shared).unwrap();
        let debs = fake_kernel_debs(&shared, 5, "9.9.1-2");
        let paths: Vec<PathBuf> = debs.iter().map(|(_, p)| p.clone()).collect();
        let digests = util::sha256_files(&paths).unwrap();
        let kernel = pinned_kernel([digests[0].clone(), digests[1].clone(), digests[2].clone()]);
        let kernels = [kernel];
        // An archive that has nothing: the pins in `shared` are enough.
        let archive = FakeArchive {
            has: Vec::new(),
            debs: shared.clone(),
            downloads: RefCell::new(Vec::new()),
        };
        let cache = dir.path().join("cache");
        let mut actions = Vec::new();
        ensure_kernels_in(&kernels, &cache, Some(&shared), &archive, &mut |_, a| {
            actions.push(a.clone())
        })
        .unwrap();
        assert_eq!(actions, [Action::Unpacked { from: shared.clone() }]);
        assert!(archive.downloads.borrow().is_empty());
        assert!(trees_of(&kernels, &cache)[0].path.join("Makefile").is_file());
        // A pinned file whose digest is not the pin's is an error, never a reason to fall back.
        let tampered = pinned_kernel([digests[0].clone(), "f".repeat(64), digests[2].clone()]);
        let err = ensure_kernels_in(
            &[tampered],
            &dir.path().join("cache2"),
            Some(&shared),
            &archive,
            &mut |_, _| {},
        )
        .unwrap_err();
        assert!(err.0.contains("SHA-256 is"), "{err}");
        assert!(archive.downloads.borrow().is_empty());
    }

    #[test]
    fn abi_numbers_are_found_in_both_naming_schemes() {
        let k61 = &KERNELS[0];
        assert_eq!(abi_parts(k61), Some(("6.1.0-".into(), "56".into(), String::new())));
        let k612 = KERNELS.iter().find(|k| k.prefix == "6.12").unwrap();
        assert_eq!(abi_parts(k612), Some(("6.12.".into(), "117".into(), "+deb12".into())));
    }

    #[test]
    fn five_trees_in_three_prefixes() {
        let names: Vec<String> = trees_in(Path::new("/c")).into_iter().map(|t| t.name).collect();
        assert_eq!(
            names,
            ["6.1-amd64", "6.1-cloud-amd64", "6.1-rt-amd64", "6.12-amd64", "6.12-cloud-amd64"]
        );
        let rt = &trees_in(Path::new("/c"))[2];
        assert_eq!(rt.path, Path::new("/c/6.1-rt/usr/src/linux-headers-6.1.0-56-rt-amd64"));
    }

    #[test]
    fn flavour_makefile_include_is_rewritten() {
        let dir = util::TempDir::new("kernels-test").unwrap();
        let makefile = dir.path().join("Makefile");
        util::write(&makefile, "include /usr/src/linux-headers-6.1.0-56-common/Makefile\n")
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
