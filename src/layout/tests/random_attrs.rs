//! A randomised differential test of GCC's layout attributes in every position, against gcc-12.
//!
//! The generator writes C source, not type-model values: typedef chains with `aligned`,
//! `packed`, `mode` and `warn_if_not_aligned` at each level and in each position (before
//! `typedef`, among the specifiers before and after the type, after the declarator), repeated and
//! conflicting attributes, records with attributes after the keyword and after the brace, packed
//! members in aligned records and the reverse, bitfields under `packed` and `#pragma pack(N)`,
//! arrays of over-aligned typedefs, enums with attributes, zero-length and flexible arrays at the
//! end of packed records. Our declaration parser and layout engine lay every record out; the same
//! source compiled by gcc-12 prints sizes, alignments and every field's offset and size (bitfields
//! found at run time). Each typedef is also measured as a member between two chars.
//!
//! A smaller share of cases uses an attribute in a position we do not model (`vector_size`,
//! `aligned` after a `*` or inside a parenthesised declarator); those must be errors naming the
//! attribute and the position.
//!
//! The default run checks `DEFAULT_CASES` cases in a few compiled programs;
//! `LAYOUT_EXPERT_RANDOM_LAYOUTS=N` checks N, and `LAYOUT_EXPERT_RANDOM_SEED=S` changes the seed.

use std::fmt::Write as _;

use crate::{
    decl::{tokens_from_gcc_e, DeclIndex, Resolver},
    layout::{
        layout_of_record,
        tests::{list_fields, run_gcc},
    },
    ty::{RecordKind, RecordTy},
};

/// Cases in the default run (each case is a few typedefs and records).
const DEFAULT_CASES: usize = 3000;
/// Cases per compiled program.
const BATCH: usize = 1000;

#[test]
fn randomised_attribute_combinations_match_gcc() {
    let cases = std::env::var("LAYOUT_EXPERT_RANDOM_LAYOUTS")
        .ok()
        .map(|it| it.parse::<usize>().expect("LAYOUT_EXPERT_RANDOM_LAYOUTS is a number"))
        .unwrap_or(DEFAULT_CASES);
    let seed = std::env::var("LAYOUT_EXPERT_RANDOM_SEED")
        .ok()
        .map(|it| it.parse::<u64>().expect("LAYOUT_EXPERT_RANDOM_SEED is a number"))
        .unwrap_or(0x0a77_5eed);
    let mut checked_roots = 0;
    let mut fields = 0;
    let mut refused = 0;
    for (b, start) in (0..cases).step_by(BATCH).enumerate() {
        let n = BATCH.min(cases - start);
        let mut gen = Gen::new(seed.wrapping_add((b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)));
        for _ in 0..n {
            gen.case();
        }
        let (roots, n_fields, errs) = check_batch(&gen);
        checked_roots += roots;
        fields += n_fields;
        refused += errs;
    }
    // The generators must reach every kind of case (a test that checks nothing cannot fail).
    assert!(checked_roots >= cases, "only {checked_roots} roots for {cases} cases");
    assert!(refused > 0, "no unmodelled attribute was generated");
    eprintln!("{cases} cases: {checked_roots} records and {fields} fields match gcc-12, {refused} refusals name their attribute");
}

/// One generated program: its source, the records to compare, and the declarations that must be
/// refused with the attribute and position named.
struct Gen {
    rng: u64,
    n: usize,
    src: String,
    /// Roots to compare: `struct tag` / `union tag`, with the source of the case.
    roots: Vec<String>,
    /// `struct tag`, the attribute and the position our error must name.
    refusals: Vec<(String, &'static str, &'static str)>,
    typedefs: Vec<Typedef>,
    /// Records that may be used as members (no flexible array).
    records: Vec<String>,
    /// Where each case starts: in `src`, and in `roots`.
    cases: Vec<(usize, usize)>,
}

/// What the generator knows of a type it made, without laying anything out.
#[derive(Clone)]
struct Known {
    spelling: String,
    /// `sizeof` in bytes, when it is known by construction (scalars, arrays of them).
    size: Option<u64>,
    /// For integer types: the width in bits (the largest bitfield it can hold).
    int_bits: Option<u64>,
    /// Every alignment it may have divides its size, so it can be an array element.
    array_ok: bool,
    /// Its natural alignment in bytes when it is a plain scalar (`_Alignas` may not go below it).
    scalar_align: Option<u64>,
}

#[derive(Clone)]
struct Typedef {
    known: Known,
}

