//! Lazy resolution of declarations into [`Ty`] values.
//!
//! A [`Resolver`] answers "what is `struct task_struct`", "what does typedef `u32` name" and
//! "what is the type of variable `init_task`" by parsing just that definition, resolving what it
//! uses by value (deeply) and what it only points to by name (shallowly, so self-reference through
//! pointers is no cycle), and memoising every answer. Record layouts needed by `sizeof`,
//! `_Alignof` and `offsetof` come from the layout engine and are memoised too.

use std::{ops::Range, sync::Arc};

use rustc_hash::{FxHashMap, FxHashSet};
use smol_str::SmolStr;
use syntax::T;

use crate::{
    decl::{
        attrs::{has_no_layout_effect, mode_size_bits},
        index::{enum_body, DeclIndex, TagDef},
        parse::{Attr, BaseKeywords, DeclOp, Declarator, MemberDecl, NamedSpec, Parser, Specs},
        DeclError, DeclErrorKind, NO_TOKEN,
    },
    layout::{self, LayoutError, RecordLayout, TyLayout},
    token::Token,
    ty::{BaseTy, EnumTy, FieldTy, FnSig, RecordKind, RecordTy, Ty, TypedefTy},
};

/// Resolves declarations of one translation unit on demand, memoising every answer.
pub struct Resolver<'a> {
    pub(crate) toks: &'a [Token],
    pub(crate) index: &'a DeclIndex,
    records: FxHashMap<(RecordKind, SmolStr), Result<Arc<RecordTy>, DeclError>>,
    anonymous: FxHashMap<usize, Result<Arc<RecordTy>, DeclError>>,
    typedefs: FxHashMap<SmolStr, Result<Ty, DeclError>>,
    enums: FxHashMap<usize, Result<Arc<EnumTy>, DeclError>>,
    /// Values of the enum being evaluated, for enumerators that use earlier ones.
    enum_partial: FxHashMap<usize, Vec<i128>>,
    in_progress: FxHashSet<(u8, SmolStr)>,
    layouts: FxHashMap<usize, MemoisedLayout>,
    /// Where records, typedefs and record layouts come from when this resolver serves the salsa
    /// queries (`decl::query`): the query for each, so each is computed (and memoised) once per
    /// translation unit, and a type reached two ways is one value.
    source: Option<&'a dyn DeclSource>,
    /// The build runs GCC's randstruct plugin (`CONFIG_GCC_PLUGIN_RANDSTRUCT`).
    randstruct: bool,
    /// kbuild passes `-fms-extensions` (`CONFIG_CC_MS_EXTENSIONS`, Linux 6.19 on): a member
    /// declaration of a tagged struct or union without a declarator is an anonymous member.
    ms_extensions: bool,
}

/// A record kept alive next to its memoised layout (the map is keyed by its address).
type MemoisedLayout = (Arc<RecordTy>, Result<Arc<RecordLayout>, LayoutError>);

/// Where a resolver serving the salsa queries gets what has a query of its own.
pub(crate) trait DeclSource {
    /// The complete definition of `struct tag` / `union tag` (`struct_decl`).
    fn record(&self, kind: RecordKind, tag: &str) -> Result<Arc<RecordTy>, DeclError>;
    /// What a typedef name stands for (`typedef_decl`).
    fn typedef(&self, name: &str) -> Result<Ty, DeclError>;
    /// A record's layout (`layout`).
    fn record_layout(&self, rec: &Arc<RecordTy>) -> Result<Arc<RecordLayout>, LayoutError>;
}

/// Where attributes stand, which decides what GCC makes of them (`handle_aligned_attribute`,
/// `handle_packed_attribute`, `handle_mode_attribute` in c-attribs.cc); the rules, each with the
/// fixture that pins it, are listed in ARCHITECTURE.md ("GCC's layout attributes by position").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AttrSite {
    /// A field, a variable or a parameter (a DECL): `aligned` only raises, the largest wins.
    Decl,
    /// A typedef name: `aligned` sets the alignment (it may lower it), the last one applied wins,
    /// and a later `mode` replaces the type (and with it an earlier `aligned`).
    Typedef,
    /// A struct or union definition: the last `aligned` applied sets the starting alignment.
    Record,
    /// An enum definition: `aligned` has no effect, but a `packed` after it is ignored.
    Enum,
    /// After a `*` in a declarator (it would apply to the pointer type).
    Pointer,
    /// Inside a parenthesised declarator (it would apply to the type at that derivation step).
    Nested,
}

impl AttrSite {
    fn describe(self) -> &'static str {
        match self {
            AttrSite::Decl => "on a field or variable",
            AttrSite::Typedef => "on a typedef",
            AttrSite::Record => "on a struct or union",
            AttrSite::Enum => "on an enum",
            AttrSite::Pointer => "on a pointer declarator",
            AttrSite::Nested => "inside a parenthesised declarator",
        }
    }
}

