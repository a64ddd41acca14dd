//! The profile model: everything the Rekall and Volatility 3 writers need, independent of how the
//! engine computed it.
//!
//! This is the boundary between the engine (preprocessor, declarations, layout) and the output
//! formats. The engine fills a [`ProfileModel`]; `profile::rekall` and `profile::isf` read it and
//! nothing else. The model is plain data: it derives no serde traits, holds no salsa handles and
//! no source positions, and every quantity that is a size or an offset is in bits (`_bits`).
//! Bytes appear only in the writers.
//!
//! Types refer to each other through indices ([`RecordId`], [`EnumId`], [`BaseId`],
//! [`TypedefId`]) into the model's tables, so recursive types (`struct list_head` pointing to
//! itself) need no special handling, and an anonymous record has a stable identity (its index)
//! even though it has no name. A type reference ([`TypeRef`]) keeps the C-level structure GCC
//! writes into DWARF: typedef names and qualifiers stay in the reference, because Volatility's
//! dwarf2json names anonymous types after a hash of a text that spells them, and Rekall keeps the
//! names of typedef'd anonymous structs. Writers resolve typedefs and drop qualifiers as their
//! format requires.

/// Index of a [`Record`] in [`ProfileModel::records`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(pub u32);

/// Index of an [`Enum`] in [`ProfileModel::enums`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnumId(pub u32);

/// Index of a [`BaseType`] in [`ProfileModel::base_types`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BaseId(pub u32);

/// Index of a [`Typedef`] in [`ProfileModel::typedefs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypedefId(pub u32);

/// Everything one profile is made of.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfileModel {
    /// Every struct and union the profile exports, named or anonymous, complete or only declared.
    /// The engine puts here the closure of the target's roots, as GCC would emit it in DWARF:
    /// every record reachable through fields, pointers, arrays, typedefs and function signatures.
    /// A record that is only declared (`struct foo;` and never defined) is present with
    /// `fields: None`, so pointers to it keep its name; the writers do not export it as a type.
    pub records: Vec<Record>,
    /// Every enum referenced by a record field, a typedef or a symbol.
    pub enums: Vec<Enum>,
    /// The base (arithmetic) types in use, by GCC's DWARF names.
    pub base_types: Vec<BaseType>,
    /// Typedefs in use. Every [`TypeRef::Typedef`] points here. A typedef is transparent in both
    /// formats, except that a typedef whose target is directly a struct or union gives that
    /// record a second name (see [`Typedef`]).
    pub typedefs: Vec<Typedef>,
    /// The types of global variables as the headers' own declarations give them
    /// (`extern struct task_struct init_task;` gives `init_task` → `struct task_struct`), plus the
    /// well-known private symbols (`profile::private_symbols`). Only the ISF carries symbol types;
    /// the addresses come from [`ProfileModel::system_map`].
    pub symbol_types: Vec<SymbolType>,
    /// The kernel configuration the layouts were computed under: `(CONFIG_NAME, value)` in file
    /// order, value as written after `=` in `.config` with the quotes of a string value removed
    /// (`y`, `m`, `64`, `0x1000`, `Debian`). Options that are not set are absent.
    pub config: Vec<(String, String)>,
    /// The symbols of `System.map` or `/proc/kallsyms`, if one was given.
    pub system_map: Option<crate::profile::system_map::SystemMap>,
    /// The kernel's banner (`Linux version 6.1.0-56-amd64 (…) … \n`), exactly as `/proc/version`
    /// prints it or as found in a memory image, without a trailing NUL. Volatility 3 selects a
    /// symbol table by this string.
    pub banner: Option<String>,
    /// The kernel release (`uname -r`, e.g. `6.1.0-56-amd64`), when known.
    pub kernel_release: Option<String>,
    /// Types the engine could not lay out with certainty, with the reason. They are not in
    /// `records`; both writers list them in their metadata.
    pub errors: Vec<TypeInError>,
    /// What the user must know about how the profile was made (e.g. compiler data of another
    /// GCC release taken under `--force`); both writers list them in their metadata.
    pub warnings: Vec<String>,
}

/// A struct or union.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// `struct` or `union`.
    pub kind: RecordKind,
    /// The tag (`task_struct` for `struct task_struct`), or `None` for an anonymous record. An
    /// anonymous record's identity is its [`RecordId`]; the writers name it from its content.
    pub name: Option<String>,
    /// `sizeof` in bits, including tail padding.
    pub size_bits: u64,
    /// The members in declaration order, or `None` for a record that is only declared.
    /// Unnamed bitfields (padding such as `int :3;`) are not members: GCC emits no DWARF member
    /// for them, and the writers skip any that the engine leaves in.
    pub fields: Option<Vec<Field>>,
}

