//! The Rekall profile: the JSON Rekall's own Linux converter writes from a kernel module's DWARF,
//! with the Layout Expert's improvements where the converter was wrong.
//!
//! Shape (`$`-sections, keys sorted as Rekall's `PPrint` sorts them):
//! - `$METADATA`: `{"ProfileClass": "Linux", "Type": "Profile", "Version": 1, "arch": "AMD64"}`,
//!   plus `TypesInError` (`{type: reason}`) when the engine could not lay some types out.
//! - `$STRUCTS`: `{name: [size_bytes, {field: [byte_offset, descriptor]}]}` for every complete
//!   struct and union. A descriptor is `[name]` for a base type (GCC's DWARF name, e.g.
//!   `["long unsigned int"]`) or a record, and `[kind, args]` otherwise:
//!   - `["Pointer", {"target": T, "target_args": A}]`, `T` the pointee's descriptor name and `A`
//!     its args or `null`; `void *` has target `"Void"`, a function pointer target `"Function"`;
//!   - `["Array", {"count": N, "target": T, "target_args": A}]`, `N` an integer (the Layout
//!     Expert wrote strings); a multi-dimensional array nests (`u32 a[2][3]` is an Array of 2
//!     whose target is an Array of 3; Rekall's DWARF converter wrongly kept only the last
//!     dimension); a flexible array member has count 0;
//!   - `["Enumeration", {"enum_name": E, "target": I}]`, `I` the GCC name of the integer type of
//!     the enum's size and signedness (the DWARF converter's `"long"` for 4-byte enums was wrong
//!     under Rekall's LP64 native types);
//!   - `["BitField", {"start_bit": S, "end_bit": E, "target": I}]` at the byte offset of the
//!     field's storage unit (an aligned unit of the declared type's size), `S`/`E` counted from
//!     that unit's least significant bit; a bitfield of enum type is
//!     `["Enumeration", {"enum_name": E, "target": "BitField", "target_args": {…}}]`;
//!   - `["Function"]` for a function by value.
//!
//!   Anonymous members are named `u1`, `u2`, … in each record, which Rekall's Linux overlay
//!   expects (it merges `task_struct.u1` into `task_struct` when `pid` is not a direct member).
//!   An anonymous record is named `__unnamed_<16 hex>` from the same content hash the ISF writer
//!   uses. A typedef of an anonymous record (`atomic_t`) is exported under the typedef name too,
//!   and fields of that typedef's type refer to the typedef name; other typedefs are transparent.
//! - `$ENUMS` `{enum: {"value": "NAME"}}` and `$REVENUMS` `{enum: {"NAME": value}}`.
//! - `$CONFIG`: the kernel config options, `{"CONFIG_X": "y"}`.
//! - `$CONSTANTS`: `{symbol: address & 0xFFFFFFFFFFFF}` from the symbol map, as Rekall masks.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;

use crate::profile::model::{EnumId, ProfileModel, RecordId, TypeRef};
use crate::profile::naming::Names;
use crate::profile::system_map::REKALL_ADDRESS_MASK;

/// The Rekall profile, its sections in the order Rekall's `PPrint` sorts them. It borrows its
/// names from the model and the [`Names`] it was built with.
#[derive(Serialize)]
pub struct RekallProfile<'a> {
    #[serde(rename = "$CONFIG")]
    config: BTreeMap<&'a str, &'a str>,
    #[serde(rename = "$CONSTANTS")]
    constants: crate::profile::SortedMap<&'a str, u64>,
    #[serde(rename = "$ENUMS")]
    enums: BTreeMap<&'a str, BTreeMap<String, &'a str>>,
    #[serde(rename = "$METADATA")]
    metadata: Metadata<'a>,
    #[serde(rename = "$REVENUMS")]
    revenums: BTreeMap<&'a str, BTreeMap<&'a str, Int>>,
    #[serde(rename = "$STRUCTS")]
    structs: BTreeMap<&'a str, StructOut<'a>>,
}

/// `[size_bytes, {field: [byte_offset, descriptor]}]`.
type StructOut<'a> = (u64, BTreeMap<Cow<'a, str>, (u64, Desc<'a>)>);

#[derive(Serialize)]
struct Metadata<'a> {
    #[serde(rename = "ProfileClass")]
    profile_class: &'static str,
    #[serde(rename = "Type")]
    type_: &'static str,
    #[serde(rename = "TypesInError", skip_serializing_if = "BTreeMap::is_empty")]
    types_in_error: BTreeMap<&'a str, &'a str>,
    #[serde(rename = "Warnings", skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<&'a str>,
    #[serde(rename = "Version")]
    version: u32,
    arch: &'static str,
}

/// An enumerator value: exact, whatever its range.
struct Int(i128);

impl Serialize for Int {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let Ok(v) = i64::try_from(self.0) {
            serializer.serialize_i64(v)
        } else if let Ok(v) = u64::try_from(self.0) {
            serializer.serialize_u64(v)
        } else {
            serializer.serialize_str(&self.0.to_string())
        }
    }
}

