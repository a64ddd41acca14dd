#!/usr/bin/env bash
# Seed corpora from real inputs, generated under target/fuzz/seeds/ (not committed): kernel
# headers from the unpacked Debian trees (`cargo xtask kernels`), the uapi headers preprocessed by
# gcc, the trees' .config files, the System.map in ../shared/kernels, a pre-AST of a small
# target, and hand-written pathological cases (macro bombs, include cycles, deep nesting).
set -eu  # (no pipefail: `head` closing a pipe early is fine here)
cd "$(dirname "$0")/.."
seeds=target/fuzz/seeds
[ -e "$seeds/.done" ] && exit 0
rm -rf "$seeds"
mkdir -p "$seeds"/{lexer_parser,preprocessor,declarations,config,pre_ast,system_map,banner}
common=$(ls -d target/kernels/6.1/usr/src/linux-headers-*-common | head -1)
flavour=$(ls -d target/kernels/6.1/usr/src/linux-headers-*-amd64 | head -1)
# Headers: 300 of the smaller ones, for the lexer/parser and the preprocessor.
find "$common/include" -name '*.h' -size -24k | sort | awk 'NR % 20 == 0' | head -300 | while read -r h; do
  n=$(echo "$h" | tr '/' '_')
  cp "$h" "$seeds/lexer_parser/$n"
  cp "$h" "$seeds/preprocessor/$n"
done
# Pathological preprocessor inputs (the part after `//--` is <a.h>).
printf '#define A0 x x\n#define A1 A0 A0\n#define A2 A1 A1\n#define A3 A2 A2\n#define A4 A3 A3\nA4\n' > "$seeds/preprocessor/bomb"
printf '#include "t.c"\n' > "$seeds/preprocessor/self_include"
printf '#include <a.h>\n//--\n#include "../../target/t.c"\n#include <a.h>\n' > "$seeds/preprocessor/cycle"
{ for i in $(seq 1 300); do echo "#if $i"; done; for i in $(seq 1 300); do echo "#endif"; done; } > "$seeds/preprocessor/nesting"
printf '#define f(x) f(x x)\nf(f(f(1)))\n#define g(...) __VA_ARGS__ ## __VA_ARGS__\ng(a,b)\n#if defined(X) && (1 << 63) / -1\n#endif\n' > "$seeds/preprocessor/macros"
# Declarations: uapi headers preprocessed by gcc, plus variables so that the closure reaches them.
for h in $(ls /usr/include/linux/*.h | awk 'NR % 6 == 0' | head -80); do
  n=$(basename "$h" .h)
  if gcc-12 -E -P -x c "$h" -o "$seeds/declarations/$n" 2>/dev/null; then
    { grep -o 'struct [a-z_0-9]* {' "$seeds/declarations/$n" || true; } | sed 's/ {$//' | sort -u |
      head -20 | awk '{ printf "%s v_%s;\n", $0, $2 }' >> "$seeds/declarations/$n"
  else
    rm -f "$seeds/declarations/$n"
  fi
done
for f in src/decl/tests.rs; do
  python3 - "$f" "$seeds/declarations" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for i, m in enumerate(re.finditer(r'r#"(.*?)"#', text, re.S)):
    open(f"{sys.argv[2]}/fixture_{i}", "w").write(m.group(1))
PY
done
# Configs, plain and gzipped.
cp "$flavour/.config" "$seeds/config/amd64.config"
head -300 "$flavour/.config" > "$seeds/config/head.config"
gzip -c "$seeds/config/head.config" > "$seeds/config/head.config.gz"
# System.map: the start of the real one, plain and gzipped; kallsyms-style lines.
shared=${LAYOUT_EXPERT_KERNELS:-}
d=$PWD
while [ -z "$shared" ] && [ "$d" != / ]; do
  d=$(dirname "$d")
  [ -e "$d/shared/kernels/SHA256SUMS" ] && shared=$d/shared/kernels
done
if [ -n "$shared" ] && [ -e "$shared/System.map-6.1.0-56-amd64.gz" ]; then
  gzip -dc "$shared/System.map-6.1.0-56-amd64.gz" | head -2000 > "$seeds/system_map/head.map"
  gzip -c "$seeds/system_map/head.map" > "$seeds/system_map/head.map.gz"
fi
printf 'ffffffff81000000 T _stext\nffffffffc0000000 t dummy_init\t[dummy]\n0000000000000000 A fixed_percpu_data\n' > "$seeds/system_map/kallsyms"
# Banners inside image-like bytes.
for r in 6.1.0-56-amd64 6.12.117+deb12-amd64; do
  { head -c 3000 /dev/zero; printf 'Linux version %s (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP Debian\n\0' "$r"; head -c 100 /dev/zero; } > "$seeds/banner/$r"
done
# A pre-AST of a small target.
if [ -x target/release/layout-expert ]; then
  printf '#include <linux/types.h>\nstruct list_head lh;\n' > "$seeds/tiny.c"
  target/release/layout-expert build-pre-ast -l "$flavour" -s "$seeds/tiny.c" "$seeds/pre_ast/tiny.pre-ast" >/dev/null 2>&1 ||
    echo "seeds: no pre-AST seed (build-pre-ast failed)"
fi
touch "$seeds/.done"