/// `struct` or `union`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// A `struct`.
    Struct,
    /// A `union`.
    Union,
}

impl RecordKind {
    /// The C keyword, which is also the ISF `kind`.
    pub fn keyword(self) -> &'static str {
        match self {
            RecordKind::Struct => "struct",
            RecordKind::Union => "union",
        }
    }
}

/// One member of a record.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The member's name, or `None` for an anonymous struct or union member (C11 anonymous
    /// members, `union { … };` inside a struct).
    pub name: Option<String>,
    /// Offset from the start of the enclosing record, in bits. For a bitfield this is the
    /// position of its first (least significant) bit; for any other field it is a multiple of 8.
    pub offset_bits: u64,
    /// `Some(width)` for a bitfield of `width` bits (`unsigned flags:3` has width 3), else `None`.
    pub bit_width: Option<u32>,
    /// The declared type, with typedefs and qualifiers as written.
    pub ty: TypeRef,
}

/// A reference to a type, structured as C spells it (and as GCC writes it into DWARF).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TypeRef {
    /// `void`.
    Void,
    /// A base type.
    Base(BaseId),
    /// A struct or union (named, anonymous, or only declared).
    Record(RecordId),
    /// An enum.
    Enum(EnumId),
    /// A typedef name; the typedef's target is in [`ProfileModel::typedefs`].
    Typedef(TypedefId),
    /// A pointer to the inner type (`void *` is `Pointer(Void)`).
    Pointer(Box<TypeRef>),
    /// An array. A multi-dimensional array is an array of arrays, outermost dimension first:
    /// `int a[2][3]` is `Array { count: Some(2), element: Array { count: Some(3), element: int } }`.
    /// GCC's DWARF folds an array of a typedef'd array into one multi-dimensional array (with
    /// `typedef int row[3];`, `row r[2]` is described as `int [2][3]`, without `row`); to get
    /// dwarf2json's anonymous names the engine should do the same.
    Array {
        /// The number of elements: `Some(0)` for `[0]`, `None` for a flexible array member `[]`.
        count: Option<u64>,
        /// The element type.
        element: Box<TypeRef>,
    },
    /// A function type (the target of a function pointer, or a function by value).
    Function(Box<FunctionType>),
    /// A qualified type. `const char *` is `Pointer(Qualified(Const, char))`.
    ///
    /// Qualifiers matter only for the text dwarf2json hashes into anonymous type names, so to
    /// reproduce those names the engine must nest them as GCC 12 writes DWARF, whatever the
    /// source order: `restrict` outermost, then `volatile`, then `const`
    /// (`int *const restrict volatile p` is restrict(volatile(const(pointer(int))))). GCC also
    /// writes a qualified array twice: `const int a[3]` is const(array 3 of const(int)), and
    /// `const char *const names[2]` is const(array 2 of const(pointer(const(char)))); a qualifier
    /// applied to a typedef of an array (`const arr3 b`) gives const(array 3 of int), without
    /// the typedef. (Observed with gcc 12.2, `-gdwarf-5`.)
    Qualified(Qualifier, Box<TypeRef>),
}

/// A function type: return type, parameter types, variadic.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FunctionType {
    /// The return type (`TypeRef::Void` for `void`).
    pub ret: TypeRef,
    /// The parameter types in order; empty for `(void)` and for an unprototyped `()`.
    pub params: Vec<TypeRef>,
    /// Whether the parameter list ends with `...`.
    pub variadic: bool,
}

/// A C type qualifier that GCC records in DWARF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// `const`.
    Const,
    /// `volatile`.
    Volatile,
    /// `restrict`.
    Restrict,
}

impl Qualifier {
    /// The C keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Qualifier::Const => "const",
            Qualifier::Volatile => "volatile",
            Qualifier::Restrict => "restrict",
        }
    }
}

/// An enum type.
#[derive(Clone, Debug, PartialEq)]
pub struct Enum {
    /// The tag, or `None` for an anonymous enum (named by the writers from its content).
    pub name: Option<String>,
    /// The size of the enum's underlying integer type in bits (32 for an ordinary enum); 0 for
    /// an enum that is only declared (`enum foo;`, never defined), which then has no constants,
    /// as GCC's DWARF declaration has no size.
    pub size_bits: u64,
    /// Whether GCC gave the enum a signed underlying type (it does when a value is negative).
    pub signed: bool,
    /// The enumerators in declaration order with their values. Values are exact (an enum can
    /// hold `0xffffffffffffffff`); the ISF writer stores them as dwarf2json does, as 64-bit signed.
    pub constants: Vec<(String, i128)>,
}

