//! Benchmarks of `build-pre-ast` on the real Debian 6.1 amd64 tree (the goal is at most 1 s on
//! a 2-core machine): the whole build, its parts (lexing and directive scanning of every
//! reached file, encoding), and loading the result (the pre-AST must load in milliseconds).
//! The tree comes from the project's kernel cache (`xtask::kernels`, under `target/kernels`).

#[path = "../../tests/support/kernels.rs"]
mod kernels;

use criterion::{criterion_group, criterion_main, Criterion};
use layout_expert::pre_ast::build::{self, BuildInput};
use layout_expert::pre_ast::{directives, format, tree};

/// The allocator the `layout-expert` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    let flavour_tree = kernels::debian_tree("6.1-amd64");
    let input = BuildInput {
        tree: tree::discover(&flavour_tree).unwrap(),
        target_name: build::BUILTIN_TARGET_NAME.into(),
        target_text: build::BUILTIN_TARGET.into(),
        target_dir: None,
        force: false,
    };
    let (pre, stats, _) = build::build(&input).unwrap();
    let bytes = format::encode(&pre);
    eprintln!(
        "6.1 amd64, built-in target: {} files, {} bytes in, {} bytes out",
        stats.files,
        stats.bytes_in,
        bytes.len()
    );
    let mut g = c.benchmark_group("build_pre_ast_6.1_amd64");
    g.sample_size(10);
    g.bench_function("discover_build_encode", |b| {
        b.iter(|| {
            let input =
                BuildInput { tree: tree::discover(&flavour_tree).unwrap(), ..input.clone() };
            let (pre, _, _) = build::build(&input).unwrap();
            format::encode(&pre)
        })
    });
    g.bench_function("build", |b| b.iter(|| build::build(&input).unwrap()));
    g.bench_function("lex_all_files", |b| {
        b.iter(|| pre.files.iter().map(|f| syntax::lex(&f.text).len()).sum::<usize>())
    });
    g.bench_function("scan_directives_all_files", |b| {
        b.iter(|| pre.files.iter().map(|f| directives::scan(&f.text).len()).sum::<usize>())
    });
    g.bench_function("encode", |b| b.iter(|| format::encode(&pre)));
    g.bench_function("load", |b| b.iter(|| format::decode(&bytes).unwrap()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
