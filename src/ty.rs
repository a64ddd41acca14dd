//! The resolved C type model: what the declaration parser produces and the layout engine consumes.
//!
//! A [`Ty`] is a value: records met by value are complete definitions held inline (behind an
//! `Arc`), while a pointer's target keeps only what naming it needs, so `struct list_head *next`
//! inside `struct list_head` is no cycle. Attributes that change a layout (`packed`, `aligned`,
//! `mode`) are already folded into the fields of these types; attributes that cannot change one
//! are gone. Types carry no source positions, so two configurations that yield the same
//! declaration yield equal types (and salsa shares their layouts).

use std::{fmt, sync::Arc};

use smol_str::SmolStr;

/// A C base type of the x86-64 System V data model (LP64).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BaseTy {
    Bool,
    Char,
    SChar,
    UChar,
    Short,
    UShort,
    Int,
    UInt,
    Long,
    ULong,
    LongLong,
    ULongLong,
    Int128,
    UInt128,
    Float,
    Double,
    LongDouble,
}

impl BaseTy {
    /// The name GCC writes into DWARF (`DW_AT_name` of the base type).
    pub fn gcc_name(self) -> &'static str {
        match self {
            BaseTy::Bool => "_Bool",
            BaseTy::Char => "char",
            BaseTy::SChar => "signed char",
            BaseTy::UChar => "unsigned char",
            BaseTy::Short => "short int",
            BaseTy::UShort => "short unsigned int",
            BaseTy::Int => "int",
            BaseTy::UInt => "unsigned int",
            BaseTy::Long => "long int",
            BaseTy::ULong => "long unsigned int",
            BaseTy::LongLong => "long long int",
            BaseTy::ULongLong => "long long unsigned int",
            BaseTy::Int128 => "__int128",
            BaseTy::UInt128 => "__int128 unsigned",
            BaseTy::Float => "float",
            BaseTy::Double => "double",
            BaseTy::LongDouble => "long double",
        }
    }

    /// A spelling C accepts, for generated fixtures.
    pub fn c_spelling(self) -> &'static str {
        match self {
            BaseTy::UInt128 => "unsigned __int128",
            _ => self.gcc_name(),
        }
    }

    /// Whether the type is an integer type (including `_Bool` and the character types).
    pub fn is_integer(self) -> bool {
        !matches!(self, BaseTy::Float | BaseTy::Double | BaseTy::LongDouble)
    }

    /// Whether the integer type is signed (plain `char` is signed on x86-64).
    pub fn is_signed(self) -> bool {
        matches!(
            self,
            BaseTy::Char
                | BaseTy::SChar
                | BaseTy::Short
                | BaseTy::Int
                | BaseTy::Long
                | BaseTy::LongLong
                | BaseTy::Int128
        )
    }

    /// The integer type of `size_bits` bits and the given signedness (the `mode` attribute).
    pub fn integer_of_size(size_bits: u64, signed: bool) -> Option<BaseTy> {
        Some(match (size_bits, signed) {
            (8, true) => BaseTy::SChar,
            (8, false) => BaseTy::UChar,
            (16, true) => BaseTy::Short,
            (16, false) => BaseTy::UShort,
            (32, true) => BaseTy::Int,
            (32, false) => BaseTy::UInt,
            (64, true) => BaseTy::Long,
            (64, false) => BaseTy::ULong,
            (128, true) => BaseTy::Int128,
            (128, false) => BaseTy::UInt128,
            _ => return None,
        })
    }
}

/// `struct` or `union`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    Struct,
    Union,
}

impl RecordKind {
    pub fn keyword(self) -> &'static str {
        match self {
            RecordKind::Struct => "struct",
            RecordKind::Union => "union",
        }
    }
}

/// A resolved type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum Ty {
    #[default]
    Void,
    Base(BaseTy),
    /// A pointer; the target is kept for naming only (its layout never matters).
    Pointer(Arc<Ty>),
    /// An array; `len == None` is a flexible array member `T x[]`.
    Array(Arc<Ty>, Option<u64>),
    /// A function type (only behind a pointer in a valid record), with its signature.
    Function(Arc<FnSig>),
    /// A complete struct or union definition.
    Record(Arc<RecordTy>),
    /// A struct or union known by its tag only: a pointer target, or an incomplete type.
    RecordRef(RecordKind, SmolStr),
    /// A complete enum.
    Enum(Arc<EnumTy>),
    /// An enum known by its tag only (a pointer target).
    EnumRef(SmolStr),
    /// A typedef name and what it stands for.
    Typedef(Arc<TypedefTy>),
    /// A typedef name only (a pointer target: the name is all naming needs).
    TypedefRef(SmolStr),
}