const SCALARS: &[(&str, u64, bool)] = &[
    ("char", 1, true),
    ("unsigned char", 1, true),
    ("short", 2, true),
    ("unsigned short", 2, true),
    ("int", 4, true),
    ("unsigned int", 4, true),
    ("long", 8, true),
    ("unsigned long", 8, true),
    ("long long", 8, true),
    ("_Bool", 1, true),
    ("__int128", 16, true),
    ("double", 8, false),
    ("float", 4, false),
    ("long double", 16, false),
];

const MODES: &[(&str, u64)] = &[("QI", 1), ("HI", 2), ("SI", 4), ("DI", 8), ("__DI__", 8)];

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen {
            rng: seed,
            n: 0,
            src: String::new(),
            roots: Vec::new(),
            refusals: Vec::new(),
            typedefs: Vec::new(),
            records: Vec::new(),
            cases: Vec::new(),
        }
    }

    /// splitmix64.
    fn next(&mut self, n: u64) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        z % n
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.next(one_in) == 0
    }

    fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.next(items.len() as u64) as usize]
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.n += 1;
        format!("{prefix}{}", self.n)
    }

    fn pow2(&mut self, max_log: u64) -> u64 {
        1 << self.next(max_log + 1)
    }

    /// `__attribute__((a, b))` groups from a list of attributes, split at random.
    fn groups(&mut self, attrs: Vec<String>) -> String {
        let mut out = String::new();
        let mut i = 0;
        while i < attrs.len() {
            let take = 1 + self.next((attrs.len() - i) as u64) as usize;
            let kw = if self.chance(5) { "__attribute" } else { "__attribute__" };
            let _ = write!(out, " {kw}(({}))", attrs[i..i + take].join(", "));
            i += take;
        }
        out
    }

    fn aligned(&mut self, divides: Option<u64>) -> String {
        let n = match divides {
            Some(size) => loop {
                let n = self.pow2(5);
                if size % n == 0 {
                    break n;
                }
            },
            None => self.pow2(5),
        };
        // The argument is a constant expression, sometimes spelled as one.
        let arg = match self.next(8) {
            0 => format!("sizeof(char[{n}])"),
            1 => format!("({} * 2) / 2", n),
            _ => n.to_string(),
        };
        if self.chance(3) {
            format!("__aligned__({arg})")
        } else {
            format!("aligned({arg})")
        }
    }

    /// One case: typedefs, then one or two records, sometimes inside a `#pragma pack` region, or a
    /// declaration that must be refused.
    fn case(&mut self) {
        self.cases.push((self.src.len(), self.roots.len()));
        for _ in 0..self.next(3) {
            self.typedef();
        }
        if self.chance(12) {
            self.refusal();
            return;
        }
        let pack = if self.chance(4) { Some(self.pow2(4)) } else { None };
        let push = self.chance(2);
        if let Some(n) = pack {
            if push {
                let _ = writeln!(self.src, "#pragma pack(push, {n})");
            } else {
                let _ = writeln!(self.src, "#pragma pack({n})");
            }
        }
        for _ in 0..1 + self.next(2) {
            self.top_record();
        }
        match (pack, push) {
            (None, _) => {}
            (Some(_), true) => {
                let _ = writeln!(self.src, "#pragma pack(pop)");
            }
            (Some(_), false) => {
                // A `pop` without a `push` leaves the state as it is.
                if self.chance(3) {
                    let _ = writeln!(self.src, "#pragma pack(pop)");
                    self.top_record();
                }
                let _ = writeln!(self.src, "#pragma pack()");
            }
        }
    }

    /// A type for a typedef or a member to build on: a scalar, an earlier typedef, an enum.
    fn base_known(&mut self) -> Known {
        if !self.typedefs.is_empty() && self.chance(2) {
            let t = self.pick(&self.typedefs.clone()).clone();
            return t.known;
        }
        if self.chance(10) {
            return self.enum_type();
        }
        let (spelling, size, int) = *self.pick(SCALARS);
        Known {
            spelling: spelling.to_owned(),
            size: Some(size),
            int_bits: int.then(|| if spelling == "_Bool" { 1 } else { size * 8 }),
            array_ok: true,
            scalar_align: Some(size),
        }
    }

    /// An enum defined in place, with attributes before the tag and after the brace.
    fn enum_type(&mut self) -> Known {
        let tag = self.fresh("e");
        let big = self.chance(3);
        let values = if big { " = 300" } else { "" };
        let mut pool = Vec::new();
        for _ in 0..self.next(3) {
            pool.push(match self.next(3) {
                0 => "packed".to_owned(),
                1 => self.aligned(None),
                _ => format!("mode({})", if big { "HI" } else { self.pick(MODES).0 }),
            });
        }
        let split = self.next(pool.len() as u64 + 1) as usize;
        let before = self.groups(pool[..split].to_vec());
        let after = self.groups(pool[split..].to_vec());
        let _ = writeln!(self.src, "enum{before} {tag} {{ {tag}_a{values}, {tag}_b }}{after};");
        Known {
            spelling: format!("enum {tag}"),
            size: None,
            int_bits: Some(8),
            array_ok: true,
            scalar_align: None,
        }
    }

    /// `[P0] typedef [P1] base [P2] name[dims] [P3];` with attributes at each place.
    fn typedef(&mut self) {
        let name = self.fresh("t");
        let record_base = self.chance(5);
        let pointer = !record_base && self.chance(12);
        let mut base = if pointer {
            Known {
                spelling: "void *".to_owned(),
                size: Some(8),
                int_bits: None,
                array_ok: true,
                scalar_align: None,
            }
        } else if record_base {
            let (text, _) = self.record_text(false, 1, true);
            Known { spelling: text, size: None, int_bits: None, array_ok: true, scalar_align: None }
        } else {
            self.base_known()
        };
        let dims = if base.array_ok && self.chance(6) {
            let n = 1 + self.next(3);
            base.size = base.size.map(|s| s * n);
            base.int_bits = None;
            base.scalar_align = None;
            format!("[{n}]")
        } else {
            String::new()
        };
        // The attributes, distributed over the four positions.
        let mode = base.int_bits.is_some_and(|b| b > 1) && base.size.is_some() && self.chance(5);
        let mut attrs = Vec::new();
        let mut size = base.size;
        if mode {
            let (m, bytes) = *self.pick(MODES);
            attrs.push(format!("mode({m})"));
            size = Some(bytes);
        }
        let n_aligned = self.next(4);
        // As an array element every alignment the typedef may get must divide its size.
        let as_element = size.is_some() && self.chance(2);
        for _ in 0..n_aligned {
            let a = if self.chance(8) && !as_element {
                "aligned".to_owned()
            } else {
                self.aligned(if as_element { size } else { None })
            };
            attrs.push(a);
        }
        if self.chance(6) {
            attrs.push("packed".to_owned());
        }
        if self.chance(8) {
            let n = self.pow2(4);
            attrs.push(format!("warn_if_not_aligned({n})"));
        }
        // Shuffle, then split into the four places.
        for i in (1..attrs.len()).rev() {
            let j = self.next(i as u64 + 1) as usize;
            attrs.swap(i, j);
        }
        let mut places: [Vec<String>; 4] = Default::default();
        for a in attrs {
            places[self.next(4) as usize].push(a);
        }
        let [p0, p1, p2, p3] = places;
        let p0 = self.groups(p0);
        let p1 = self.groups(p1);
        let p2 = self.groups(p2);
        let p3 = self.groups(p3);
        let (spelling, star) = match base.spelling.strip_suffix(" *") {
            Some(base) => (base, "*"),
            None => (base.spelling.as_str(), ""),
        };
        let _ = writeln!(self.src, "{p0} typedef{p1} {spelling}{p2} {star}{name}{dims}{p3};");
        // GCC rejects a bitfield of a type with `warn_if_not_aligned`.
        let warns = p0.contains("warn_if")
            || p1.contains("warn_if")
            || p2.contains("warn_if")
            || p3.contains("warn_if");
        let int_bits = match (mode, warns) {
            (_, true) => None,
            (true, false) => size.map(|s| s * 8),
            (false, false) => base.int_bits,
        };
        let known = Known {
            spelling: name.clone(),
            size,
            int_bits,
            // The alignment is the last `aligned` applied, the mode's, or the base's.
            array_ok: if n_aligned > 0 { as_element } else { mode || base.array_ok },
            scalar_align: None,
        };
        // Measure the typedef directly: between two chars.
        let wrapper = self.fresh("w");
        let _ = writeln!(self.src, "struct {wrapper} {{ char c; {name} v; char d; }};");
        self.roots.push(format!("struct {wrapper}"));
        self.typedefs.push(Typedef { known });
    }

    /// A record defined at file scope, checked as a root.
    fn top_record(&mut self) {
        let (text, tag) = self.record_text(true, 0, true);
        let pre = if self.chance(10) {
            // Before the keyword of a declaration without declarators: applies to nothing.
            self.groups(vec!["packed".to_owned()])
        } else {
            String::new()
        };
        let _ = writeln!(self.src, "{pre}{text};");
        let tag = tag.expect("top-level records are tagged");
        self.roots.push(tag);
    }

    /// `struct [attrs] tag { members } [attrs]`, and its `struct tag` when it has a tag.
    fn record_text(&mut self, top: bool, depth: u32, may_tag: bool) -> (String, Option<String>) {
        let kind = if self.chance(4) { "union" } else { "struct" };
        let tagged = top || (may_tag && self.chance(2));
        let tag = tagged.then(|| self.fresh("r"));
        let mut pool = Vec::new();
        if self.chance(3) {
            pool.push("packed".to_owned());
        }
        for _ in 0..self.next(3) {
            if self.chance(6) {
                pool.push("aligned".to_owned());
            } else {
                let a = self.aligned(None);
                pool.push(a);
            }
        }
        if kind == "struct" && self.chance(20) {
            pool.push("designated_init".to_owned());
        }
        let split = self.next(pool.len() as u64 + 1) as usize;
        let before = self.groups(pool[..split].to_vec());
        let after = self.groups(pool[split..].to_vec());
        let mut body = String::new();
        let n = 1 + self.next(6);
        let mut named = 0;
        for i in 0..n {
            let last = i + 1 == n;
            named += self.member(&mut body, depth, last && top && kind == "struct" && named > 0);
        }
        let text = format!("{kind}{before} {} {{\n{body}}}{after}", tag.as_deref().unwrap_or(""));
        let full = tag.as_ref().map(|t| format!("{kind} {t}"));
        if let (Some(full), false) = (&full, top) {
            self.records.push(full.clone());
        }
        (text, full)
    }

    /// One member declaration; returns how many named members it declared. With `flex_ok`, the
    /// member may be a flexible array.
    fn member(&mut self, body: &mut String, depth: u32, flex_ok: bool) -> usize {
        // An anonymous struct or union member; attributes before its keyword apply to nothing.
        if depth < 2 && self.chance(10) {
            let (text, _) = self.record_text(false, depth + 1, false);
            let pre = if self.chance(4) {
                let a = self.aligned(None);
                self.groups(vec![a])
            } else {
                String::new()
            };
            let _ = writeln!(body, "  {pre}{text};");
            return 0;
        }
        let name = self.fresh("m");
        // The member's type.
        let mut known = if depth < 2 && self.chance(8) {
            let (text, _) = self.record_text(false, depth + 1, true);
            Known { spelling: text, size: None, int_bits: None, array_ok: true, scalar_align: None }
        } else if !self.records.is_empty() && self.chance(10) {
            let r = self.pick(&self.records.clone()).clone();
            Known { spelling: r, size: None, int_bits: None, array_ok: true, scalar_align: None }
        } else if self.chance(12) {
            Known {
                spelling: "void *".to_owned(),
                size: Some(8),
                int_bits: None,
                array_ok: true,
                scalar_align: Some(8),
            }
        } else {
            self.base_known()
        };
        let mut dims = String::new();
        let mut bitfield = None;
        if flex_ok && known.array_ok && self.chance(3) {
            dims = "[]".to_owned();
        } else if known.array_ok && self.chance(6) {
            let n = self.next(4);
            dims = format!("[{n}]");
            known.int_bits = None;
            known.scalar_align = None;
        }
        // `mode` on an integer member (a bitfield too) changes its type, not its `aligned`.
        let mut mode = None;
        if let (Some(bits), Some(_), true) = (known.int_bits, known.size, dims.is_empty()) {
            if bits > 1 && self.chance(8) {
                let (m, bytes) = *self.pick(MODES);
                mode = Some(format!("mode({m})"));
                // GCC checks a bitfield's width against the type before the mode; we refuse a
                // width beyond the mode's (GCC lets it straddle), so stay within both.
                known.int_bits = Some((bytes * 8).min(bits));
                known.scalar_align = None;
            }
        }
        if let (Some(bits), true) = (known.int_bits, dims.is_empty()) {
            if self.chance(3) {
                let w = self.next(bits + 1);
                bitfield = Some(w);
            }
        }
        let zero_width = bitfield == Some(0);
        let mut attrs = Vec::new();
        if !zero_width {
            if self.chance(5) {
                attrs.push("packed".to_owned());
            }
            for _ in 0..self.next(3) {
                if self.chance(2) {
                    let a = self.aligned(None);
                    attrs.push(a);
                }
            }
            // (GCC rejects it on a bitfield, and next to an alignment of the member's own.)
            if bitfield.is_none() && attrs.iter().all(|a| !a.contains("aligned")) && self.chance(15)
            {
                attrs.push("warn_if_not_aligned(8)".to_owned());
            }
            if self.chance(15) {
                attrs.push("unused".to_owned());
            }
        }
        attrs.extend(mode);
        for i in (1..attrs.len()).rev() {
            let j = self.next(i as u64 + 1) as usize;
            attrs.swap(i, j);
        }
        let mut places: [Vec<String>; 3] = Default::default();
        for a in attrs {
            places[self.next(3) as usize].push(a);
        }
        let [p0, p1, p2] = places;
        let mut p0 = self.groups(p0);
        let p1 = self.groups(p1);
        let p2 = self.groups(p2);
        let warn = [&p0, &p1, &p2].iter().any(|p| p.contains("warn_if"));
        if let (Some(align), None, true, false) =
            (known.scalar_align, bitfield, dims.is_empty(), warn)
        {
            if self.chance(8) {
                let n = align << self.next(3);
                p0.push_str(&format!(" _Alignas({n})"));
            } else if self.chance(30) {
                p0.push_str(" _Alignas(long double)");
            }
        }
        let (name_text, named) = if zero_width || (bitfield.is_some() && self.chance(6)) {
            (String::new(), 0)
        } else {
            (name.clone(), 1)
        };
        let width = bitfield.map(|w| format!(" : {w}")).unwrap_or_default();
        // Some declarations declare two members with the same specifiers.
        let second = if named == 1 && bitfield.is_none() && dims != "[]" && self.chance(8) {
            let other = self.fresh("m");
            let extra = if !warn && self.chance(2) {
                let a = self.aligned(None);
                self.groups(vec![a])
            } else {
                String::new()
            };
            let star = if known.spelling.ends_with(" *") { "*" } else { "" };
            format!(", {star}{other}{extra}")
        } else {
            String::new()
        };
        // A pointer's `*` belongs to the declarator: the attributes go before it.
        let (spelling, star) = match known.spelling.strip_suffix(" *") {
            Some(base) => (base, "*"),
            None => (known.spelling.as_str(), ""),
        };
        let _ = writeln!(body, "  {p0} {spelling}{p1} {star}{name_text}{dims}{width}{p2}{second};");
        named + usize::from(!second.is_empty())
    }

    /// A declaration with an attribute in a position we do not model.
    fn refusal(&mut self) {
        let tag = self.fresh("x");
        let n = self.pow2(4);
        if self.chance(4) {
            let name = self.fresh("t");
            let _ = writeln!(
                self.src,
                "typedef int {name} __attribute__((vector_size({})));",
                n.max(4)
            );
            let _ = writeln!(self.src, "struct {tag} {{ char c; {name} v; }};");
            self.refusals.push((format!("struct {tag}"), "vector_size", "on a typedef"));
            return;
        }
        let (member, attr, position) = match self.next(3) {
            0 => (
                format!("int v __attribute__((vector_size({})));", n.max(4)),
                "vector_size",
                "on a field or variable",
            ),
            1 => (
                format!("long * __attribute__((aligned({n}))) p;"),
                "aligned",
                "on a pointer declarator",
            ),
            _ => (
                format!("long (__attribute__((aligned({n}))) x);"),
                "aligned",
                "inside a parenthesised declarator",
            ),
        };
        let _ = writeln!(self.src, "struct {tag} {{ char c; {member} }};");
        self.refusals.push((format!("struct {tag}"), attr, position));
    }
}

