//! Test support: a `ProfileModel` read from the DWARF of a GCC-compiled fixture.
//!
//! The profile writers' tests need models whose layouts are true. Until the engine exists, the
//! truth is GCC's: the tests compile a fixture with `gcc -g -gdwarf-5` into a shared object
//! (linked, so the debug sections need no relocation) and this module turns its DWARF into the
//! model the engine will produce, the way dwarf2json walks the same DWARF: every struct, union,
//! enum, typedef and base type of every compilation unit, and the type of every variable.
#![allow(dead_code)]

use std::borrow::Cow;
use std::path::Path;

use gimli::{AttributeValue, EndianSlice, LittleEndian, UnitOffset};
use layout_expert::profile::model::{
    BaseId, BaseKind, BaseType, Enum, EnumId, Field, FunctionType, ProfileModel, Qualifier, Record,
    RecordId, RecordKind, SymbolType, TypeRef, Typedef, TypedefId,
};
use object::{Object, ObjectSection};
use rustc_hash::FxHashMap;

type Reader<'a> = EndianSlice<'a, LittleEndian>;

/// Compiles `source` with gcc (DWARF 5, as kbuild builds 6.1 with gcc-12) into `dir`, returning
/// the shared object's path.
pub fn compile_fixture(source: &Path, dir: &Path) -> std::path::PathBuf {
    let output = dir.join("fixture.so");
    let status = std::process::Command::new("gcc")
        .args(["-g", "-gdwarf-5", "-O0", "-shared", "-nostdlib", "-fPIC", "-o"])
        .arg(&output)
        .arg(source)
        .status()
        .expect("gcc must be installed for the profile tests");
    assert!(status.success(), "gcc failed on {}", source.display());
    output
}

/// Reads the DWARF of `object_path` into a model (records, enums, base types, typedefs, symbol
/// types; no config, symbols or banner).
pub fn model_from_dwarf(object_path: &Path) -> ProfileModel {
    let bytes = std::fs::read(object_path).unwrap();
    let file = object::File::parse(&*bytes).unwrap();
    let sections = gimli::DwarfSections::load(|id| -> Result<Cow<'_, [u8]>, gimli::Error> {
        Ok(file
            .section_by_name(id.name())
            .map(|s| s.uncompressed_data().unwrap())
            .unwrap_or(Cow::Borrowed(&[])))
    })
    .unwrap();
    let dwarf = sections.borrow(|section| EndianSlice::new(section, LittleEndian));
    let mut model = ProfileModel::default();
    let mut base_by_name: FxHashMap<String, BaseId> = FxHashMap::default();
    let mut units = dwarf.units();
    while let Some(header) = units.next().unwrap() {
        let unit = dwarf.unit(header).unwrap();
        let mut reader = UnitReader {
            dwarf: &dwarf,
            unit: &unit,
            model: &mut model,
            memo: FxHashMap::default(),
            base_by_name: &mut base_by_name,
        };
        let mut offsets = Vec::new();
        let mut cursor = unit.entries();
        let mut depth = 0isize;
        while let Some((delta, entry)) = cursor.next_dfs().unwrap() {
            depth += delta;
            if depth == 1 {
                offsets.push((entry.offset(), entry.tag()));
            }
        }
        for (offset, tag) in offsets {
            match tag {
                gimli::DW_TAG_variable => {
                    let entry = unit.entry(offset).unwrap();
                    let name = reader.name(&entry);
                    if let (Some(name), Some(ty)) = (name, reader.type_attr(&entry)) {
                        reader.model.symbol_types.push(SymbolType { name, ty });
                    }
                }
                gimli::DW_TAG_structure_type
                | gimli::DW_TAG_union_type
                | gimli::DW_TAG_enumeration_type
                | gimli::DW_TAG_typedef
                | gimli::DW_TAG_base_type => {
                    reader.ty(offset);
                }
                _ => {}
            }
        }
    }
    model
}

struct UnitReader<'a, 'm> {
    dwarf: &'a gimli::Dwarf<Reader<'a>>,
    unit: &'a gimli::Unit<Reader<'a>>,
    model: &'m mut ProfileModel,
    memo: FxHashMap<UnitOffset, TypeRef>,
    base_by_name: &'m mut FxHashMap<String, BaseId>,
}

