//! The canonical layout JSON (`layout-expert-layouts/1`): our layouts in the schema the GCC/DWARF
//! oracle writes (`xtask/src/layout_json.rs`), so the conformance harness can diff them.
//!
//! Records are keyed `struct NAME` / `union NAME`, or by the typedef name for a tagless record a
//! typedef names; other tagless records appear only inline, as the `record` of the field whose
//! type is (or reaches through pointers and arrays) that record. Unnamed bitfields are not
//! fields (GCC emits no DWARF for them). Offsets are bits from the start of the directly
//! containing record; `bit_size` is a bitfield's width or the type's size (0 for `T x[]`).
//! Enum constants keep declaration order.

use std::{collections::BTreeMap, sync::Arc};

use serde::{ser::SerializeMap, Serialize, Serializer};

use crate::{
    layout::{self, LayoutError, RecordLayoutFn},
    ty::{EnumTy, RecordTy, Ty},
};

/// The value of the `format` key.
pub const FORMAT: &str = "layout-expert-layouts/1";

/// One canonical layout document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LayoutsDoc {
    pub format: &'static str,
    pub producer: &'static str,
    pub records: BTreeMap<String, RecordOut>,
    pub enums: BTreeMap<String, EnumOut>,
}

/// One struct or union.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordOut {
    pub kind: &'static str,
    pub size_bits: u64,
    pub fields: Vec<FieldOut>,
}

/// One field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldOut {
    pub name: Option<String>,
    pub offset_bits: u64,
    pub bit_size: u64,
    pub bitfield: bool,
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<Box<RecordOut>>,
}

/// One enum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnumOut {
    pub size_bits: u64,
    pub constants: Constants,
}

/// Enumerators in declaration order, written as a JSON object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constants(pub Vec<(String, i128)>);

impl Serialize for Constants {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// One record or enum that could not be laid out, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutFailure {
    pub key: String,
    pub error: LayoutError,
}

/// Builds the document for the given records and enums (keys as the module doc says), laying
/// records out through `layout_of_record`. Records that cannot be laid out are left out and
/// returned as failures.
pub fn layouts_document(
    records: &[(String, Arc<RecordTy>)],
    enums: &[(String, Arc<EnumTy>)],
    layout_of_record: &mut RecordLayoutFn<'_>,
) -> (LayoutsDoc, Vec<LayoutFailure>) {
    let mut doc = LayoutsDoc {
        format: FORMAT,
        producer: "layout-expert",
        records: BTreeMap::new(),
        enums: BTreeMap::new(),
    };
    let mut failures = Vec::new();
    for (key, rec) in records {
        match record_out(rec, layout_of_record) {
            Ok(v) => {
                doc.records.insert(key.clone(), v);
            }
            Err(error) => failures.push(LayoutFailure { key: key.clone(), error }),
        }
    }
    for (key, def) in enums {
        match layout::enum_layout(def) {
            Ok((l, _)) => {
                let constants =
                    Constants(def.constants.iter().map(|(n, v)| (n.to_string(), *v)).collect());
                doc.enums.insert(key.clone(), EnumOut { size_bits: l.size_bits, constants });
            }
            Err(error) => failures.push(LayoutFailure { key: key.clone(), error }),
        }
    }
    (doc, failures)
}

/// The document as pretty JSON with a final newline.
pub fn to_json_text(doc: &LayoutsDoc) -> String {
    let mut text = serde_json::to_string_pretty(doc).unwrap_or_default();
    text.push('\n');
    text
}

fn record_out(
    rec: &Arc<RecordTy>,
    layout_of_record: &mut RecordLayoutFn<'_>,
) -> Result<RecordOut, LayoutError> {
    let layout = layout_of_record(rec)?;
    let mut fields = Vec::new();
    for (f, fl) in rec.fields.iter().zip(&layout.fields) {
        if f.name.is_none() && f.bit_width.is_some() {
            continue;
        }
        let record = match reached_anonymous_record(&f.ty) {
            Some(inner) => Some(Box::new(record_out(&inner, layout_of_record)?)),
            None => None,
        };
        fields.push(FieldOut {
            name: f.name.as_ref().map(|n| n.to_string()),
            offset_bits: fl.offset_bits,
            bit_size: fl.size_bits,
            bitfield: f.bit_width.is_some(),
            ty: f.ty.to_string(),
            record,
        });
    }
    Ok(RecordOut { kind: rec.kind.keyword(), size_bits: layout.size_bits, fields })
}

/// The tagless record a field's type is, or reaches through pointers and arrays.
fn reached_anonymous_record(ty: &Ty) -> Option<Arc<RecordTy>> {
    match ty {
        Ty::Record(rec) if rec.tag.is_none() => Some(Arc::clone(rec)),
        Ty::Pointer(inner) | Ty::Array(inner, _) => reached_anonymous_record(inner),
        _ => None,
    }
}
