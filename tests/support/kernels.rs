//! Real Debian kernel header trees for tests: unpacked with `dpkg-deb -x` from the project's
//! package cache (`<repo>/../shared/kernels`, or the nearest ancestor's `shared/kernels`) into `<repo>/target/test-kernels/<name>`, once;
//! later runs reuse the unpacked tree. A missing package is a test failure with a message
//! saying where the packages are expected, never a silent skip.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// One kernel flavour: the packages to unpack and the flavour directory they yield.
pub struct Flavour {
    pub name: &'static str,
    pub debs: &'static [&'static str],
    pub flavour_dir: &'static str,
}

pub const DEBIAN_6_1_AMD64: Flavour = Flavour {
    name: "6.1-amd64",
    debs: &[
        "linux-headers-6.1.0-56-common_6.1.192-2_all.deb",
        "linux-headers-6.1.0-56-amd64_6.1.192-2_amd64.deb",
    ],
    flavour_dir: "usr/src/linux-headers-6.1.0-56-amd64",
};

pub const DEBIAN_6_12_AMD64: Flavour = Flavour {
    name: "6.12-amd64",
    debs: &[
        "linux-headers-6.12.117+deb12-common_6.12.117-1~deb12u1_all.deb",
        "linux-headers-6.12.117+deb12-amd64_6.12.117-1~deb12u1_amd64.deb",
    ],
    flavour_dir: "usr/src/linux-headers-6.12.117+deb12-amd64",
};

/// The same flavours with kbuild's scripts, set up so that `make -C TREE M=DIR modules` works:
/// the flavour Makefile's `include` line is rewritten to the unpacked `-common` directory.
pub const DEBIAN_6_1_AMD64_KBUILD: Flavour = Flavour {
    name: "6.1-amd64-kbuild",
    debs: &[
        "linux-headers-6.1.0-56-common_6.1.192-2_all.deb",
        "linux-headers-6.1.0-56-amd64_6.1.192-2_amd64.deb",
        "linux-kbuild-6.1_6.1.192-2_amd64.deb",
    ],
    flavour_dir: "usr/src/linux-headers-6.1.0-56-amd64",
};

pub const DEBIAN_6_12_AMD64_KBUILD: Flavour = Flavour {
    name: "6.12-amd64-kbuild",
    debs: &[
        "linux-headers-6.12.117+deb12-common_6.12.117-1~deb12u1_all.deb",
        "linux-headers-6.12.117+deb12-amd64_6.12.117-1~deb12u1_amd64.deb",
        "linux-kbuild-6.12.117+deb12_6.12.117-1~deb12u1_amd64.deb",
    ],
    flavour_dir: "usr/src/linux-headers-6.12.117+deb12-amd64",
};

static LOCK: Mutex<()> = Mutex::new(());

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The flavour directory of `flavour`, unpacking its packages first if needed.
pub fn debian_tree(flavour: &Flavour) -> PathBuf {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dest = repo_root().join("target/test-kernels").join(flavour.name);
    let tree = dest.join(flavour.flavour_dir);
    if dest.join(".complete").is_file() {
        return tree;
    }
    // `<repo>/../shared/kernels`; a git worktree nested one level deeper finds it further up.
    let cache = repo_root()
        .ancestors()
        .skip(1)
        .map(|a| a.join("shared/kernels"))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| repo_root().join("../shared/kernels"));
    let tmp = dest.with_extension(format!("tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    for deb in flavour.debs {
        let path = cache.join(deb);
        assert!(
            path.is_file(),
            "kernel package {} not found: the tests need the Debian header packages in {} \
             (the project's shared package cache)",
            path.display(),
            cache.display()
        );
        let status = Command::new("dpkg-deb")
            .arg("-x")
            .arg(&path)
            .arg(&tmp)
            .status();
        match status {
            Ok(s) if s.success() => {}
            other => panic!("dpkg-deb -x {} failed: {other:?}", path.display()),
        }
    }
    if flavour.debs.iter().any(|d| d.starts_with("linux-kbuild")) {
        // Point the flavour's Makefile at the unpacked -common directory (where it will be
        // after the rename below).
        let mk = tmp.join(flavour.flavour_dir).join("Makefile");
        let text = std::fs::read_to_string(&mk).unwrap();
        let named = text
            .lines()
            .find_map(|l| l.strip_prefix("include "))
            .unwrap()
            .trim()
            .to_string();
        let common = Path::new(&named).parent().unwrap().file_name().unwrap();
        let final_common = dest
            .join(flavour.flavour_dir)
            .parent()
            .unwrap()
            .join(common);
        std::fs::write(
            &mk,
            format!("include {}/Makefile\n", final_common.display()),
        )
        .unwrap();
    }
    std::fs::write(tmp.join(".complete"), "").unwrap();
    let _ = std::fs::remove_dir_all(&dest);
    std::fs::rename(&tmp, &dest).unwrap();
    tree
}

/// The `-common` directory next to a flavour directory (named by its Makefile).
pub fn common_dir(flavour_tree: &Path) -> PathBuf {
    let mk = std::fs::read_to_string(flavour_tree.join("Makefile")).unwrap();
    let named = mk
        .lines()
        .find_map(|l| l.strip_prefix("include "))
        .unwrap()
        .trim();
    let name = Path::new(named).parent().unwrap().file_name().unwrap();
    flavour_tree.parent().unwrap().join(name)
}
