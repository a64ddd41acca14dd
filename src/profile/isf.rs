//! The Volatility 3 symbol table (ISF, format 6.2.0), written exactly as dwarf2json 0.9.0 writes
//! it, so that a dwarf2json ISF of the same kernel diffs cleanly against ours.
//!
//! dwarf2json's conventions, which this writer follows:
//! - `metadata`: `linux.symbols` lists the symbol map (`kind: "system-map"`, its file name and
//!   SHA-256), `producer` has `name` and `version`, `format` is `"6.2.0"`. Types we could not lay
//!   out are listed in `producer.types_in_error` (the only metadata object the schema leaves open).
//! - `base_types`: every base type by GCC's DWARF name, plus `void` (size 0, kind `void`) and
//!   `pointer` (size 8, unsigned `int`), which Volatility uses for pointer width. Go's reader
//!   makes every base type signed except unsigned integers and `unsigned char`, so `_Bool` and
//!   the floating types are `signed: true`; we keep that.
//! - `user_types`: every complete struct and union, keyed by tag or `unnamed_<hash>` (see
//!   `naming`); and a second copy of a record under a typedef's name when the typedef's target is
//!   directly that record, as fields reached through such a typedef refer to it by the typedef's
//!   name. Anonymous members are `unnamed_field_N` (N counts anonymous members of one record, in
//!   hex) with `"anonymous": true`, which Volatility flattens into the parent.
//! - Field types: typedefs resolved (except the case above), qualifiers dropped, arrays with
//!   their outer count (flexible `[]` is `count: 0`), multi-dimensional arrays nested, functions
//!   `{"kind": "function"}`, `void` as the base type `void`.
//! - Bitfields: `offset` is the byte holding the first bit, the type is
//!   `{"kind": "bitfield", "bit_position": 0..7, "bit_length": W, "type": base or enum}`.
//! - `enums`: size, constants, and `base` = the alphabetically first `int` base type with the
//!   same size and signedness (signed iff a constant is negative), `void` if there is none.
//! - `symbols`: every symbol of the map with its unrelocated address; `type` from the model's
//!   symbol types, `{"kind": "base", "name": "void"}` for the rest (as dwarf2json writes for
//!   System.map-only symbols); `linux_banner` carries `constant_data`, the base64 of the banner
//!   with its trailing newline and NUL, the bytes of the kernel's `linux_banner` array.
//! - JSON keys in dwarf2json's order (Go struct field order, map keys sorted), two-space indent.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};

use rustc_hash::FxHashMap;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::profile::model::{BaseKind, ProfileModel, TypeRef};
use crate::profile::naming::Names;
use crate::profile::system_map::SystemMap;

/// The ISF format version we write.
pub const FORMAT_VERSION: &str = "6.2.0";

/// The ISF document, in dwarf2json's field order. It borrows its names from the model and the
/// [`Names`] it was built with.
pub struct IsfDocument<'a> {
    head: Head<'a>,
    symbols: Symbols<'a>,
}

/// The `symbols` object: every symbol of the map, by name; a type for those the headers declare,
/// `void` for the rest; the banner's bytes on `linux_banner`.
#[derive(Default)]
struct Symbols<'a> {
    map: Option<&'a SystemMap>,
    typed: FxHashMap<&'a str, Desc<'a>>,
    /// base64 of the banner, stored on `linux_banner`.
    banner: Option<String>,
}

/// Everything before `symbols`, serialized by serde.
#[derive(Serialize)]
struct Head<'a> {
    metadata: Metadata,
    base_types: BTreeMap<&'a str, BaseTypeOut>,
    user_types: BTreeMap<&'a str, UserType<'a>>,
    enums: BTreeMap<&'a str, EnumOut<'a>>,
}

