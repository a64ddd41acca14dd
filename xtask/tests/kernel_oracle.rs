//! The oracle and the conformance harness on the five real Debian kernel trees (unpacked into
//! `target/kernels/` on first use; the oracle's JSON is cached under `target/oracle/`).
//!
//! Until layout-expert's `make-profile` exists, the "ours" side of the conformance run is a stand-in
//! (the same target compiled with `-gdwarf-4`): this checks the harness end to end and the DWARF
//! reader's two bitfield encodings against each other on real kernel structs. A second test checks
//! the oracle's numbers with GCC itself: every size and byte offset it reports is turned into a
//! `_Static_assert` on `sizeof`/`offsetof` and compiled against the same tree.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use xtask::layout_json::{Layouts, Record};
use xtask::{conformance, kernels, oracle, util};

/// The built-in target `targets/forensics.c` once it exists, else the oracle's own probe.
fn probe() -> PathBuf {
    oracle::default_source()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/probe.c"))
}

#[test]
fn conformance_stand_in_on_debian_trees() {
    let trees = kernels::debian_trees().unwrap();
    assert_eq!(trees.len(), 5);
    let mut reports = Vec::new();
    for tree in &trees {
        let (ours, gcc) = conformance::stand_in(&tree.path, &probe()).unwrap();
        assert_eq!(gcc.dwarf_version, Some(5), "{}", tree.name);
        assert_eq!(ours.dwarf_version, Some(4), "{}", tree.name);
        // Both targets include linux/sched.h, linux/fs.h and net/sock.h: hundreds of records.
        assert!(gcc.records.len() > 400, "{}: only {} records", tree.name, gcc.records.len());
        assert!(gcc.records.contains_key("struct task_struct"), "{}", tree.name);
        let report = conformance::compare(&ours, &gcc);
        reports.push(conformance::TreeReport { tree: tree.name.clone(), report });
    }
    let table = conformance::render(&reports, 20);
    for r in &reports {
        assert!(r.report.is_clean(), "{table}");
        assert!(r.report.type_differences.is_empty(), "{table}");
        assert!(r.report.fields_compared > 4000, "{table}");
    }
}

/// One `_Static_assert` per size and per byte-aligned named field of every record.
fn static_asserts(layouts: &Layouts) -> (String, usize) {
    let mut out = String::new();
    let mut n = 0;
    for (key, record) in &layouts.records {
        writeln!(
            out,
            "_Static_assert(sizeof({key}) * 8 == {}, \"sizeof({key})\");",
            record.size_bits
        )
        .unwrap();
        n += 1;
        let mut fields = Vec::new();
        flatten(record, "", 0, &mut fields);
        for (path, offset_bits, bit_size, ty) in fields {
            writeln!(
                out,
                "_Static_assert(__builtin_offsetof({key}, {path}) * 8 == {offset_bits}, \"offsetof({key}, {path})\");"
            )
            .unwrap();
            n += 1;
            if !ty.ends_with("[]") {
                writeln!(
                    out,
                    "_Static_assert(sizeof((({key} *)0)->{path}) * 8 == {bit_size}, \"sizeof {key}.{path}\");"
                )
                .unwrap();
                n += 1;
            }
        }
    }
    (out, n)
}

/// Named non-bitfield fields as C member designators, with absolute offsets.
fn flatten(
    record: &Record,
    prefix: &str,
    base_bits: u64,
    out: &mut Vec<(String, u64, u64, String)>,
) {
    for field in &record.fields {
        let offset = base_bits + field.offset_bits;
        match (&field.name, &field.record) {
            (None, Some(inner)) => flatten(inner, prefix, offset, out),
            (None, None) => {}
            (Some(name), inner) => {
                let path = format!("{prefix}{name}");
                if !field.bitfield {
                    out.push((path.clone(), offset, field.bit_size, field.ty.clone()));
                }
                let direct = field.ty == "struct <anonymous>" || field.ty == "union <anonymous>";
                if let (true, Some(inner)) = (direct, inner) {
                    flatten(inner, &format!("{path}."), offset, out);
                }
            }
        }
    }
}

#[test]
fn oracle_numbers_hold_as_static_asserts() {
    let trees = kernels::debian_trees().unwrap();
    for tree in trees.iter().filter(|t| t.name == "6.1-amd64" || t.name == "6.12-amd64") {
        let outcome = oracle::run(&oracle::Request {
            tree: tree.path.clone(),
            source: probe(),
            extra_cflags: Vec::new(),
        })
        .unwrap();
        let (asserts, n) = static_asserts(&outcome.layouts);
        assert!(n > 5000, "{}: only {n} asserts", tree.name);
        let dir = util::TempDir::new("static-asserts").unwrap();
        let source = dir.path().join("asserts.c");
        let text = format!("{}\n{asserts}", util::read_to_string(&probe()).unwrap());
        util::write(&source, text).unwrap();
        // A false assertion fails the compile, and the error names the record and field.
        oracle::build_module(&tree.path, &source, &[]).unwrap();
    }
}

#[test]
fn preprocess_uses_kbuild_flags() {
    let trees = kernels::debian_trees().unwrap();
    let tree = trees.iter().find(|t| t.name == "6.12-amd64").unwrap();
    let dir = util::TempDir::new("preprocess-test").unwrap();
    let out = dir.path().join("probe.i");
    let command = oracle::preprocess(&tree.path, &probe(), &out).unwrap();
    assert!(command.contains(&format!(" -E -o {} ", out.display())), "{command}");
    assert!(!command.contains("-MMD") && !command.contains(" -c "), "{command}");
    assert!(command.contains("-include ") && command.contains("-D__KERNEL__"), "{command}");
    let text = util::read_to_string(&out).unwrap();
    // The forced include and the tree's generated config were both seen.
    assert!(
        text.contains("struct task_struct {"),
        "no task_struct definition in {}",
        out.display()
    );
    assert!(
        text.contains("include/generated/autoconf.h\""),
        "autoconf.h not read in {}",
        out.display()
    );
}
