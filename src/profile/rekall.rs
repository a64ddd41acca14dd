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

use serde_json::{json, Map, Value};

use crate::profile::model::{ProfileModel, RecordId, TypeRef};
use crate::profile::naming::Names;
use crate::profile::system_map::REKALL_ADDRESS_MASK;

/// Builds the Rekall profile for `model` as a JSON value.
pub fn build(model: &ProfileModel) -> Value {
    let names = Names::new(model, "__unnamed_");
    let writer = Writer { model, names: &names };

    let mut structs = Map::new();
    for (i, record) in model.records.iter().enumerate() {
        if record.fields.is_some() {
            let id = RecordId(i as u32);
            structs.insert(names.record(id).to_owned(), writer.record(id));
        }
    }
    for typedef in &model.typedefs {
        if let TypeRef::Record(id) = &typedef.target {
            let record = model.record(*id);
            if record.name.is_none() && record.fields.is_some() {
                structs.insert(typedef.name.clone(), writer.record(*id));
            }
        }
    }

    let mut enums = Map::new();
    let mut revenums = Map::new();
    for (i, e) in model.enums.iter().enumerate() {
        let name = names.enum_(crate::profile::model::EnumId(i as u32)).to_owned();
        let mut by_value = Map::new();
        let mut by_name = Map::new();
        for (constant, value) in &e.constants {
            by_value.insert(value.to_string(), Value::from(constant.clone()));
            by_name.insert(constant.clone(), json_int(*value));
        }
        enums.insert(name.clone(), Value::Object(by_value));
        revenums.insert(name, Value::Object(by_name));
    }

    let config: Map<String, Value> = model.config.iter().map(|(k, v)| (k.clone(), Value::from(v.clone()))).collect();

    let mut constants = Map::new();
    if let Some(map) = &model.system_map {
        for symbol in map.unique() {
            constants.insert(symbol.name.clone(), Value::from(symbol.address & REKALL_ADDRESS_MASK));
        }
    }

    let mut metadata = json!({"ProfileClass": "Linux", "Type": "Profile", "Version": 1, "arch": "AMD64"});
    if !model.errors.is_empty() {
        let errors: Map<String, Value> = model.errors.iter().map(|e| (e.name.clone(), Value::from(e.reason.clone()))).collect();
        metadata["TypesInError"] = Value::Object(errors);
    }

    json!({
        "$METADATA": metadata,
        "$STRUCTS": structs,
        "$ENUMS": enums,
        "$REVENUMS": revenums,
        "$CONFIG": config,
        "$CONSTANTS": constants,
    })
}

fn json_int(value: i128) -> Value {
    if let Ok(v) = i64::try_from(value) {
        Value::from(v)
    } else if let Ok(v) = u64::try_from(value) {
        Value::from(v)
    } else {
        Value::from(value.to_string())
    }
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

impl Writer<'_> {
    fn record(&self, id: RecordId) -> Value {
        let record = self.model.record(id);
        let mut fields = Map::new();
        let mut anonymous = 0u32;
        for field in record.fields.iter().flatten() {
            let name = match &field.name {
                Some(name) => name.clone(),
                None if field.bit_width.is_some() => continue,
                None => {
                    anonymous += 1;
                    format!("u{anonymous}")
                }
            };
            let value = match field.bit_width {
                Some(width) => self.bitfield(field.offset_bits, width, &field.ty),
                None => json!([field.offset_bits / 8, self.desc(&field.ty)]),
            };
            fields.insert(name, value);
        }
        json!([record.size_bits / 8, fields])
    }

    fn bitfield(&self, offset_bits: u64, width: u32, ty: &TypeRef) -> Value {
        let resolved = self.model.resolve(ty);
        let (unit_bits, signed, enum_id) = match resolved {
            TypeRef::Base(id) => (self.model.base(*id).size_bits, self.model.base(*id).signed, None),
            TypeRef::Enum(id) => (self.model.enum_(*id).size_bits, self.model.enum_(*id).signed, Some(*id)),
            _ => (self.model.size_bits(resolved).unwrap_or(8).max(8), false, None),
        };
        let unit_bits = unit_bits.max(8);
        // The storage unit: the aligned unit of the declared type that holds the first bit. A
        // bitfield of a packed record can straddle it; then count from the byte of the first bit.
        let mut start = offset_bits % unit_bits;
        if start + u64::from(width) > unit_bits {
            start = offset_bits % 8;
        }
        let byte_offset = (offset_bits - start) / 8;
        let end = start + u64::from(width);
        let target = match resolved {
            TypeRef::Base(id) => self.model.base(*id).name.clone(),
            _ => integer_name(unit_bits, signed).to_owned(),
        };
        let args = json!({"start_bit": start, "end_bit": end, "target": target});
        let desc = match enum_id {
            Some(id) => json!(["Enumeration", {"enum_name": self.names.enum_(id), "target": "BitField", "target_args": args}]),
            None => json!(["BitField", args]),
        };
        json!([byte_offset, desc])
    }

    /// The descriptor `[name]` or `[name, args]`.
    fn desc(&self, ty: &TypeRef) -> Value {
        let (name, args) = self.target(ty);
        match args {
            Some(args) => json!([name, args]),
            None => json!([name]),
        }
    }

    /// The descriptor as a `(target, target_args)` pair.
    fn target(&self, ty: &TypeRef) -> (String, Option<Value>) {
        match ty {
            TypeRef::Void => ("Void".to_owned(), None),
            TypeRef::Base(id) => (self.model.base(*id).name.clone(), None),
            TypeRef::Record(id) => (self.names.record(*id).to_owned(), None),
            TypeRef::Enum(id) => {
                let e = self.model.enum_(*id);
                (
                    "Enumeration".to_owned(),
                    Some(json!({"enum_name": self.names.enum_(*id), "target": integer_name(e.size_bits, e.signed)})),
                )
            }
            TypeRef::Typedef(id) => {
                let typedef = self.model.typedef(*id);
                match &typedef.target {
                    TypeRef::Record(record) if self.model.record(*record).name.is_none() => (typedef.name.clone(), None),
                    target => self.target(target),
                }
            }
            TypeRef::Pointer(inner) => {
                let (target, target_args) = match self.model.resolve(inner) {
                    TypeRef::Function(_) => ("Function".to_owned(), None),
                    _ => self.target(inner),
                };
                ("Pointer".to_owned(), Some(json!({"target": target, "target_args": target_args})))
            }
            TypeRef::Array { count, element } => {
                let (target, target_args) = self.target(element);
                ("Array".to_owned(), Some(json!({"count": count.unwrap_or(0), "target": target, "target_args": target_args})))
            }
            TypeRef::Function(_) => ("Function".to_owned(), None),
            TypeRef::Qualified(_, inner) => self.target(inner),
        }
    }
}
