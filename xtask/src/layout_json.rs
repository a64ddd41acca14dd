//! The canonical layout JSON: the one schema in which both the GCC/DWARF oracle and the
//! layout-expert engine write the layouts of a target, so that the conformance harness can compare
//! them field by field.
//!
//! # Schema `layout-expert-layouts/1`
//!
//! ```text
//! {
//!   "format": "layout-expert-layouts/1",
//!   "producer": "gcc-dwarf" | "layout-expert" | ...,
//!   "gcc_version": "gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0",   // `gcc-12 --version`, line 1
//!   "command": "gcc-12 -Wp,-MMD,... -c -o x.o x.c",               // kbuild's compile command
//!   "tree": "/path/to/linux-headers-6.1.0-56-amd64",
//!   "source": "/path/to/target.c",
//!   "dwarf_version": 5,                                           // oracle only, optional
//!   "records": {
//!     "struct task_struct": {
//!       "kind": "struct" | "union",
//!       "size_bits": 9856,
//!       "fields": [
//!         { "name": "pid" | null, "offset_bits": 0, "bit_size": 32, "bitfield": false,
//!           "type": "pid_t", "record": { ...nested record, only for anonymous records... } }
//!       ]
//!     }
//!   },
//!   "enums": { "enum pid_type": { "size_bits": 32, "constants": { "PIDTYPE_PID": 0 } } },
//!   "typedefs": { "atomic_t": "struct <anonymous>", "u32": "unsigned int" },  // optional
//!   "declarations": [ "struct mount" ]     // optional: declared, never defined in the target
//! }
//! ```
//!
//! Which records: every complete struct and union definition (declarations are skipped) at file
//! scope, keyed `"struct NAME"` / `"union NAME"`. A record without a tag that a typedef names
//! directly (`typedef struct { ... } atomic_t;`) is keyed by the typedef name (`"atomic_t"`). Any
//! other anonymous record appears only inline, as the `record` of the field that uses it: an
//! anonymous member (`"name": null`), a named field whose type is an anonymous record, and also a
//! field whose type reaches an anonymous record through arrays or pointers (`struct { .. } *p`).
//!
//! Fields are listed in declaration order. `offset_bits` is the exact bit offset of the field from
//! the start of the record that directly contains it (for fields of a nested anonymous record, from
//! the start of that record, whose own offset is its member's `offset_bits`). Bit positions use
//! little-endian numbering: bit `n` is bit `n % 8` (LSB = 0) of byte `n / 8`. `bit_size` is the
//! bitfield width for bitfields, else the size of the field's type in bits (0 for a flexible array
//! member `T x[]` and for `T x[0]`; the type strings tell them apart: `"long int[]"` and `"int[0]"`). Unnamed bitfields (`int : 3;`, `int : 0;`) are not fields:
//! GCC emits no DWARF for them, they only influence the placement of the fields after them.
//!
//! Type strings, built from the inside out: base types by their GCC names (`"long unsigned int"`,
//! `"_Bool"`, `"char"`), typedefs by name (`"u32"`), `"struct X"` / `"union X"` / `"enum X"`,
//! anonymous records `"struct <anonymous>"` / `"union <anonymous>"`, anonymous enums
//! `"enum <anonymous:FIRST_CONSTANT>"`, `"void"`, a pointer appends `" *"` (`"char *"`,
//! `"struct page * *"` is written `"struct page * *"`), an array appends its dimensions
//! outermost first (`"int[4]"`, `"int[2][3]"`, flexible `"char[]"`, an array of pointers
//! `"int *[4]"`, a pointer to an array `"int[4] *"`), any function type is `"fn"` (so a function
//! pointer is `"fn *"`). Qualifiers (`const`, `volatile`, `restrict`, `_Atomic`) are dropped.
//! The strings follow GCC's DWARF, which folds an array of a typedef'd array into one
//! multi-dimensional array: with `typedef int row[3];`, a field `row r[2]` has type `"int[2][3]"`.
//!
//! Enums: keyed `"enum NAME"`; a tagless enum named by a typedef under the typedef name; any other
//! tagless enum as `"enum <anonymous:FIRST_CONSTANT>"`. Constants keep declaration order.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::format_err;
use crate::util::Result;

/// The value of the `format` key.
pub const FORMAT: &str = "layout-expert-layouts/1";

/// One canonical layout document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layouts {
    /// Always [`FORMAT`].
    pub format: String,
    /// Who wrote the document: `"gcc-dwarf"` for the oracle.
    pub producer: String,
    /// The first line of `gcc-12 --version` (the oracle) or of the compiler the profile targets.
    #[serde(default)]
    pub gcc_version: String,
    /// The kbuild compile command of the object the DWARF came from.
    #[serde(default)]
    pub command: String,
    /// The kernel tree the target was built against.
    #[serde(default)]
    pub tree: String,
    /// The target C file.
    #[serde(default)]
    pub source: String,
    /// The DWARF version of the object (the oracle only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dwarf_version: Option<u16>,
    /// Structs and unions by key (see the module doc).
    pub records: BTreeMap<String, Record>,
    /// Enums by key.
    pub enums: BTreeMap<String, Enum>,
    /// Typedef names and the canonical type string each one names.
    #[serde(default)]
    pub typedefs: BTreeMap<String, String>,
    /// Tagged structs, unions and enums the target names but never defines (only a declaration
    /// such as `struct mount;` was seen), sorted. Informational; not compared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declarations: Vec<String>,
}

