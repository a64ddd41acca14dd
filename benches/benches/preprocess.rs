//! Preprocessing the target under one config, ours against `gcc-12 -E` with kbuild's command
//! line, side by side in one run (6.1 amd64 tree under `<repo>/target/kernels`). Ours is measured
//! cold (every file lexed and lowered again, as gcc does) and warm (file skeletons reused, as when
//! several configs are processed), and the token count is printed.

#[path = "../../tests/support/dev_tree.rs"]
mod dev_tree;

use std::path::Path;
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion};
use layout_expert::config::ConfigFile;
use layout_expert::preprocess::{preprocess, skeleton_cache, TargetConfig, View};

/// The allocator the `layout-expert` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    let flavour = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/kernels/6.1/usr/src/linux-headers-6.1.0-56-amd64");
    let cmd = dev_tree::kbuild_command(&flavour).expect("a recorded kbuild command");
    let predefined = dev_tree::gcc_predefined(cmd).expect("gcc-12 -dM");
    let pre_ast =
        dev_tree::pre_ast_from_flavour(&flavour, "probe.c", dev_tree::PROBE_C, predefined)
            .expect("the 6.1 amd64 tree (run `cargo xtask kernels`)");
    let config =
        ConfigFile::parse_bytes(".config", &std::fs::read(flavour.join(".config")).unwrap())
            .unwrap();
    let target = TargetConfig { options: config.options.clone().into() };

    let tmp = std::env::temp_dir().join(format!("le-pp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let probe = tmp.join("probe.c");
    std::fs::write(&probe, dev_tree::PROBE_C).unwrap();
    let words = dev_tree::command_words(
        cmd,
        &dev_tree::source_tree(&flavour).unwrap(),
        &probe,
        &tmp.join("probe.i"),
    );

    // Cold: a fresh cache each time, so every file is lexed and lowered again, as gcc does.
    let cold = || preprocess(&pre_ast, &target, &skeleton_cache(&pre_ast), View::Full).unwrap();
    eprintln!("tokens: {}", cold().tokens.len());

    let warm_skel = skeleton_cache(&pre_ast);

    let mut group = c.benchmark_group("preprocess_6.1_amd64_probe");
    group.sample_size(10);
    group.bench_function("ours_cold", |b| b.iter(cold));
    group.bench_function("ours_warm_skeletons", |b| {
        b.iter(|| preprocess(&pre_ast, &target, &warm_skel, View::Full).unwrap())
    });
    group.bench_function("gcc12_E", |b| {
        b.iter(|| {
            let st =
                Command::new("gcc-12").args(&words[1..]).current_dir(&flavour).status().unwrap();
            assert!(st.success());
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&tmp);
}

criterion_group!(benches, bench);
criterion_main!(benches);
