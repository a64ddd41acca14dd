//! GCC's record layout (`stor-layout.c`: `place_field`, `update_alignment_for_field`,
//! `layout_decl`) for x86-64, where `PCC_BITFIELD_TYPE_MATTERS` holds, unnamed bitfields do not
//! align the record, and there is no `#pragma pack` or `ms_struct`.
//!
//! Each rule names the fixture test in `layout::tests` that pins it down against gcc-12.

use crate::{
    layout::{
        check_align, target::integer_mode_align_bits, FieldLayout, LayoutError, RecordLayout,
        TyLayout,
    },
    ty::{BaseTy, EnumTy, RecordKind, RecordTy, Ty},
};

const BITS_PER_UNIT: u64 = 8;
/// BIGGEST_ALIGNMENT: 16 bytes on x86-64 without AVX (the kernel's flags).
const BIGGEST_ALIGNMENT_BITS: u64 = 128;

/// Lays out a struct or union; `field_ty` gives the layout of each field's type.
pub fn record_layout(
    rec: &RecordTy,
    field_ty: &mut dyn FnMut(&Ty) -> Result<TyLayout, LayoutError>,
) -> Result<RecordLayout, LayoutError> {
    if let Some(align_bits) = rec.align_bits {
        check_align(align_bits)?;
    }
    // The record's alignment starts at one byte or its own `aligned(N)`, whichever is larger;
    // an `aligned` on a record never lowers it (test `struct_aligned_attribute_cannot_lower`).
    let mut record_align_bits = rec.align_bits.unwrap_or(BITS_PER_UNIT).max(BITS_PER_UNIT);
    // `start_record_layout`: the unit in which `place_field` keeps the byte offset.
    let offset_align_bits = record_align_bits.max(BIGGEST_ALIGNMENT_BITS);
    let mut pos_bits: u64 = 0;
    let mut union_size_bits: u64 = 0;
    let mut fields = Vec::with_capacity(rec.fields.len());
    let n_fields = rec.fields.len();
    for (idx, field) in rec.fields.iter().enumerate() {
        let field_name = field.name.as_deref().unwrap_or("<anonymous>");
        let ty = &field.ty;
        let ty_layout = match ty.strip_typedefs() {
            // A flexible array member must come last in a struct (GCC rejects it elsewhere).
            Ty::Array(_, None) if idx + 1 != n_fields || rec.kind == RecordKind::Union => {
                return Err(LayoutError::Uncertain(format!(
                    "flexible array member `{field_name}` is not the last member of a struct"
                )))
            }
            _ => field_ty(ty)?,
        };
        if let Some(align_bits) = field.align_bits {
            check_align(align_bits)?;
        }
        let width_bits = match field.bit_width {
            Some(width) => {
                if !ty.is_integer_like() {
                    return Err(LayoutError::BadBitfield(format!(
                        "`{field_name}` has non-integer type `{ty}`"
                    )));
                }
                if width > ty_layout.size_bits {
                    return Err(LayoutError::BadBitfield(format!(
                        "width of `{field_name}` exceeds its type"
                    )));
                }
                if width == 0 && field.name.is_some() {
                    return Err(LayoutError::BadBitfield(format!(
                        "zero width for bitfield `{field_name}`"
                    )));
                }
                width
            }
            None => ty_layout.size_bits,
        };
        let is_bitfield = field.bit_width.is_some();
        let zero_width = is_bitfield && width_bits == 0;
        // A member of a packed record is packed when it is a bitfield or would otherwise be
        // aligned to more than a byte (`finish_struct` in c-decl.c).
        let packed =
            field.packed || (rec.packed && (is_bitfield || ty_layout.align_bits > BITS_PER_UNIT));

        // The alignment already guaranteed at the current position (0: the start, any alignment).
        let known_align_bits = if pos_bits == 0 { 0 } else { 1u64 << pos_bits.trailing_zeros() };

        // `layout_decl`: the field's own alignment (DECL_ALIGN).
        let user_align_bits = field.align_bits;
        let mut decl_align_bits = user_align_bits.unwrap_or(1);
        let mut still_bitfield = is_bitfield;
        // Zero-width bitfields ignore packing (test `zero_width_bitfield_in_packed_struct`).
        let packed_p = packed && !zero_width;
        if is_bitfield {
            if zero_width {
                decl_align_bits = decl_align_bits.max(ty_layout.align_bits);
            } else if let Some(mode_align_bits) = integer_mode_align_bits(width_bits) {
                // A bitfield with the width of an integer mode, at a position aligned for that
                // mode, becomes an ordinary field of that mode (test `bitfield_of_mode_width`).
                if !(mode_align_bits > BITS_PER_UNIT && packed)
                    && (known_align_bits == 0 || known_align_bits >= mode_align_bits)
                {
                    decl_align_bits = decl_align_bits.max(mode_align_bits);
                    still_bitfield = false;
                }
            }
        } else if packed_p && user_align_bits.is_some() {
            // An explicit `aligned` on a packed member is its alignment, even below the type's
            // (test `packed_field_with_aligned`).
        } else {
            decl_align_bits = decl_align_bits.max(ty_layout.align_bits);
        }
        // Packing supersedes an alignment inherited from the type, but not one written on the
        // member (test `packed_struct_with_typedef_aligned_member`).
        if packed_p && user_align_bits.is_none() {
            decl_align_bits = decl_align_bits.min(BITS_PER_UNIT);
        }
        // `#pragma pack(N)` caps every member's alignment, an explicit `aligned` included, except
        // a zero-width bitfield's (test `pragma_pack` in decl::tests).
        if let (Some(max_bits), false) = (rec.max_field_align_bits, zero_width) {
            decl_align_bits = decl_align_bits.min(max_bits);
        }
        let desired_align_bits = decl_align_bits;

        // `update_alignment_for_field`: the record's alignment.
        if is_bitfield {
            // Only named bitfields align the record, with their declared type's alignment
            // (tests `unnamed_bitfield_does_not_align_record`, `named_bitfield_aligns_record`).
            if field.name.is_some() {
                let mut type_align_bits = ty_layout.align_bits;
                if !zero_width {
                    if let Some(max_bits) = rec.max_field_align_bits {
                        type_align_bits = type_align_bits.min(max_bits);
                    } else if packed {
                        type_align_bits = type_align_bits.min(BITS_PER_UNIT);
                    }
                }
                record_align_bits = record_align_bits.max(desired_align_bits).max(type_align_bits);
            }
        } else {
            record_align_bits = record_align_bits.max(desired_align_bits);
        }

        if rec.kind == RecordKind::Union {
            // Every member of a union starts at 0; the union is as large as its largest member,
            // counted in whole bytes (test `union_of_bitfields`).
            let bytes_bits = width_bits
                .div_ceil(BITS_PER_UNIT)
                .checked_mul(BITS_PER_UNIT)
                .ok_or(LayoutError::Overflow)?;
            union_size_bits = union_size_bits.max(bytes_bits);
            fields.push(FieldLayout { offset_bits: 0, size_bits: width_bits });
            continue;
        }

        // `place_field` keeps the position as a byte offset, a multiple of `offset_align` (16
        // bytes, or the record's own larger `aligned`), plus a bit position below it; aligning
        // for a field of at least that alignment moves the offset itself.
        let mut unit_base_bits = pos_bits - pos_bits % offset_align_bits;
        if known_align_bits < desired_align_bits {
            pos_bits = round_up(pos_bits, desired_align_bits)?;
            if desired_align_bits >= offset_align_bits {
                unit_base_bits = pos_bits;
            }
        }
        // A bitfield may not span more units of its type's alignment than the type itself
        // (tests `bitfield_does_not_straddle`, `packed_bitfield_straddles`); under
        // `#pragma pack` it may.
        if still_bitfield
            && (!packed || ty_layout.align_bits <= BITS_PER_UNIT)
            && rec.max_field_align_bits.is_none()
            && width_bits != 0
        {
            let type_align_bits = ty_layout.align_bits;
            let in_unit_bits = pos_bits % type_align_bits;
            let units_spanned = (in_unit_bits + width_bits).div_ceil(type_align_bits);
            if units_spanned > ty_layout.size_bits / type_align_bits && !packed {
                // GCC rounds the bit position up, not the whole position: for a type aligned
                // beyond `offset_align` the result is relative to the offset (test
                // `bitfield_of_type_aligned_beyond_16_bytes`).
                pos_bits = unit_base_bits
                    .checked_add(round_up(pos_bits - unit_base_bits, type_align_bits)?)
                    .ok_or(LayoutError::Overflow)?;
            }
        }
        fields.push(FieldLayout { offset_bits: pos_bits, size_bits: width_bits });
        pos_bits = pos_bits.checked_add(width_bits).ok_or(LayoutError::Overflow)?;
    }
    let unpadded_bits = match rec.kind {
        RecordKind::Struct => pos_bits,
        RecordKind::Union => union_size_bits,
    };
    let size_bits = round_up(unpadded_bits, record_align_bits)?;
    Ok(RecordLayout { size_bits, align_bits: record_align_bits, fields })
}

