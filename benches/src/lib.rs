//! What the benchmarks in `benches/benches/*.rs` share: the release binary they run end to end and
//! the 6.1 amd64 pre-AST of the built-in target (run `cargo xtask kernels` first).

use std::path::{Path, PathBuf};
use std::process::Command;

use layout_expert::pre_ast::{build, tree, PreAst};
use layout_expert::profile::private_symbols::builtin_target_text;

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The unpacked Debian 6.1 amd64 headers tree.
pub fn flavour_6_1_amd64() -> PathBuf {
    repo().join("target/kernels/6.1/usr/src/linux-headers-6.1.0-56-amd64")
}

/// Builds the release binary and returns its path.
pub fn release_binary(repo: &Path) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "layout-expert", "--bin", "layout-expert"])
        .current_dir(repo)
        .status()
        .expect("running cargo build");
    assert!(status.success(), "cargo build --release failed");
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo.join("target"), PathBuf::from);
    target_dir.join("release/layout-expert")
}

/// The pre-AST of the built-in target from the headers tree `flavour`.
pub fn builtin_pre_ast(flavour: &Path) -> PreAst {
    let input = build::BuildInput {
        tree: tree::discover(flavour).expect("the 6.1 amd64 tree (run `cargo xtask kernels`)"),
        target_name: build::BUILTIN_TARGET_NAME.to_owned(),
        target_text: builtin_target_text(build::BUILTIN_TARGET),
        target_dir: None,
        force: false,
    };
    build::build(&input).unwrap().0
}
