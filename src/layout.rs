//! Compute the memory layout of a resolved type with GCC's x86-64 System V rules.
//!
//! The functions here are pure: they take a [`Ty`] and return sizes, alignments and bit offsets,
//! never touching the database, the file system or a configuration. Every quantity is in bits
//! (`_bits`), arithmetic is checked, and a layout we cannot be sure of is a [`LayoutError`], never
//! a guess. The rules for records live in `record`, the data model in `target`; the salsa query
//! `layout` (in `query`) memoises the same functions per interned record. What the layout
//! attributes mean in each position, and the fixture pinning each rule, is written down in
//! `docs/layout-attributes.md`.

pub mod query;
mod record;
mod target;

#[cfg(test)]
pub(crate) mod tests;

use std::{fmt, sync::Arc};

use crate::ty::{EnumTy, RecordTy, Ty};

pub use crate::layout::{
    record::{enum_layout, record_layout},
    target::base_layout,
};

/// The size and alignment of a type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TyLayout {
    /// `sizeof` in bits (0 for an empty struct and for a flexible or zero-length array).
    pub size_bits: u64,
    /// `_Alignof` in bits; a power of two, at least 8.
    pub align_bits: u64,
}

/// The layout of one struct or union.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecordLayout {
    pub size_bits: u64,
    pub align_bits: u64,
    /// One entry per field of the record, in declaration order (unnamed bitfields included).
    pub fields: Vec<FieldLayout>,
}

/// Where one field lives inside the record that directly contains it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldLayout {
    /// The bit offset of the field's first bit (bit `n` is bit `n % 8` of byte `n / 8`).
    pub offset_bits: u64,
    /// The bitfield width, or the size of the field's type.
    pub size_bits: u64,
}

impl RecordLayout {
    pub fn ty_layout(&self) -> TyLayout {
        TyLayout { size_bits: self.size_bits, align_bits: self.align_bits }
    }
}

/// A source of memoised record layouts (the resolver's cache, or the salsa query).
pub type RecordLayoutFn<'a> =
    dyn FnMut(&Arc<RecordTy>) -> Result<Arc<RecordLayout>, LayoutError> + 'a;

/// Why a type has no layout.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LayoutError {
    /// A struct, union, enum or typedef that is only declared, used by value.
    Incomplete(String),
    /// `void` or a function type used by value.
    NotAnObject(String),
    /// A size that does not fit in 64 bits of bits.
    Overflow,
    /// An alignment that is not a power of two, or an array whose elements are smaller than their
    /// alignment (GCC rejects both).
    BadAlignment(String),
    /// A bitfield wider than its type, or of a type that cannot be a bitfield.
    BadBitfield(String),
    /// A type that contains itself by value.
    Recursive(String),
    /// A construct whose layout we do not know exactly.
    Uncertain(String),
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::Incomplete(what) => write!(f, "incomplete type `{what}` used by value"),
            LayoutError::NotAnObject(what) => write!(f, "`{what}` has no size"),
            LayoutError::Overflow => f.write_str("size overflows"),
            LayoutError::BadAlignment(what) => write!(f, "invalid alignment: {what}"),
            LayoutError::BadBitfield(what) => write!(f, "invalid bitfield: {what}"),
            LayoutError::Recursive(what) => write!(f, "`{what}` contains itself by value"),
            LayoutError::Uncertain(what) => write!(f, "layout not known exactly: {what}"),
        }
    }
}

/// The size and alignment of `ty`, laying out nested records through `record`.
///
/// `record` lets a caller memoise record layouts (the salsa query does); [`layout_of`] is the
/// plain recursive version.
pub fn ty_layout(
    ty: &Ty,
    record: &mut dyn FnMut(&Arc<RecordTy>) -> Result<TyLayout, LayoutError>,
) -> Result<TyLayout, LayoutError> {
    match ty {
        Ty::Void => Err(LayoutError::NotAnObject("void".into())),
        Ty::Function(_) => Err(LayoutError::NotAnObject("function type".into())),
        Ty::Base(base) => Ok(base_layout(*base)),
        Ty::Pointer(_) => Ok(TyLayout { size_bits: 64, align_bits: 64 }),
        Ty::Array(elem, len) => {
            let elem_layout = ty_layout(elem, record)?;
            let Some(len) = len else {
                return Ok(TyLayout { size_bits: 0, align_bits: elem_layout.align_bits });
            };
            if *len > 0 && elem_layout.size_bits % elem_layout.align_bits != 0 {
                return Err(LayoutError::BadAlignment(format!(
                    "alignment of array elements of `{elem}` is greater than their size"
                )));
            }
            let size_bits = elem_layout.size_bits.checked_mul(*len).ok_or(LayoutError::Overflow)?;
            Ok(TyLayout { size_bits, align_bits: elem_layout.align_bits })
        }
        Ty::Record(rec) => record(rec),
        Ty::RecordRef(kind, tag) => {
            Err(LayoutError::Incomplete(format!("{} {tag}", kind.keyword())))
        }
        Ty::Enum(def) => enum_layout(def).map(|it| it.0),
        Ty::EnumRef(tag) => Err(LayoutError::Incomplete(format!("enum {tag}"))),
        Ty::TypedefRef(name) => Err(LayoutError::Incomplete(name.to_string())),
        Ty::Typedef(def) => {
            let inner = ty_layout(&def.ty, record)?;
            match def.align_bits {
                Some(align_bits) => {
                    check_align(align_bits)?;
                    Ok(TyLayout { size_bits: inner.size_bits, align_bits })
                }
                None => Ok(inner),
            }
        }
    }
}

/// The size and alignment of `ty`, recursing into nested records without memoisation.
pub fn layout_of(ty: &Ty) -> Result<TyLayout, LayoutError> {
    ty_layout(ty, &mut |rec| layout_of_record(rec).map(|it| it.ty_layout()))
}

/// The layout of a record, recursing into nested records without memoisation.
pub fn layout_of_record(rec: &RecordTy) -> Result<RecordLayout, LayoutError> {
    record_layout(rec, &mut |ty| layout_of(ty))
}

/// The underlying integer type GCC gives an enum, with its layout.
pub fn layout_of_enum(def: &EnumTy) -> Result<TyLayout, LayoutError> {
    enum_layout(def).map(|it| it.0)
}

pub(crate) fn check_align(align_bits: u64) -> Result<(), LayoutError> {
    if align_bits.is_power_of_two() && align_bits >= 8 {
        Ok(())
    } else {
        Err(LayoutError::BadAlignment(format!("{align_bits} bits is not a power of two bytes")))
    }
}
