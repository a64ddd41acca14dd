//! `cargo xtask custom-config`: full kernel source trees prepared for custom configurations
//! (`tinyconfig`, `defconfig`, `allnoconfig`, `randconfig:SEED`), so that the oracle and the
//! conformance suite can go beyond the five distribution configurations.
//!
//! The source is Debian's `linux-source-6.1` (or `-6.12`) package of exactly the version of the
//! header packages, fetched with `apt-get download NAME=VERSION` into
//! `target/kernel-source/debs/` (SHA-256 checked against the pin below) and unpacked once into
//! `target/kernel-source/<version>/linux-source-<version>/` (with a stamp file). Each configuration
//! is prepared out of tree in `target/custom-config/<version>-<config>/`:
//! `make O=DIR ARCH=x86_64 CC=gcc-12 <config>` (with `KCONFIG_SEED` for randconfig; `ARCH=x86_64`
//! so that `allnoconfig`/`tinyconfig` stay 64-bit), then the options an out-of-tree module build of
//! the default target needs are forced on with `scripts/config` ([`FORCED_OPTIONS`]), then
//! `make O=DIR olddefconfig` and `make O=DIR modules_prepare`. What the forcing changed is reported
//! (read back from `.config` after `olddefconfig`). The result is a tree in the sense of the oracle:
//! srctree is the source directory, objtree is DIR, and `make -C DIR M=...` builds modules.
//!
//! Needs `flex`, `bison` and `libelf-dev` (for kconfig and objtool) besides make and gcc-12.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::util::{self, Result};
use crate::{bail, format_err};

/// Options forced on after the configuration target, in this order.
///
/// `64BIT` (normally already on with `ARCH=x86_64`), `MODULES` (kbuild refuses `M=` builds
/// without it), `NET` (the default target's sockets) and `PROC_FS` (the default target's
/// `proc_dir_entry` and `*_seq_afinfo` types are only declared with it).
pub const FORCED_OPTIONS: &[&str] = &["64BIT", "MODULES", "NET", "PROC_FS"];

/// The custom configurations of the conformance suite (`cargo xtask conformance --custom-configs`),
/// all of kernel 6.1: fixed seeds, so that every run compares the same trees.
pub const SUITE: &[Config] = &[
    Config::Tiny,
    Config::Default,
    Config::AllNo,
    Config::Random(1),
    Config::Random(2),
    Config::Random(3),
];

/// A pinned `linux-source-*` package.
#[derive(Debug, Clone, Copy)]
pub struct SourcePackage {
    /// The kernel version as the CLI names it (`6.1`).
    pub version: &'static str,
    /// The package name.
    pub name: &'static str,
    /// The exact package version (the same as the header packages').
    pub package_version: &'static str,
    /// The `.deb` file name.
    pub file: &'static str,
    /// Its SHA-256 digest.
    pub sha256: &'static str,
}

/// The source packages we know.
pub const SOURCES: &[SourcePackage] = &[
    SourcePackage {
        version: "6.1",
        name: "linux-source-6.1",
        package_version: "6.1.192-2",
        file: "linux-source-6.1_6.1.192-2_all.deb",
        sha256: "ae95fe63d4c553f8d0e6c86cb1ab566f3894a43743eb19ab585cd97d82f26514",
    },
    SourcePackage {
        version: "6.12",
        name: "linux-source-6.12",
        package_version: "6.12.117-1~deb12u1",
        file: "linux-source-6.12_6.12.117-1~deb12u1_all.deb",
        sha256: "e849faf31ca3555757f3a8877cb01af92122f744f75d1f3102734651c4e14703",
    },
];

/// A configuration target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Config {
    /// `make tinyconfig`.
    Tiny,
    /// `make defconfig`.
    Default,
    /// `make allnoconfig`.
    AllNo,
    /// `make randconfig` with `KCONFIG_SEED`.
    Random(u64),
}

impl Config {
    /// Parses `tinyconfig`, `defconfig`, `allnoconfig` or `randconfig:SEED`.
    pub fn parse(text: &str) -> Result<Config> {
        Ok(match text {
            "tinyconfig" => Config::Tiny,
            "defconfig" => Config::Default,
            "allnoconfig" => Config::AllNo,
            _ => match text.strip_prefix("randconfig:") {
                Some(seed) => Config::Random(
                    seed.parse().map_err(|_| format_err!("randconfig:{seed}: the seed must be a decimal number"))?,
                ),
                None => bail!("unknown config `{text}`: use tinyconfig, defconfig, allnoconfig or randconfig:SEED"),
            },
        })
    }

    /// A name usable in a directory name (`randconfig-42`).
    pub fn dir_name(self) -> String {
        match self {
            Config::Tiny => "tinyconfig".to_owned(),
            Config::Default => "defconfig".to_owned(),
            Config::AllNo => "allnoconfig".to_owned(),
            Config::Random(seed) => format!("randconfig-{seed}"),
        }
    }

