//! The conformance harness: compares two canonical layout documents (ours and GCC's) field by
//! field and reports every difference.
//!
//! Layout differences are: a record GCC has and we lack (or the reverse), a different kind
//! (struct/union) or size, and per field, compared in declaration order and recursively into
//! anonymous records: a different name (which is how a different order shows), offset, bit size
//! or bitfield flag, a missing or extra field, a missing or extra nested record. Enum differences
//! (a missing or extra enum, a different size or constant list) are listed next to them. Both
//! kinds fail a run. Type-string differences are listed separately and do not fail it: the type
//! strings are a naming convention, the offsets are the promise.
//!
//! Counting: every field of every GCC record (nested fields included) is one field compared; it is
//! equal when our field at the same position has the same name, offset, bit size and bitfield flag.
//! The fields of a record we lack are compared and unequal.

use std::fmt;
use std::path::Path;

use crate::layout_json::{Enum, Field, Layouts, Record};
use crate::oracle;
use crate::util::Result;

/// The result of comparing ours with GCC's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Records in our document.
    pub records_ours: usize,
    /// Records in GCC's document.
    pub records_gcc: usize,
    /// GCC fields compared (all of them, nested ones included).
    pub fields_compared: usize,
    /// GCC fields that we reproduce exactly.
    pub fields_equal: usize,
    /// Layout differences, in record-key order.
    pub differences: Vec<Difference>,
    /// Enum differences.
    pub enum_differences: Vec<Difference>,
    /// Type-string differences (reported, not failing).
    pub type_differences: Vec<Difference>,
}

/// One difference: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The record (or enum) key.
    pub record: String,
    /// The field path inside the record (`a.<anonymous#2>.b`), if the difference is in a field.
    pub field: Option<String>,
    /// What differs.
    pub kind: DifferenceKind,
}

/// What differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DifferenceKind {
    /// GCC has the record (or enum), we do not.
    MissingRecord,
    /// We have a record (or enum) GCC does not.
    ExtraRecord,
    /// Struct versus union.
    Kind { ours: String, gcc: String },
    /// Record or enum size in bits.
    Size { ours: u64, gcc: u64 },
    /// The field at this position has another name (fields out of order, or renamed).
    Name { ours: Option<String>, gcc: Option<String> },
    /// Field bit offset.
    Offset { ours: u64, gcc: u64 },
    /// Field bit size.
    BitSize { ours: u64, gcc: u64 },
    /// Bitfield flag.
    Bitfield { ours: bool, gcc: bool },
    /// GCC has a field at this position, we do not.
    MissingField,
    /// We have a field at this position, GCC does not.
    ExtraField,
    /// GCC's field has a nested anonymous record, ours does not.
    MissingNestedRecord,
    /// Our field has a nested anonymous record, GCC's does not.
    ExtraNestedRecord,
    /// Enumerators differ.
    Constants { ours: String, gcc: String },
    /// Field type strings differ.
    Type { ours: String, gcc: String },
}

impl Report {
    /// No layout or enum difference.
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty() && self.enum_differences.is_empty()
    }

    /// `fields_equal / fields_compared` in percent (100 when nothing was compared).
    pub fn percent(&self) -> f64 {
        if self.fields_compared == 0 {
            100.0
        } else {
            self.fields_equal as f64 * 100.0 / self.fields_compared as f64
        }
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.record)?;
        if let Some(field) = &self.field {
            write!(f, " field {field}")?;
        }
        write!(f, ": ")?;
        match &self.kind {
            DifferenceKind::MissingRecord => write!(f, "missing in ours (GCC has it)"),
            DifferenceKind::ExtraRecord => write!(f, "extra in ours (GCC does not have it)"),
            DifferenceKind::Kind { ours, gcc } => write!(f, "kind ours {ours} vs GCC {gcc}"),
            DifferenceKind::Size { ours, gcc } => write!(f, "size_bits ours {ours} vs GCC {gcc}"),
            DifferenceKind::Name { ours, gcc } => write!(
                f,
                "name ours {} vs GCC {} (order differs?)",
                ours.as_deref().unwrap_or("<anonymous>"),
                gcc.as_deref().unwrap_or("<anonymous>")
            ),
            DifferenceKind::Offset { ours, gcc } => {
                write!(f, "offset_bits ours {ours} vs GCC {gcc}")
            }
            DifferenceKind::BitSize { ours, gcc } => write!(f, "bit_size ours {ours} vs GCC {gcc}"),
            DifferenceKind::Bitfield { ours, gcc } => {
                write!(f, "bitfield ours {ours} vs GCC {gcc}")
            }
            DifferenceKind::MissingField => write!(f, "missing in ours"),
            DifferenceKind::ExtraField => write!(f, "extra in ours"),
            DifferenceKind::MissingNestedRecord => {
                write!(f, "GCC has a nested anonymous record, ours not")
            }
            DifferenceKind::ExtraNestedRecord => {
                write!(f, "ours has a nested anonymous record, GCC not")
            }
            DifferenceKind::Constants { ours, gcc } => {
                write!(f, "constants ours {ours} vs GCC {gcc}")
            }
            DifferenceKind::Type { ours, gcc } => write!(f, "type ours `{ours}` vs GCC `{gcc}`"),
        }
    }
}

