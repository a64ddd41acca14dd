//! DWARF-reader fixture tests: small C files with the constructs layout engines get wrong are
//! compiled with plain `gcc-12 -g -c`, in both DWARF 4 and DWARF 5, and read with
//! `xtask::dwarf::read_object`. The expected layouts come from GCC independently of the reader:
//! the same fixture, built as a program, prints `sizeof`, `offsetof` and (for bitfields) the bit
//! position found at run time by setting the field to all ones in a zeroed object.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::layout_json::{Layouts, Record};
use xtask::util::{self, TempDir};

/// One expected or observed field: flattened path, absolute bit offset, bit size, bitfield.
type FlatField = (String, u64, u64, bool);

#[derive(Debug, Default, PartialEq, Eq)]
struct Expected {
    records: BTreeMap<String, (u64, Vec<FlatField>)>,
    enums: BTreeMap<String, (u64, Vec<(String, i128)>)>,
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/layout")
}

/// Runs the fixture as a program and parses what it prints.
fn expected(name: &str, dir: &Path) -> Expected {
    let exe = dir.join(name.replace(".c", ""));
    util::run(
        Command::new("gcc-12")
            .arg("-std=gnu11")
            .arg("-I")
            .arg(fixture_dir())
            .arg("-o")
            .arg(&exe)
            .arg(fixture_dir().join(name)),
    )
    .unwrap();
    let out = util::run_stdout(&mut Command::new(&exe)).unwrap();
    let mut res = Expected::default();
    for line in out.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let num = |i: usize| cols[i].parse::<u64>().unwrap_or_else(|e| panic!("{line}: {e}"));
        match cols[0] {
            "R" => {
                res.records.insert(cols[1].to_owned(), (num(2), Vec::new()));
            }
            "F" => res.records.get_mut(cols[1]).unwrap().1.push((
                cols[2].to_owned(),
                num(3),
                num(4),
                cols[5] == "1",
            )),
            "E" => {
                res.enums.insert(cols[1].to_owned(), (num(2), Vec::new()));
            }
            "C" => {
                let value: i128 = cols[3].parse().unwrap();
                res.enums.get_mut(cols[1]).unwrap().1.push((cols[2].to_owned(), value));
            }
            _ => panic!("{name}: unexpected line from the fixture program: {line}"),
        }
    }
    res
}

/// Flattens a record into the paths C can name: fields of anonymous members appear with the
/// outer offsets; a named field of anonymous record type appears, then its fields as `name.x`.
fn flatten(record: &Record, prefix: &str, base_bits: u64, out: &mut Vec<FlatField>) {
    for field in &record.fields {
        let offset = base_bits + field.offset_bits;
        match (&field.name, &field.record) {
            (None, Some(inner)) => flatten(inner, prefix, offset, out),
            (None, None) => panic!("anonymous field without a record: {field:?}"),
            (Some(name), inner) => {
                let path = format!("{prefix}{name}");
                out.push((path.clone(), offset, field.bit_size, field.bitfield));
                let direct = field.ty == "struct <anonymous>" || field.ty == "union <anonymous>";
                if let (true, Some(inner)) = (direct, inner) {
                    flatten(inner, &format!("{path}."), offset, out);
                }
            }
        }
    }
}

fn observed(layouts: &Layouts) -> Expected {
    let mut res = Expected::default();
    for (key, record) in &layouts.records {
        let mut fields = Vec::new();
        flatten(record, "", 0, &mut fields);
        res.records.insert(key.clone(), (record.size_bits, fields));
    }
    for (key, value) in &layouts.enums {
        res.enums.insert(key.clone(), (value.size_bits, value.constants.0.clone()));
    }
    res
}

fn read_fixture(name: &str, dir: &Path, dwarf_version: u16) -> Layouts {
    let object = dir.join(format!("{}-dwarf{dwarf_version}.o", name.replace(".c", "")));
    util::run(
        Command::new("gcc-12")
            .arg("-std=gnu11")
            .arg("-g")
            .arg(format!("-gdwarf-{dwarf_version}"))
            .arg("-O2")
            .arg("-c")
            .arg("-I")
            .arg(fixture_dir())
            .arg("-o")
            .arg(&object)
            .arg(fixture_dir().join(name)),
    )
    .unwrap();
    let layouts = xtask::dwarf::read_object(&util::read(&object).unwrap()).unwrap();
    assert_eq!(layouts.dwarf_version, Some(dwarf_version));
    layouts
}