    fn make_target(self) -> &'static str {
        match self {
            Config::Tiny => "tinyconfig",
            Config::Default => "defconfig",
            Config::AllNo => "allnoconfig",
            Config::Random(_) => "randconfig",
        }
    }
}

/// A prepared tree and what it took.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The object directory (`O=`): the tree to give the oracle.
    pub dir: PathBuf,
    /// The source directory.
    pub source_dir: PathBuf,
    /// Human-readable lines: what forcing changed (`CONFIG_NET: not set -> y`).
    pub changes: Vec<String>,
    /// Whether the tree was already prepared (a stamp matched) and nothing was run.
    pub up_to_date: bool,
    /// Seconds per step: (step, seconds).
    pub timings: Vec<(String, f64)>,
}

/// The source package for a version.
pub fn source_package(version: &str) -> Result<&'static SourcePackage> {
    SOURCES.iter().find(|s| s.version == version).ok_or_else(|| {
        format_err!("no linux-source package pinned for version {version} (known: 6.1, 6.12)")
    })
}

/// Downloads (once) and unpacks (once) the full source of `package`; returns the source directory.
pub fn ensure_source(package: &SourcePackage, timings: &mut Vec<(String, f64)>) -> Result<PathBuf> {
    let root = util::target_dir().join("kernel-source");
    let source_dir = root.join(package.version).join(format!("linux-source-{}", package.version));
    let stamp = source_dir.join(".layout-expert-stamp");
    let stamped = std::fs::read_to_string(&stamp).unwrap_or_default();
    // A stamp names the pinned digest, or `substitute <file> <digest>` when the archive had
    // dropped the pin and its current package of the series was used.
    if stamped.trim() == package.sha256 || stamped.starts_with("substitute ") {
        return Ok(source_dir);
    }
    let debs = root.join("debs");
    util::create_dir_all(&debs)?;
    let mut deb = debs.join(package.file);
    let mut substitute = None;
    if !deb.is_file() {
        let start = Instant::now();
        let spec = format!("{}={}", package.name, package.package_version);
        let pinned =
            util::run(Command::new("apt-get").arg("download").arg(&spec).current_dir(&debs));
        if let Err(pin_error) = pinned {
            // Pinned versions leave the archive when a new upload lands: take the archive's
            // current package of the same series, say so, and record its digest instead.
            let before: Vec<_> = debs_in(&debs)?;
            util::run(Command::new("apt-get").arg("download").arg(package.name).current_dir(&debs)).map_err(|e| {
                format_err!(
                    "apt-get download {spec} failed ({pin_error}), and so did the archive's current {} \
                     (run `apt-get update` first?): {e}",
                    package.name
                )
            })?;
            let new = debs_in(&debs)?.into_iter().find(|d| !before.contains(d));
            deb = new.ok_or_else(|| {
                format_err!(
                    "apt-get download {} produced no new .deb in {}",
                    package.name,
                    debs.display()
                )
            })?;
            eprintln!(
                "kernel source: {spec} is no longer in the archive; using {} instead (not SHA-256 pinned)",
                deb.display()
            );
            substitute = Some(deb.clone());
        } else if !deb.is_file() {
            bail!("apt-get download {spec} did not produce {}", deb.display());
        }
        timings.push((format!("apt-get download {spec}"), start.elapsed().as_secs_f64()));
    }
    let digest = util::sha256_files(std::slice::from_ref(&deb))?.remove(0);
    if substitute.is_none() && digest != package.sha256 {
        bail!("{}: SHA-256 is {digest}, expected {}", deb.display(), package.sha256);
    }
    let start = Instant::now();
    let unpack_dir = root.join(package.version);
    util::remove_dir_all_if_exists(&unpack_dir)?;
    let pkg_dir = unpack_dir.join("pkg");
    util::create_dir_all(&pkg_dir)?;
    util::run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&pkg_dir))?;
    let tarball = pkg_dir.join(format!("usr/src/linux-source-{}.tar.xz", package.version));
    util::run(Command::new("tar").arg("-xf").arg(&tarball).arg("-C").arg(&unpack_dir))?;
    util::remove_dir_all_if_exists(&pkg_dir)?;
    if !source_dir.join("Makefile").is_file() {
        bail!("{} has no Makefile after unpacking {}", source_dir.display(), tarball.display());
    }
    match &substitute {
        Some(deb) => util::write(&stamp, format!("substitute {} {digest}", deb.display()))?,
        None => util::write(&stamp, package.sha256)?,
    }
    timings.push(("unpack the source".to_owned(), start.elapsed().as_secs_f64()));
    Ok(source_dir)
}

