#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer on stable Rust and fuzzes each for SECONDS (default 60).
#   fuzz/run.sh [SECONDS] [TARGET...]
# FUZZ_RUNS=N instead runs N inputs per target with a fixed seed (reproducible, for CI).
# Corpora live in target/fuzz/corpus/TARGET (seeded from real headers and configs by
# fuzz/seeds.sh on first use); crashes go to target/fuzz/artifacts/TARGET.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(lexer_parser preprocessor declarations config pre_ast system_map banner)
triple=x86_64-unknown-linux-gnu
# libFuzzer's coverage instrumentation through stable codegen options (what cargo-fuzz passes,
# without its nightly-only sanitizer flags); --target keeps it off build scripts and proc macros.
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cforce-frame-pointers"
cargo build --release --manifest-path fuzz/Cargo.toml --target "$triple" --target-dir target/fuzz/build \
  $(printf -- '--bin %s ' "${targets[@]}")
bash fuzz/seeds.sh
for t in "${targets[@]}"; do
  mkdir -p "target/fuzz/corpus/$t" "target/fuzz/artifacts/$t"
  echo "fuzz: $t for $seconds s"
  # Bounded: 2 GB of memory, 10 s per input; an input that exceeds either is a finding.
  "target/fuzz/build/$triple/release/$t" "target/fuzz/corpus/$t" "target/fuzz/seeds/$t" \
    -artifact_prefix="target/fuzz/artifacts/$t/" \
    $( [ -n "${FUZZ_RUNS:-}" ] && echo "-runs=$FUZZ_RUNS -seed=1" || echo "-max_total_time=$seconds" ) \
    -rss_limit_mb=2048 -timeout=10 -max_len=262144 -print_final_stats=1 2>&1 | tail -n 14
done
