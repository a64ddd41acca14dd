//! Names for anonymous types, computed from their content the way dwarf2json computes them.
//!
//! dwarf2json (Volatility 3's DWARF converter) names an anonymous struct or union
//! `unnamed_<16 hex digits>`: the first 8 bytes of the SHA-1 of the text Go's `debug/dwarf`
//! package prints for the type (`StructType.Defn()`), and an anonymous enum likewise from
//! `EnumType.String()`. To make our ISF diff cleanly against a dwarf2json ISF of the same kernel,
//! we build exactly that text from the model and hash it.
//!
//! The text, for a record: `struct {` or `union {` (with ` NAME` after the keyword for a named
//! record), then each member as `NAME TYPE@BYTEOFFSET`, plus ` : WIDTH@DATABITOFFSET` for a
//! bitfield, separated by `; `, then `}`. An anonymous member has an empty name (so the member
//! text starts with a space). TYPE is Go's spelling: a base type or typedef by its name,
//! `struct NAME` / `union NAME` for a named record (the full definition text for an anonymous
//! one), `enum NAME {A=0; B=1}` for an enum (named or not), `*T` for a pointer, `[N]T` for an
//! array (`[-1]T` for a flexible array member), `func(P1, P2, ...) R` for a function, and
//! `const T` / `volatile T` / `restrict T` for qualified types. BYTEOFFSET is what Go reads from
//! `DW_AT_data_member_location`, which GCC 12 (DWARF 5) omits for bitfields and union members,
//! so it is 0 for those; DATABITOFFSET is the bitfield's first bit from the record's start.
//! Go also rewrites an array member's count to 0 when the member has the same byte offset as the
//! next non-bitfield-following member, or ends the struct (its zero-length-array heuristic); we
//! apply the same rule to the text only. Our emitted counts stay exact.

use std::fmt::Write as _;

use crate::profile::model::{EnumId, ProfileModel, RecordId, RecordKind, TypeRef};

/// The names both writers use for every record and enum of a model.
pub struct Names {
    records: Vec<String>,
    enums: Vec<String>,
}

impl Names {
    /// Computes the names: a named type keeps its tag; an anonymous one gets
    /// `prefix` + 16 hex digits of the content hash (`unnamed_` for ISF, `__unnamed_` for Rekall).
    pub fn new(model: &ProfileModel, prefix: &str) -> Names {
        let records = (0..model.records.len())
            .map(|i| match &model.records[i].name {
                Some(name) => name.clone(),
                None => format!("{prefix}{}", hash16(&record_defn(model, RecordId(i as u32)))),
            })
            .collect();
        let enums = (0..model.enums.len())
            .map(|i| match &model.enums[i].name {
                Some(name) => name.clone(),
                None => format!("{prefix}{}", hash16(&enum_string(model, EnumId(i as u32)))),
            })
            .collect();
        Names { records, enums }
    }

    /// The name of a record.
    pub fn record(&self, id: RecordId) -> &str {
        &self.records[id.0 as usize]
    }

    /// The name of an enum.
    pub fn enum_(&self, id: EnumId) -> &str {
        &self.enums[id.0 as usize]
    }
}