impl UnitReader<'_, '_> {
    fn name(&self, entry: &gimli::DebuggingInformationEntry<'_, '_, Reader<'_>>) -> Option<String> {
        let value = entry.attr_value(gimli::DW_AT_name).unwrap()?;
        Some(self.dwarf.attr_string(self.unit, value).unwrap().to_string_lossy().into_owned())
    }

    fn udata(
        entry: &gimli::DebuggingInformationEntry<'_, '_, Reader<'_>>,
        attr: gimli::DwAt,
    ) -> Option<u64> {
        entry.attr_value(attr).unwrap().and_then(|v| v.udata_value())
    }

    fn type_attr(
        &mut self,
        entry: &gimli::DebuggingInformationEntry<'_, '_, Reader<'_>>,
    ) -> Option<TypeRef> {
        match entry.attr_value(gimli::DW_AT_type).unwrap()? {
            AttributeValue::UnitRef(offset) => Some(self.ty(offset)),
            other => panic!("unexpected type reference {other:?}"),
        }
    }

    fn children(&self, offset: UnitOffset) -> Vec<UnitOffset> {
        let mut tree = self.unit.entries_tree(Some(offset)).unwrap();
        let root = tree.root().unwrap();
        let mut children = root.children();
        let mut out = Vec::new();
        while let Some(child) = children.next().unwrap() {
            out.push(child.entry().offset());
        }
        out
    }

