//! Tidy checks that run under `cargo test`: the workspace is formatted by rustfmt with the
//! repository's `rustfmt.toml`.

use std::path::Path;
use std::process::Command;

#[test]
fn workspace_is_rustfmt_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["fmt", "--all", "--check"])
        .current_dir(root)
        .output()
        .expect("cannot run `cargo fmt` (install it with `rustup component add rustfmt`)");
    assert!(
        output.status.success(),
        "the workspace is not formatted; run `cargo fmt --all`:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