/// Lays out every root of `gen` with our engine and with gcc-12 and compares them; checks that the
/// refusals are errors naming their attribute and position. Returns the numbers of roots and
/// fields compared and of refusals checked.
fn check_batch(gen: &Gen) -> (usize, usize, usize) {
    if let Some(path) = std::env::var_os("LAYOUT_EXPERT_RANDOM_DUMP") {
        std::fs::write(path, &gen.src).expect("the dump path is writable");
    }
    let (toks, locs) = tokens_from_gcc_e(&gen.src);
    let index = DeclIndex::build(&toks);
    let errors: Vec<String> = index.errors.iter().map(|e| e.render(&locs)).collect();
    assert!(errors.is_empty(), "index errors: {errors:?}");
    let mut resolver = Resolver::new(&toks, &index);
    for (root, attr, position) in &gen.refusals {
        let tag = root.strip_prefix("struct ").unwrap();
        let err = match resolver.record(RecordKind::Struct, tag) {
            Ok(rec) => match resolver.record_layout(&rec) {
                Ok(_) => panic!("{root} was laid out, but it has an unmodelled `{attr}`"),
                Err(e) => e.to_string(),
            },
            Err(e) => e.render(&locs),
        };
        assert!(
            err.contains(&format!("`{attr}`")) && err.contains(position),
            "{root}: the error does not name `{attr}` {position}: {err}"
        );
    }
    // One function per 100 roots keeps gcc's compile time down.
    let mut functions = String::new();
    let mut calls = String::new();
    let mut ours = Vec::with_capacity(gen.roots.len());
    for (i, chunk) in gen.roots.chunks(100).enumerate() {
        let mut body = String::new();
        for root in chunk {
            let rec = resolve(&mut resolver, root).unwrap_or_else(|e| {
                panic!("{root}: {}\n{}", e.render(&locs), case_source(gen, root))
            });
            let layout = layout_of_record(&rec).unwrap_or_else(|e| {
                panic!("our layout of {root} failed: {e}\n{}", case_source(gen, root))
            });
            let mut listing =
                format!("{root} size {} align {}\n", layout.size_bits, layout.align_bits);
            let _ = writeln!(
                body,
                "  printf(\"{root} size %zu align %zu\\n\", sizeof({root}) * 8, _Alignof({root}) * 8);"
            );
            list_fields(&rec, 0, root, &mut body, &mut listing);
            ours.push(listing);
        }
        let _ = writeln!(functions, "static void f{i}(void) {{\n{body}}}");
        let _ = writeln!(calls, "  f{i}();");
    }
    let program = format!(
        "#include <stdio.h>\n#include <string.h>\n#include <stddef.h>\n{}\n{functions}int main(void) {{\n{calls}  return 0;\n}}\n",
        gen.src
    );
    let gcc = run_gcc(&program);
    // Compare root by root, so a failure shows the one case that differs.
    let mut rest = gcc.as_str();
    for (root, listing) in gen.roots.iter().zip(&ours) {
        let n_lines = listing.lines().count();
        let split = rest.match_indices('\n').nth(n_lines - 1).map_or(rest.len(), |(i, _)| i + 1);
        let (theirs, tail) = rest.split_at(split);
        assert_eq!(
            listing.as_str(),
            theirs,
            "our layout of {root} differs from gcc-12's:\n{}",
            case_source(gen, root)
        );
        rest = tail;
    }
    assert!(rest.is_empty(), "gcc printed more than we did: {rest}");
    let fields = ours.iter().map(|l| l.lines().count() - 1).sum();
    (gen.roots.len(), fields, gen.refusals.len())
}