/// Compares the reader with the running program for both DWARF versions; returns the DWARF 5
/// layouts for further checks.
fn check(name: &str) -> Layouts {
    let dir = TempDir::new("dwarf-fixture").unwrap();
    let want = expected(name, dir.path());
    assert!(!want.records.is_empty() || !want.enums.is_empty(), "{name} printed nothing");
    let mut last = None;
    for dwarf_version in [4, 5] {
        let layouts = read_fixture(name, dir.path(), dwarf_version);
        let got = observed(&layouts);
        assert_eq!(
            got.records.keys().collect::<Vec<_>>(),
            want.records.keys().collect::<Vec<_>>(),
            "{name} DWARF {dwarf_version}: record keys"
        );
        for (key, want_record) in &want.records {
            assert_eq!(&got.records[key], want_record, "{name} DWARF {dwarf_version}: {key}");
        }
        assert_eq!(got.enums, want.enums, "{name} DWARF {dwarf_version}: enums");
        last = Some(layouts);
    }
    last.unwrap()
}

fn field_types(layouts: &Layouts, key: &str) -> Vec<(String, String)> {
    layouts.records[key]
        .fields
        .iter()
        .map(|f| (f.name.clone().unwrap_or_else(|| "<anon>".to_owned()), f.ty.clone()))
        .collect()
}

#[test]
fn bitfields() {
    let layouts = check("bitfields.c");
    assert_eq!(layouts.records["struct bf_signed_enum"].fields[0].ty, "enum bf_small");
}

#[test]
fn anonymous_members() {
    let layouts = check("anonymous.c");
    let outer = &layouts.records["struct an_outer"];
    let arr = outer.fields.iter().find(|f| f.name.as_deref() == Some("arr")).unwrap();
    assert_eq!(arr.ty, "struct <anonymous>[2]");
    assert_eq!(arr.record.as_ref().map(|r| r.fields.len()), Some(2));
    let ptr = outer.fields.iter().find(|f| f.name.as_deref() == Some("ptr")).unwrap();
    assert_eq!(ptr.ty, "struct <anonymous> *");
    assert_eq!(ptr.record.as_ref().map(|r| r.size_bits), Some(64));
    assert_eq!(outer.fields[1].name, None);
    assert_eq!(outer.fields[1].ty, "union <anonymous>");
    let atomic = layouts.records["union an_union"]
        .fields
        .iter()
        .find(|f| f.name.as_deref() == Some("atomic"))
        .unwrap();
    assert_eq!((atomic.ty.as_str(), atomic.record.is_none()), ("an_atomic_t", true));
    assert_eq!(layouts.typedefs["an_atomic_t"], "struct <anonymous>");
    assert_eq!(layouts.declarations, ["struct an_opaque"]);
}

#[test]
fn arrays_and_function_pointers() {
    let layouts = check("arrays.c");
    let types = field_types(&layouts, "struct ar_arrays");
    let want = [
        ("name", "char[13]"),
        ("grid", "int[2][3]"),
        ("cube", "long int[2][2][2]"),
        ("ptrs", "char *[4]"),
        ("ptr_to_array", "int[4] *"),
        ("inners", "struct ar_inner[3]"),
        // GCC folds an array of a typedef'd array into one multi-dimensional array type.
        ("rows", "int[2][3]"),
        ("callback", "fn *"),
        ("callbacks", "fn *[2]"),
        ("opaque", "void *"),
        ("cv", "short unsigned int"),
        ("zero", "int[0]"),
        ("tail_zero", "long int[0]"),
    ];
    let want: Vec<(String, String)> =
        want.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
    assert_eq!(types, want);
    assert_eq!(field_types(&layouts, "struct ar_flex")[1].1, "long int[]");
    assert_eq!(field_types(&layouts, "struct ar_flex2")[1].1, "int[][3]");
}

#[test]
fn packed_and_aligned() {
    let layouts = check("packed_aligned.c");
    let types = field_types(&layouts, "struct pa_wide");
    assert_eq!(types[1].1, "__int128");
    assert_eq!(types[3].1, "long double");
    assert_eq!(types[4].1, "__int128 unsigned");
}

#[test]
fn enums() {
    let layouts = check("enums.c");
    let types = field_types(&layouts, "struct en_user");
    assert_eq!(types[0].1, "enum en_packed");
    assert_eq!(types[1].1, "en_typedef_t");
    assert_eq!(types[4].1, "enum <anonymous:EI_ONE>");
}