/// The attributes of a declaration that change its layout.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DeclAttrs {
    /// `packed` (on a field of a type aligned to one byte, GCC ignores it unless it is a
    /// bitfield: see `packed_bitfield`).
    pub(crate) packed: bool,
    /// `packed` on a declaration, which a bitfield always takes.
    pub(crate) packed_bitfield: bool,
    /// On a declaration: the `mode` in effect when each `packed` was applied (`None`: the
    /// declared type), since GCC ignores a `packed` applied while the type is aligned to a byte.
    packed_modes: Vec<Option<u64>>,
    pub(crate) align_bits: Option<u64>,
    pub(crate) mode_bits: Option<u64>,
    /// `no_randomize_layout`: the randstruct plugin leaves the record alone.
    pub(crate) no_randomize: bool,
}

impl<'a> Resolver<'a> {
    pub fn new(toks: &'a [Token], index: &'a DeclIndex) -> Resolver<'a> {
        Resolver {
            toks,
            index,
            records: FxHashMap::default(),
            anonymous: FxHashMap::default(),
            typedefs: FxHashMap::default(),
            enums: FxHashMap::default(),
            enum_partial: FxHashMap::default(),
            in_progress: FxHashSet::default(),
            layouts: FxHashMap::default(),
            source: None,
            randstruct: false,
            ms_extensions: false,
        }
    }

    /// Declares that the build runs GCC's randstruct plugin: a struct it reorders with the
    /// build's secret seed is then an error instead of a layout.
    /// Declares that the build passes `-fms-extensions`: `struct tag { … };` and `struct tag;`
    /// inside a record are anonymous members of that type (as GCC then makes them).
    pub fn with_ms_extensions(mut self, ms_extensions: bool) -> Self {
        self.ms_extensions = ms_extensions;
        self
    }

    pub fn with_randstruct(mut self, randstruct: bool) -> Self {
        self.randstruct = randstruct;
        self
    }

    /// A resolver that asks `source` for every record, typedef and record layout it needs.
    pub(crate) fn with_source(
        toks: &'a [Token],
        index: &'a DeclIndex,
        source: &'a dyn DeclSource,
    ) -> Resolver<'a> {
        let mut resolver = Resolver::new(toks, index);
        resolver.source = Some(source);
        resolver
    }

    /// Resolves the body of `struct tag` / `union tag` here, without asking the record source.
    pub(crate) fn record_here(
        &mut self,
        kind: RecordKind,
        tag: &str,
    ) -> Result<Arc<RecordTy>, DeclError> {
        let Some(def) = self.index.records.get(&(kind, SmolStr::from(tag))) else {
            return Err(DeclError::of(
                NO_TOKEN,
                DeclErrorKind::NoDefinition { kind, tag: SmolStr::from(tag) },
            ));
        };
        self.record_body(kind, def.tag.clone(), def.body.clone(), &def.attrs.clone())
    }

    /// The complete definition of `struct tag` / `union tag`.
    pub fn record(&mut self, kind: RecordKind, tag: &str) -> Result<Arc<RecordTy>, DeclError> {
        let key = (kind, SmolStr::from(tag));
        if let Some(res) = self.records.get(&key) {
            return res.clone();
        }
        if let Some(source) = self.source {
            let res = source.record(kind, tag);
            self.records.insert(key, res.clone());
            return res;
        }
        let Some(def) = self.index.records.get(&key) else {
            return Err(DeclError::of(
                NO_TOKEN,
                DeclErrorKind::NoDefinition { kind, tag: SmolStr::from(tag) },
            ));
        };
        let guard = (kind as u8, key.1.clone());
        if !self.in_progress.insert(guard.clone()) {
            // Reported where the record is used by value (the caller fills the location in).
            return Err(DeclError::of(
                NO_TOKEN,
                DeclErrorKind::ContainsItself { kind, tag: key.1.clone() },
            ));
        }
        let res = self.record_body(kind, def.tag.clone(), def.body.clone(), &def.attrs.clone());
        self.in_progress.remove(&guard);
        self.records.insert(key, res.clone());
        res
    }

    /// The type a typedef name stands for, as a `Ty::Typedef`.
    pub fn typedef(&mut self, name: &str) -> Result<Ty, DeclError> {
        if let Some(res) = self.typedefs.get(name) {
            return res.clone();
        }
        if let Some(source) = self.source {
            let res = source.typedef(name);
            self.typedefs.insert(SmolStr::from(name), res.clone());
            return res;
        }
        self.typedef_here(name)
    }

    /// Resolves typedef `name` here, without asking the source.
    pub(crate) fn typedef_here(&mut self, name: &str) -> Result<Ty, DeclError> {
        let Some(&(decl_idx, d_idx)) = self.index.typedefs.get(name) else {
            if name == "__builtin_va_list" {
                return Ok(builtin_va_list());
            }
            return Err(DeclError::of(
                NO_TOKEN,
                DeclErrorKind::UnknownTypedef { name: SmolStr::from(name) },
            ));
        };
        let guard = (10u8, SmolStr::from(name));
        let decl = &self.index.decls[decl_idx];
        let at = decl.specs.start;
        if !self.in_progress.insert(guard.clone()) {
            return Err(DeclError::of(
                at,
                DeclErrorKind::TypedefRefersToItself { name: SmolStr::from(name) },
            ));
        }
        let res = self.typedef_uncached(name, decl_idx, d_idx);
        self.in_progress.remove(&guard);
        self.typedefs.insert(SmolStr::from(name), res.clone());
        res
    }

    fn typedef_uncached(
        &mut self,
        name: &str,
        decl_idx: usize,
        d_idx: usize,
    ) -> Result<Ty, DeclError> {
        let decl = &self.index.decls[decl_idx];
        let specs = decl.specs.clone();
        let declarator = decl.declarators[d_idx].clone();
        let (ty, attrs) = self.declared_type(&specs, &declarator, true)?;
        // GCC ignores `packed` on a typedef name ("'packed' attribute ignored"); packing a
        // record takes the attribute on the record itself (test `attributes_in_every_position`).
        Ok(Ty::Typedef(Arc::new(TypedefTy {
            name: SmolStr::from(name),
            ty,
            align_bits: attrs.align_bits,
        })))
    }

    /// The type of a file-scope variable (from its most complete declaration).
    pub fn variable(&mut self, name: &str) -> Result<Ty, DeclError> {
        let Some(decls) = self.index.vars.get(name) else {
            return Err(DeclError::of(
                NO_TOKEN,
                DeclErrorKind::UnknownVariable { name: SmolStr::from(name) },
            ));
        };
        let guard = (20u8, SmolStr::from(name));
        if !self.in_progress.insert(guard.clone()) {
            return Err(DeclError::of(
                NO_TOKEN,
                DeclErrorKind::VariableRefersToItself { name: SmolStr::from(name) },
            ));
        }
        let res = self.variable_uncached(name, decls);
        self.in_progress.remove(&guard);
        res
    }

    fn variable_uncached(&mut self, name: &str, decls: &[(usize, usize)]) -> Result<Ty, DeclError> {
        let mut best: Option<Result<Ty, DeclError>> = None;
        for &(decl_idx, d_idx) in decls {
            let decl = &self.index.decls[decl_idx];
            let specs = decl.specs.clone();
            let declarator = decl.declarators[d_idx].clone();
            let res = self.declared_type(&specs, &declarator, true).map(|it| it.0);
            // A later declaration may complete an array bound (`extern int x[]; int x[4];`).
            let complete = matches!(&res, Ok(ty) if !matches!(ty, Ty::Array(_, None)));
            best = Some(res);
            if complete {
                break;
            }
        }
        best.unwrap_or_else(|| {
            Err(DeclError::of(
                NO_TOKEN,
                DeclErrorKind::UnknownVariable { name: SmolStr::from(name) },
            ))
        })
    }

    /// Whether the variable is defined here (a declaration without `extern`, or with an
    /// initializer). GCC's debug info describes every such variable, `static` ones included
    /// (early debug info keeps them even when -O2 drops the object).
    pub fn is_defined_variable(&self, name: &str) -> bool {
        self.index
            .vars
            .get(name)
            .is_some_and(|decls| decls.iter().any(|(d, _)| !self.index.decls[*d].specs.is_extern))
    }

    /// Whether the variable's object is emitted: defined and not `static` (GCC drops unused
    /// static objects at -O2, and with them the types only they kept alive).
    pub fn is_emitted_object(&self, name: &str) -> bool {
        self.index.vars.get(name).is_some_and(|decls| {
            decls.iter().any(|(d, _)| {
                let specs = &self.index.decls[*d].specs;
                !specs.is_extern && !specs.is_static
            })
        })
    }

    /// The layout of a record, memoised.
    pub fn record_layout(&mut self, rec: &Arc<RecordTy>) -> Result<Arc<RecordLayout>, LayoutError> {
        let key = Arc::as_ptr(rec) as usize;
        if let Some((_, res)) = self.layouts.get(&key) {
            return res.clone();
        }
        let res = match self.source {
            Some(source) => source.record_layout(rec),
            None => layout::record_layout(rec, &mut |ty| self.ty_layout(ty)).map(Arc::new),
        };
        self.layouts.insert(key, (Arc::clone(rec), res.clone()));
        res
    }

    /// The size and alignment of a (deep) type, memoising record layouts.
    pub fn ty_layout(&mut self, ty: &Ty) -> Result<TyLayout, LayoutError> {
        layout::ty_layout(ty, &mut |rec| self.record_layout(rec).map(|it| it.ty_layout()))
    }

    /// Turns a shallow reference (tag or typedef name) into the definition it names.
    pub(crate) fn deep(&mut self, ty: &Ty, at: usize) -> Result<Ty, DeclError> {
        Ok(match ty {
            Ty::RecordRef(kind, tag) => {
                match self.index.records.contains_key(&(*kind, tag.clone())) {
                    true => Ty::Record(self.record(*kind, tag).map_err(|e| at_token(e, at))?),
                    false => ty.clone(),
                }
            }
            Ty::TypedefRef(name) => self.typedef(name).map_err(|e| at_token(e, at))?,
            Ty::EnumRef(tag) => match self.index.enums.get(tag) {
                Some(def) => Ty::Enum(self.enum_def(def.at)?),
                None => ty.clone(),
            },
            _ => ty.clone(),
        })
    }

    /// The type declared by `specs` and `declarator`, and the declaration's layout attributes.
    /// With `deep`, what is used by value is resolved to its definition.
    pub(crate) fn declared_type(
        &mut self,
        specs: &Specs,
        declarator: &Declarator,
        deep: bool,
    ) -> Result<(Ty, DeclAttrs), DeclError> {
        let behind_pointer = declarator
            .ops
            .iter()
            .any(|op| matches!(op, DeclOp::Pointer { .. } | DeclOp::Function { .. }));
        // GCC applies the attributes after the declarator first, then the specifiers' (start_decl
        // gets `chainon (postfix_attrs, prefix_attrs)`).
        let site = if specs.is_typedef { AttrSite::Typedef } else { AttrSite::Decl };
        let all: Vec<Attr> = declarator.attrs.iter().chain(&specs.attrs).cloned().collect();
        let mut attrs = DeclAttrs::default();
        self.decl_attrs(&all, site, &mut attrs)?;
        self.decl_attrs(&declarator.nested_attrs, AttrSite::Nested, &mut DeclAttrs::default())?;
        let mut ty = self.base_type(specs, deep && !behind_pointer)?;
        if let Some(mode_bits) = attrs.mode_bits {
            // A `packed` applied before the `mode`, while the type was still aligned to a byte,
            // was ignored ("'packed' attribute ignored for field of type"); for a bitfield it
            // holds (test `record_and_member_attributes_by_position`).
            if attrs.packed {
                let declared_align_bits = if attrs.packed_modes.contains(&None) {
                    self.ty_layout(&ty)
                        .map_err(|e| DeclError::new(specs.start, e.to_string()))?
                        .align_bits
                } else {
                    8
                };
                attrs.packed = attrs.packed_modes.iter().any(|m| match m {
                    None => declared_align_bits > 8,
                    Some(mode_bits) => *mode_bits > 8,
                });
            }
            ty = apply_mode(ty, mode_bits).map_err(|m| DeclError::new(specs.start, m))?;
        }
        for op in declarator.ops.iter().rev() {
            ty = match op {
                DeclOp::Pointer { attrs: ptr_attrs, .. } => {
                    self.decl_attrs(ptr_attrs, AttrSite::Pointer, &mut DeclAttrs::default())?;
                    Ty::Pointer(Arc::new(ty))
                }
                DeclOp::Array { bound: None, .. } => Ty::Array(Arc::new(ty), None),
                DeclOp::Array { bound: Some(bound), at } => {
                    let n = self.eval_const(bound.clone())?;
                    if n < 0 {
                        return Err(DeclError::of(
                            *at,
                            DeclErrorKind::NegativeArraySize { size: n },
                        ));
                    }
                    Ty::Array(Arc::new(ty), Some(n as u64))
                }
                DeclOp::Function { params, .. } => {
                    let (params, variadic) = self.params(params.clone())?;
                    Ty::Function(Arc::new(FnSig { ret: ty, params, variadic }))
                }
            };
        }
        Ok((ty, attrs))
    }

    /// Parameter types, resolved shallowly (arrays adjusted to pointers), and whether the list
    /// ends with `...`.
    fn params(&mut self, range: Range<usize>) -> Result<(Vec<Ty>, bool), DeclError> {
        let mut out = Vec::new();
        let mut variadic = false;
        let mut p = Parser::new(self.toks, range.clone(), &self.index.typedef_names);
        while !p.at_end() {
            if p.at(T![...]) {
                p.pos += 1;
                variadic = true;
                continue;
            }
            let specs = p.specs()?;
            if !specs.has_type() {
                // K&R identifier lists and the like: no types to follow.
                return Ok((out, variadic));
            }
            let declarator = p.declarator(true)?;
            let mut declarator = declarator;
            if let Some(DeclOp::Array { at, .. }) = declarator.ops.first() {
                let at = *at;
                declarator.ops[0] = DeclOp::Pointer { attrs: Vec::new(), at };
            }
            let (ty, _) = self.declared_type(&specs, &declarator, false)?;
            if !(matches!(ty, Ty::Void) && declarator.ops.is_empty()) {
                out.push(ty);
            }
            if p.at(T![,]) {
                p.pos += 1;
            } else if !p.at_end() {
                return Err(
                    p.error(format!("expected `,` in a parameter list, found {}", p.describe()))
                );
            }
        }
        Ok((out, variadic))
    }

    /// The type named by declaration specifiers.
    pub(crate) fn base_type(&mut self, specs: &Specs, deep: bool) -> Result<Ty, DeclError> {
        let ty = match &specs.named {
            None => base_from_keywords(&specs.base).map_err(|m| DeclError::new(specs.start, m))?,
            Some(named) => {
                if specs.base.any() {
                    return Err(DeclError::new(
                        specs.start,
                        "a type name combined with base type keywords",
                    ));
                }
                match named {
                    NamedSpec::Typedef(name, at) => {
                        if deep {
                            self.typedef(name).map_err(|e| at_token(e, *at))?
                        } else {
                            Ty::TypedefRef(name.clone())
                        }
                    }
                    NamedSpec::Record { kind, tag, body, attrs, at } => match (tag, body) {
                        (Some(tag), _) if !deep => Ty::RecordRef(*kind, tag.clone()),
                        (Some(tag), _) => {
                            match self.index.records.contains_key(&(*kind, tag.clone())) {
                                true => Ty::Record(
                                    self.record(*kind, tag).map_err(|e| at_token(e, *at))?,
                                ),
                                false => Ty::RecordRef(*kind, tag.clone()),
                            }
                        }
                        (None, Some(body)) => {
                            Ty::Record(self.anonymous_record(*kind, body.clone(), attrs)?)
                        }
                        (None, None) => {
                            return Err(DeclError::new(
                                *at,
                                "a struct or union with neither tag nor body",
                            ))
                        }
                    },
                    NamedSpec::Enum { tag, body, at, .. } => match (tag, body) {
                        (_, Some(_)) => Ty::Enum(self.enum_def(*at)?),
                        (Some(tag), None) if !deep => Ty::EnumRef(tag.clone()),
                        (Some(tag), None) => match self.index.enums.get(tag) {
                            Some(def) => Ty::Enum(self.enum_def(def.at)?),
                            None => Ty::EnumRef(tag.clone()),
                        },
                        (None, None) => {
                            return Err(DeclError::new(*at, "an enum with neither tag nor body"))
                        }
                    },
                    NamedSpec::Typeof { inner, at } => self.typeof_type(inner.clone(), *at)?,
                    NamedSpec::Atomic { inner, at } => {
                        let ty = self.type_name(inner.clone())?;
                        check_atomic(&ty, *at)?;
                        ty
                    }
                }
            }
        };
        if let Some(at) = specs.atomic {
            check_atomic(&ty, at)?;
        }
        Ok(ty)
    }

    /// `typeof(type-name)` or `typeof(expression)`.
    pub(crate) fn typeof_type(&mut self, inner: Range<usize>, at: usize) -> Result<Ty, DeclError> {
        let p = Parser::new(self.toks, inner.clone(), &self.index.typedef_names);
        if p.at_type_start() {
            self.type_name(inner)
        } else {
            let val = self.eval_range(inner).map_err(|e| at_token(e, at))?;
            Ok(val.ty)
        }
    }

    /// A type name (specifiers and an abstract declarator), resolved deeply.
    pub(crate) fn type_name(&mut self, range: Range<usize>) -> Result<Ty, DeclError> {
        let mut p = Parser::new(self.toks, range, &self.index.typedef_names);
        let specs = p.specs()?;
        if !specs.has_type() {
            return Err(p.error(format!("expected a type name, found {}", p.describe())));
        }
        let declarator = p.declarator(true)?;
        if !p.at_end() {
            return Err(p.error(format!("unexpected {} in a type name", p.describe())));
        }
        let (ty, attrs) = self.declared_type(&specs, &declarator, true)?;
        if attrs.align_bits.is_some() || attrs.packed {
            return Err(DeclError::new(specs.start, "layout attribute in a type name"));
        }
        Ok(ty)
    }

    fn anonymous_record(
        &mut self,
        kind: RecordKind,
        body: Range<usize>,
        attrs: &[Attr],
    ) -> Result<Arc<RecordTy>, DeclError> {
        if let Some(res) = self.anonymous.get(&body.start) {
            return res.clone();
        }
        let res = self.record_body(kind, None, body.clone(), attrs);
        self.anonymous.insert(body.start, res.clone());
        res
    }

    /// Parses and resolves a record body.
    fn record_body(
        &mut self,
        kind: RecordKind,
        tag: Option<SmolStr>,
        body: Range<usize>,
        attrs: &[Attr],
    ) -> Result<Arc<RecordTy>, DeclError> {
        // GCC lays the members out when the definition ends, under the pragmas then in effect;
        // a definition that a pragma changes halfway is refused, as is a state we do not model.
        let mut max_field_align_bits = None;
        let mut regions = self
            .index
            .layout_pragmas
            .iter()
            .filter(|region| region.range.start < body.end && body.start < region.range.end);
        if let Some(region) = regions.next() {
            let whole = region.range.start <= body.start && body.end <= region.range.end;
            match region.max_field_align_bits {
                Some(bits) if whole => max_field_align_bits = Some(bits),
                _ => {
                    return Err(DeclError::new(
                        region.at,
                        format!(
                            "`{}` is in effect{}, and we do not model it",
                            region.text,
                            if whole { "" } else { " for part of the definition" }
                        ),
                    ))
                }
            }
        }
        let mut rec_attrs = DeclAttrs::default();
        self.decl_attrs(attrs, AttrSite::Record, &mut rec_attrs)?;
        let members = Parser::new(self.toks, body.clone(), &self.index.typedef_names).members()?;
        let mut fields = Vec::new();
        let mut asserts = Vec::new();
        for member in members {
            match member {
                MemberDecl::StaticAssert { inner, at } => asserts.push((inner, at)),
                MemberDecl::Fields { specs, declarators } => {
                    if declarators.is_empty() {
                        // `struct { ... };` is an anonymous member; a tagged definition or an
                        // enum is only a nested declaration (but see `ms_extensions`).
                        let anonymous = match &specs.named {
                            Some(NamedSpec::Record { tag: None, body: Some(_), .. }) => true,
                            // -fms-extensions: a tagged struct or union, defined here or not.
                            Some(NamedSpec::Record { tag: Some(_), .. }) => self.ms_extensions,
                            _ => false,
                        };
                        if anonymous {
                            let ty = self.base_type(&specs, true)?;
                            fields.push(FieldTy {
                                name: None,
                                ty,
                                bit_width: None,
                                packed: false,
                                align_bits: None,
                            });
                        } else if let Some(NamedSpec::Record { .. } | NamedSpec::Enum { .. }) =
                            &specs.named
                        {
                        } else {
                            return Err(DeclError::new(
                                specs.start,
                                "a member declaration that declares nothing",
                            ));
                        }
                        continue;
                    }
                    for (declarator, width) in declarators {
                        let (ty, attrs) = self.declared_type(&specs, &declarator, true)?;
                        let bit_width = match width {
                            Some(w) => {
                                let at = w.start;
                                let n = self.eval_const(w)?;
                                if n < 0 {
                                    return Err(DeclError::of(
                                        at,
                                        DeclErrorKind::NegativeBitfieldWidth { width: n },
                                    ));
                                }
                                Some(n as u64)
                            }
                            None => None,
                        };
                        fields.push(FieldTy {
                            name: declarator.name.map(|it| it.0),
                            ty,
                            bit_width,
                            packed: if bit_width.is_some() {
                                attrs.packed_bitfield
                            } else {
                                attrs.packed
                            },
                            align_bits: attrs.align_bits,
                        });
                    }
                }
            }
        }
        let rec = Arc::new(RecordTy {
            kind,
            tag,
            fields,
            packed: rec_attrs.packed,
            align_bits: rec_attrs.align_bits,
            max_field_align_bits,
        });
        // The plugin's `relayout_struct` shuffles structs of two or more members that are marked
        // `randomize_layout` (an error wherever it is spelled) or made only of function pointers.
        if self.randstruct
            && kind == RecordKind::Struct
            && rec.fields.len() >= 2
            && !rec_attrs.no_randomize
            && self.pure_ops(&rec)
        {
            return Err(DeclError::of(body.start, DeclErrorKind::RandstructFunctionPointers));
        }
        for (inner, at) in asserts {
            self.static_assert(inner, at)?;
        }
        Ok(rec)
    }

    /// The randstruct plugin's `is_pure_ops_struct`: every member (arrays stripped) is a pointer to
    /// a function, or a struct or union whose members all are.
    fn pure_ops(&mut self, rec: &RecordTy) -> bool {
        rec.fields.iter().all(|field| {
            let mut ty = self.transparent(&field.ty);
            while let Ty::Array(element, _) = ty {
                ty = self.transparent(&element);
            }
            match ty {
                Ty::Record(inner) => self.pure_ops(&inner),
                Ty::Pointer(target) => matches!(self.transparent(&target), Ty::Function(_)),
                _ => false,
            }
        })
    }

    /// `ty` without typedefs (a typedef known by name only is looked up).
    fn transparent(&mut self, ty: &Ty) -> Ty {
        match ty.strip_typedefs() {
            Ty::TypedefRef(name) => match self.typedef(name) {
                Ok(ty) => self.transparent(&ty),
                Err(_) => Ty::Void,
            },
            ty => ty.clone(),
        }
    }

    /// Evaluates `_Static_assert(expr, "message")`; a false one is an error.
    pub(crate) fn static_assert(
        &mut self,
        inner: Range<usize>,
        at: usize,
    ) -> Result<(), DeclError> {
        let mut p = Parser::new(self.toks, inner.clone(), &self.index.typedef_names);
        p.skip_expression()?;
        let cond = self.eval_const(inner.start..p.pos)?;
        if cond == 0 {
            return Err(DeclError::of(at, DeclErrorKind::StaticAssertFailed));
        }
        Ok(())
    }

    /// The enum whose keyword is at `at`, with its constants evaluated.
    pub(crate) fn enum_def(&mut self, at: usize) -> Result<Arc<EnumTy>, DeclError> {
        if let Some(res) = self.enums.get(&at) {
            return res.clone();
        }
        let Some(def) = self.index.enum_bodies.get(&at).cloned() else {
            return Err(DeclError::new(at, "an enum that is not at file scope"));
        };
        if self.enum_partial.contains_key(&at) {
            return Err(DeclError::new(at, "an enum whose values depend on itself"));
        }
        let res = self.enum_uncached(&def);
        self.enum_partial.remove(&at);
        self.enums.insert(at, res.clone());
        res
    }

    fn enum_uncached(&mut self, def: &TagDef) -> Result<Arc<EnumTy>, DeclError> {
        let mut attrs = DeclAttrs::default();
        self.decl_attrs(&def.attrs, AttrSite::Enum, &mut attrs)?;
        self.enum_partial.insert(def.at, Vec::new());
        let mut constants = Vec::new();
        let mut next: i128 = 0;
        for (name, _, value) in enum_body(self.toks, def.body.clone())? {
            let v = match value {
                Some(range) => self.eval_const(range)?,
                None => next,
            };
            constants.push((name, v));
            self.enum_partial.entry(def.at).or_default().push(v);
            next = v
                .checked_add(1)
                .ok_or_else(|| DeclError::new(def.at, "enumerator value overflows"))?;
        }
        Ok(Arc::new(EnumTy {
            tag: def.tag.clone(),
            constants,
            packed: attrs.packed,
            mode_bits: attrs.mode_bits,
            // GCC 12 lays an enum out from its values, packing and mode only: an `aligned` on
            // the definition has no effect (test `enum_attributes`).
            align_bits: None,
        }))
    }

    /// The value of enumerator `name`, if it is one.
    pub(crate) fn enumerator(&mut self, name: &str, at: usize) -> Option<Result<i128, DeclError>> {
        let &(enum_at, idx) = self.index.enumerators.get(name)?;
        if let Some(values) = self.enum_partial.get(&enum_at) {
            return Some(values.get(idx).copied().ok_or_else(|| {
                DeclError::new(at, format!("enumerator `{name}` used before its value"))
            }));
        }
        Some(self.enum_def(enum_at).and_then(|def| {
            def.constants
                .get(idx)
                .map(|it| it.1)
                .ok_or_else(|| DeclError::new(at, "enumerator index out of range"))
        }))
    }

    /// Folds attributes, in the order GCC applies them, into `out` by the rules of `site`; an
    /// unknown attribute, or a layout attribute where we do not model it, is an error naming
    /// the attribute and its position.
    pub(crate) fn decl_attrs(
        &mut self,
        attrs: &[Attr],
        site: AttrSite,
        out: &mut DeclAttrs,
    ) -> Result<(), DeclError> {
        let unmodelled = |attr: &Attr| {
            DeclError::of(
                attr.at,
                DeclErrorKind::RefusedAttribute {
                    name: attr.name.clone(),
                    position: site.describe(),
                },
            )
        };
        // An enum takes only the first of `packed` and `aligned` (GCC's attribute exclusions).
        let mut enum_aligned = false;
        for attr in attrs {
            match attr.name.as_str() {
                "packed" => match site {
                    AttrSite::Decl => {
                        out.packed = true;
                        out.packed_bitfield = true;
                        out.packed_modes.push(out.mode_bits);
                    }
                    AttrSite::Record => out.packed = true,
                    // "'packed' attribute ignored": it would change what the typedef names
                    // (test `attributes_in_every_position`).
                    AttrSite::Typedef => {}
                    AttrSite::Enum => out.packed |= !enum_aligned,
                    AttrSite::Pointer | AttrSite::Nested => return Err(unmodelled(attr)),
                },
                "aligned" => {
                    let align_bits = match &attr.args {
                        // Bare `aligned` is the largest alignment of the target: 16 bytes.
                        None => 128,
                        Some(args) => {
                            let n = self.eval_const(args.clone())?;
                            if n <= 0 || !(n as u128).is_power_of_two() {
                                return Err(DeclError::new(
                                    attr.at,
                                    format!("requested alignment {n} is not a positive power of 2"),
                                ));
                            }
                            (n as u64)
                                .checked_mul(8)
                                .ok_or_else(|| DeclError::new(attr.at, "alignment overflows"))?
                        }
                    };
                    match site {
                        // Several on one declaration: the strictest wins.
                        AttrSite::Decl => {
                            out.align_bits =
                                Some(out.align_bits.map_or(align_bits, |it| it.max(align_bits)))
                        }
                        // Each sets TYPE_ALIGN of the type: the last one applied wins.
                        AttrSite::Typedef | AttrSite::Record => out.align_bits = Some(align_bits),
                        AttrSite::Enum => enum_aligned = !out.packed,
                        AttrSite::Pointer | AttrSite::Nested => return Err(unmodelled(attr)),
                    }
                }
                "_Alignas" => {
                    if site != AttrSite::Decl {
                        // GCC: "alignment specified for typedef".
                        return Err(DeclError::new(
                            attr.at,
                            format!("`_Alignas` {} (GCC rejects it)", site.describe()),
                        ));
                    }
                    let Some(args) = attr.args.clone() else {
                        continue;
                    };
                    let p = Parser::new(self.toks, args.clone(), &self.index.typedef_names);
                    let align_bits = if p.at_type_start() {
                        let ty = self.type_name(args)?;
                        self.ty_layout(&ty)
                            .map_err(|e| DeclError::new(attr.at, e.to_string()))?
                            .align_bits
                    } else {
                        let n = self.eval_const(args)?;
                        if n < 0 || (n != 0 && !(n as u128).is_power_of_two()) {
                            return Err(DeclError::new(attr.at, format!("invalid _Alignas({n})")));
                        }
                        n as u64 * 8
                    };
                    if align_bits > 0 {
                        out.align_bits =
                            Some(out.align_bits.map_or(align_bits, |it| it.max(align_bits)));
                    }
                }
                "mode" => {
                    let mode = attr
                        .args
                        .clone()
                        .and_then(|r| (r.len() == 1).then(|| self.toks[r.start].text.clone()))
                        .and_then(|m| mode_size_bits(&m));
                    let Some(bits) = mode else {
                        return Err(DeclError::new(
                            attr.at,
                            format!("unsupported `mode` attribute {}", site.describe()),
                        ));
                    };
                    match site {
                        AttrSite::Decl | AttrSite::Enum => out.mode_bits = Some(bits),
                        // The typedef now names the mode's plain type: an `aligned` applied
                        // before is gone (test `typedef_attributes_by_position`).
                        AttrSite::Typedef => {
                            out.mode_bits = Some(bits);
                            out.align_bits = None;
                        }
                        AttrSite::Record | AttrSite::Pointer | AttrSite::Nested => {
                            return Err(unmodelled(attr))
                        }
                    }
                }
                "randomize_layout" => {
                    return Err(DeclError::of(attr.at, DeclErrorKind::RandomizeLayout))
                }
                "no_randomize_layout" => out.no_randomize = true,
                name if has_no_layout_effect(name) => {}
                _ => return Err(unmodelled(attr)),
            }
        }
        Ok(())
    }
}