impl IsfDocument<'_> {
    /// Writes the document as JSON, formatted as `serde_json::to_writer_pretty` formats it, in
    /// chunks of about a megabyte. The `symbols` object (about 100 000 entries of one shape, most
    /// of a kernel's ISF) is written by [`write_symbols`], several times faster than through serde.
    pub fn write_json(&self, w: &mut dyn Write) -> io::Result<()> {
        let mut buf = Vec::with_capacity(CHUNK + 4096);
        serde_json::to_writer_pretty(&mut buf, &self.head)?;
        // The head ends with the closing brace of the top-level object on its own line.
        if !buf.ends_with(b"\n}") {
            return Err(io::Error::other("unexpected end of the ISF head"));
        }
        buf.truncate(buf.len() - 2);
        buf.extend_from_slice(b",\n  \"symbols\": ");
        write_symbols(&mut buf, w, &self.symbols)?;
        buf.extend_from_slice(b"\n}");
        w.write_all(&buf)
    }
}

impl IsfDocument<'_> {
    /// The document as a JSON value (for tests and tools that inspect it).
    pub fn to_value(&self) -> serde_json::Value {
        let mut text = Vec::new();
        self.write_json(&mut text).expect("writing to memory cannot fail");
        serde_json::from_slice(&text).expect("the ISF writer writes JSON")
    }
}

/// How much [`IsfDocument::write_json`] buffers before writing.
const CHUNK: usize = 1 << 20;

/// Writes the `symbols` object at nesting depth 1, exactly as serde_json's pretty printer would,
/// into `buf`, handing full chunks to `w`.
fn write_symbols(buf: &mut Vec<u8>, w: &mut dyn Write, symbols: &Symbols<'_>) -> io::Result<()> {
    let Some(map) = symbols.map.filter(|m| m.sorted_unique().len() > 0) else {
        buf.extend_from_slice(b"{}");
        return Ok(());
    };
    const VOID: Desc<'static> = Desc::Base("void");
    buf.push(b'{');
    for (i, symbol) in map.sorted_unique().enumerate() {
        if buf.len() >= CHUNK {
            w.write_all(buf)?;
            buf.clear();
        }
        buf.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
        write_str(buf, &symbol.name);
        buf.extend_from_slice(b": {\n      \"type\": ");
        write_desc(buf, symbols.typed.get(symbol.name.as_str()).unwrap_or(&VOID), 6);
        buf.extend_from_slice(b",\n      \"address\": ");
        write_u64(buf, symbol.address);
        if let Some(data) = symbols.banner.as_ref().filter(|_| symbol.name == "linux_banner") {
            buf.extend_from_slice(b",\n      \"constant_data\": ");
            write_str(buf, data);
        }
        buf.extend_from_slice(b"\n    }");
    }
    buf.extend_from_slice(b"\n  }");
    Ok(())
}

/// Writes a type descriptor whose opening brace is at indentation `indent`.
fn write_desc(out: &mut Vec<u8>, desc: &Desc<'_>, indent: usize) {
    let key = |out: &mut Vec<u8>, first: bool, key: &str| {
        if !first {
            out.push(b',');
        }
        out.push(b'\n');
        out.resize(out.len() + indent + 2, b' ');
        write_str(out, key);
        out.extend_from_slice(b": ");
    };
    out.push(b'{');
    match desc {
        Desc::Base(name) | Desc::Record(_, name) | Desc::Enum(name) => {
            let kind = match desc {
                Desc::Base(_) => "base",
                Desc::Record(kind, _) => kind,
                _ => "enum",
            };
            key(out, true, "kind");
            write_str(out, kind);
            key(out, false, "name");
            write_str(out, name);
        }
        Desc::Pointer(subtype) => {
            key(out, true, "kind");
            write_str(out, "pointer");
            key(out, false, "subtype");
            write_desc(out, subtype, indent + 2);
        }
        Desc::Array(count, subtype) => {
            key(out, true, "count");
            write_u64(out, *count);
            key(out, false, "kind");
            write_str(out, "array");
            key(out, false, "subtype");
            write_desc(out, subtype, indent + 2);
        }
        Desc::Function => {
            key(out, true, "kind");
            write_str(out, "function");
        }
        Desc::Bitfield { bit_length, bit_position, ty } => {
            key(out, true, "bit_length");
            write_u64(out, u64::from(*bit_length));
            key(out, false, "bit_position");
            write_u64(out, *bit_position);
            key(out, false, "kind");
            write_str(out, "bitfield");
            key(out, false, "type");
            write_desc(out, ty, indent + 2);
        }
    }
    out.push(b'\n');
    out.resize(out.len() + indent, b' ');
    out.push(b'}');
}

fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// A JSON string as serde_json escapes it: `"` and `\\`, the short escapes for control characters
/// that have one, `\u00XX` (lowercase hex) for the others; everything else verbatim.
fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[derive(Serialize)]
struct Metadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    linux: Option<LinuxMetadata>,
    producer: BTreeMap<&'static str, serde_json::Value>,
    format: &'static str,
}

#[derive(Serialize)]
struct LinuxMetadata {
    symbols: Vec<SourceMetadata>,
}

#[derive(Serialize)]
struct SourceMetadata {
    kind: &'static str,
    name: String,
    hash_type: &'static str,
    hash_value: String,
}

#[derive(Serialize)]
struct BaseTypeOut {
    size: u64,
    signed: bool,
    kind: &'static str,
    endian: &'static str,
}

#[derive(Serialize)]
struct UserType<'a> {
    size: u64,
    fields: BTreeMap<Cow<'a, str>, FieldOut<'a>>,
    kind: &'static str,
}

#[derive(Serialize)]
struct FieldOut<'a> {
    #[serde(rename = "type")]
    ty: Desc<'a>,
    offset: u64,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    anonymous: bool,
}

#[derive(Serialize)]
struct EnumOut<'a> {
    size: u64,
    base: &'a str,
    constants: BTreeMap<&'a str, i64>,
}

/// A type descriptor. Serialized with sorted keys, as Go serializes its maps.
#[derive(Clone, Debug, PartialEq)]
pub enum Desc<'a> {
    /// `{"kind": "base", "name": …}`.
    Base(&'a str),
    /// `{"kind": "struct"|"union", "name": …}`.
    Record(&'static str, &'a str),
    /// `{"kind": "enum", "name": …}`.
    Enum(&'a str),
    /// `{"kind": "pointer", "subtype": …}`.
    Pointer(Box<Desc<'a>>),
    /// `{"count": …, "kind": "array", "subtype": …}`.
    Array(u64, Box<Desc<'a>>),
    /// `{"kind": "function"}`.
    Function,
    /// `{"bit_length": …, "bit_position": …, "kind": "bitfield", "type": …}`.
    Bitfield { bit_length: u32, bit_position: u64, ty: Box<Desc<'a>> },
}

impl Serialize for Desc<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Desc::Base(name) => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("kind", "base")?;
                map.serialize_entry("name", name)?;
                map.end()
            }
            Desc::Record(kind, name) => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("kind", kind)?;
                map.serialize_entry("name", name)?;
                map.end()
            }
            Desc::Enum(name) => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("kind", "enum")?;
                map.serialize_entry("name", name)?;
                map.end()
            }
            Desc::Pointer(subtype) => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("kind", "pointer")?;
                map.serialize_entry("subtype", subtype)?;
                map.end()
            }
            Desc::Array(count, subtype) => {
                let mut map = serializer.serialize_map(Some(3))?;
                map.serialize_entry("count", count)?;
                map.serialize_entry("kind", "array")?;
                map.serialize_entry("subtype", subtype)?;
                map.end()
            }
            Desc::Function => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("kind", "function")?;
                map.end()
            }
            Desc::Bitfield { bit_length, bit_position, ty } => {
                let mut map = serializer.serialize_map(Some(4))?;
                map.serialize_entry("bit_length", bit_length)?;
                map.serialize_entry("bit_position", bit_position)?;
                map.serialize_entry("kind", "bitfield")?;
                map.serialize_entry("type", ty)?;
                map.end()
            }
        }
    }
}

/// What the ISF writer was told besides the model.
#[derive(Clone, Debug, Default)]
pub struct IsfOptions {
    /// Producer version written in the metadata (defaults to this crate's version).
    pub producer_version: Option<String>,
    /// A banner that replaces the model's (from `--banner` or `--banner-from-image`).
    pub banner: Option<String>,
}

/// Things worth telling the user about the table we wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IsfReport {
    /// Warnings (no banner, no symbol map, symbols without addresses…).
    pub warnings: Vec<String>,
    /// Number of user types written (including typedef copies).
    pub user_types: usize,
    /// Number of symbols written.
    pub symbols: usize,
    /// Number of symbols that carry a real type.
    pub typed_symbols: usize,
}