/// The first 8 bytes of SHA-1 of `text`, as 16 lowercase hex digits (Go's `%8x` of a byte slice).
pub fn hash16(text: &str) -> String {
    use sha1::Digest;
    let digest = sha1::Sha1::digest(text.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Go's `StructType.Defn()` text of a record (see the module documentation).
pub fn record_defn(model: &ProfileModel, id: RecordId) -> String {
    let mut out = String::new();
    write_defn(model, id, &mut out);
    out
}

/// Go's `EnumType.String()` text of an enum.
pub fn enum_string(model: &ProfileModel, id: EnumId) -> String {
    let mut out = String::new();
    write_enum(model, id, &mut out);
    out
}

/// Go's `Type.String()` text of a type reference.
pub fn type_string(model: &ProfileModel, ty: &TypeRef) -> String {
    let mut out = String::new();
    write_type(model, ty, &mut out);
    out
}

fn write_enum(model: &ProfileModel, id: EnumId, out: &mut String) {
    let e = model.enum_(id);
    out.push_str("enum");
    if let Some(name) = &e.name {
        out.push(' ');
        out.push_str(name);
    }
    out.push_str(" {");
    for (i, (name, value)) in e.constants.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        let _ = write!(out, "{name}={}", *value as i64);
    }
    out.push('}');
}

fn write_type(model: &ProfileModel, ty: &TypeRef, out: &mut String) {
    match ty {
        TypeRef::Void => out.push_str("void"),
        TypeRef::Base(id) => out.push_str(&model.base(*id).name),
        TypeRef::Typedef(id) => out.push_str(&model.typedef(*id).name),
        TypeRef::Record(id) => {
            let record = model.record(*id);
            match &record.name {
                Some(name) => {
                    out.push_str(record.kind.keyword());
                    out.push(' ');
                    out.push_str(name);
                }
                None => write_defn(model, *id, out),
            }
        }
        TypeRef::Enum(id) => write_enum(model, *id, out),
        TypeRef::Pointer(inner) => {
            out.push('*');
            write_type(model, inner, out);
        }
        TypeRef::Array { count, element } => {
            write_array_count(*count, out);
            write_type(model, element, out);
        }
        TypeRef::Function(function) => {
            out.push_str("func(");
            for (i, param) in function.params.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_type(model, param, out);
            }
            if function.variadic {
                if !function.params.is_empty() {
                    out.push_str(", ");
                }
                out.push_str("...");
            }
            out.push_str(") ");
            write_type(model, &function.ret, out);
        }
        TypeRef::Qualified(qualifier, inner) => {
            out.push_str(qualifier.keyword());
            out.push(' ');
            write_type(model, inner, out);
        }
    }
}

fn write_array_count(count: Option<u64>, out: &mut String) {
    match count {
        Some(n) => {
            let _ = write!(out, "[{n}]");
        }
        None => out.push_str("[-1]"),
    }
}

fn write_defn(model: &ProfileModel, id: RecordId, out: &mut String) {
    let record = model.record(id);
    out.push_str(record.kind.keyword());
    if let Some(name) = &record.name {
        out.push(' ');
        out.push_str(name);
    }
    let Some(fields) = &record.fields else {
        out.push_str(" /*incomplete*/");
        return;
    };
    let is_union = record.kind == RecordKind::Union;
    // The members as Go sees them: unnamed bitfields do not exist in DWARF.
    let members: Vec<_> =
        fields.iter().filter(|f| !(f.name.is_none() && f.bit_width.is_some())).collect();
    let go_byte_offset = |f: &crate::profile::model::Field| -> u64 {
        if f.bit_width.is_some() || is_union {
            0
        } else {
            f.offset_bits / 8
        }
    };
    // Go's zero-length-array heuristic (see the module documentation).
    let mut zeroed = vec![false; members.len()];
    if !is_union {
        for i in 1..members.len() {
            let last = members[i - 1];
            if last.bit_width.is_none() && go_byte_offset(last) == go_byte_offset(members[i]) {
                zeroed[i - 1] = true;
            }
        }
        if let Some(last) = members.last() {
            if record.size_bits / 8 == go_byte_offset(last) {
                zeroed[members.len() - 1] = true;
            }
        }
    }
    out.push_str(" {");
    for (i, f) in members.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        if let Some(name) = &f.name {
            out.push_str(name);
        }
        out.push(' ');
        match &f.ty {
            TypeRef::Array { element, .. }
                if zeroed[i] && model.size_bits(element).is_some_and(|bits| bits / 8 != 0) =>
            {
                out.push_str("[0]");
                write_type(model, element, out);
            }
            ty => write_type(model, ty, out),
        }
        let _ = write!(out, "@{}", go_byte_offset(f));
        if let Some(width) = f.bit_width {
            let _ = write!(out, " : {width}@{}", f.offset_bits);
        }
    }
    out.push('}');
}
