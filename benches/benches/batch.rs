//! `batch` against `make-profile`, measured side by side in one run on the 6.1 tree: what each
//! further configuration costs once the first has run. Run `cargo xtask kernels` first; custom
//! configurations are taken from `target/custom-config/6.1-*/.config` when present
//! (`cargo xtask custom-config`).
//!
//! Processes, as a user runs them (the release binary, the real System.map, Rekall output):
//! - `make_profile_cold`: one `make-profile` of the amd64 config, a new process;
//! - `batch_1`, `batch_8`: `batch` over the amd64 config alone, then over 8 configurations (amd64,
//!   cloud, then the custom ones, then built-in variants of amd64 to make up 8); a further
//!   configuration costs (batch_8 - batch_1) / 7;
//! - `batch_100_jobs2` (only with `LAYOUT_EXPERT_BENCH_FLEET=1`, it takes minutes): 100 variants of
//!   the amd64 config (each with three drivers built in instead of as modules), `--jobs 2`.
//!
//! In this process, on a database that already ran amd64: a further configuration whose read
//! options differ (cloud: the unit is preprocessed again) and one that differs only in options no
//! header reads (three drivers no stored header names built in: the unit is replayed).

use std::path::{Path, PathBuf};
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

/// `amd64` with `count` drivers built in instead of as modules, chosen by `seed` (a variant that
/// differs from amd64 only in options, most of which no header reads).
fn variant(amd64: &str, seed: u64, count: usize) -> String {
    let mut lines: Vec<String> = amd64.lines().map(str::to_owned).collect();
    let modules: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("CONFIG_") && lines[i].ends_with("=m"))
        .collect();
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    for _ in 0..count {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let i = modules[(x >> 33) as usize % modules.len()];
        let built_in = format!("{}y", lines[i].strip_suffix('m').unwrap());
        lines[i] = built_in;
    }
    lines.join("\n") + "\n"
}

