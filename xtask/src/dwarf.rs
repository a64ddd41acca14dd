//! Reads the DWARF of a compiled object (with gimli and object) into the canonical layouts of
//! `layout_json`.
//!
//! # Relocatable objects
//!
//! The oracle reads a `.o` file: a relocatable ELF object. In such a file the offsets that
//! `.debug_info` holds into `.debug_str`, `.debug_line_str`, `.debug_abbrev` and the other debug
//! sections are not final: on x86-64 the stored value is 0 and the real offset is the addend of a
//! `R_X86_64_32`/`R_X86_64_64` relocation in `.rela.debug_info` against the section symbol.
//! Without applying them every name would read as the first string of `.debug_str`. We load each
//! section together with `object`'s `RelocationMap` for it and read through gimli's
//! `RelocateReader`, which adds the addend whenever gimli reads an offset or an address at a
//! relocated position. Type references (`DW_FORM_ref4`, unit-relative) need no relocation.
//!
//! # Bit offsets: DWARF 4 versus DWARF 5
//!
//! A member's place is given in one of two ways, and we accept both:
//! - DWARF 5 (GCC's default with `-g` since GCC 11, and what kbuild produces): `DW_AT_data_bit_offset`
//!   is the bit offset of the field from the start of the containing record, in the little-endian
//!   numbering we use (bit 0 is the LSB of byte 0). Non-bitfields have `DW_AT_data_member_location`
//!   in bytes.
//! - DWARF 4 (`-gdwarf-4`): a bitfield has `DW_AT_data_member_location` = the byte offset of a
//!   storage unit, `DW_AT_byte_size` = the unit's size (defaulting to the size of the member's type),
//!   and `DW_AT_bit_offset` = the number of bits from the *most significant* bit of the unit to the
//!   most significant bit of the field (big-endian numbering, and it may be negative for a packed
//!   field that runs past its unit). On a little-endian machine the field's LSB position is
//!   `8 * location + 8 * byte_size - bit_offset - bit_size`.
//!
//! Records and enums nested inside functions (`DW_TAG_subprogram` and its lexical blocks) are
//! local types and are not reported.

use std::borrow::Cow;
use std::collections::BTreeMap;

use gimli::{constants as dw, AttributeValue, Reader as _};
use object::{Object as _, ObjectSection as _};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::layout_json::{Constants, Enum, Field, Layouts, Record, RecordKind};
use crate::util::Result;
use crate::{bail, format_err};

/// Reads every struct, union, enum and typedef from the DWARF of an ELF object (relocatable or
/// not) into a layout document whose `producer` is `"gcc-dwarf"`; the caller fills in the
/// provenance fields (`gcc_version`, `command`, `tree`, `source`).
pub fn read_object(data: &[u8]) -> Result<Layouts> {
    let file = object::File::parse(data).map_err(|e| format_err!("not an object file: {e}"))?;
    let sections = gimli::DwarfSections::load(|id| load_section(&file, id))?;
    let dwarf = sections.borrow(|section| {
        gimli::RelocateReader::new(
            gimli::EndianSlice::new(&section.data, gimli::LittleEndian),
            Relocations(&section.relocations),
        )
    });
    let mut layouts = Layouts::new("gcc-dwarf");
    let mut units = dwarf.units();
    while let Some(header) = units.next().map_err(|e| format_err!("reading .debug_info: {e}"))? {
        let version = header.version();
        layouts.dwarf_version = Some(layouts.dwarf_version.map_or(version, |v| v.max(version)));
        let unit = dwarf.unit(header).map_err(|e| format_err!("reading a unit header: {e}"))?;
        let dies = collect_dies(&dwarf, &unit)?;
        let typedef_targets = dies
            .dies
            .iter()
            .filter(|d| d.tag == dw::DW_TAG_typedef && !d.local && d.name.is_some())
            .filter_map(|d| d.ty)
            .collect();
        Converter { dies: &dies, typedef_targets }.convert_into(&mut layouts)?;
    }
    if layouts.dwarf_version.is_none() {
        bail!("the object has no DWARF (.debug_info is empty or missing)");
    }
    Ok(layouts)
}

type Slice<'a> = gimli::EndianSlice<'a, gimli::LittleEndian>;
type DwarfReader<'a> = gimli::RelocateReader<Slice<'a>, Relocations<'a>>;

/// A debug section's bytes (decompressed) and the relocations that apply to it.
struct LoadedSection<'data> {
    data: Cow<'data, [u8]>,
    relocations: object::RelocationMap,
}

