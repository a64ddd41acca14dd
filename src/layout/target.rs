//! The x86-64 System V data model (LP64) as GCC implements it: sizes and alignments of base types.

use crate::{layout::TyLayout, ty::BaseTy};

/// The size and alignment of a base type.
pub fn base_layout(base: BaseTy) -> TyLayout {
    let (size_bits, align_bits) = match base {
        BaseTy::Bool | BaseTy::Char | BaseTy::SChar | BaseTy::UChar => (8, 8),
        BaseTy::Short | BaseTy::UShort => (16, 16),
        BaseTy::Int | BaseTy::UInt | BaseTy::Float => (32, 32),
        BaseTy::Long | BaseTy::ULong | BaseTy::LongLong | BaseTy::ULongLong | BaseTy::Double => {
            (64, 64)
        }
        BaseTy::Int128 | BaseTy::UInt128 | BaseTy::LongDouble => (128, 128),
    };
    TyLayout { size_bits, align_bits }
}

/// The alignment of the integer machine mode of exactly `size_bits` bits (QI, HI, SI, DI, TI), if
/// there is one: GCC turns a bitfield of that width into an ordinary field of that mode when its
/// position allows, and the mode's alignment then takes part in the record's alignment.
pub(crate) fn integer_mode_align_bits(size_bits: u64) -> Option<u64> {
    match size_bits {
        8 | 16 | 32 | 64 | 128 => Some(size_bits),
        _ => None,
    }
}