/// Compares our layouts with GCC's.
pub fn compare(ours: &Layouts, gcc: &Layouts) -> Report {
    let mut report = Report {
        records_ours: ours.records.len(),
        records_gcc: gcc.records.len(),
        ..Report::default()
    };
    for (key, gcc_record) in &gcc.records {
        match ours.records.get(key) {
            Some(our_record) => compare_record(&mut report, key, "", our_record, gcc_record),
            None => {
                report.fields_compared += gcc_record.field_count();
                report.differences.push(Difference {
                    record: key.clone(),
                    field: None,
                    kind: DifferenceKind::MissingRecord,
                });
            }
        }
    }
    for key in ours.records.keys().filter(|k| !gcc.records.contains_key(*k)) {
        report.differences.push(Difference {
            record: key.clone(),
            field: None,
            kind: DifferenceKind::ExtraRecord,
        });
    }
    for (key, gcc_enum) in &gcc.enums {
        match ours.enums.get(key) {
            Some(our_enum) => compare_enum(&mut report, key, our_enum, gcc_enum),
            None => report.enum_differences.push(Difference {
                record: key.clone(),
                field: None,
                kind: DifferenceKind::MissingRecord,
            }),
        }
    }
    for key in ours.enums.keys().filter(|k| !gcc.enums.contains_key(*k)) {
        report.enum_differences.push(Difference {
            record: key.clone(),
            field: None,
            kind: DifferenceKind::ExtraRecord,
        });
    }
    // Report records in key order, with record-level differences before field ones.
    report.differences.sort_by(|a, b| a.record.cmp(&b.record));
    report
}

fn compare_enum(report: &mut Report, key: &str, ours: &Enum, gcc: &Enum) {
    if ours.size_bits != gcc.size_bits {
        report.enum_differences.push(Difference {
            record: key.to_owned(),
            field: None,
            kind: DifferenceKind::Size { ours: ours.size_bits, gcc: gcc.size_bits },
        });
    }
    if ours.constants != gcc.constants {
        let show = |e: &Enum| {
            e.constants.0.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join(", ")
        };
        report.enum_differences.push(Difference {
            record: key.to_owned(),
            field: None,
            kind: DifferenceKind::Constants { ours: show(ours), gcc: show(gcc) },
        });
    }
}

fn compare_record(report: &mut Report, key: &str, prefix: &str, ours: &Record, gcc: &Record) {
    let diff = |kind| Difference {
        record: key.to_owned(),
        field: if prefix.is_empty() { None } else { Some(prefix.trim_end_matches('.').to_owned()) },
        kind,
    };
    if ours.kind != gcc.kind {
        report.differences.push(diff(DifferenceKind::Kind {
            ours: ours.kind.keyword().to_owned(),
            gcc: gcc.kind.keyword().to_owned(),
        }));
    }
    if ours.size_bits != gcc.size_bits {
        report
            .differences
            .push(diff(DifferenceKind::Size { ours: ours.size_bits, gcc: gcc.size_bits }));
    }
    let n = ours.fields.len().max(gcc.fields.len());
    for i in 0..n {
        match (ours.fields.get(i), gcc.fields.get(i)) {
            (Some(o), Some(g)) => compare_field(report, key, prefix, i, o, g),
            (None, Some(g)) => {
                report.fields_compared += 1 + g.record.as_ref().map_or(0, |r| r.field_count());
                report.differences.push(field_diff(
                    key,
                    prefix,
                    i,
                    g,
                    DifferenceKind::MissingField,
                ));
            }
            (Some(o), None) => {
                report.differences.push(field_diff(key, prefix, i, o, DifferenceKind::ExtraField))
            }
            (None, None) => {}
        }
    }
}

fn field_path(prefix: &str, index: usize, field: &Field) -> String {
    match &field.name {
        Some(name) => format!("{prefix}{name}"),
        None => format!("{prefix}<anonymous#{index}>"),
    }
}

