//! Test helper: runs gcc-12 as the oracle with kbuild's C dialect flags.

use std::io::Write;
use std::process::{Command, Stdio};

/// `gcc-12 -E` of `src` (as a C file on standard input) with kbuild's macro-relevant flags plus
/// `extra`; panics with gcc's message when gcc fails (the test input is ours, not the user's).
pub(crate) fn gcc_e(src: &str, extra: &[&str]) -> String {
    let mut child = Command::new("gcc-12")
        .args(["-E", "-x", "c", "-"])
        .args(crate::preprocess::dev_tree::KBUILD_MACRO_FLAGS)
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

/// The tokens of `gcc -E` output, without line markers; `#pragma` lines are kept as one string.
pub(crate) fn tokens_of_gcc_output(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("# ") || trimmed.starts_with("#line") {
            continue;
        }
        if trimmed.starts_with("#pragma") {
            out.push(trimmed.split_whitespace().collect::<Vec<_>>().join(" "));
            continue;
        }
        let sk = crate::preprocess::skeleton::lower(line);
        out.extend(sk.tokens.iter().map(|t| t.text.to_string()));
    }
    out
}