fn load_section<'data>(
    file: &object::File<'data>,
    id: gimli::SectionId,
) -> Result<LoadedSection<'data>> {
    let Some(section) = file.section_by_name(id.name()) else {
        return Ok(LoadedSection {
            data: Cow::Borrowed(&[]),
            relocations: object::RelocationMap::default(),
        });
    };
    let data =
        section.uncompressed_data().map_err(|e| format_err!("section {}: {e}", id.name()))?;
    let relocations = section
        .relocation_map()
        .map_err(|e| format_err!("relocations of section {}: {e}", id.name()))?;
    Ok(LoadedSection { data, relocations })
}

/// Applies `object`'s relocation map whenever gimli reads an offset or address.
#[derive(Debug, Clone, Copy)]
struct Relocations<'a>(&'a object::RelocationMap);

impl gimli::read::Relocate<usize> for Relocations<'_> {
    fn relocate_address(&self, offset: usize, value: u64) -> gimli::Result<u64> {
        Ok(self.0.relocate(offset as u64, value))
    }

    fn relocate_offset(&self, offset: usize, value: usize) -> gimli::Result<usize> {
        <usize as gimli::ReaderOffset>::from_u64(self.0.relocate(offset as u64, value as u64))
    }
}

/// The attributes of one DIE that layouts need.
#[derive(Debug)]
struct Die {
    tag: gimli::DwTag,
    name: Option<String>,
    byte_size: Option<u64>,
    bit_size: Option<u64>,
    data_member_location: Option<u64>,
    data_bit_offset: Option<u64>,
    bit_offset: Option<i64>,
    ty: Option<usize>,
    declaration: bool,
    lower_bound: Option<i64>,
    upper_bound: Option<i64>,
    count: Option<u64>,
    const_value: Option<i128>,
    encoding: Option<gimli::DwAte>,
    children: Vec<usize>,
    /// Inside a function: a local type.
    local: bool,
}

/// All DIEs of one unit, in DFS order; `ty` holds indices into the same vector.
struct Dies {
    dies: Vec<Die>,
}

fn collect_dies(
    dwarf: &gimli::Dwarf<DwarfReader<'_>>,
    unit: &gimli::Unit<DwarfReader<'_>>,
) -> Result<Dies> {
    let mut dies: Vec<Die> = Vec::new();
    let mut index_of_offset: FxHashMap<usize, usize> = FxHashMap::default();
    // Type references by unit offset, resolved once all DIEs are known.
    let mut pending_types: Vec<(usize, usize)> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut depth: isize = 0;
    let mut entries = unit.entries();
    while let Some((delta, entry)) =
        entries.next_dfs().map_err(|e| format_err!("reading DIEs: {e}"))?
    {
        depth += delta;
        let depth_index = usize::try_from(depth).map_err(|_| format_err!("malformed DIE tree"))?;
        stack.truncate(depth_index);
        let parent = stack.last().copied();
        let idx = dies.len();
        let mut die = Die {
            tag: entry.tag(),
            name: None,
            byte_size: None,
            bit_size: None,
            data_member_location: None,
            data_bit_offset: None,
            bit_offset: None,
            ty: None,
            declaration: false,
            lower_bound: None,
            upper_bound: None,
            count: None,
            const_value: None,
            encoding: None,
            children: Vec::new(),
            local: false,
        };
        if let Some(p) = parent {
            let pdie = &dies[p];
            die.local = pdie.local
                || matches!(
                    pdie.tag,
                    dw::DW_TAG_subprogram
                        | dw::DW_TAG_lexical_block
                        | dw::DW_TAG_inlined_subroutine
                );
        }
        let mut attrs = entry.attrs();
        while let Some(attr) = attrs.next().map_err(|e| format_err!("reading attributes: {e}"))? {
            let value = attr.value();
            match attr.name() {
                dw::DW_AT_name => {
                    let s = dwarf
                        .attr_string(unit, value)
                        .map_err(|e| format_err!("reading a name: {e}"))?;
                    let s = s.to_string_lossy().map_err(|e| format_err!("reading a name: {e}"))?;
                    die.name = Some(s.into_owned());
                }
                dw::DW_AT_byte_size => die.byte_size = unsigned(&value),
                dw::DW_AT_bit_size => die.bit_size = unsigned(&value),
                dw::DW_AT_data_member_location => {
                    die.data_member_location = member_location(&value)
                }
                dw::DW_AT_data_bit_offset => die.data_bit_offset = unsigned(&value),
                dw::DW_AT_bit_offset => die.bit_offset = signed(&value),
                dw::DW_AT_type => {
                    let target = match value {
                        AttributeValue::UnitRef(offset) => offset.0,
                        AttributeValue::DebugInfoRef(offset) => match offset
                            .to_unit_offset(&unit.header)
                        {
                            Some(offset) => offset.0,
                            None => bail!("a type reference leaves its unit (DW_FORM_ref_addr)"),
                        },
                        other => bail!("unsupported DW_AT_type form: {other:?}"),
                    };
                    pending_types.push((idx, target));
                }
                dw::DW_AT_declaration => {
                    die.declaration = matches!(value, AttributeValue::Flag(true))
                }
                dw::DW_AT_lower_bound => die.lower_bound = signed(&value),
                dw::DW_AT_upper_bound => die.upper_bound = signed(&value),
                dw::DW_AT_count => die.count = unsigned(&value),
                dw::DW_AT_const_value => die.const_value = constant(&value),
                dw::DW_AT_encoding => {
                    if let AttributeValue::Encoding(encoding) = value {
                        die.encoding = Some(encoding);
                    }
                }
                _ => {}
            }
        }
        index_of_offset.insert(entry.offset().0, idx);
        if let Some(p) = parent {
            dies[p].children.push(idx);
        }
        dies.push(die);
        stack.push(idx);
    }
    for (idx, target) in pending_types {
        let target_idx = *index_of_offset.get(&target).ok_or_else(|| {
            format_err!("DW_AT_type refers to unit offset {target:#x}, which is no DIE")
        })?;
        dies[idx].ty = Some(target_idx);
    }
    Ok(Dies { dies })
}

