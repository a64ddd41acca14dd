//! Test support: the real Debian kernel header packages from `../shared/kernels`, unpacked once
//! into `<repo>/target/profile-kernels/`, and GCC run on them with kbuild's include order,
//! forced includes and defines.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/kernels` beside the repository (or beside the `wt/` folder of a worktree). Fails,
/// saying where it looked, when it is missing.
pub fn shared_kernels() -> PathBuf {
    let repo = repo();
    let candidates = [repo.join("../shared/kernels"), repo.join("../../shared/kernels")];
    candidates.iter().find(|c| c.join("SHA256SUMS").is_file()).cloned().unwrap_or_else(|| {
        panic!(
            "the kernel header packages are missing: looked in {} and {}; this test needs the project's shared/ directory",
            candidates[0].display(),
            candidates[1].display()
        )
    })
}

/// Unpacks the `-common` and flavour packages of one kernel (once) and returns
/// `(common tree, flavour tree)`.
pub fn unpacked(common_deb: &str, flavour_deb: &str, common: &str, flavour: &str) -> (PathBuf, PathBuf) {
    let prefix = repo().join("target/profile-kernels").join(flavour);
    let done = prefix.join(".unpacked");
    if !done.is_file() {
        let _ = std::fs::remove_dir_all(&prefix);
        std::fs::create_dir_all(&prefix).unwrap();
        for deb in [common_deb, flavour_deb] {
            let status =
                Command::new("dpkg-deb").arg("-x").arg(shared_kernels().join(deb)).arg(&prefix).status().expect("dpkg-deb is needed");
            assert!(status.success(), "dpkg-deb -x {deb} failed");
        }
        std::fs::write(&done, "").unwrap();
    }
    (prefix.join("usr/src").join(common), prefix.join("usr/src").join(flavour))
}

/// The Debian 6.1 amd64 trees.
pub fn debian_6_1() -> (PathBuf, PathBuf) {
    unpacked(
        "linux-headers-6.1.0-56-common_6.1.192-2_all.deb",
        "linux-headers-6.1.0-56-amd64_6.1.192-2_amd64.deb",
        "linux-headers-6.1.0-56-common",
        "linux-headers-6.1.0-56-amd64",
    )
}

/// The Debian 6.12 amd64 trees.
pub fn debian_6_12() -> (PathBuf, PathBuf) {
    unpacked(
        "linux-headers-6.12.117+deb12-common_6.12.117-1~deb12u1_all.deb",
        "linux-headers-6.12.117+deb12-amd64_6.12.117-1~deb12u1_amd64.deb",
        "linux-headers-6.12.117+deb12-common",
        "linux-headers-6.12.117+deb12-amd64",
    )
}

/// GCC with kbuild's include order, forced includes and defines for `source` on a tree, plus
/// `extra` arguments. Returns stderr on failure.
pub fn kbuild_gcc(common: &Path, flavour: &Path, source: &Path, extra: &[&str]) -> Result<(), String> {
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
        .args(["-D__KERNEL__", "-DMODULE", "-std=gnu11", "-m64", "-DCC_USING_FENTRY", "-fno-strict-aliasing", "-fno-common"])
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