fn field_diff(
    key: &str,
    prefix: &str,
    index: usize,
    field: &Field,
    kind: DifferenceKind,
) -> Difference {
    Difference { record: key.to_owned(), field: Some(field_path(prefix, index, field)), kind }
}

fn compare_field(
    report: &mut Report,
    key: &str,
    prefix: &str,
    index: usize,
    ours: &Field,
    gcc: &Field,
) {
    report.fields_compared += 1;
    let mut kinds = Vec::new();
    if ours.name != gcc.name {
        kinds.push(DifferenceKind::Name { ours: ours.name.clone(), gcc: gcc.name.clone() });
    }
    if ours.offset_bits != gcc.offset_bits {
        kinds.push(DifferenceKind::Offset { ours: ours.offset_bits, gcc: gcc.offset_bits });
    }
    if ours.bit_size != gcc.bit_size {
        kinds.push(DifferenceKind::BitSize { ours: ours.bit_size, gcc: gcc.bit_size });
    }
    if ours.bitfield != gcc.bitfield {
        kinds.push(DifferenceKind::Bitfield { ours: ours.bitfield, gcc: gcc.bitfield });
    }
    if kinds.is_empty() {
        report.fields_equal += 1;
    }
    for kind in kinds {
        report.differences.push(field_diff(key, prefix, index, gcc, kind));
    }
    if ours.ty != gcc.ty {
        report.type_differences.push(field_diff(
            key,
            prefix,
            index,
            gcc,
            DifferenceKind::Type { ours: ours.ty.clone(), gcc: gcc.ty.clone() },
        ));
    }
    let nested_prefix = format!("{}.", field_path(prefix, index, gcc));
    match (&ours.record, &gcc.record) {
        (Some(o), Some(g)) => compare_record(report, key, &nested_prefix, o, g),
        (None, Some(g)) => {
            report.fields_compared += g.field_count();
            report.differences.push(field_diff(
                key,
                prefix,
                index,
                gcc,
                DifferenceKind::MissingNestedRecord,
            ));
        }
        (Some(_), None) => report.differences.push(field_diff(
            key,
            prefix,
            index,
            gcc,
            DifferenceKind::ExtraNestedRecord,
        )),
        (None, None) => {}
    }
}

/// One tree's comparison, for the table.
#[derive(Debug, Clone)]
pub struct TreeReport {
    /// The tree's short name or path.
    pub tree: String,
    /// The comparison.
    pub report: Report,
}

/// The stand-in for layout-expert's output until the engine exists: the same target compiled by
/// the same kbuild with `-gdwarf-4` instead of DWARF 5. It exercises the whole harness on real
/// kernels and cross-checks the reader's two bit-offset encodings; it says nothing about the
/// engine. Returns (stand-in, GCC).
pub fn stand_in(tree: &Path, source: &Path) -> Result<(Layouts, Layouts)> {
    let gcc = oracle::run(&oracle::Request {
        tree: tree.to_path_buf(),
        source: source.to_path_buf(),
        extra_cflags: Vec::new(),
    })?;
    let mut ours = oracle::run(&oracle::Request {
        tree: tree.to_path_buf(),
        source: source.to_path_buf(),
        extra_cflags: vec!["-gdwarf-4".to_owned()],
    })?;
    ours.layouts.producer = "stand-in: gcc -gdwarf-4 (NOT layout-expert)".to_owned();
    Ok((ours.layouts, gcc.layouts))
}