/// Whether a record is a struct or a union.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    /// `struct`.
    Struct,
    /// `union`.
    Union,
}

impl RecordKind {
    /// `"struct"` or `"union"`.
    pub fn keyword(self) -> &'static str {
        match self {
            RecordKind::Struct => "struct",
            RecordKind::Union => "union",
        }
    }
}

/// One struct or union.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Struct or union.
    pub kind: RecordKind,
    /// `sizeof` in bits.
    pub size_bits: u64,
    /// The fields in declaration order.
    pub fields: Vec<Field>,
}

/// One field of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// The member name; `None` for an anonymous struct/union member.
    pub name: Option<String>,
    /// Bit offset from the start of the directly containing record.
    pub offset_bits: u64,
    /// Bitfield width, or the type's size in bits (0 for flexible and zero-length arrays).
    pub bit_size: u64,
    /// Whether the field is a bitfield.
    pub bitfield: bool,
    /// The canonical type string.
    #[serde(rename = "type")]
    pub ty: String,
    /// The anonymous record the field's type is or reaches through arrays and pointers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<Box<Record>>,
}

/// One enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enum {
    /// `sizeof` in bits.
    pub size_bits: u64,
    /// The enumerators in declaration order.
    pub constants: Constants,
}

/// Enumerators in declaration order, written as a JSON object (whose key order is kept).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constants(pub Vec<(String, i128)>);

impl Serialize for Constants {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Constants {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct ConstantsVisitor;
        impl<'de> Visitor<'de> for ConstantsVisitor {
            type Value = Constants;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from enumerator names to integers")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Constants, A::Error> {
                let mut res = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, i128>()? {
                    res.push((name, value));
                }
                Ok(Constants(res))
            }
        }
        deserializer.deserialize_map(ConstantsVisitor)
    }
}

impl Layouts {
    /// An empty document from `producer`.
    pub fn new(producer: &str) -> Layouts {
        Layouts {
            format: FORMAT.to_owned(),
            producer: producer.to_owned(),
            gcc_version: String::new(),
            command: String::new(),
            tree: String::new(),
            source: String::new(),
            dwarf_version: None,
            records: BTreeMap::new(),
            enums: BTreeMap::new(),
            typedefs: BTreeMap::new(),
            declarations: Vec::new(),
        }
    }

    /// Parses a document, checking the format tag. `origin` names the input in errors.
    pub fn from_json(text: &str, origin: &str) -> Result<Layouts> {
        let layouts: Layouts = serde_json::from_str(text)
            .map_err(|e| format_err!("{origin}: not a layout document: {e}"))?;
        if layouts.format != FORMAT {
            return Err(format_err!(
                "{origin}: format is `{}`, expected `{FORMAT}`",
                layouts.format
            ));
        }
        Ok(layouts)
    }

    /// The document as pretty-printed JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        text.push('\n');
        text
    }

    /// The total number of fields, counting those of nested anonymous records.
    pub fn field_count(&self) -> usize {
        self.records.values().map(Record::field_count).sum()
    }
}

impl Record {
    /// The number of fields, counting those of nested anonymous records.
    pub fn field_count(&self) -> usize {
        self.fields.iter().map(|f| 1 + f.record.as_ref().map_or(0, |r| r.field_count())).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_constant_order_and_big_values() {
        let mut layouts = Layouts::new("test");
        layouts.enums.insert(
            "enum e".to_owned(),
            Enum {
                size_bits: 64,
                constants: Constants(vec![
                    ("Z".to_owned(), 0xffff_ffff_ffff_ffff),
                    ("A".to_owned(), -5),
                ]),
            },
        );
        layouts.records.insert(
            "struct s".to_owned(),
            Record {
                kind: RecordKind::Struct,
                size_bits: 64,
                fields: vec![Field {
                    name: None,
                    offset_bits: 0,
                    bit_size: 64,
                    bitfield: false,
                    ty: "union <anonymous>".to_owned(),
                    record: Some(Box::new(Record {
                        kind: RecordKind::Union,
                        size_bits: 64,
                        fields: vec![],
                    })),
                }],
            },
        );
        let text = layouts.to_json();
        assert!(text.find("\"Z\"").unwrap() < text.find("\"A\"").unwrap(), "{text}");
        assert!(text.contains("18446744073709551615"), "{text}");
        let back = Layouts::from_json(&text, "test").unwrap();
        assert_eq!(back, layouts);
    }

    #[test]
    fn wrong_format_is_rejected() {
        let err = Layouts::from_json(
            r#"{"format":"other/1","producer":"x","records":{},"enums":{}}"#,
            "in.json",
        )
        .unwrap_err();
        assert!(err.0.contains("in.json: format is `other/1`"), "{err}");
        let err = Layouts::from_json("{", "in.json").unwrap_err();
        assert!(err.0.starts_with("in.json: not a layout document"), "{err}");
    }
}