fn bench(c: &mut Criterion) {
    let repo = layout_expert_benches::repo();
    let flavour = layout_expert_benches::flavour_6_1_amd64();
    let pre_ast = layout_expert_benches::builtin_pre_ast(&flavour);
    let bytes = format::encode(&pre_ast);
    let dir = std::env::temp_dir().join(format!("le-batch-bench-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("configs")).unwrap();
    let pre_ast_path = dir.join("linux-6.1.pre-ast");
    std::fs::write(&pre_ast_path, &bytes).unwrap();
    let map = SystemMap::read(
        &xtask::kernels::shared_kernels_dir()
            .expect("the shared/kernels directory (it holds the System.map)")
            .join("System.map-6.1.0-56-amd64.gz"),
    )
    .unwrap();
    let map_path = dir.join("System.map-6.1.0-56-amd64");
    let map_text: String =
        map.symbols.iter().map(|s| format!("{:016x} {} {}\n", s.address, s.kind, s.name)).collect();
    std::fs::write(&map_path, map_text).unwrap();
    let binary = layout_expert_benches::release_binary(&repo);

    let amd64_text = std::fs::read_to_string(flavour.join(".config")).unwrap();
    let cloud_path = flavour.with_file_name("linux-headers-6.1.0-56-cloud-amd64").join(".config");
    let mut configs: Vec<PathBuf> = Vec::new();
    let copy = |name: &str, text: &str| {
        let p = dir.join("configs").join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    configs.push(copy("amd64", &amd64_text));
    configs.push(copy("cloud", &std::fs::read_to_string(&cloud_path).unwrap()));
    let mut custom: Vec<PathBuf> = std::fs::read_dir(repo.join("target/custom-config"))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("6.1-"))
                && p.join(".config").is_file()
        })
        .collect();
    custom.sort();
    for tree in &custom {
        if configs.len() == 8 {
            break;
        }
        let name = tree.file_name().unwrap().to_string_lossy().into_owned();
        let config = copy(&name, &std::fs::read_to_string(tree.join(".config")).unwrap());
        // A configuration this pre-AST cannot serve (e.g. one that needs generated/autoksyms.h,
        // which no headers package has) is left out, and said so.
        let status = Command::new(&binary)
            .args(["--quiet", "make-profile", "--config-file"])
            .arg(&config)
            .arg(&pre_ast_path)
            .arg(dir.join("check.json"))
            .status()
            .unwrap();
        if status.success() {
            configs.push(config);
        } else {
            eprintln!("left out {name}: make-profile fails on it");
        }
    }
    let mut seed = 0;
    while configs.len() < 8 {
        configs.push(copy(&format!("variant-{seed}"), &variant(&amd64_text, seed, 3)));
        seed += 1;
    }
    eprintln!(
        "batch_8 configurations: {:?}",
        configs.iter().map(|p| p.file_name().unwrap()).collect::<Vec<_>>()
    );

    let make_profile = |config: &Path, output: &Path| {
        let status = Command::new(&binary)
            .args(["--quiet", "make-profile", "--config-file"])
            .arg(config)
            .arg("--system-map")
            .arg(&map_path)
            .arg(&pre_ast_path)
            .arg(output)
            .status()
            .unwrap();
        assert!(status.success());
    };
    let batch = |configs: &[PathBuf], jobs: usize| {
        let out = dir.join("out");
        let status = Command::new(&binary)
            .args(["--quiet", "batch", "--jobs", &jobs.to_string(), "--out-dir"])
            .arg(&out)
            .arg("--system-map")
            .arg(&map_path)
            .arg(&pre_ast_path)
            .args(configs)
            .status()
            .unwrap();
        assert!(status.success());
    };

    let mut group = c.benchmark_group("batch_6.1");
    group.sample_size(10);
    group.bench_function("make_profile_cold", |b| {
        b.iter(|| make_profile(&configs[0], &dir.join("p.json")))
    });
    group.bench_function("batch_1", |b| b.iter(|| batch(&configs[..1], 1)));
    group.bench_function("batch_8", |b| b.iter(|| batch(&configs[..8], 1)));
    group.bench_function("batch_8_jobs2", |b| b.iter(|| batch(&configs[..8], 2)));

    let further = |other: String| {
        let bytes = &bytes;
        let amd64_text = &amd64_text;
        move || {
            let db = RootDatabase::default();
            let input = PreAstInput::from_pre_ast(&db, Arc::new(format::decode(bytes).unwrap()));
            let amd64 = ConfigFile::parse_bytes("amd64", amd64_text.as_bytes()).unwrap();
            pipeline::run_input(&db, input, &amd64, || Ok(None)).unwrap();
            (db, input, ConfigFile::parse_bytes("other", other.as_bytes()).unwrap())
        }
    };
    let run_further = |(db, input, config): (RootDatabase, PreAstInput, ConfigFile)| {
        let out = pipeline::run_input(&db, input, &config, || Ok(None)).unwrap();
        // Returned, so that freeing the database is not measured.
        (db, out)
    };
    // Three drivers no stored header names, built in instead of as modules: nothing the unit
    // reads changes, so it is replayed.
    let mentioned = |name: &str| {
        pre_ast
            .files
            .iter()
            .any(|f| f.kind == layout_expert::pre_ast::FileKind::Source && f.text.contains(name))
    };
    let unread_variant: String = {
        let mut flipped = 0;
        let lines: Vec<String> = amd64_text
            .lines()
            .map(|l| match l.strip_suffix("=m") {
                Some(name) if flipped < 3 && !mentioned(name) => {
                    flipped += 1;
                    format!("{name}=y")
                }
                _ => l.to_owned(),
            })
            .collect();
        lines.join("\n") + "\n"
    };
    group.bench_function("library_further_config_read_options_differ", |b| {
        b.iter_batched(
            further(std::fs::read_to_string(&cloud_path).unwrap()),
            run_further,
            BatchSize::PerIteration,
        )
    });
    group.bench_function("library_further_config_unread_options_differ", |b| {
        b.iter_batched(further(unread_variant.clone()), run_further, BatchSize::PerIteration)
    });
    group.bench_function("library_first_config", |b| {
        b.iter_batched(
            || {
                let db = RootDatabase::default();
                let input =
                    PreAstInput::from_pre_ast(&db, Arc::new(format::decode(&bytes).unwrap()));
                (db, input, ConfigFile::parse_bytes("amd64", amd64_text.as_bytes()).unwrap())
            },
            run_further,
            BatchSize::PerIteration,
        )
    });

    if std::env::var_os("LAYOUT_EXPERT_BENCH_FLEET").is_some() {
        let fleet: Vec<PathBuf> = (0..100)
            .map(|k| copy(&format!("fleet-{k:03}"), &variant(&amd64_text, 1000 + k, 3)))
            .collect();
        group.bench_function("batch_100_jobs2", |b| b.iter(|| batch(&fleet, 2)));
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