/// The summary table and the first `max_differences` differences of each tree, as text.
pub fn render(reports: &[TreeReport], max_differences: usize) -> String {
    let mut out = String::new();
    let width = reports.iter().map(|t| t.tree.len()).max().unwrap_or(0).max(4);
    out.push_str(&format!(
        "{:<width$} {:>17} {:>15} {:>12} {:>8}\n",
        "tree", "records ours/GCC", "fields compared", "fields equal", "percent"
    ));
    for tree in reports {
        let r = &tree.report;
        out.push_str(&format!(
            "{:<width$} {:>17} {:>15} {:>12} {:>7.2}%\n",
            tree.tree,
            format!("{}/{}", r.records_ours, r.records_gcc),
            r.fields_compared,
            r.fields_equal,
            r.percent()
        ));
    }
    for tree in reports {
        let r = &tree.report;
        for (title, list) in [
            ("layout differences", &r.differences),
            ("enum differences", &r.enum_differences),
            ("type-string differences (not failing)", &r.type_differences),
        ] {
            if list.is_empty() {
                continue;
            }
            out.push_str(&format!("\n{}: {} {title}", tree.tree, list.len()));
            if list.len() > max_differences {
                out.push_str(&format!(", the first {max_differences}"));
            }
            out.push_str(":\n");
            for d in list.iter().take(max_differences) {
                out.push_str(&format!("  {d}\n"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout_json::{Constants, RecordKind};

    fn field(name: Option<&str>, offset_bits: u64, bit_size: u64, ty: &str) -> Field {
        Field {
            name: name.map(str::to_owned),
            offset_bits,
            bit_size,
            bitfield: false,
            ty: ty.to_owned(),
            record: None,
        }
    }

    /// GCC's side: `struct s { int a; union { int b; char c; }; long d; }`, `struct t`, an enum.
    fn gcc() -> Layouts {
        let mut layouts = Layouts::new("gcc-dwarf");
        let inner = Record {
            kind: RecordKind::Union,
            size_bits: 32,
            fields: vec![field(Some("b"), 0, 32, "int"), field(Some("c"), 0, 8, "char")],
        };
        let mut anon = field(None, 32, 32, "union <anonymous>");
        anon.record = Some(Box::new(inner));
        layouts.records.insert(
            "struct s".to_owned(),
            Record {
                kind: RecordKind::Struct,
                size_bits: 128,
                fields: vec![
                    field(Some("a"), 0, 32, "int"),
                    anon,
                    field(Some("d"), 64, 64, "long int"),
                ],
            },
        );
        layouts.records.insert(
            "struct t".to_owned(),
            Record {
                kind: RecordKind::Struct,
                size_bits: 8,
                fields: vec![field(Some("x"), 0, 8, "char")],
            },
        );
        layouts.enums.insert(
            "enum e".to_owned(),
            Enum {
                size_bits: 32,
                constants: Constants(vec![("E_A".to_owned(), 0), ("E_B".to_owned(), 1)]),
            },
        );
        layouts
    }

    fn s(layouts: &mut Layouts) -> &mut Record {
        layouts.records.get_mut("struct s").unwrap()
    }

    fn kinds(report: &Report) -> Vec<(String, Option<String>, DifferenceKind)> {
        report
            .differences
            .iter()
            .map(|d| (d.record.clone(), d.field.clone(), d.kind.clone()))
            .collect()
    }

    #[test]
    fn identical_is_clean() {
        let report = compare(&gcc(), &gcc());
        assert!(report.is_clean(), "{report:?}");
        assert_eq!((report.records_ours, report.records_gcc), (2, 2));
        assert_eq!((report.fields_compared, report.fields_equal), (6, 6));
        assert!(report.type_differences.is_empty());
    }

    #[test]
    fn missing_record() {
        let mut ours = gcc();
        ours.records.remove("struct t");
        let report = compare(&ours, &gcc());
        assert_eq!(
            kinds(&report),
            vec![("struct t".to_owned(), None, DifferenceKind::MissingRecord)]
        );
        assert_eq!((report.fields_compared, report.fields_equal), (6, 5));
        assert!(!report.is_clean());
    }

    #[test]
    fn extra_record() {
        let mut ours = gcc();
        ours.records.insert(
            "struct u".to_owned(),
            Record { kind: RecordKind::Struct, size_bits: 0, fields: vec![] },
        );
        let report = compare(&ours, &gcc());
        assert_eq!(
            kinds(&report),
            vec![("struct u".to_owned(), None, DifferenceKind::ExtraRecord)]
        );
        assert_eq!((report.fields_compared, report.fields_equal), (6, 6));
    }

    #[test]
    fn size_and_kind() {
        let mut ours = gcc();
        s(&mut ours).size_bits = 192;
        s(&mut ours).kind = RecordKind::Union;
        let report = compare(&ours, &gcc());
        assert_eq!(
            kinds(&report),
            vec![
                (
                    "struct s".to_owned(),
                    None,
                    DifferenceKind::Kind { ours: "union".to_owned(), gcc: "struct".to_owned() }
                ),
                ("struct s".to_owned(), None, DifferenceKind::Size { ours: 192, gcc: 128 }),
            ]
        );
    }

    #[test]
    fn offset_bit_size_and_bitfield() {
        let mut ours = gcc();
        s(&mut ours).fields[2].offset_bits = 96;
        s(&mut ours).fields[0].bit_size = 3;
        s(&mut ours).fields[0].bitfield = true;
        let report = compare(&ours, &gcc());
        assert_eq!(
            kinds(&report),
            vec![
                (
                    "struct s".to_owned(),
                    Some("a".to_owned()),
                    DifferenceKind::BitSize { ours: 3, gcc: 32 }
                ),
                (
                    "struct s".to_owned(),
                    Some("a".to_owned()),
                    DifferenceKind::Bitfield { ours: true, gcc: false }
                ),
                (
                    "struct s".to_owned(),
                    Some("d".to_owned()),
                    DifferenceKind::Offset { ours: 96, gcc: 64 }
                ),
            ]
        );
        assert_eq!((report.fields_compared, report.fields_equal), (6, 4));
    }

    #[test]
    fn field_order() {
        let mut ours = gcc();
        s(&mut ours).fields.swap(0, 2);
        let report = compare(&ours, &gcc());
        let names: Vec<_> = kinds(&report)
            .into_iter()
            .filter(|(_, _, k)| matches!(k, DifferenceKind::Name { .. }))
            .map(|(_, f, _)| f.unwrap())
            .collect();
        assert_eq!(names, vec!["a", "d"]);
        assert_eq!(report.fields_equal, 4);
    }

    #[test]
    fn missing_and_extra_fields() {
        let mut ours = gcc();
        s(&mut ours).fields.pop();
        let report = compare(&ours, &gcc());
        assert_eq!(
            kinds(&report),
            vec![("struct s".to_owned(), Some("d".to_owned()), DifferenceKind::MissingField)]
        );
        assert_eq!((report.fields_compared, report.fields_equal), (6, 5));
        let report = compare(&gcc(), &ours);
        assert_eq!(
            kinds(&report),
            vec![("struct s".to_owned(), Some("d".to_owned()), DifferenceKind::ExtraField)]
        );
    }

    #[test]
    fn nested_anonymous_field() {
        let mut ours = gcc();
        s(&mut ours).fields[1].record.as_mut().unwrap().fields[1].bit_size = 16;
        let report = compare(&ours, &gcc());
        assert_eq!(
            kinds(&report),
            vec![(
                "struct s".to_owned(),
                Some("<anonymous#1>.c".to_owned()),
                DifferenceKind::BitSize { ours: 16, gcc: 8 }
            )]
        );
        assert_eq!((report.fields_compared, report.fields_equal), (6, 5));
        let mut ours = gcc();
        s(&mut ours).fields[1].record = None;
        let report = compare(&ours, &gcc());
        assert_eq!(
            kinds(&report),
            vec![(
                "struct s".to_owned(),
                Some("<anonymous#1>".to_owned()),
                DifferenceKind::MissingNestedRecord
            )]
        );
        assert_eq!((report.fields_compared, report.fields_equal), (6, 4));
    }

    #[test]
    fn type_strings_are_reported_separately() {
        let mut ours = gcc();
        s(&mut ours).fields[2].ty = "long".to_owned();
        let report = compare(&ours, &gcc());
        assert!(report.is_clean());
        assert_eq!(report.type_differences.len(), 1);
        assert_eq!(
            report.type_differences[0].to_string(),
            "struct s field d: type ours `long` vs GCC `long int`"
        );
    }

    #[test]
    fn enums() {
        let mut ours = gcc();
        ours.enums.get_mut("enum e").unwrap().constants.0[1].1 = 2;
        ours.enums
            .insert("enum f".to_owned(), Enum { size_bits: 8, constants: Constants::default() });
        let report = compare(&ours, &gcc());
        assert!(report.differences.is_empty());
        assert!(!report.is_clean());
        let shown: Vec<String> = report.enum_differences.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            shown,
            vec![
                "enum e: constants ours E_A=0, E_B=2 vs GCC E_A=0, E_B=1",
                "enum f: extra in ours (GCC does not have it)"
            ]
        );
    }

    #[test]
    fn render_table_and_differences() {
        let mut ours = gcc();
        s(&mut ours).fields[2].offset_bits = 96;
        let reports = [
            TreeReport { tree: "a-long-tree-name".to_owned(), report: compare(&ours, &gcc()) },
            TreeReport { tree: "b".to_owned(), report: compare(&gcc(), &gcc()) },
        ];
        let text = render(&reports, 20);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "tree              records ours/GCC fields compared fields equal  percent"
        );
        assert_eq!(
            lines[1],
            "a-long-tree-name               2/2               6            5   83.33%"
        );
        assert_eq!(
            lines[2],
            "b                              2/2               6            6  100.00%"
        );
        assert_eq!(lines[4], "a-long-tree-name: 1 layout differences:");
        assert_eq!(lines[5], "  struct s field d: offset_bits ours 96 vs GCC 64");
        assert_eq!(lines.len(), 6);
    }
}