/// A struct or union definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordTy {
    pub kind: RecordKind,
    /// The tag; `None` for an anonymous record.
    pub tag: Option<SmolStr>,
    pub fields: Vec<FieldTy>,
    /// `__attribute__((packed))` on the record.
    pub packed: bool,
    /// The largest `aligned(N)` on the record, in bits.
    pub align_bits: Option<u64>,
    /// `#pragma pack(N)` in effect where the record is defined: GCC's `maximum_field_alignment`,
    /// in bits (`None`: no pack in effect).
    pub max_field_align_bits: Option<u64>,
}

/// Shallow: the record's own attributes and its members' names and widths, not their types, so
/// hashing a record (the `layout` query interns records by value) costs its size, not the size
/// of everything it contains. Equal records hash equally, as `Hash` requires; records that differ
/// only in a member's type collide and are told apart by `Eq`.
impl std::hash::Hash for RecordTy {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
        self.tag.hash(state);
        self.packed.hash(state);
        self.align_bits.hash(state);
        self.max_field_align_bits.hash(state);
        self.fields.len().hash(state);
        for field in &self.fields {
            field.name.hash(state);
            field.bit_width.hash(state);
            field.packed.hash(state);
            field.align_bits.hash(state);
        }
    }
}

/// One member of a record, as declared.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldTy {
    /// `None` for an anonymous struct/union member or an unnamed bitfield.
    pub name: Option<SmolStr>,
    pub ty: Ty,
    /// The width for a bitfield (`0` for a zero-width one), `None` otherwise.
    pub bit_width: Option<u64>,
    /// `__attribute__((packed))` on the member.
    pub packed: bool,
    /// The largest `aligned(N)` on the member, in bits.
    pub align_bits: Option<u64>,
}

/// An enum definition with its evaluated constants.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EnumTy {
    pub tag: Option<SmolStr>,
    pub constants: Vec<(SmolStr, i128)>,
    /// `__attribute__((packed))`: the smallest integer type that holds every value.
    pub packed: bool,
    /// `mode(...)` on the enum, as a size in bits.
    pub mode_bits: Option<u64>,
    /// `aligned(N)` on the enum, in bits.
    pub align_bits: Option<u64>,
}

/// The return and parameter types of a function type, resolved shallowly (records by tag), so
/// the debug-info closure can follow them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FnSig {
    pub ret: Ty,
    pub params: Vec<Ty>,
    /// The parameter list ends with `...`.
    pub variadic: bool,
}

/// A typedef.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypedefTy {
    pub name: SmolStr,
    pub ty: Ty,
    /// `aligned(N)` on the typedef, in bits: it sets the alignment, and may lower it.
    pub align_bits: Option<u64>,
}

impl Ty {
    /// Follows typedefs to the type they name.
    pub fn strip_typedefs(&self) -> &Ty {
        let mut ty = self;
        while let Ty::Typedef(def) = ty {
            ty = &def.ty;
        }
        ty
    }

    /// The integer base type behind this type for arithmetic: base integers and enums.
    pub fn is_integer_like(&self) -> bool {
        match self.strip_typedefs() {
            Ty::Base(base) => base.is_integer(),
            Ty::Enum(_) => true,
            _ => false,
        }
    }
}

impl fmt::Display for Ty {
    /// The canonical type string of the layout JSON (`"long unsigned int"`, `"struct page *"`,
    /// `"int[2][3]"`, `"fn *"`); qualifiers are not part of the model.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Void => f.write_str("void"),
            Ty::Base(base) => f.write_str(base.gcc_name()),
            Ty::Pointer(target) => write!(f, "{target} *"),
            Ty::Array(..) => {
                let mut elem = self;
                let mut dims = String::new();
                while let Ty::Array(inner, len) = elem {
                    match len {
                        Some(n) => dims.push_str(&format!("[{n}]")),
                        None => dims.push_str("[]"),
                    }
                    elem = inner;
                }
                write!(f, "{elem}{dims}")
            }
            Ty::Function(_) => f.write_str("fn"),
            Ty::Record(rec) => match &rec.tag {
                Some(tag) => write!(f, "{} {tag}", rec.kind.keyword()),
                None => write!(f, "{} <anonymous>", rec.kind.keyword()),
            },
            Ty::RecordRef(kind, tag) => write!(f, "{} {tag}", kind.keyword()),
            Ty::Enum(def) => match &def.tag {
                Some(tag) => write!(f, "enum {tag}"),
                None => match def.constants.first() {
                    Some((first, _)) => write!(f, "enum <anonymous:{first}>"),
                    None => f.write_str("enum <anonymous>"),
                },
            },
            Ty::EnumRef(tag) => write!(f, "enum {tag}"),
            Ty::Typedef(def) => f.write_str(&def.name),
            Ty::TypedefRef(name) => f.write_str(name),
        }
    }
}
