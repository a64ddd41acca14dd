//! `explain` against `make-profile` on the 6.1 amd64 tree and config: the release binary run as a
//! user runs it (a new process that loads the pre-AST file, preprocesses under the `.config` and
//! lays out), explaining one type (`task_struct`; plain, `--why`, `--json`) and making the Rekall
//! profile without a System.map. The goal: one type costs no more than the profile.
//! Run `cargo xtask kernels` first.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use criterion::{criterion_group, criterion_main, Criterion};
use layout_expert::{
    pre_ast::{build, format, tree},
    profile::private_symbols::builtin_target_text,
};

/// Builds the release binary and returns its path.
fn release_binary(repo: &Path) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "layout-expert", "--bin", "layout-expert"])
        .current_dir(repo)
        .status()
        .expect("running cargo build");
    assert!(status.success(), "cargo build --release failed");
    let target_dir = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo.join("target"), PathBuf::from);
    target_dir.join("release/layout-expert")
}

fn bench(c: &mut Criterion) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let flavour = repo.join("target/kernels/6.1/usr/src/linux-headers-6.1.0-56-amd64");
    let input = build::BuildInput {
        tree: tree::discover(&flavour).expect("the 6.1 amd64 tree (run `cargo xtask kernels`)"),
        target_name: build::BUILTIN_TARGET_NAME.to_owned(),
        target_text: builtin_target_text(build::BUILTIN_TARGET),
        target_dir: None,
        force: false,
    };
    let (pre_ast, _, _) = build::build(&input).unwrap();
    let dir = std::env::temp_dir().join(format!("le-explain-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pre_ast_path = dir.join("linux-6.1.pre-ast");
    std::fs::write(&pre_ast_path, format::encode(&pre_ast)).unwrap();
    let config_path = flavour.join(".config");
    let binary = release_binary(&repo);
    let run = |args: &[&str], tail: &[&Path]| {
        let status = Command::new(&binary)
            .arg("--quiet")
            .args(args)
            .arg("--config-file")
            .arg(&config_path)
            .args(tail)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    };
    let task_struct = Path::new("task_struct");
    let mut group = c.benchmark_group("explain_6.1_amd64");
    group.sample_size(10);
    group.bench_function("explain_task_struct", |b| b.iter(|| run(&["explain"], &[&pre_ast_path, task_struct])));
    group.bench_function("explain_why_task_struct", |b| {
        b.iter(|| run(&["explain", "--why"], &[&pre_ast_path, task_struct]))
    });
    group.bench_function("explain_json_task_struct", |b| {
        b.iter(|| run(&["explain", "--json"], &[&pre_ast_path, task_struct]))
    });
    let profile = dir.join("p.json");
    group.bench_function("make_profile_rekall", |b| b.iter(|| run(&["make-profile"], &[&pre_ast_path, &profile])));
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