/// The names the ISF gives anonymous types (`unnamed_<hash>`).
pub fn names(model: &ProfileModel) -> Names {
    Names::new(model, "unnamed_")
}

/// Builds the ISF document for `model`, with `names` from [`names`].
pub fn build<'a>(
    model: &'a ProfileModel,
    names: &'a Names,
    options: &IsfOptions,
) -> (IsfDocument<'a>, IsfReport) {
    let mut report = IsfReport::default();
    let writer = Writer { model, names };

    // Base types.
    let mut base_types = BTreeMap::new();
    for base in &model.base_types {
        let (kind, signed) = match base.kind {
            BaseKind::Int => ("int", base.signed),
            BaseKind::Char => ("char", base.signed),
            BaseKind::Bool => ("bool", true),
            BaseKind::Float => ("float", true),
        };
        base_types.insert(
            base.name.as_str(),
            BaseTypeOut { size: base.size_bits / 8, signed, kind, endian: "little" },
        );
    }
    base_types
        .insert("void", BaseTypeOut { size: 0, signed: false, kind: "void", endian: "little" });
    base_types
        .insert("pointer", BaseTypeOut { size: 8, signed: false, kind: "int", endian: "little" });

    // User types: every complete record, then typedef copies.
    let mut user_types = BTreeMap::new();
    for (i, record) in model.records.iter().enumerate() {
        if record.fields.is_some() {
            let id = crate::profile::model::RecordId(i as u32);
            user_types.insert(names.record(id), writer.user_type(id));
        }
    }
    for typedef in &model.typedefs {
        if let TypeRef::Record(id) = &typedef.target {
            if model.record(*id).fields.is_some() {
                user_types.insert(typedef.name.as_str(), writer.user_type(*id));
            }
        }
    }
    report.user_types = user_types.len();

    // Enums.
    let mut enums = BTreeMap::new();
    for (i, e) in model.enums.iter().enumerate() {
        let size = e.size_bits / 8;
        let signed = e.constants.iter().any(|(_, v)| (*v as i64) < 0);
        let base = base_types
            .iter()
            .find(|(_, b)| b.kind == "int" && b.size == size && b.signed == signed)
            .map(|(name, _)| *name)
            .unwrap_or("void");
        let constants =
            e.constants.iter().map(|(name, value)| (name.as_str(), *value as i64)).collect();
        enums.insert(
            names.enum_(crate::profile::model::EnumId(i as u32)),
            EnumOut { size, base, constants },
        );
    }

    // Symbols.
    let mut symbol_types: BTreeMap<&str, &TypeRef> = BTreeMap::new();
    for symbol in &model.symbol_types {
        symbol_types.insert(&symbol.name, &symbol.ty);
    }
    let mut symbols = Symbols { map: model.system_map.as_ref(), ..Symbols::default() };
    let mut linux = None;
    match &model.system_map {
        Some(map) => {
            for (&name, ty) in &symbol_types {
                if map.address(name).is_some() {
                    symbols.typed.insert(name, writer.desc(ty));
                }
            }
            report.typed_symbols = symbols.typed.len();
            report.symbols = map.sorted_unique().len();
            let missing: Vec<&str> = symbol_types.keys().copied().filter(|name| map.address(name).is_none()).collect();
            if !missing.is_empty() {
                let shown = missing.iter().take(5).map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
                let more = if missing.len() > 5 { format!(" and {} more", missing.len() - 5) } else { String::new() };
                report.warnings.push(format!(
                    "{} symbol(s) with a declared type are not in {} and are left out: {shown}{more}",
                    missing.len(),
                    map.file_name
                ));
            }
            linux = Some(LinuxMetadata {
                symbols: vec![SourceMetadata {
                    kind: "system-map",
                    name: map.file_name.clone(),
                    hash_type: "sha256",
                    hash_value: map.sha256.clone(),
                }],
            });
        }
        None => report.warnings.push(
            "no symbol map (System.map or /proc/kallsyms) was given: the symbol table has no symbols, \
             and Volatility 3 cannot find the kernel with it"
                .to_owned(),
        ),
    }
    let linux_banner = model.system_map.as_ref().and_then(|map| map.address("linux_banner"));
    match (options.banner.as_ref().or(model.banner.as_ref()), linux_banner) {
        (Some(banner), Some(_)) => symbols.banner = Some(base64(&banner_bytes(banner))),
        (Some(_), None) if model.system_map.is_some() => report.warnings.push(
            "the symbol map has no `linux_banner`: the banner cannot be stored, so Volatility 3 will not select \
             this symbol table automatically"
                .to_owned(),
        ),
        (Some(_), None) => {}
        (None, _) => report.warnings.push(
            "no banner given (--banner, --banner-from-image, or /proc/version in live mode): Volatility 3 \
             will not select this symbol table automatically; pass it with -s/--single-location instead"
                .to_owned(),
        ),
    }

    let mut producer = BTreeMap::new();
    producer.insert("name", serde_json::Value::from("layout-expert"));
    producer.insert(
        "version",
        serde_json::Value::from(
            options
                .producer_version
                .clone()
                .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned()),
        ),
    );
    if !model.errors.is_empty() {
        let errors: serde_json::Map<String, serde_json::Value> = model
            .errors
            .iter()
            .map(|e| (e.name.clone(), serde_json::Value::from(e.reason.clone())))
            .collect();
        producer.insert("types_in_error", serde_json::Value::Object(errors));
    }
    if !model.warnings.is_empty() {
        producer.insert("warnings", serde_json::Value::from(model.warnings.clone()));
    }

    let document = IsfDocument {
        head: Head {
            metadata: Metadata { linux, producer, format: FORMAT_VERSION },
            base_types,
            user_types,
            enums,
        },
        symbols,
    };
    (document, report)
}