fn unsigned(value: &AttributeValue<DwarfReader<'_>>) -> Option<u64> {
    match *value {
        AttributeValue::Data1(v) => Some(v.into()),
        AttributeValue::Data2(v) => Some(v.into()),
        AttributeValue::Data4(v) => Some(v.into()),
        AttributeValue::Data8(v) => Some(v),
        AttributeValue::Udata(v) => Some(v),
        AttributeValue::Sdata(v) => u64::try_from(v).ok(),
        _ => None,
    }
}

fn signed(value: &AttributeValue<DwarfReader<'_>>) -> Option<i64> {
    match *value {
        AttributeValue::Sdata(v) => Some(v),
        // GCC writes a constant with a data form only when it is not negative: data forms are
        // zero-extended (negative values, such as a DWARF 4 `DW_AT_bit_offset` of a packed
        // bitfield that runs past its storage unit, come as `DW_FORM_sdata`).
        AttributeValue::Data1(v) => Some(v.into()),
        AttributeValue::Data2(v) => Some(v.into()),
        AttributeValue::Data4(v) => Some(v.into()),
        AttributeValue::Data8(v) => i64::try_from(v).ok(),
        AttributeValue::Udata(v) => i64::try_from(v).ok(),
        _ => None,
    }
}

fn constant(value: &AttributeValue<DwarfReader<'_>>) -> Option<i128> {
    match *value {
        AttributeValue::Sdata(v) => Some(v.into()),
        AttributeValue::Data1(v) => Some(v.into()),
        AttributeValue::Data2(v) => Some(v.into()),
        AttributeValue::Data4(v) => Some(v.into()),
        AttributeValue::Data8(v) => Some(v.into()),
        AttributeValue::Udata(v) => Some(v.into()),
        _ => None,
    }
}

/// `DW_AT_data_member_location`: a constant, or (DWARF 2 style) `DW_OP_plus_uconst N`.
fn member_location(value: &AttributeValue<DwarfReader<'_>>) -> Option<u64> {
    if let AttributeValue::Exprloc(expr) = value {
        let mut reader = expr.0.clone();
        let op = reader.read_u8().ok()?;
        if op != dw::DW_OP_plus_uconst.0 {
            return None;
        }
        return reader.read_uleb128().ok();
    }
    unsigned(value)
}

/// Turns the DIEs of one unit into layouts.
struct Converter<'a> {
    dies: &'a Dies,
    /// The DIEs that a file-scope typedef names directly.
    typedef_targets: FxHashSet<usize>,
}

/// Rendering of a type as `base` + `dims`, so that an array of arrays lists its dimensions
/// outermost first.
struct TypeName {
    base: String,
    dims: String,
}

const MAX_DEPTH: usize = 64;