/// The base type named by keywords (`unsigned long int`, `long double`, `_Bool`…).
fn base_from_keywords(kw: &BaseKeywords) -> Result<Ty, String> {
    if kw.unsupported.is_some() {
        return Err("a complex, decimal or other base type we do not lay out".into());
    }
    if kw.void > 0 {
        return Ok(Ty::Void);
    }
    let unsigned = kw.unsigned > 0;
    if kw.signed > 0 && unsigned {
        return Err("both signed and unsigned".into());
    }
    Ok(Ty::Base(if kw.bool > 0 {
        BaseTy::Bool
    } else if kw.char > 0 {
        if unsigned {
            BaseTy::UChar
        } else if kw.signed > 0 {
            BaseTy::SChar
        } else {
            BaseTy::Char
        }
    } else if kw.float > 0 {
        BaseTy::Float
    } else if kw.double > 0 {
        if kw.long > 0 {
            BaseTy::LongDouble
        } else {
            BaseTy::Double
        }
    } else if kw.int128 > 0 {
        if unsigned {
            BaseTy::UInt128
        } else {
            BaseTy::Int128
        }
    } else if kw.short > 0 {
        if unsigned {
            BaseTy::UShort
        } else {
            BaseTy::Short
        }
    } else if kw.long >= 2 {
        if unsigned {
            BaseTy::ULongLong
        } else {
            BaseTy::LongLong
        }
    } else if kw.long == 1 {
        if unsigned {
            BaseTy::ULong
        } else {
            BaseTy::Long
        }
    } else if unsigned {
        BaseTy::UInt
    } else {
        BaseTy::Int
    }))
}

