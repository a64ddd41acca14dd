//! `make-profile` end to end on the 6.1 amd64 tree, both formats, against the baseline a user has
//! today: compiling the target as a module with kbuild and gcc-12 to get its DWARF (the oracle's
//! compile, uncached). Measured side by side in one run; run `cargo xtask kernels` first.
//!
//! Ours is the release `layout-expert` binary run as a user runs it: a new process that loads the
//! pre-AST file, preprocesses under the amd64 `.config`, lays out the declarations, reads the real
//! System.map (88,596 symbols) and writes the Rekall profile or the ISF (uncompressed `.json`;
//! `.json.xz` adds the xz compression, measured separately). The bench builds the binary first.
//!
//! Also measured: the library pipeline alone in this process (no process start, no writing), and
//! a second configuration (cloud) on a database that already ran amd64, which is what `batch`
//! will pay for each further configuration.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use layout_expert::{
    config::ConfigFile, db::RootDatabase, pipeline, pre_ast::format, preprocess::PreAstInput,
    profile::system_map::SystemMap,
};

/// The allocator the `layout-expert` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    let repo = layout_expert_benches::repo();
    let flavour = layout_expert_benches::flavour_6_1_amd64();
    let pre_ast = layout_expert_benches::builtin_pre_ast(&flavour);
    let bytes = format::encode(&pre_ast);
    let dir = std::env::temp_dir().join(format!("le-mp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pre_ast_path = dir.join("linux-6.1.pre-ast");
    std::fs::write(&pre_ast_path, &bytes).unwrap();
    // A user has the map uncompressed in /boot; the packaged copy is gzipped.
    let map =
        SystemMap::read(&repo.join("../shared/kernels/System.map-6.1.0-56-amd64.gz")).unwrap();
    let map_path = dir.join("System.map-6.1.0-56-amd64");
    let map_text: String =
        map.symbols.iter().map(|s| format!("{:016x} {} {}\n", s.address, s.kind, s.name)).collect();
    std::fs::write(&map_path, map_text).unwrap();
    let config_path = flavour.join(".config");
    let binary = layout_expert_benches::release_binary(&repo);

    let run_cli = |format: &str, output: &Path| {
        let status = Command::new(&binary)
            .arg("--quiet")
            .arg("make-profile")
            .arg("--config-file")
            .arg(&config_path)
            .arg("--system-map")
            .arg(&map_path)
            .args(["--banner", "Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org)"])
            .args(["--format", format])
            .arg(&pre_ast_path)
            .arg(output)
            .status()
            .unwrap();
        assert!(status.success());
    };

    let mut group = c.benchmark_group("make_profile_6.1_amd64");
    group.sample_size(20);
    group.bench_function("ours_cli_rekall", |b| b.iter(|| run_cli("rekall", &dir.join("p.json"))));
    group.bench_function("ours_cli_isf", |b| b.iter(|| run_cli("isf", &dir.join("p.isf.json"))));
    group.bench_function("ours_cli_isf_xz", |b| b.iter(|| run_cli("isf", &dir.join("p.json.xz"))));
    let config_bytes = std::fs::read(&config_path).unwrap();
    group.bench_function("ours_library_pipeline", |b| {
        b.iter(|| {
            let pre_ast = Arc::new(format::decode(&bytes).unwrap());
            let config = ConfigFile::parse_bytes(".config", &config_bytes).unwrap();
            let db = RootDatabase::default();
            pipeline::run(&db, &pre_ast, &config, || Ok(SystemMap::read(&map_path).ok())).unwrap()
        })
    });
    // What `batch` will pay for each further configuration: the cloud config on a database that
    // already ran amd64 (file skeletons reused).
    let cloud_bytes =
        std::fs::read(flavour.with_file_name("linux-headers-6.1.0-56-cloud-amd64").join(".config"))
            .unwrap();
    group.bench_function("ours_library_second_config", |b| {
        b.iter_batched(
            || {
                let db = RootDatabase::default();
                let input =
                    PreAstInput::from_pre_ast(&db, Arc::new(format::decode(&bytes).unwrap()));
                let amd64 = ConfigFile::parse_bytes(".config", &config_bytes).unwrap();
                pipeline::run_input(&db, input, &amd64, || Ok(None)).unwrap();
                (db, input)
            },
            |(db, input)| {
                let cloud = ConfigFile::parse_bytes(".config", &cloud_bytes).unwrap();
                let out = pipeline::run_input(&db, input, &cloud, || Ok(None)).unwrap();
                // Returned, so that freeing the database is not measured.
                (db, out)
            },
            BatchSize::PerIteration,
        )
    });
    let source = repo.join("targets/forensics.c");
    group.sample_size(10);
    group.bench_function("baseline_kbuild_gcc_compile", |b| {
        b.iter(|| xtask::oracle::build_module(&flavour, &source, &[]).unwrap())
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
