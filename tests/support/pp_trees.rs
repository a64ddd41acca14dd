//! Test support for the preprocessor's kernel tests: the five Debian flavours, each with the tree
//! its pre-AST is built from (one per kernel version) and the flavour whose `.config` is applied.
#![allow(dead_code)]

use std::path::PathBuf;

/// (kernel prefix, flavour whose tree the pre-AST is built from, flavour whose config is applied).
pub const TREES: &[(&str, &str, &str)] = &[
    ("6.1", "linux-headers-6.1.0-56-amd64", "linux-headers-6.1.0-56-amd64"),
    ("6.1", "linux-headers-6.1.0-56-amd64", "linux-headers-6.1.0-56-cloud-amd64"),
    ("6.1-rt", "linux-headers-6.1.0-56-rt-amd64", "linux-headers-6.1.0-56-rt-amd64"),
    ("6.12", "linux-headers-6.12.117+deb12-amd64", "linux-headers-6.12.117+deb12-amd64"),
    ("6.12", "linux-headers-6.12.117+deb12-amd64", "linux-headers-6.12.117+deb12-cloud-amd64"),
];

/// The unpacked Debian trees (`xtask::kernels` unpacks them into `target/kernels` on first use).
pub fn kernels_dir() -> PathBuf {
    xtask::kernels::debian_trees().expect("the Debian kernel trees");
    xtask::kernels::cache_dir()
}