impl Converter<'_> {
    fn die(&self, idx: usize) -> &Die {
        &self.dies.dies[idx]
    }

    fn convert_into(&self, layouts: &mut Layouts) -> Result<()> {
        let mut declared = Vec::new();
        for (idx, die) in self.dies.dies.iter().enumerate() {
            if die.local {
                continue;
            }
            if die.declaration {
                if let (Some(name), Some(keyword)) = (&die.name, tag_keyword(die.tag)) {
                    declared.push(format!("{keyword} {name}"));
                }
                continue;
            }
            match die.tag {
                dw::DW_TAG_structure_type | dw::DW_TAG_union_type => {
                    if let Some(name) = &die.name {
                        let key = format!("{} {name}", record_kind(die.tag).keyword());
                        insert_record(&mut layouts.records, key, self.record(idx, 0)?)?;
                    }
                }
                dw::DW_TAG_enumeration_type => {
                    if let Some(name) = &die.name {
                        insert_enum(
                            &mut layouts.enums,
                            format!("enum {name}"),
                            self.enumeration(idx)?,
                        )?;
                    } else if !self.is_typedef_target(idx) {
                        let key = self.anonymous_enum_name(idx);
                        insert_enum(&mut layouts.enums, key, self.enumeration(idx)?)?;
                    }
                }
                dw::DW_TAG_typedef => {
                    let Some(name) = &die.name else { continue };
                    layouts.typedefs.insert(name.clone(), self.type_string(die.ty, 0)?);
                    let Some(target) = die.ty else { continue };
                    let tdie = self.die(target);
                    if tdie.name.is_some() || tdie.declaration {
                        continue;
                    }
                    match tdie.tag {
                        dw::DW_TAG_structure_type | dw::DW_TAG_union_type => {
                            insert_record(
                                &mut layouts.records,
                                name.clone(),
                                self.record(target, 0)?,
                            )?;
                        }
                        dw::DW_TAG_enumeration_type => {
                            insert_enum(
                                &mut layouts.enums,
                                name.clone(),
                                self.enumeration(target)?,
                            )?;
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        for key in declared {
            if !layouts.records.contains_key(&key) && !layouts.enums.contains_key(&key) {
                layouts.declarations.push(key);
            }
        }
        layouts.declarations.sort();
        layouts.declarations.dedup();
        Ok(())
    }

    /// Whether some typedef names this (tagless) DIE directly.
    fn is_typedef_target(&self, idx: usize) -> bool {
        self.typedef_targets.contains(&idx)
    }

    fn anonymous_enum_name(&self, idx: usize) -> String {
        let first = self
            .die(idx)
            .children
            .iter()
            .map(|&c| self.die(c))
            .find(|c| c.tag == dw::DW_TAG_enumerator)
            .and_then(|c| c.name.clone())
            .unwrap_or_default();
        format!("enum <anonymous:{first}>")
    }

    fn record(&self, idx: usize, depth: usize) -> Result<Record> {
        if depth > MAX_DEPTH {
            bail!("anonymous records nested more than {MAX_DEPTH} deep");
        }
        let die = self.die(idx);
        let kind = record_kind(die.tag);
        let size_bytes = die
            .byte_size
            .ok_or_else(|| format_err!("{} has no DW_AT_byte_size", self.describe(idx)))?;
        let mut fields = Vec::new();
        for &child in &die.children {
            let member = self.die(child);
            if member.tag != dw::DW_TAG_member {
                continue;
            }
            fields.push(self.field(idx, child, depth)?);
        }
        Ok(Record { kind, size_bits: bits(size_bytes)?, fields })
    }

    fn field(&self, record_idx: usize, idx: usize, depth: usize) -> Result<Field> {
        let member = self.die(idx);
        let what = || {
            format!(
                "member `{}` of {}",
                member.name.as_deref().unwrap_or("<anonymous>"),
                self.describe(record_idx)
            )
        };
        let ty = member.ty.ok_or_else(|| format_err!("{} has no type", what()))?;
        let location_bits = bits(member.data_member_location.unwrap_or(0))?;
        let (offset_bits, bit_size, bitfield) = match (member.bit_size, member.data_bit_offset) {
            // DWARF 5 bitfield.
            (Some(width), Some(bit_offset)) => (bit_offset, width, true),
            // DWARF 4 bitfield: convert big-endian DW_AT_bit_offset to the LSB position.
            (Some(width), None) => {
                let unit_bits = match member.byte_size {
                    Some(bytes) => bits(bytes)?,
                    None => self.size_bits(ty, 0)?,
                };
                let msb_offset = member.bit_offset.unwrap_or(0);
                let lsb = i128::from(location_bits) + i128::from(unit_bits)
                    - i128::from(msb_offset)
                    - i128::from(width);
                let lsb = u64::try_from(lsb)
                    .map_err(|_| format_err!("{}: negative bit offset {lsb}", what()))?;
                (lsb, width, true)
            }
            (None, Some(bit_offset)) => (bit_offset, self.size_bits(ty, 0)?, false),
            (None, None) => (location_bits, self.size_bits(ty, 0)?, false),
        };
        let record = match self.anonymous_record_reached(ty) {
            Some(rec_idx) => Some(Box::new(self.record(rec_idx, depth + 1)?)),
            None => None,
        };
        Ok(Field {
            name: member.name.clone(),
            offset_bits,
            bit_size,
            bitfield,
            ty: self.type_string(Some(ty), 0)?,
            record,
        })
    }

    /// The anonymous struct/union that `ty` is, or reaches through qualifiers, arrays and pointers
    /// (not through typedefs, which name it).
    fn anonymous_record_reached(&self, mut ty: usize) -> Option<usize> {
        for _ in 0..MAX_DEPTH {
            let die = self.die(ty);
            match die.tag {
                dw::DW_TAG_structure_type | dw::DW_TAG_union_type => {
                    return (die.name.is_none() && !die.declaration).then_some(ty);
                }
                dw::DW_TAG_const_type
                | dw::DW_TAG_volatile_type
                | dw::DW_TAG_restrict_type
                | dw::DW_TAG_atomic_type
                | dw::DW_TAG_array_type
                | dw::DW_TAG_pointer_type => ty = die.ty?,
                _ => return None,
            }
        }
        None
    }

    fn enumeration(&self, idx: usize) -> Result<Enum> {
        let die = self.die(idx);
        let size_bytes = die
            .byte_size
            .ok_or_else(|| format_err!("{} has no DW_AT_byte_size", self.describe(idx)))?;
        let mut constants = Vec::new();
        for &child in &die.children {
            let c = self.die(child);
            if c.tag != dw::DW_TAG_enumerator {
                continue;
            }
            let name = c.name.clone().ok_or_else(|| {
                format_err!("an enumerator of {} has no name", self.describe(idx))
            })?;
            let value = c
                .const_value
                .ok_or_else(|| format_err!("enumerator {name} has no DW_AT_const_value"))?;
            constants.push((name, value));
        }
        Ok(Enum { size_bits: bits(size_bytes)?, constants: Constants(constants) })
    }

    /// The size of a type in bits (0 for an array without bounds).
    fn size_bits(&self, idx: usize, depth: usize) -> Result<u64> {
        if depth > MAX_DEPTH {
            bail!("type chain too deep at {}", self.describe(idx));
        }
        let die = self.die(idx);
        match die.tag {
            dw::DW_TAG_typedef
            | dw::DW_TAG_const_type
            | dw::DW_TAG_volatile_type
            | dw::DW_TAG_restrict_type
            | dw::DW_TAG_atomic_type => match (die.byte_size, die.ty) {
                (Some(bytes), _) => bits(bytes),
                (None, Some(ty)) => self.size_bits(ty, depth + 1),
                (None, None) => bail!("sizeof(void) at {}", self.describe(idx)),
            },
            dw::DW_TAG_pointer_type => Ok(die.byte_size.map_or(Ok(64), bits)?),
            dw::DW_TAG_array_type => {
                if let Some(bytes) = die.byte_size {
                    return bits(bytes);
                }
                let elem = die.ty.ok_or_else(|| {
                    format_err!("array without element type at {}", self.describe(idx))
                })?;
                let mut total = self.size_bits(elem, depth + 1)?;
                for count in self.dims(idx)? {
                    let count = count.unwrap_or(0);
                    total = total.checked_mul(count).ok_or_else(|| {
                        format_err!("array size overflows at {}", self.describe(idx))
                    })?;
                }
                Ok(total)
            }
            _ => match die.byte_size {
                Some(bytes) => bits(bytes),
                None => bail!("{} has no size", self.describe(idx)),
            },
        }
    }

    /// The element counts of an array type's dimensions, outermost first; `None` for `[]`.
    fn dims(&self, idx: usize) -> Result<Vec<Option<u64>>> {
        let mut res = Vec::new();
        for &child in &self.die(idx).children {
            let sub = self.die(child);
            if sub.tag != dw::DW_TAG_subrange_type {
                continue;
            }
            let count = match (sub.count, sub.upper_bound) {
                (Some(count), _) => Some(count),
                (None, Some(upper)) => {
                    // GCC 12 writes `[0]` as `DW_AT_count 0`; an upper bound of -1 (older GCCs)
                    // also gives a count of 0.
                    let lower = sub.lower_bound.unwrap_or(0);
                    let count = upper - lower + 1;
                    Some(u64::try_from(count).map_err(|_| {
                        format_err!("negative array length at {}", self.describe(idx))
                    })?)
                }
                (None, None) => None,
            };
            res.push(count);
        }
        if res.is_empty() {
            res.push(None);
        }
        Ok(res)
    }

    /// The canonical type string of a type (`None` is `void`).
    fn type_string(&self, idx: Option<usize>, depth: usize) -> Result<String> {
        let name = self.type_name(idx, depth)?;
        Ok(name.base + &name.dims)
    }

    fn type_name(&self, idx: Option<usize>, depth: usize) -> Result<TypeName> {
        let Some(idx) = idx else {
            return Ok(TypeName { base: "void".to_owned(), dims: String::new() });
        };
        if depth > MAX_DEPTH {
            bail!("type chain too deep at {}", self.describe(idx));
        }
        let die = self.die(idx);
        let plain = |base: String| Ok(TypeName { base, dims: String::new() });
        match die.tag {
            dw::DW_TAG_base_type | dw::DW_TAG_typedef | dw::DW_TAG_unspecified_type => {
                plain(die.name.clone().unwrap_or_else(|| "<unnamed>".to_owned()))
            }
            dw::DW_TAG_structure_type | dw::DW_TAG_union_type => {
                let keyword = record_kind(die.tag).keyword();
                plain(format!("{keyword} {}", die.name.as_deref().unwrap_or("<anonymous>")))
            }
            dw::DW_TAG_enumeration_type => match &die.name {
                Some(name) => plain(format!("enum {name}")),
                None => plain(self.anonymous_enum_name(idx)),
            },
            dw::DW_TAG_const_type
            | dw::DW_TAG_volatile_type
            | dw::DW_TAG_restrict_type
            | dw::DW_TAG_atomic_type => self.type_name(die.ty, depth + 1),
            dw::DW_TAG_pointer_type => plain(format!("{} *", self.type_string(die.ty, depth + 1)?)),
            dw::DW_TAG_subroutine_type => plain("fn".to_owned()),
            dw::DW_TAG_array_type => {
                let elem = self.type_name(die.ty, depth + 1)?;
                let mut dims = String::new();
                for count in self.dims(idx)? {
                    match count {
                        Some(n) => dims.push_str(&format!("[{n}]")),
                        None => dims.push_str("[]"),
                    }
                }
                Ok(TypeName { base: elem.base, dims: dims + &elem.dims })
            }
            other => bail!("unsupported type DIE {other} at {}", self.describe(idx)),
        }
    }

    fn describe(&self, idx: usize) -> String {
        let die = self.die(idx);
        match &die.name {
            Some(name) => format!("{} `{name}`", die.tag),
            None => format!("anonymous {}", die.tag),
        }
    }
}

/// `struct`, `union` or `enum` for a tagged type DIE.
fn tag_keyword(tag: gimli::DwTag) -> Option<&'static str> {
    match tag {
        dw::DW_TAG_structure_type => Some("struct"),
        dw::DW_TAG_union_type => Some("union"),
        dw::DW_TAG_enumeration_type => Some("enum"),
        _ => None,
    }
}

fn record_kind(tag: gimli::DwTag) -> RecordKind {
    if tag == dw::DW_TAG_union_type {
        RecordKind::Union
    } else {
        RecordKind::Struct
    }
}

fn bits(bytes: u64) -> Result<u64> {
    bytes.checked_mul(8).ok_or_else(|| format_err!("size {bytes} bytes overflows in bits"))
}

fn insert_record(
    records: &mut BTreeMap<String, Record>,
    key: String,
    record: Record,
) -> Result<()> {
    match records.get(&key) {
        Some(existing) if *existing != record => bail!("two different definitions of `{key}`"),
        Some(_) => Ok(()),
        None => {
            records.insert(key, record);
            Ok(())
        }
    }
}

fn insert_enum(enums: &mut BTreeMap<String, Enum>, key: String, value: Enum) -> Result<()> {
    match enums.get(&key) {
        Some(existing) if *existing != value => bail!("two different definitions of `{key}`"),
        Some(_) => Ok(()),
        None => {
            enums.insert(key, value);
            Ok(())
        }
    }
}
