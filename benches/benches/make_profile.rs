//! `make-profile` end to end on the 6.1 amd64 tree, both formats, against the baseline a user has
//! today: compiling the target as a module with kbuild and gcc-12 to get its DWARF (the oracle's
//! compile, uncached). Measured side by side in one run; run `cargo xtask kernels` first.
//!
//! Ours: load the pre-AST file, preprocess under the amd64 `.config`, find and lay out the
//! declarations, and write the Rekall profile / the ISF with the real System.map.

use std::path::Path;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use layout_expert::{
    config::ConfigFile,
    db::RootDatabase,
    pipeline,
    pre_ast::{build, format, tree},
    profile::{
        private_symbols::builtin_target_text, system_map::SystemMap, write_profile, Format,
        WriteOptions,
    },
};

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
    let bytes = format::encode(&pre_ast);
    let config_bytes = std::fs::read(flavour.join(".config")).unwrap();
    let map_path = repo.join("../shared/kernels/System.map-6.1.0-56-amd64.gz");
    let out_dir = std::env::temp_dir().join(format!("le-mp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir).unwrap();

    let make_profile = |format: Format, out: &Path| {
        let pre_ast = Arc::new(format::decode(&bytes).unwrap());
        let config = ConfigFile::parse_bytes(".config", &config_bytes).unwrap();
        let db = RootDatabase::default();
        let run = pipeline::run(&db, &pre_ast, &config, || Ok(SystemMap::read(&map_path).ok())).unwrap();
        write_profile(&run.model, out, &WriteOptions { format, banner: None }).unwrap();
    };

    let mut group = c.benchmark_group("make_profile_6.1_amd64");
    group.sample_size(10);
    group.bench_function("ours_rekall", |b| {
        b.iter(|| make_profile(Format::Rekall, &out_dir.join("p.json")))
    });
    group.bench_function("ours_isf", |b| b.iter(|| make_profile(Format::Isf, &out_dir.join("p.isf.json"))));
    let source = repo.join("targets/forensics.c");
    group.bench_function("baseline_kbuild_gcc_compile", |b| {
        b.iter(|| xtask::oracle::build_module(&flavour, &source, &[]).unwrap())
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&out_dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