/// The bytes of the kernel's `linux_banner` array for a banner text: the text, a newline if it
/// has none, and the terminating NUL.
pub fn banner_bytes(banner: &str) -> Vec<u8> {
    let mut bytes = banner.trim_end_matches('\0').as_bytes().to_vec();
    if !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes.push(0);
    bytes
}

/// Standard base64 with padding (what Go's `encoding/json` writes for a byte slice).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(ALPHABET[(n >> 18) as usize & 63] as char);
        out.push(ALPHABET[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 { ALPHABET[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if chunk.len() > 2 { ALPHABET[n as usize & 63] as char } else { '=' });
    }
    out
}

struct Writer<'a> {
    model: &'a ProfileModel,
    names: &'a Names,
}

impl<'a> Writer<'a> {
    fn user_type(&self, id: crate::profile::model::RecordId) -> UserType<'a> {
        let record = self.model.record(id);
        let mut fields = BTreeMap::new();
        let mut anonymous_count = 0u32;
        for field in record.fields.iter().flatten() {
            if field.name.is_none() && field.bit_width.is_some() {
                continue;
            }
            let (name, anonymous) = match &field.name {
                Some(name) => (Cow::Borrowed(name.as_str()), false),
                None => {
                    let name = Cow::Owned(format!("unnamed_field_{anonymous_count:x}"));
                    anonymous_count += 1;
                    (name, true)
                }
            };
            let (ty, offset) = match field.bit_width {
                Some(width) => (
                    Desc::Bitfield {
                        bit_length: width,
                        bit_position: field.offset_bits % 8,
                        ty: Box::new(self.desc(&field.ty)),
                    },
                    field.offset_bits / 8,
                ),
                None => (self.desc(&field.ty), field.offset_bits / 8),
            };
            fields.insert(name, FieldOut { ty, offset, anonymous });
        }
        UserType { size: record.size_bits / 8, fields, kind: record.kind.keyword() }
    }

    /// dwarf2json's `typeName`.
    fn desc(&self, ty: &'a TypeRef) -> Desc<'a> {
        match ty {
            TypeRef::Void => Desc::Base("void"),
            TypeRef::Base(id) => Desc::Base(&self.model.base(*id).name),
            TypeRef::Record(id) => {
                Desc::Record(self.model.record(*id).kind.keyword(), self.names.record(*id))
            }
            TypeRef::Enum(id) => Desc::Enum(self.names.enum_(*id)),
            TypeRef::Typedef(id) => {
                let typedef = self.model.typedef(*id);
                match &typedef.target {
                    TypeRef::Record(record) => {
                        Desc::Record(self.model.record(*record).kind.keyword(), &typedef.name)
                    }
                    target => self.desc(target),
                }
            }
            TypeRef::Pointer(inner) => Desc::Pointer(Box::new(self.desc(inner))),
            TypeRef::Array { count, element } => {
                Desc::Array(count.unwrap_or(0), Box::new(self.desc(element)))
            }
            TypeRef::Function(_) => Desc::Function,
            TypeRef::Qualified(_, inner) => self.desc(inner),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn hand_written_symbols_equal_serde_pretty_output() {
        /// What serde_json writes for one symbol (the reference).
        #[derive(Serialize)]
        struct SymbolOut<'a> {
            #[serde(rename = "type")]
            ty: Desc<'a>,
            address: u64,
            #[serde(skip_serializing_if = "Option::is_none")]
            constant_data: Option<String>,
        }
        #[derive(Serialize)]
        struct Wrap<'a> {
            symbols: crate::profile::SortedMap<&'a str, SymbolOut<'a>>,
        }
        let typed = || {
            let base = || Box::new(Desc::Base("unsigned int"));
            vec![
                ("init_task", Desc::Record("struct", "task_struct")),
                ("linux_banner", Desc::Array(0, Box::new(Desc::Base("char")))),
                ("p", Desc::Pointer(Box::new(Desc::Pointer(Box::new(Desc::Function))))),
                ("e", Desc::Array(3, Box::new(Desc::Enum("x")))),
                ("b", Desc::Bitfield { bit_length: 3, bit_position: 5, ty: base() }),
            ]
        };
        let map_text = "0000000000000000 T a\"b\\c\u{1}\u{7f}é\n\
                        ffffffffffffffff D init_task\n\
                        0000000000000007 R linux_banner\n\
                        000000000000000a D p\n\
                        0000010000000000 D e\n\
                        000000000000000c D b\n\
                        0000000000000063 t untyped\n\
                        0000000000000064 t untyped\n";
        let map = SystemMap::parse("System.map", map_text.as_bytes()).unwrap();
        let banner = base64(b"Linux\n\0");

        let reference: Vec<(&str, SymbolOut<'_>)> = map
            .sorted_unique()
            .map(|s| {
                let ty = typed()
                    .into_iter()
                    .find(|(n, _)| *n == s.name)
                    .map_or(Desc::Base("void"), |(_, d)| d);
                let constant_data = (s.name == "linux_banner").then(|| banner.clone());
                (s.name.as_str(), SymbolOut { ty, address: s.address, constant_data })
            })
            .collect();
        let want =
            serde_json::to_string_pretty(&Wrap { symbols: crate::profile::SortedMap(reference) })
                .unwrap();
        let symbols = Symbols {
            map: Some(&map),
            typed: typed().into_iter().collect(),
            banner: Some(banner.clone()),
        };
        let mut got = b"{\n  \"symbols\": ".to_vec();
        write_symbols(&mut got, &mut io::sink(), &symbols).unwrap();
        got.extend_from_slice(b"\n}");
        assert_eq!(String::from_utf8(got).unwrap(), want);

        let want_empty = serde_json::to_string_pretty(&Wrap {
            symbols: crate::profile::SortedMap(Vec::<(&str, SymbolOut<'_>)>::new()),
        })
        .unwrap();
        let mut got = b"{\n  \"symbols\": ".to_vec();
        write_symbols(&mut got, &mut io::sink(), &Symbols::default()).unwrap();
        got.extend_from_slice(b"\n}");
        assert_eq!(String::from_utf8(got).unwrap(), want_empty);
    }

    #[test]
    fn banner_bytes_end_with_newline_and_nul() {
        assert_eq!(banner_bytes("Linux version 6.1\n"), b"Linux version 6.1\n\0");
        assert_eq!(banner_bytes("Linux version 6.1"), b"Linux version 6.1\n\0");
    }
}