fn resolve(
    resolver: &mut Resolver<'_>,
    root: &str,
) -> Result<std::sync::Arc<RecordTy>, crate::decl::DeclError> {
    let (kind, tag) = match root.split_once(' ') {
        Some(("union", tag)) => (RecordKind::Union, tag),
        Some((_, tag)) => (RecordKind::Struct, tag),
        None => unreachable!("roots are `struct tag` or `union tag`"),
    };
    resolver.record(kind, tag)
}

/// The source of the case that defines `root`, and the definitions of the earlier typedefs,
/// records and enums it names, for a failure message.
fn case_source(gen: &Gen, root: &str) -> String {
    let Some(idx) = gen.roots.iter().position(|r| r == root) else {
        return String::new();
    };
    let case = gen.cases.partition_point(|c| c.1 <= idx) - 1;
    let start = gen.cases[case].0;
    let end = gen.cases.get(case + 1).map_or(gen.src.len(), |c| c.0);
    let text = &gen.src[start..end];
    let earlier = &gen.src[..start];
    let mut out = String::new();
    let mut names: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| {
            w.len() > 1
                && matches!(w.as_bytes()[0], b't' | b'r' | b'e')
                && w[1..].bytes().all(|b| b.is_ascii_digit())
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let defined_here =
            text.contains(&format!(" {name} {{")) || text.contains(&format!(" {name};"));
        if defined_here {
            continue;
        }
        if let Some(line) = earlier.lines().find(|l| {
            l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|w| w == name)
        }) {
            let _ = writeln!(out, "{line}");
        }
    }
    format!("(earlier definitions it uses, first lines:)\n{out}(the case:)\n{text}")
}
