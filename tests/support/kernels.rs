//! Real Debian kernel header trees for tests, from the project's kernel cache
//! (`xtask::kernels`: the pinned packages from `shared/kernels`, or downloaded, SHA-256 checked,
//! unpacked under `target/kernels`, flavour Makefiles pointed at the unpacked `-common` trees so
//! that `make -C TREE M=DIR modules` works). A missing package fails the test with xtask's
//! message, never a silent skip.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The flavour directory of the tree named `name` (`6.1-amd64`, `6.1-cloud-amd64`,
/// `6.1-rt-amd64`, `6.12-amd64`, `6.12-cloud-amd64`), unpacking the cache first if needed.
pub fn debian_tree(name: &str) -> PathBuf {
    let trees = xtask::kernels::debian_trees()
        .unwrap_or_else(|e| panic!("the test kernels are not available: {e}"));
    trees
        .into_iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no test kernel tree named {name}"))
        .path
}

/// Names of every test kernel tree.
pub fn all_tree_names() -> Vec<String> {
    xtask::kernels::trees_in(&xtask::kernels::cache_dir()).into_iter().map(|t| t.name).collect()
}

/// The `-common` directory a flavour directory's Makefile names.
pub fn common_dir(flavour_tree: &Path) -> PathBuf {
    let mk = std::fs::read_to_string(flavour_tree.join("Makefile")).unwrap();
    let named = mk.lines().find_map(|l| l.strip_prefix("include ")).unwrap().trim();
    let named = Path::new(named).parent().unwrap();
    if named.is_dir() {
        named.to_path_buf()
    } else {
        flavour_tree.parent().unwrap().join(named.file_name().unwrap())
    }
}