/// `mode(...)` on a declaration: the integer type of that size, keeping the signedness.
fn apply_mode(ty: Ty, mode_bits: u64) -> Result<Ty, String> {
    match ty {
        Ty::Base(b) if b.is_integer() => BaseTy::integer_of_size(mode_bits, b.is_signed())
            .map(Ty::Base)
            .ok_or_else(|| format!("no integer mode of {mode_bits} bits")),
        Ty::Enum(def) => {
            let mut def = (*def).clone();
            def.mode_bits = Some(mode_bits);
            Ok(Ty::Enum(Arc::new(def)))
        }
        Ty::Typedef(def) => {
            let signed = match def.ty.strip_typedefs() {
                Ty::Base(b) if b.is_integer() => b.is_signed(),
                _ => return Err("`mode` on a non-integer typedef".into()),
            };
            BaseTy::integer_of_size(mode_bits, signed)
                .map(Ty::Base)
                .ok_or_else(|| format!("no integer mode of {mode_bits} bits"))
        }
        _ => Err("`mode` on a non-integer type".into()),
    }
}

/// `_Atomic` keeps the layout of scalars on x86-64; on anything else GCC may change it.
fn check_atomic(ty: &Ty, at: usize) -> Result<(), DeclError> {
    match ty.strip_typedefs() {
        Ty::Base(_) | Ty::Pointer(_) | Ty::Enum(_) => Ok(()),
        _ => Err(DeclError::new(at, "`_Atomic` on a non-scalar type")),
    }
}

/// GCC's `__builtin_va_list` on x86-64: `struct __va_list_tag[1]`.
fn builtin_va_list() -> Ty {
    let field = |name: &str, ty: Ty| FieldTy {
        name: Some(name.into()),
        ty,
        bit_width: None,
        packed: false,
        align_bits: None,
    };
    let void_ptr = Ty::Pointer(Arc::new(Ty::Void));
    let tag = RecordTy {
        kind: RecordKind::Struct,
        tag: Some("__va_list_tag".into()),
        fields: vec![
            field("gp_offset", Ty::Base(BaseTy::UInt)),
            field("fp_offset", Ty::Base(BaseTy::UInt)),
            field("overflow_arg_area", void_ptr.clone()),
            field("reg_save_area", void_ptr),
        ],
        packed: false,
        align_bits: None,
        max_field_align_bits: None,
    };
    Ty::Array(Arc::new(Ty::Record(Arc::new(tag))), Some(1))
}

/// Points an error without a location at `at`.
pub(crate) fn at_token(mut e: DeclError, at: usize) -> DeclError {
    if e.token == NO_TOKEN {
        e.token = at;
    }
    e
}
