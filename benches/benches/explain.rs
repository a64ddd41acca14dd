//! `explain` against `make-profile` on the 6.1 amd64 tree and config: the release binary run as a
//! user runs it (a new process that loads the pre-AST file, preprocesses under the `.config` and
//! lays out), explaining one type (`task_struct`; plain, `--why`, `--json`) and making the Rekall
//! profile without a System.map. The goal: one type costs no more than the profile.
//! Run `cargo xtask kernels` first.

use std::path::Path;
use std::process::{Command, Stdio};

use criterion::{criterion_group, criterion_main, Criterion};
use layout_expert::pre_ast::format;

fn bench(c: &mut Criterion) {
    let repo = layout_expert_benches::repo();
    let flavour = layout_expert_benches::flavour_6_1_amd64();
    let pre_ast = layout_expert_benches::builtin_pre_ast(&flavour);
    let dir = std::env::temp_dir().join(format!("le-explain-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pre_ast_path = dir.join("linux-6.1.pre-ast");
    std::fs::write(&pre_ast_path, format::encode(&pre_ast)).unwrap();
    let config_path = flavour.join(".config");
    let binary = layout_expert_benches::release_binary(&repo);
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
    group.bench_function("explain_task_struct", |b| {
        b.iter(|| run(&["explain"], &[&pre_ast_path, task_struct]))
    });
    group.bench_function("explain_why_task_struct", |b| {
        b.iter(|| run(&["explain", "--why"], &[&pre_ast_path, task_struct]))
    });
    group.bench_function("explain_json_task_struct", |b| {
        b.iter(|| run(&["explain", "--json"], &[&pre_ast_path, task_struct]))
    });
    let profile = dir.join("p.json");
    group.bench_function("make_profile_rekall", |b| {
        b.iter(|| run(&["make-profile"], &[&pre_ast_path, &profile]))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