/// A base type, named as GCC names it in DWARF.
#[derive(Clone, Debug, PartialEq)]
pub struct BaseType {
    /// GCC's DWARF name: `char`, `signed char`, `unsigned char`, `short int`,
    /// `short unsigned int`, `int`, `unsigned int`, `long int`, `long unsigned int`,
    /// `long long int`, `long long unsigned int`, `__int128`, `__int128 unsigned`, `_Bool`,
    /// `float`, `double`, `long double`.
    pub name: String,
    /// `sizeof` in bits.
    pub size_bits: u64,
    /// Whether the type is signed (`char` is signed on x86-64; `_Bool` is unsigned).
    pub signed: bool,
    /// The DWARF encoding class.
    pub kind: BaseKind,
}

/// The class of a base type, as DWARF's `DW_AT_encoding` gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BaseKind {
    /// A signed or unsigned integer other than the character types.
    Int,
    /// `char`, `signed char`, `unsigned char`.
    Char,
    /// `_Bool`.
    Bool,
    /// `float`, `double`, `long double`.
    Float,
}

/// A typedef.
///
/// Both formats resolve typedefs to their targets, with one exception each, which is why typedefs
/// are in the model at all: dwarf2json exports a record reached through a typedef whose target is
/// directly that record (`typedef struct { int counter; } atomic_t;`, and also
/// `typedef struct kernel_cap_struct {…} kernel_cap_t;`) a second time under the typedef's name,
/// and refers to it by that name; Rekall's Layout Expert does the same for typedef'd anonymous
/// records.
#[derive(Clone, Debug, PartialEq)]
pub struct Typedef {
    /// The typedef name (`atomic_t`).
    pub name: String,
    /// What it names, as written (may itself be a typedef, a qualified type, a pointer…).
    pub target: TypeRef,
}

/// The type of a global variable, from a declaration the headers (or the private-symbols table)
/// provide.
#[derive(Clone, Debug, PartialEq)]
pub struct SymbolType {
    /// The symbol's name (`init_task`).
    pub name: String,
    /// Its type as declared. An `extern` array of unknown bound (`extern char _text[];`) is an
    /// array with `count: None`.
    pub ty: TypeRef,
}

/// A type the engine could not lay out with certainty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeInError {
    /// The type as C names it (`struct foo`, `union bar`, `atomic_t`).
    pub name: String,
    /// Why, with the source location and the construct at fault.
    pub reason: String,
}

impl ProfileModel {
    /// The record behind `id`.
    pub fn record(&self, id: RecordId) -> &Record {
        &self.records[id.0 as usize]
    }

    /// The enum behind `id`.
    pub fn enum_(&self, id: EnumId) -> &Enum {
        &self.enums[id.0 as usize]
    }

    /// The base type behind `id`.
    pub fn base(&self, id: BaseId) -> &BaseType {
        &self.base_types[id.0 as usize]
    }

    /// The typedef behind `id`.
    pub fn typedef(&self, id: TypedefId) -> &Typedef {
        &self.typedefs[id.0 as usize]
    }

    /// Follows typedefs and qualifiers to the type they name.
    pub fn resolve<'a>(&'a self, mut ty: &'a TypeRef) -> &'a TypeRef {
        loop {
            match ty {
                TypeRef::Typedef(id) => ty = &self.typedef(*id).target,
                TypeRef::Qualified(_, inner) => ty = inner,
                _ => return ty,
            }
        }
    }

    /// `sizeof(ty)` in bits: 0 for `void`, functions, flexible arrays and declared-only records.
    /// `None` if the size overflows or a typedef chain loops (a malformed model).
    pub fn size_bits(&self, ty: &TypeRef) -> Option<u64> {
        self.size_bits_depth(ty, 0)
    }

    fn size_bits_depth(&self, ty: &TypeRef, depth: u32) -> Option<u64> {
        if depth > 256 {
            return None;
        }
        match ty {
            TypeRef::Void | TypeRef::Function(_) => Some(0),
            TypeRef::Base(id) => Some(self.base(*id).size_bits),
            TypeRef::Record(id) => Some(self.record(*id).size_bits),
            TypeRef::Enum(id) => Some(self.enum_(*id).size_bits),
            TypeRef::Typedef(id) => self.size_bits_depth(&self.typedef(*id).target, depth + 1),
            TypeRef::Pointer(_) => Some(64),
            TypeRef::Array { count, element } => {
                let element_bits = self.size_bits_depth(element, depth + 1)?;
                element_bits.checked_mul(count.unwrap_or(0))
            }
            TypeRef::Qualified(_, inner) => self.size_bits_depth(inner, depth + 1),
        }
    }
}