/// A field descriptor: serialized as `[name]` or `[name, args]`.
#[derive(Clone, Debug, PartialEq)]
pub enum Desc<'a> {
    /// A base type or record by name, `["name"]`.
    Plain(&'a str),
    /// `void`: `"Void"` as a pointer target.
    Void,
    /// `["Function"]`.
    Function,
    /// `["Pointer", {"target": …, "target_args": …}]`.
    Pointer(Box<Desc<'a>>),
    /// `["Array", {"count": …, "target": …, "target_args": …}]`.
    Array(u64, Box<Desc<'a>>),
    /// `["Enumeration", {"enum_name": …, "target": integer type}]`.
    Enumeration { enum_name: &'a str, target: &'a str },
    /// `["BitField", {"end_bit": …, "start_bit": …, "target": integer type}]`.
    BitField { start_bit: u64, end_bit: u64, target: &'a str },
    /// `["Enumeration", {"enum_name": …, "target": "BitField", "target_args": {…}}]`.
    EnumBitField { enum_name: &'a str, start_bit: u64, end_bit: u64, target: &'a str },
}

impl<'a> Desc<'a> {
    fn name(&self) -> &'a str {
        match self {
            Desc::Plain(name) => name,
            Desc::Void => "Void",
            Desc::Function => "Function",
            Desc::Pointer(_) => "Pointer",
            Desc::Array(..) => "Array",
            Desc::Enumeration { .. } | Desc::EnumBitField { .. } => "Enumeration",
            Desc::BitField { .. } => "BitField",
        }
    }

    fn has_args(&self) -> bool {
        !matches!(self, Desc::Plain(_) | Desc::Void | Desc::Function)
    }
}

/// The `args` object of a descriptor (or `null` where it has none).
struct Args<'d, 'a>(&'d Desc<'a>);

impl Serialize for Args<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Desc::Plain(_) | Desc::Void | Desc::Function => serializer.serialize_none(),
            Desc::Pointer(target) => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("target", target.name())?;
                map.serialize_entry("target_args", &target_args(target))?;
                map.end()
            }
            Desc::Array(count, target) => {
                let mut map = serializer.serialize_map(Some(3))?;
                map.serialize_entry("count", count)?;
                map.serialize_entry("target", target.name())?;
                map.serialize_entry("target_args", &target_args(target))?;
                map.end()
            }
            Desc::Enumeration { enum_name, target } => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("enum_name", enum_name)?;
                map.serialize_entry("target", target)?;
                map.end()
            }
            Desc::BitField { start_bit, end_bit, target } => {
                let mut map = serializer.serialize_map(Some(3))?;
                map.serialize_entry("end_bit", end_bit)?;
                map.serialize_entry("start_bit", start_bit)?;
                map.serialize_entry("target", target)?;
                map.end()
            }
            Desc::EnumBitField { enum_name, start_bit, end_bit, target } => {
                let mut map = serializer.serialize_map(Some(3))?;
                map.serialize_entry("enum_name", enum_name)?;
                map.serialize_entry("target", "BitField")?;
                map.serialize_entry(
                    "target_args",
                    &Args(&Desc::BitField { start_bit: *start_bit, end_bit: *end_bit, target }),
                )?;
                map.end()
            }
        }
    }
}

/// The `target_args` of a pointer or array: the target's args, or `null`.
fn target_args<'d, 'a>(target: &'d Desc<'a>) -> Option<Args<'d, 'a>> {
    target.has_args().then_some(Args(target))
}

impl Serialize for Desc<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let has_args = self.has_args();
        let mut seq = serializer.serialize_seq(Some(if has_args { 2 } else { 1 }))?;
        seq.serialize_element(self.name())?;
        if has_args {
            seq.serialize_element(&Args(self))?;
        }
        seq.end()
    }
}

/// The names Rekall gives anonymous types (`__unnamed_<hash>`).
pub fn names(model: &ProfileModel) -> Names {
    Names::new(model, "__unnamed_")
}

/// Builds the Rekall profile for `model`, with `names` from [`names`].
pub fn build<'a>(model: &'a ProfileModel, names: &'a Names) -> RekallProfile<'a> {
    let writer = Writer { model, names };

    let mut structs = BTreeMap::new();
    for (i, record) in model.records.iter().enumerate() {
        if record.fields.is_some() {
            let id = RecordId(i as u32);
            structs.insert(names.record(id), writer.record(id));
        }
    }
    for typedef in &model.typedefs {
        if let TypeRef::Record(id) = &typedef.target {
            let record = model.record(*id);
            if record.name.is_none() && record.fields.is_some() {
                structs.insert(typedef.name.as_str(), writer.record(*id));
            }
        }
    }

    let mut enums = BTreeMap::new();
    let mut revenums = BTreeMap::new();
    for (i, e) in model.enums.iter().enumerate() {
        let name = names.enum_(EnumId(i as u32));
        let mut by_value = BTreeMap::new();
        let mut by_name = BTreeMap::new();
        for (constant, value) in &e.constants {
            by_value.insert(value.to_string(), constant.as_str());
            by_name.insert(constant.as_str(), Int(*value));
        }
        enums.insert(name, by_value);
        revenums.insert(name, by_name);
    }

    let config = model.config.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let constants = crate::profile::SortedMap(match &model.system_map {
        Some(map) => map
            .sorted_unique()
            .map(|s| (s.name.as_str(), s.address & REKALL_ADDRESS_MASK))
            .collect(),
        None => Vec::new(),
    });
    let metadata = Metadata {
        profile_class: "Linux",
        type_: "Profile",
        types_in_error: model.errors.iter().map(|e| (e.name.as_str(), e.reason.as_str())).collect(),
        warnings: model.warnings.iter().map(String::as_str).collect(),
        version: 1,
        arch: "AMD64",
    };
    RekallProfile { config, constants, enums, metadata, revenums, structs }
}

