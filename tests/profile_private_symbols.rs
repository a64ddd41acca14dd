//! The well-known private symbols table (`profile::private_symbols`) is valid C for the kernels
//! it claims to cover: GCC accepts its fragment against the real Debian 6.1 and 6.12 header trees
//! (from `../shared/kernels`, unpacked once into `<repo>/target/profile-kernels/`), with kbuild's
//! include order, forced includes and defines, so the engine can parse and lay out the same text.
//! The layouts themselves are the engine's to compute; this test checks the declarations.

use std::path::{Path, PathBuf};
use std::process::Command;

use layout_expert::profile::private_symbols;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shared_kernels() -> PathBuf {
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
fn unpacked(common_deb: &str, flavour_deb: &str, common: &str, flavour: &str) -> (PathBuf, PathBuf) {
    let prefix = repo().join("target/profile-kernels").join(flavour);
    let done = prefix.join(".unpacked");
    if !done.is_file() {
        let _ = std::fs::remove_dir_all(&prefix);
        std::fs::create_dir_all(&prefix).unwrap();
        for deb in [common_deb, flavour_deb] {
            let status = Command::new("dpkg-deb").arg("-x").arg(shared_kernels().join(deb)).arg(&prefix).status().expect("dpkg-deb is needed");
            assert!(status.success(), "dpkg-deb -x {deb} failed");
        }
        std::fs::write(&done, "").unwrap();
    }
    (prefix.join("usr/src").join(common), prefix.join("usr/src").join(flavour))
}

fn gcc_accepts(common: &Path, flavour: &Path, source: &Path) -> Result<(), String> {
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
        .args(["-D__KERNEL__", "-DMODULE", "-std=gnu11", "-fno-PIE", "-m64", "-mcmodel=kernel", "-DCC_USING_FENTRY"])
        .args(["-DKBUILD_BASENAME=\"private_symbols\"", "-DKBUILD_MODNAME=\"private_symbols\"", "-D__KBUILD_MODNAME=kmod_private_symbols"])
        .arg("-fsyntax-only")
        .arg(source)
        .output()
        .unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[test]
fn private_symbols_fragment_compiles_against_debian_6_1_and_6_12_headers() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("profile_private_symbols");
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("private_symbols.c");
    // Each symbol is also used, so a wrong type would be a type error, not an unused declaration.
    let mut text = private_symbols::c_source();
    text.push_str("\nvoid *layout_expert_private_symbols[] = {\n");
    let mut names: Vec<&str> = private_symbols::PRIVATE_SYMBOLS.iter().map(|s| s.name).collect();
    names.dedup();
    for name in &names {
        text.push_str(&format!("\t(void *)&{name},\n"));
    }
    text.push_str("};\n");
    std::fs::write(&source, &text).unwrap();

    let (common, flavour) = unpacked(
        "linux-headers-6.1.0-56-common_6.1.192-2_all.deb",
        "linux-headers-6.1.0-56-amd64_6.1.192-2_amd64.deb",
        "linux-headers-6.1.0-56-common",
        "linux-headers-6.1.0-56-amd64",
    );
    gcc_accepts(&common, &flavour, &source).unwrap_or_else(|err| panic!("6.1 rejects the fragment:\n{err}"));

    let (common, flavour) = unpacked(
        "linux-headers-6.12.117+deb12-common_6.12.117-1~deb12u1_all.deb",
        "linux-headers-6.12.117+deb12-amd64_6.12.117-1~deb12u1_amd64.deb",
        "linux-headers-6.12.117+deb12-common",
        "linux-headers-6.12.117+deb12-amd64",
    );
    gcc_accepts(&common, &flavour, &source).unwrap_or_else(|err| panic!("6.12 rejects the fragment:\n{err}"));

    // The check can fail: a wrong type for a symbol is rejected.
    let wrong = dir.join("wrong.c");
    std::fs::write(&wrong, "#include <linux/list.h>\nextern struct list_head modules;\nextern struct idr modules;\n").unwrap();
    assert!(gcc_accepts(&common, &flavour, &wrong).is_err());
}
