//! Running the `layout-expert` binary from integration tests: the command, its output as text,
//! and a fresh scratch directory per test (under `target/test-scratch/`). Included by path next
//! to `support/kernels.rs`, whose `repo_root` it uses.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary with `args`.
pub fn layout_expert(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_layout-expert")).args(args).output().unwrap()
}

/// What a run wrote to standard error.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d = crate::kernels::repo_root().join("target/test-scratch").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The names in `dir`, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
