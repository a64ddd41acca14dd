//! Test helper: runs gcc-12 as the oracle with kbuild's C dialect flags.

use std::io::Write;
use std::process::{Command, Stdio};

/// `gcc-12 -E` of `src` (as a C file on standard input) with kbuild's macro-relevant flags plus
/// `extra`; panics with gcc's message when gcc fails (the test input is ours, not the user's).
pub(crate) fn gcc_e(src: &str, extra: &[&str]) -> String {
    let mut child = Command::new("gcc-12")
        .args(["-E", "-x", "c", "-"])
        .args(crate::preprocess::dev_tree::macro_flags(
            crate::preprocess::dev_tree::KBUILD_COMMANDS[0].1,
        ))
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gcc-12 runs");
    child.stdin.take().unwrap().write_all(src.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "gcc-12 failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}