/// The layout of an enum and the integer type GCC gives it (`finish_enum` in c-decl.c): `unsigned
/// int` when no value is negative, else `int`; the smallest type that holds every value when the
/// values need more than 32 bits or the enum is packed; the mode's size under `mode(...)`.
pub fn enum_layout(def: &EnumTy) -> Result<(TyLayout, BaseTy), LayoutError> {
    let min = def.constants.iter().map(|it| it.1).min().unwrap_or(0).min(0);
    let max = def.constants.iter().map(|it| it.1).max().unwrap_or(0).max(0);
    let unsigned = min >= 0;
    let precision = min_precision(min, unsigned).max(min_precision(max, unsigned));
    let base = if let Some(mode_bits) = def.mode_bits {
        BaseTy::integer_of_size(mode_bits, !unsigned)
            .ok_or_else(|| LayoutError::Uncertain(format!("enum mode of {mode_bits} bits")))?
    } else if def.packed || precision > 32 {
        let size_bits =
            [8, 16, 32, 64, 128].into_iter().find(|it| *it >= precision).ok_or_else(|| {
                LayoutError::Uncertain("enumeration values exceed every integer type".into())
            })?;
        let base = BaseTy::integer_of_size(size_bits, !unsigned).ok_or(LayoutError::Overflow)?;
        // GCC picks `char`-sized types as `unsigned char` / `signed char`, `long` for 64 bits.
        base
    } else if unsigned {
        BaseTy::UInt
    } else {
        BaseTy::Int
    };
    let mut layout = crate::layout::base_layout(base);
    if let Some(align_bits) = def.align_bits {
        check_align(align_bits)?;
        layout.align_bits = layout.align_bits.max(align_bits);
    }
    Ok((layout, base))
}

/// The number of bits needed to hold `value` in a type of the given signedness.
fn min_precision(value: i128, unsigned: bool) -> u64 {
    if unsigned {
        (128 - (value as u128).leading_zeros() as u64).max(1)
    } else if value < 0 {
        129 - (!value as u128).leading_zeros() as u64
    } else {
        129 - (value as u128).leading_zeros() as u64
    }
}

fn round_up(value_bits: u64, align_bits: u64) -> Result<u64, LayoutError> {
    debug_assert!(align_bits.is_power_of_two());
    value_bits.checked_next_multiple_of(align_bits).ok_or(LayoutError::Overflow)
}