/// The `.deb` files in `dir`.
fn debs_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format_err!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| format_err!("{}: {e}", dir.display()))?.path();
        if path.extension().is_some_and(|e| e == "deb") {
            out.push(path);
        }
    }
    Ok(out)
}

/// Prepares `target/custom-config/<version>-<config>/` (or reuses it when its stamp matches).
pub fn prepare(version: &str, config: Config) -> Result<Prepared> {
    check_tools()?;
    let package = source_package(version)?;
    let mut timings = Vec::new();
    let source_dir = ensure_source(package, &mut timings)?;
    let dir =
        util::target_dir().join("custom-config").join(format!("{version}-{}", config.dir_name()));
    let stamp_path = dir.join(".layout-expert-stamp");
    let stamp = format!("{}\n{:?}\n{}\n", package.sha256, config, FORCED_OPTIONS.join(" "));
    if let Ok(text) = std::fs::read_to_string(&stamp_path) {
        if let Some(rest) = text.strip_prefix(&stamp) {
            let changes = rest.lines().map(str::to_owned).collect();
            return Ok(Prepared { dir, source_dir, changes, up_to_date: true, timings });
        }
    }
    util::remove_dir_all_if_exists(&dir)?;
    util::create_dir_all(&dir)?;
    let make = |targets: &[&str]| {
        let mut cmd = Command::new("make");
        cmd.arg("-C")
            .arg(&source_dir)
            .arg(format!("O={}", dir.display()))
            .arg("ARCH=x86_64")
            .arg("CC=gcc-12")
            .arg("HOSTCC=gcc-12")
            .arg("-j2")
            .args(targets);
        if let Config::Random(seed) = config {
            cmd.env("KCONFIG_SEED", seed.to_string());
        }
        cmd
    };
    let start = Instant::now();
    util::run(&mut make(&[config.make_target()]))?;
    timings.push((format!("make {}", config.make_target()), start.elapsed().as_secs_f64()));
    let config_file = dir.join(".config");
    let before = read_options(&config_file)?;
    let mut script = Command::new(source_dir.join("scripts/config"));
    script.arg("--file").arg(&config_file);
    for option in FORCED_OPTIONS {
        script.arg("--enable").arg(option);
    }
    util::run(&mut script)?;
    let start = Instant::now();
    util::run(&mut make(&["olddefconfig"]))?;
    timings.push(("make olddefconfig".to_owned(), start.elapsed().as_secs_f64()));
    let after = read_options(&config_file)?;
    let mut changes = Vec::new();
    for ((option, old), (_, new)) in before.iter().zip(&after) {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "not set".to_owned());
        if new.as_deref() != Some("y") {
            bail!("CONFIG_{option} is {} after forcing it on (unmet dependencies?)", show(new));
        }
        if old != new {
            changes.push(format!("CONFIG_{option}: {} -> {}", show(old), show(new)));
        }
    }
    let start = Instant::now();
    util::run(&mut make(&["modules_prepare"]))?;
    timings.push(("make modules_prepare".to_owned(), start.elapsed().as_secs_f64()));
    let mut stamp_text = stamp;
    for change in &changes {
        stamp_text.push_str(change);
        stamp_text.push('\n');
    }
    util::write(&stamp_path, stamp_text)?;
    Ok(Prepared { dir, source_dir, changes, up_to_date: false, timings })
}

/// The values of [`FORCED_OPTIONS`] in a `.config` (`None`: not set).
fn read_options(config_file: &Path) -> Result<Vec<(&'static str, Option<String>)>> {
    let text = util::read_to_string(config_file)?;
    Ok(FORCED_OPTIONS
        .iter()
        .map(|option| {
            let prefix = format!("CONFIG_{option}=");
            let value = text.lines().find_map(|l| l.strip_prefix(&prefix)).map(str::to_owned);
            (*option, value)
        })
        .collect())
}

fn check_tools() -> Result<()> {
    let mut missing = Vec::new();
    for (tool, package) in
        [("flex", "flex"), ("bison", "bison"), ("make", "make"), ("gcc-12", "gcc-12")]
    {
        if Command::new(tool).arg("--version").output().is_err() {
            missing.push(package);
        }
    }
    if !Path::new("/usr/include/gelf.h").is_file() {
        missing.push("libelf-dev");
    }
    if !missing.is_empty() {
        bail!("custom-config needs: apt-get install {}", missing.join(" "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_names() {
        assert_eq!(Config::parse("tinyconfig").unwrap(), Config::Tiny);
        assert_eq!(Config::parse("randconfig:42").unwrap(), Config::Random(42));
        assert_eq!(Config::parse("randconfig:42").unwrap().dir_name(), "randconfig-42");
        assert!(Config::parse("randconfig:x").is_err());
        assert!(Config::parse("oldconfig").is_err());
        assert!(source_package("5.10").is_err());
    }
}