/// The GCC name of the integer type of `size_bits` and signedness.
pub fn integer_name(size_bits: u64, signed: bool) -> &'static str {
    match (size_bits, signed) {
        (8, true) => "signed char",
        (8, false) => "unsigned char",
        (16, true) => "short int",
        (16, false) => "short unsigned int",
        (32, true) => "int",
        (32, false) => "unsigned int",
        (64, true) => "long int",
        (64, false) => "long unsigned int",
        (128, true) => "__int128",
        (128, false) => "__int128 unsigned",
        _ => "int",
    }
}

struct Writer<'a> {
    model: &'a ProfileModel,
    names: &'a Names,
}

impl<'a> Writer<'a> {
    fn record(&self, id: RecordId) -> StructOut<'a> {
        let record = self.model.record(id);
        let mut fields = BTreeMap::new();
        let mut anonymous = 0u32;
        for field in record.fields.iter().flatten() {
            let name = match &field.name {
                Some(name) => Cow::Borrowed(name.as_str()),
                None if field.bit_width.is_some() => continue,
                None => {
                    anonymous += 1;
                    Cow::Owned(format!("u{anonymous}"))
                }
            };
            let value = match field.bit_width {
                Some(width) => self.bitfield(field.offset_bits, width, &field.ty),
                None => (field.offset_bits / 8, self.desc(&field.ty)),
            };
            fields.insert(name, value);
        }
        (record.size_bits / 8, fields)
    }

    fn bitfield(&self, offset_bits: u64, width: u32, ty: &'a TypeRef) -> (u64, Desc<'a>) {
        let resolved = self.model.resolve(ty);
        let (unit_bits, signed, enum_id) = match resolved {
            TypeRef::Base(id) => {
                (self.model.base(*id).size_bits, self.model.base(*id).signed, None)
            }
            TypeRef::Enum(id) => {
                (self.model.enum_(*id).size_bits, self.model.enum_(*id).signed, Some(*id))
            }
            _ => (self.model.size_bits(resolved).unwrap_or(8), false, None),
        };
        let unit_bits = unit_bits.max(8);
        // The storage unit: the aligned unit of the declared type that holds the first bit. A
        // bitfield of a packed record can straddle it; then count from the byte of the first bit.
        let mut start_bit = offset_bits % unit_bits;
        if start_bit + u64::from(width) > unit_bits {
            start_bit = offset_bits % 8;
        }
        let byte_offset = (offset_bits - start_bit) / 8;
        let end_bit = start_bit + u64::from(width);
        let target: &'a str = match resolved {
            TypeRef::Base(id) => &self.model.base(*id).name,
            _ => integer_name(unit_bits, signed),
        };
        let desc = match enum_id {
            Some(id) => {
                Desc::EnumBitField { enum_name: self.names.enum_(id), start_bit, end_bit, target }
            }
            None => Desc::BitField { start_bit, end_bit, target },
        };
        (byte_offset, desc)
    }

    fn desc(&self, ty: &'a TypeRef) -> Desc<'a> {
        match ty {
            TypeRef::Void => Desc::Void,
            TypeRef::Base(id) => Desc::Plain(&self.model.base(*id).name),
            TypeRef::Record(id) => Desc::Plain(self.names.record(*id)),
            TypeRef::Enum(id) => {
                let e = self.model.enum_(*id);
                Desc::Enumeration {
                    enum_name: self.names.enum_(*id),
                    target: integer_name(e.size_bits, e.signed),
                }
            }
            TypeRef::Typedef(id) => {
                let typedef = self.model.typedef(*id);
                match &typedef.target {
                    TypeRef::Record(record) if self.model.record(*record).name.is_none() => {
                        Desc::Plain(&typedef.name)
                    }
                    target => self.desc(target),
                }
            }
            TypeRef::Pointer(inner) => match self.model.resolve(inner) {
                TypeRef::Function(_) => Desc::Pointer(Box::new(Desc::Function)),
                _ => Desc::Pointer(Box::new(self.desc(inner))),
            },
            TypeRef::Array { count, element } => {
                Desc::Array(count.unwrap_or(0), Box::new(self.desc(element)))
            }
            TypeRef::Function(_) => Desc::Function,
            TypeRef::Qualified(_, inner) => self.desc(inner),
        }
    }
}
