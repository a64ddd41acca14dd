//! Test support: Volatility 3 (pinned) in a virtualenv under `target/vol3venv`, created on first
//! use, and the script that validates an ISF against Volatility's schema and loads it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The virtualenv's python, with volatility3 and jsonschema installed.
pub fn python() -> PathBuf {
    let python = repo().join("target/vol3venv/bin/python");
    if !Command::new(&python)
        .args(["-c", "import volatility3, jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let venv = repo().join("target/vol3venv");
        assert!(Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status()
            .unwrap()
            .success());
        let status = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--quiet",
                "volatility3==2.28.2",
                "jsonschema==4.26.0",
            ])
            .status()
            .unwrap();
        assert!(status.success(), "pip could not install volatility3 and jsonschema");
    }
    python
}

/// `tests/data/profile/vol3_check.py`: validates, loads and describes ISF files.
pub fn check_script() -> PathBuf {
    repo().join("tests/data/profile/vol3_check.py")
}