    fn ty(&mut self, offset: UnitOffset) -> TypeRef {
        if let Some(ty) = self.memo.get(&offset) {
            return ty.clone();
        }
        let entry = self.unit.entry(offset).unwrap();
        let ty = match entry.tag() {
            gimli::DW_TAG_base_type => {
                let name = self.name(&entry).unwrap();
                let size_bits = Self::udata(&entry, gimli::DW_AT_byte_size).unwrap() * 8;
                let encoding = match entry.attr_value(gimli::DW_AT_encoding).unwrap() {
                    Some(AttributeValue::Encoding(e)) => e,
                    other => panic!("base type without encoding: {other:?}"),
                };
                let (kind, signed) = match encoding {
                    gimli::DW_ATE_signed => (BaseKind::Int, true),
                    gimli::DW_ATE_unsigned => (BaseKind::Int, false),
                    gimli::DW_ATE_signed_char => (BaseKind::Char, true),
                    gimli::DW_ATE_unsigned_char => (BaseKind::Char, false),
                    gimli::DW_ATE_boolean => (BaseKind::Bool, false),
                    gimli::DW_ATE_float => (BaseKind::Float, true),
                    other => panic!("unsupported encoding {other}"),
                };
                let id = *self.base_by_name.entry(name.clone()).or_insert_with(|| {
                    self.model.base_types.push(BaseType { name, size_bits, signed, kind });
                    BaseId(self.model.base_types.len() as u32 - 1)
                });
                TypeRef::Base(id)
            }
            gimli::DW_TAG_pointer_type => {
                TypeRef::Pointer(Box::new(self.type_attr(&entry).unwrap_or(TypeRef::Void)))
            }
            gimli::DW_TAG_const_type
            | gimli::DW_TAG_volatile_type
            | gimli::DW_TAG_restrict_type => {
                let qualifier = match entry.tag() {
                    gimli::DW_TAG_const_type => Qualifier::Const,
                    gimli::DW_TAG_volatile_type => Qualifier::Volatile,
                    _ => Qualifier::Restrict,
                };
                TypeRef::Qualified(
                    qualifier,
                    Box::new(self.type_attr(&entry).unwrap_or(TypeRef::Void)),
                )
            }
            gimli::DW_TAG_typedef => {
                let id = TypedefId(self.model.typedefs.len() as u32);
                self.model
                    .typedefs
                    .push(Typedef { name: self.name(&entry).unwrap(), target: TypeRef::Void });
                self.memo.insert(offset, TypeRef::Typedef(id));
                let target = self.type_attr(&entry).unwrap_or(TypeRef::Void);
                self.model.typedefs[id.0 as usize].target = target;
                TypeRef::Typedef(id)
            }
            gimli::DW_TAG_structure_type | gimli::DW_TAG_union_type => {
                let kind = if entry.tag() == gimli::DW_TAG_union_type {
                    RecordKind::Union
                } else {
                    RecordKind::Struct
                };
                let declaration = entry.attr_value(gimli::DW_AT_declaration).unwrap().is_some();
                let id = RecordId(self.model.records.len() as u32);
                self.model.records.push(Record {
                    kind,
                    name: self.name(&entry),
                    size_bits: Self::udata(&entry, gimli::DW_AT_byte_size).unwrap_or(0) * 8,
                    fields: None,
                });
                self.memo.insert(offset, TypeRef::Record(id));
                if !declaration {
                    let mut fields = Vec::new();
                    for child in self.children(offset) {
                        let member = self.unit.entry(child).unwrap();
                        if member.tag() != gimli::DW_TAG_member {
                            continue;
                        }
                        let bit_width =
                            Self::udata(&member, gimli::DW_AT_bit_size).map(|w| w as u32);
                        let offset_bits = match Self::udata(&member, gimli::DW_AT_data_bit_offset) {
                            Some(bits) => bits,
                            None => {
                                Self::udata(&member, gimli::DW_AT_data_member_location).unwrap_or(0)
                                    * 8
                            }
                        };
                        let ty = self.type_attr(&member).unwrap();
                        fields.push(Field { name: self.name(&member), offset_bits, bit_width, ty });
                    }
                    self.model.records[id.0 as usize].fields = Some(fields);
                }
                TypeRef::Record(id)
            }
            gimli::DW_TAG_enumeration_type => {
                let underlying = self.type_attr(&entry);
                let signed = match underlying {
                    Some(TypeRef::Base(base)) => self.model.base(base).signed,
                    _ => false,
                };
                let mut constants = Vec::new();
                for child in self.children(offset) {
                    let enumerator = self.unit.entry(child).unwrap();
                    if enumerator.tag() != gimli::DW_TAG_enumerator {
                        continue;
                    }
                    let value =
                        match enumerator.attr_value(gimli::DW_AT_const_value).unwrap().unwrap() {
                            AttributeValue::Sdata(v) => i128::from(v),
                            AttributeValue::Udata(v) => i128::from(v),
                            AttributeValue::Data1(v) => {
                                if signed {
                                    i128::from(v as i8)
                                } else {
                                    i128::from(v)
                                }
                            }
                            AttributeValue::Data2(v) => {
                                if signed {
                                    i128::from(v as i16)
                                } else {
                                    i128::from(v)
                                }
                            }
                            AttributeValue::Data4(v) => {
                                if signed {
                                    i128::from(v as i32)
                                } else {
                                    i128::from(v)
                                }
                            }
                            AttributeValue::Data8(v) => {
                                if signed {
                                    i128::from(v as i64)
                                } else {
                                    i128::from(v)
                                }
                            }
                            other => panic!("enumerator value {other:?}"),
                        };
                    constants.push((self.name(&enumerator).unwrap(), value));
                }
                self.model.enums.push(Enum {
                    name: self.name(&entry),
                    // A declaration-only enum has no size; dwarf2json writes size 0 for it.
                    size_bits: Self::udata(&entry, gimli::DW_AT_byte_size).unwrap_or(0) * 8,
                    signed,
                    constants,
                });
                TypeRef::Enum(EnumId(self.model.enums.len() as u32 - 1))
            }
            gimli::DW_TAG_array_type => {
                let element = self.type_attr(&entry).unwrap();
                let mut counts = Vec::new();
                for child in self.children(offset) {
                    let subrange = self.unit.entry(child).unwrap();
                    if subrange.tag() != gimli::DW_TAG_subrange_type {
                        continue;
                    }
                    let count = Self::udata(&subrange, gimli::DW_AT_count).or_else(|| {
                        Self::udata(&subrange, gimli::DW_AT_upper_bound).map(|upper| upper + 1)
                    });
                    counts.push(count);
                }
                counts.into_iter().rev().fold(element, |element, count| TypeRef::Array {
                    count,
                    element: Box::new(element),
                })
            }
            gimli::DW_TAG_subroutine_type => {
                let ret = self.type_attr(&entry).unwrap_or(TypeRef::Void);
                let mut params = Vec::new();
                let mut variadic = false;
                for child in self.children(offset) {
                    let param = self.unit.entry(child).unwrap();
                    match param.tag() {
                        gimli::DW_TAG_formal_parameter => {
                            params.push(self.type_attr(&param).unwrap())
                        }
                        gimli::DW_TAG_unspecified_parameters => variadic = true,
                        _ => {}
                    }
                }
                TypeRef::Function(Box::new(FunctionType { ret, params, variadic }))
            }
            other => panic!("unsupported DWARF tag {other}"),
        };
        self.memo.insert(offset, ty.clone());
        ty
    }
}
