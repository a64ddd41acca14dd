//! Test support: the real Debian kernel header trees of the project's kernel cache
//! (`xtask::kernels`), and GCC run on them with kbuild's include order, forced includes and
//! defines.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `shared/kernels` directory (the pinned packages and the real System.map). Fails, saying
/// so, when it is missing.
pub fn shared_kernels() -> PathBuf {
    xtask::kernels::shared_kernels_dir()
        .expect("the project's shared/kernels directory is missing (it holds the System.map)")
}

/// `(common tree, flavour tree)` of the test kernel named `name`, from the project's kernel cache
/// (`xtask::kernels`, unpacked under `target/kernels/` on first use).
fn debian(name: &str) -> (PathBuf, PathBuf) {
    let trees = xtask::kernels::debian_trees()
        .unwrap_or_else(|e| panic!("the test kernels are not available: {e}"));
    let flavour = trees
        .into_iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no test kernel tree named {name}"))
        .path;
    let makefile = std::fs::read_to_string(flavour.join("Makefile")).unwrap();
    let common = makefile
        .lines()
        .find_map(|l| l.strip_prefix("include "))
        .and_then(|p| Path::new(p.trim()).parent())
        .map(Path::to_path_buf)
        .expect("the flavour Makefile names its -common tree");
    (common, flavour)
}

/// The Debian 6.1 amd64 trees.
pub fn debian_6_1() -> (PathBuf, PathBuf) {
    debian("6.1-amd64")
}

/// The Debian 6.12 amd64 trees.
pub fn debian_6_12() -> (PathBuf, PathBuf) {
    debian("6.12-amd64")
}

/// GCC with kbuild's include order, forced includes and defines for `source` on a tree, plus
/// `extra` arguments. Returns stderr on failure.
pub fn kbuild_gcc(
    common: &Path,
    flavour: &Path,
    source: &Path,
    extra: &[&str],
) -> Result<(), String> {
    let c = |p: &str| common.join(p);
    let f = |p: &str| flavour.join(p);
    let output = Command::new("gcc")
        .arg("-nostdinc")
        .arg(format!("-I{}", c("arch/x86/include").display()))
        .arg(format!("-I{}", f("arch/x86/include/generated").display()))
        .arg(format!("-I{}", c("include").display()))
        .arg(format!("-I{}", f("include").display()))
        .arg(format!("-I{}", c("arch/x86/include/uapi").display()))
        .arg(format!("-I{}", f("arch/x86/include/generated/uapi").display()))
        .arg(format!("-I{}", c("include/uapi").display()))
        .arg(format!("-I{}", f("include/generated/uapi").display()))
        .args(["-include", c("include/linux/compiler-version.h").to_str().unwrap()])
        .args(["-include", c("include/linux/kconfig.h").to_str().unwrap()])
        .args(["-include", c("include/linux/compiler_types.h").to_str().unwrap()])
        .args([
            "-D__KERNEL__",
            "-DMODULE",
            "-std=gnu11",
            "-m64",
            "-DCC_USING_FENTRY",
            "-fno-strict-aliasing",
            "-fno-common",
        ])
        .args(["-DKBUILD_BASENAME=\"lx\"", "-DKBUILD_MODNAME=\"lx\"", "-D__KBUILD_MODNAME=kmod_lx"])
        .args(extra)
        .arg(source)
        .output()
        .unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}
