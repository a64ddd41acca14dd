//! `explain`: one type's layout as a reader sees it, member by member, with where each member
//! comes from.
//!
//! [`Explainer`] finds a struct or union (by tag, `struct NAME`, `union NAME` or a typedef name)
//! among a translation unit's declarations and builds a [`RecordView`]: every member DWARF would
//! describe (unnamed bitfields have no DWARF member and are left out, as GCC does), its offset,
//! size, bit position, the alignment GCC records as `DW_AT_alignment` (a user alignment, from an
//! `aligned` attribute on the member or inherited from its type), its type with the qualifiers
//! the declaration spells (the type model drops them; they are read back from the member's
//! declaration tokens), and the token that declares it (for the provenance of `--why`).
//! `pahole` prints a view in pahole's text format. Nothing here does I/O.

pub mod diff;
pub mod pahole;
pub mod why;

use std::{ops::Range, sync::Arc};

use rustc_hash::FxHashSet;
use smol_str::SmolStr;
use syntax::T;

use crate::{
    decl::{
        parse::{self, DeclOp, MemberDecl, NamedSpec, Parser},
        DeclIndex, Resolver,
    },
    layout::LayoutError,
    preprocess::Preprocessed,
    token::Token,
    ty::{BaseTy, EnumTy, RecordKind, RecordTy, Ty},
};

/// A type as pahole names it: the model's type with the declaration's qualifiers put back, in
/// DWARF's order (`const char *` is a pointer to a const char).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PTy {
    Void,
    Base(BaseTy),
    Pointer(Box<PTy>),
    Array(Box<PTy>, Option<u64>),
    Function { ret: Box<PTy>, params: Vec<PTy>, variadic: bool },
    Record(RecordKind, Option<SmolStr>),
    Enum(Option<SmolStr>),
    Typedef(SmolStr),
    Const(Box<PTy>),
    Volatile(Box<PTy>),
    Restrict(Box<PTy>),
}

/// One DWARF member of a record.
#[derive(Clone, Debug)]
pub struct Member {
    pub name: Option<SmolStr>,
    /// The member's type, deep (records by value complete).
    pub ty: Ty,
    /// The type as printed.
    pub pty: PTy,
    /// Offset from the start of the record, in bits.
    pub bit_offset: u64,
    /// `sizeof` the member's type, in bytes (for a bitfield, its declared type's size).
    pub byte_size: u64,
    /// The width of a bitfield; `None` otherwise.
    pub bit_width: Option<u64>,
    /// GCC's `DW_AT_alignment` of the member, in bytes: present when the alignment is a user's
    /// (an `aligned` attribute on the member or inherited from its type).
    pub alignment: Option<u64>,
    /// An anonymous struct or union member's own view (printed inline).
    pub inline: Option<Box<RecordView>>,
    /// An anonymous enum type (printed inline).
    pub inline_enum: Option<Arc<EnumTy>>,
    /// The token that declares the member (its name, or the start of its declaration).
    pub decl_token: Option<usize>,
    /// The first token of the member's declaration (its specifiers).
    pub decl_start: Option<usize>,
}

impl Member {
    /// The offset of the byte pahole prints: a bitfield's storage unit (its type's size,
    /// aligned down), else the member's own first byte.
    pub fn byte_offset(&self) -> u64 {
        match self.bit_width {
            Some(_) if self.byte_size > 0 => {
                let unit = self.byte_size * 8;
                self.bit_offset / unit * unit / 8
            }
            _ => self.bit_offset / 8,
        }
    }

    /// A bitfield's bit position inside its storage unit.
    pub fn bitfield_offset(&self) -> u64 {
        self.bit_offset - self.byte_offset() * 8
    }
}

/// A struct or union laid out, member by member.
#[derive(Clone, Debug)]
pub struct RecordView {
    pub rec: Arc<RecordTy>,
    pub size_bytes: u64,
    pub align_bytes: u64,
    /// GCC's `DW_AT_alignment` of the type, in bytes (a user alignment somewhere in it).
    pub alignment: Option<u64>,
    pub members: Vec<Member>,
}

impl RecordView {
    pub fn kind(&self) -> RecordKind {
        self.rec.kind
    }

    pub fn tag(&self) -> Option<&SmolStr> {
        self.rec.tag.as_ref()
    }
}

/// Why a type cannot be explained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExplainError {
    /// No struct, union or typedef of that name; the closest names known.
    Unknown { name: String, suggestions: Vec<String> },
    /// The name is a typedef of something that is not a struct or union.
    NotARecord { name: String, what: String },
    /// The type exists but cannot be laid out with certainty.
    InError { name: String, reason: String },
    /// The pre-AST defines the type, but not under this configuration: where, and under which
    /// conditions.
    OtherConfigs { name: String, definitions: Vec<String> },
}

impl std::fmt::Display for ExplainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExplainError::Unknown { name, suggestions } => {
                write!(f, "no struct, union or typedef named `{name}` under this configuration")?;
                if !suggestions.is_empty() {
                    write!(f, "; closest names: {}", suggestions.join(", "))?;
                }
                Ok(())
            }
            ExplainError::NotARecord { name, what } => {
                write!(f, "`{name}` is not a struct or union (it is {what})")
            }
            ExplainError::InError { name, reason } => {
                write!(f, "`{name}` cannot be laid out with certainty: {reason}")
            }
            ExplainError::OtherConfigs { name, definitions } => {
                write!(
                    f,
                    "`{name}` does not exist under this configuration: {}",
                    definitions.join("; also ")
                )
            }
        }
    }
}

/// Explains types of one preprocessed translation unit.
pub struct Explainer<'a> {
    pp: &'a Preprocessed,
    index: &'a DeclIndex,
    resolver: Resolver<'a>,
}

impl<'a> Explainer<'a> {
    /// `randstruct`: the build runs GCC's randstruct plugin (the structs it reorders are errors);
    /// `ms_extensions`: it passes `-fms-extensions` (tagged members without a declarator are
    /// anonymous members).
    pub fn new(
        pp: &'a Preprocessed,
        index: &'a DeclIndex,
        randstruct: bool,
        ms_extensions: bool,
    ) -> Explainer<'a> {
        let resolver = Resolver::new(&pp.tokens, index)
            .with_randstruct(randstruct)
            .with_ms_extensions(ms_extensions);
        Explainer { pp, index, resolver }
    }

    pub fn preprocessed(&self) -> &'a Preprocessed {
        self.pp
    }

    /// The record a name denotes: `struct X`, `union X`, a tag (struct first), or a typedef
    /// name of a struct or union.
    pub fn find(
        &mut self,
        query: &str,
    ) -> Result<(Arc<RecordTy>, Option<Range<usize>>), ExplainError> {
        let query = query.trim();
        let (kinds, name): (&[RecordKind], &str) = if let Some(n) = query.strip_prefix("struct ") {
            (&[RecordKind::Struct], n.trim())
        } else if let Some(n) = query.strip_prefix("union ") {
            (&[RecordKind::Union], n.trim())
        } else {
            (&[RecordKind::Struct, RecordKind::Union], query)
        };
        for &kind in kinds {
            if let Some(def) = self.index.records.get(&(kind, SmolStr::from(name))) {
                let body = def.body.clone();
                return match self.resolver.record(kind, name) {
                    Ok(rec) => Ok((rec, Some(body))),
                    Err(e) => Err(ExplainError::InError {
                        name: query.to_owned(),
                        reason: self.render(&e),
                    }),
                };
            }
        }
        if kinds.len() == 2 && self.index.is_typedef(name) {
            let ty = self.resolver.typedef(name).map_err(|e| ExplainError::InError {
                name: query.to_owned(),
                reason: self.render(&e),
            })?;
            return match ty.strip_typedefs() {
                Ty::Record(rec) => {
                    let body = rec
                        .tag
                        .as_ref()
                        .and_then(|t| self.index.records.get(&(rec.kind, t.clone())))
                        .map(|d| d.body.clone());
                    Ok((Arc::clone(rec), body.or_else(|| self.typedef_body(name))))
                }
                other => Err(ExplainError::NotARecord {
                    name: query.to_owned(),
                    what: format!("`{other}`"),
                }),
            };
        }
        Err(ExplainError::Unknown {
            name: query.to_owned(),
            suggestions: self.closest_names(name, 5),
        })
    }

    /// The body of `typedef struct { ... } name;`.
    fn typedef_body(&self, name: &str) -> Option<Range<usize>> {
        let &(decl, _) = self.index.typedefs.get(name)?;
        match &self.index.decls[decl].specs.named {
            Some(NamedSpec::Record { body: Some(body), .. }) => Some(body.clone()),
            _ => None,
        }
    }

    /// Record tags and typedef names closest to `name` (edit distance, then a shared prefix).
    pub fn closest_names(&self, name: &str, n: usize) -> Vec<String> {
        let mut seen = FxHashSet::default();
        let mut scored: Vec<(usize, String)> = Vec::new();
        let names = self
            .index
            .record_tags()
            .map(|(k, t)| (t.as_str(), Some(k)))
            .chain(self.index.typedefs.keys().map(|t| (t.as_str(), None)));
        for (cand, kind) in names {
            if !seen.insert((cand.to_owned(), kind.is_some())) {
                continue;
            }
            let d = edit_distance(name, cand);
            let contains = cand.contains(name) || name.contains(cand);
            let limit = (name.len().max(3)) / 3 + 1;
            if d <= limit || contains {
                let shown = match kind {
                    Some(k) => format!("{} {cand}", k.keyword()),
                    None => cand.to_owned(),
                };
                scored.push((if contains { d.min(limit) } else { d }, shown));
            }
        }
        scored.sort();
        scored.dedup_by(|a, b| a.1 == b.1);
        scored.into_iter().take(n).map(|(_, s)| s).collect()
    }

    /// A declaration error with the file and line of its token.
    fn render(&self, e: &crate::decl::DeclError) -> String {
        match self.pp.run_of(e.token).filter(|_| e.token != crate::decl::NO_TOKEN) {
            Some(run) => {
                let file = self.pp.files.get(run.file as usize).map_or("<unknown>", |f| f.as_str());
                format!("{file}:{}: {}", run.line, e.kind)
            }
            None => e.kind.to_string(),
        }
    }

    /// The view of a record; `body` is its definition's tokens (for qualifiers and provenance).
    pub fn view(
        &mut self,
        rec: &Arc<RecordTy>,
        body: Option<Range<usize>>,
    ) -> Result<RecordView, String> {
        let layout = self.resolver.record_layout(rec).map_err(|e| e.to_string())?;
        let decls = match &body {
            Some(body) => self.member_decls(rec, body.clone()),
            None => None,
        };
        let mut members = Vec::new();
        for (i, (field, fl)) in rec.fields.iter().zip(&layout.fields).enumerate() {
            if field.name.is_none() && field.bit_width.is_some() {
                continue;
            }
            let decl = decls.as_ref().and_then(|d| d.get(i));
            let byte_size = match field.bit_width {
                Some(_) => self.ty_size(&field.ty)?,
                None => fl.size_bits / 8,
            };
            let pty = match decl {
                Some(d) => pty_with(&field.ty, Some(&d.shape)),
                None => pty_with(&field.ty, None),
            };
            let mut elem = &field.ty;
            while let Ty::Array(e, _) = elem {
                elem = e;
            }
            let (inline, inline_enum) = match elem {
                Ty::Record(inner) if inner.tag.is_none() => {
                    let body = decl.and_then(|d| d.inline_body.clone());
                    (Some(Box::new(self.view(inner, body)?)), None)
                }
                Ty::Enum(def) if def.tag.is_none() => (None, Some(Arc::clone(def))),
                _ => (None, None),
            };
            let alignment = if self.field_user_aligned(rec, field) {
                Some(self.field_align(rec, field)? / 8)
            } else {
                None
            };
            members.push(Member {
                name: field.name.clone(),
                ty: field.ty.clone(),
                pty,
                bit_offset: fl.offset_bits,
                byte_size,
                bit_width: field.bit_width,
                alignment,
                inline,
                inline_enum,
                decl_token: decl.map(|d| d.token),
                decl_start: decl.map(|d| d.start),
            });
        }
        let alignment =
            self.ty_user_aligned(&Ty::Record(Arc::clone(rec))).then_some(layout.align_bits / 8);
        Ok(RecordView {
            rec: Arc::clone(rec),
            size_bytes: layout.size_bits / 8,
            align_bytes: layout.align_bits / 8,
            alignment,
            members,
        })
    }

    /// The view of a named record used by value (no tokens needed: pahole prints only its
    /// padding).
    pub fn plain_view(&mut self, rec: &Arc<RecordTy>) -> Result<RecordView, String> {
        self.view(rec, None)
    }

    /// A type's alignment (GCC's), in bytes; 1 when it has no layout.
    pub fn align_bytes(&mut self, ty: &Ty) -> u64 {
        self.resolver.ty_layout(ty).map_or(1, |l| l.align_bits / 8)
    }

    /// A member's alignment in its record (its DECL_ALIGN), in bytes.
    pub fn member_align_bytes(&mut self, view: &RecordView, m: &Member) -> u64 {
        match view.rec.fields.iter().find(|f| f.name == m.name && f.ty == m.ty) {
            Some(f) => {
                let rec = Arc::clone(&view.rec);
                self.field_align(&rec, f).map_or(1, |a| a / 8)
            }
            None => self.align_bytes(&m.ty),
        }
    }

    fn ty_size(&mut self, ty: &Ty) -> Result<u64, String> {
        self.resolver.ty_layout(ty).map(|l| l.size_bits / 8).map_err(|e: LayoutError| e.to_string())
    }

    /// GCC's DECL_USER_ALIGN of a field: its own `aligned`, or its type's (packed or not: a
    /// packed member of a user-aligned type gets `DW_AT_alignment` 1, e.g. `xregs_state.i387`).
    fn field_user_aligned(&self, _rec: &RecordTy, field: &crate::ty::FieldTy) -> bool {
        field.align_bits.is_some() || self.ty_user_aligned(&field.ty)
    }

    /// GCC's TYPE_USER_ALIGN: an `aligned` attribute on the type, or a user-aligned member.
    fn ty_user_aligned(&self, ty: &Ty) -> bool {
        match ty {
            Ty::Typedef(def) => def.align_bits.is_some() || self.ty_user_aligned(&def.ty),
            Ty::Array(elem, _) => self.ty_user_aligned(elem),
            Ty::Record(rec) => {
                rec.align_bits.is_some()
                    || rec.fields.iter().any(|f| self.field_user_aligned(rec, f))
            }
            Ty::Enum(def) => def.align_bits.is_some(),
            _ => false,
        }
    }

    /// A field's alignment (GCC's DECL_ALIGN), in bits.
    fn field_align(&mut self, rec: &RecordTy, field: &crate::ty::FieldTy) -> Result<u64, String> {
        let ty_align = self.resolver.ty_layout(&field.ty).map_err(|e| e.to_string())?.align_bits;
        let packed = field.packed || rec.packed;
        let mut align = match field.align_bits {
            Some(a) if packed => a,
            Some(a) => a.max(ty_align),
            None if packed => 8,
            None => ty_align,
        };
        if let Some(cap) = rec.max_field_align_bits {
            align = align.min(cap.max(8));
        }
        Ok(align)
    }

    /// The member declarations of a record body, one per field of `rec` (unnamed bitfields
    /// included), or `None` when they cannot be matched with the fields (then no qualifiers).
    fn member_decls(&self, rec: &RecordTy, body: Range<usize>) -> Option<Vec<MemberDecl2>> {
        let toks = &self.pp.tokens;
        let typedefs = &self.index.typedef_names;
        let members = Parser::new(toks, body, typedefs).members().ok()?;
        let mut out = Vec::new();
        for member in members {
            let MemberDecl::Fields { specs, declarators } = member else {
                continue;
            };
            let mut p = Parser::new(toks, specs.start..toks.len(), typedefs);
            let _ = p.specs().ok()?;
            let spec_end = p.pos;
            let leaf = spec_quals(toks, specs.start..spec_end);
            let inline_body = match &specs.named {
                Some(NamedSpec::Record { tag: None, body: Some(b), .. }) => Some(b.clone()),
                _ => None,
            };
            if declarators.is_empty() {
                if inline_body.is_some() {
                    out.push(MemberDecl2 {
                        shape: Shape::Leaf(leaf),
                        inline_body,
                        token: specs.start,
                        start: specs.start,
                    });
                }
                continue;
            }
            for (declarator, _) in declarators {
                let shape = self.declarator_shape(leaf, &declarator.ops);
                let token = declarator.name.as_ref().map_or(specs.start, |(_, at)| *at);
                out.push(MemberDecl2 {
                    shape,
                    inline_body: inline_body.clone(),
                    token,
                    start: specs.start,
                });
            }
        }
        if out.len() != rec.fields.len() {
            return None;
        }
        Some(out)
    }

    /// The qualifier shape of a declarator over a base with qualifiers `leaf`.
    fn declarator_shape(&self, leaf: Quals, ops: &[DeclOp]) -> Shape {
        let toks = &self.pp.tokens;
        let mut shape = Shape::Leaf(leaf);
        for op in ops.iter().rev() {
            shape = match op {
                DeclOp::Pointer { at, .. } => {
                    Shape::Pointer(Box::new(shape), quals_after(toks, at + 1))
                }
                DeclOp::Array { .. } => Shape::Array(Box::new(shape)),
                DeclOp::Function { params, .. } => {
                    let (params, variadic) = self.param_shapes(params.clone());
                    Shape::Function { ret: Box::new(shape), params, variadic }
                }
            };
        }
        shape
    }

    fn param_shapes(&self, range: Range<usize>) -> (Vec<Shape>, bool) {
        let toks = &self.pp.tokens;
        let mut out = Vec::new();
        let mut variadic = false;
        let mut p = Parser::new(toks, range, &self.index.typedef_names);
        while !p.at_end() {
            if p.at(T![...]) {
                variadic = true;
                p.pos += 1;
                continue;
            }
            let start = p.pos;
            let Ok(specs) = p.specs() else { break };
            if !specs.has_type() {
                break;
            }
            let leaf = spec_quals(toks, start..p.pos);
            let Ok(mut declarator) = p.declarator(true) else {
                break;
            };
            if let Some(DeclOp::Array { at, .. }) = declarator.ops.first() {
                let at = *at;
                declarator.ops[0] = DeclOp::Pointer { attrs: Vec::new(), at };
            }
            let is_void = specs.base.void > 0 && specs.named.is_none() && declarator.ops.is_empty();
            if !is_void {
                out.push(self.declarator_shape(leaf, &declarator.ops));
            }
            if p.at(T![,]) {
                p.pos += 1;
            } else {
                break;
            }
        }
        (out, variadic)
    }

    /// The tokens of the unit (for provenance).
    pub fn tokens(&self) -> &'a [Token] {
        &self.pp.tokens
    }
}

/// One member declarator's qualifiers and position.
struct MemberDecl2 {
    shape: Shape,
    inline_body: Option<Range<usize>>,
    token: usize,
    start: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Quals {
    konst: bool,
    volatile: bool,
    restrict: bool,
}

/// Where the declaration's qualifiers sit, mirroring the declarator's derivations.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Shape {
    Leaf(Quals),
    Pointer(Box<Shape>, Quals),
    Array(Box<Shape>),
    Function { ret: Box<Shape>, params: Vec<Shape>, variadic: bool },
}

fn add_qual(q: &mut Quals, word: &str) {
    match word {
        "const" | "__const" | "__const__" => q.konst = true,
        "volatile" | "__volatile" | "__volatile__" => q.volatile = true,
        "restrict" | "__restrict" | "__restrict__" => q.restrict = true,
        _ => {}
    }
}

/// The qualifiers among declaration specifiers (outside any parentheses or braces).
fn spec_quals(toks: &[Token], range: Range<usize>) -> Quals {
    let mut q = Quals::default();
    let mut depth = 0i32;
    for tok in &toks[range.start.min(toks.len())..range.end.min(toks.len())] {
        match tok.kind {
            T!['('] | T!['{'] | T!['['] => depth += 1,
            T![')'] | T!['}'] | T![']'] => depth -= 1,
            _ if depth == 0 && parse::is_qualifier(&tok.text) => add_qual(&mut q, &tok.text),
            _ => {}
        }
    }
    q
}

/// The qualifiers right after a `*` (attributes skipped).
fn quals_after(toks: &[Token], mut i: usize) -> Quals {
    let mut q = Quals::default();
    while let Some(tok) = toks.get(i) {
        if parse::is_qualifier(&tok.text) {
            add_qual(&mut q, &tok.text);
            i += 1;
        } else if parse::is_attribute_keyword(&tok.text) {
            // `__attribute__((...))`: skip the balanced group.
            i += 1;
            let mut depth = 0;
            while let Some(t) = toks.get(i) {
                match t.kind {
                    T!['('] => depth += 1,
                    T![')'] => depth -= 1,
                    _ => {}
                }
                i += 1;
                if depth == 0 {
                    break;
                }
            }
        } else {
            break;
        }
    }
    q
}

fn wrap(q: Quals, mut t: PTy) -> PTy {
    // GCC's DWARF puts `volatile` outside `const` (`const volatile int` is volatile → const → int).
    if q.restrict {
        t = PTy::Restrict(Box::new(t));
    }
    if q.konst {
        t = PTy::Const(Box::new(t));
    }
    if q.volatile {
        t = PTy::Volatile(Box::new(t));
    }
    t
}

/// The printed type of `ty`, with the qualifiers of `shape` where the shapes agree.
fn pty_with(ty: &Ty, shape: Option<&Shape>) -> PTy {
    match (ty, shape) {
        (Ty::Pointer(inner), Some(Shape::Pointer(s, q))) => {
            wrap(*q, PTy::Pointer(Box::new(pty_with(inner, Some(s)))))
        }
        (Ty::Array(inner, n), Some(Shape::Array(s))) => {
            // GCC's DWARF qualifies an array of qualified elements too (`const char name[32]`
            // is const → array → const → char, which pahole prints `const const char`).
            let mut elem = &**s;
            while let Shape::Array(e) = elem {
                elem = e;
            }
            let q = match elem {
                Shape::Leaf(q) => Quals { restrict: false, ..*q },
                _ => Quals::default(),
            };
            wrap(q, PTy::Array(Box::new(pty_with(inner, Some(s))), *n))
        }
        (Ty::Function(sig), Some(Shape::Function { ret, params, variadic })) => PTy::Function {
            ret: Box::new(pty_with(&sig.ret, Some(ret))),
            params: sig
                .params
                .iter()
                .enumerate()
                .map(|(i, p)| pty_with(p, params.get(i)))
                .collect(),
            variadic: *variadic,
        },
        (_, Some(Shape::Leaf(q))) => wrap(*q, plain(ty)),
        _ => plain(ty),
    }
}

fn plain(ty: &Ty) -> PTy {
    match ty {
        Ty::Void => PTy::Void,
        Ty::Base(b) => PTy::Base(*b),
        Ty::Pointer(inner) => PTy::Pointer(Box::new(pty_with(inner, None))),
        Ty::Array(inner, n) => PTy::Array(Box::new(pty_with(inner, None)), *n),
        Ty::Function(sig) => PTy::Function {
            ret: Box::new(pty_with(&sig.ret, None)),
            params: sig.params.iter().map(|p| pty_with(p, None)).collect(),
            variadic: false,
        },
        Ty::Record(rec) => PTy::Record(rec.kind, rec.tag.clone()),
        Ty::RecordRef(kind, tag) => PTy::Record(*kind, Some(tag.clone())),
        Ty::Enum(def) => PTy::Enum(def.tag.clone()),
        Ty::EnumRef(tag) => PTy::Enum(Some(tag.clone())),
        Ty::Typedef(def) => PTy::Typedef(def.name.clone()),
        Ty::TypedefRef(name) => PTy::Typedef(name.clone()),
    }
}

/// Levenshtein distance, for suggestions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// One configuration's translation unit, preprocessed and indexed, ready to explain types of.
pub struct Unit {
    pub pp: Arc<Preprocessed>,
    pub index: DeclIndex,
    pub randstruct: bool,
    pub pre_ast: Arc<crate::pre_ast::PreAst>,
    pub options: Vec<(SmolStr, SmolStr)>,
}

impl Unit {
    /// Preprocesses `pre_ast`'s target under `config` (the `preprocessed` query, with the
    /// pipeline's helper thread lowering files ahead) and indexes its declarations, as
    /// make-profile does; records are resolved only when explained.
    pub fn new(
        db: &dyn crate::db::Db,
        pre_ast: &Arc<crate::pre_ast::PreAst>,
        config: &crate::config::ConfigFile,
    ) -> Result<Unit, String> {
        let input = crate::preprocess::PreAstInput::from_pre_ast(db, Arc::clone(pre_ast));
        Unit::new_in(db, input, config)
    }

    /// [`Unit::new`] on a pre-AST already made a salsa input (units of several configurations
    /// on one input share the per-file work).
    pub fn new_in(
        db: &dyn crate::db::Db,
        input: crate::preprocess::PreAstInput,
        config: &crate::config::ConfigFile,
    ) -> Result<Unit, String> {
        let pre_ast = Arc::clone(input.pre_ast(db));
        let pre_ast = &pre_ast;
        let kconfig = crate::input::KernelConfig::new(
            db,
            config.origin.as_str().into(),
            config.options.clone().into(),
        );
        let pp = crate::pipeline::preprocessed_ahead(db, input, kconfig)?;
        let mut index = DeclIndex::build(&pp.tokens);
        index.add_pragmas(pp.pragmas.iter().map(|p| (p.before_token as usize, p.text.as_str())));
        let randstruct =
            crate::config::options_is_set(&config.options, "CONFIG_GCC_PLUGIN_RANDSTRUCT");
        Ok(Unit {
            pp,
            index,
            randstruct,
            pre_ast: Arc::clone(pre_ast),
            options: config.options.clone(),
        })
    }

    pub fn explainer(&self) -> Explainer<'_> {
        Explainer::new(
            &self.pp,
            &self.index,
            self.randstruct,
            crate::config::options_ms_extensions(&self.options),
        )
    }

    /// `pahole -C NAME`'s text for one type.
    pub fn pahole(&self, name: &str) -> Result<String, ExplainError> {
        self.text(name, false)
    }

    /// The pahole text, with `--why`'s `//` annotations when `why` is set.
    pub fn text(&self, name: &str, why: bool) -> Result<String, ExplainError> {
        let mut ex = self.explainer();
        let (rec, body) = self.find(&mut ex, name)?;
        let in_error = |reason: String| ExplainError::InError { name: name.to_owned(), reason };
        // A typedef name: pahole prints the typedef (`typedef struct spinlock spinlock_t;`, or
        // the anonymous record it names inline).
        let typedef = self.typedef_target(&mut ex, name);
        if let Some(Ty::Record(target)) = &typedef {
            if let Some(tag) = &target.tag {
                return Ok(format!("typedef {} {tag} {};\n", target.kind.keyword(), name.trim()));
            }
        }
        if let Some(Ty::Typedef(target)) = &typedef {
            return Ok(format!("typedef {} {};\n", target.name, name.trim()));
        }
        let view = ex.view(&rec, body.clone()).map_err(in_error)?;
        let why = why.then(|| (self.why(), body.unwrap_or(0..0)));
        let why = why.as_ref().map(|(w, b)| (w, b.clone()));
        match typedef {
            Some(_) => pahole::pahole_typedef(&mut ex, &view, name.trim(), why).map_err(in_error),
            None => pahole::pahole_with(&mut ex, &view, why).map_err(in_error),
        }
    }

    /// What a query names when it is a typedef name rather than a tag: the typedef's target.
    fn typedef_target(&self, ex: &mut Explainer<'_>, name: &str) -> Option<Ty> {
        let name = name.trim();
        if name.contains(' ') || !self.index.is_typedef(name) {
            return None;
        }
        let tagged = [RecordKind::Struct, RecordKind::Union]
            .iter()
            .any(|k| self.index.records.contains_key(&(*k, SmolStr::from(name))));
        if tagged {
            return None;
        }
        match ex.resolver.typedef(name).ok()? {
            Ty::Typedef(def) => Some(def.ty.clone()),
            _ => None,
        }
    }

    /// [`Explainer::find`], with an unknown name looked for in the pre-AST's sources (a type
    /// only other configurations define).
    fn find(
        &self,
        ex: &mut Explainer<'_>,
        name: &str,
    ) -> Result<(Arc<RecordTy>, Option<Range<usize>>), ExplainError> {
        match ex.find(name) {
            Err(ExplainError::Unknown { name: query, suggestions }) => {
                let trimmed = query.trim();
                let (kinds, bare): (&[&str], &str) = match trimmed.split_once(' ') {
                    Some(("struct", n)) => (&["struct"], n.trim()),
                    Some(("union", n)) => (&["union"], n.trim()),
                    _ => (&[], trimmed),
                };
                let definitions = self.why().defined_elsewhere(bare, kinds);
                match definitions.is_empty() {
                    true => Err(ExplainError::Unknown { name: query, suggestions }),
                    false => Err(ExplainError::OtherConfigs { name: query, definitions }),
                }
            }
            other => other,
        }
    }

    /// The view of one type and its definition's body tokens.
    pub fn explain(&self, name: &str) -> Result<(RecordView, Option<Range<usize>>), ExplainError> {
        let mut ex = self.explainer();
        let (rec, body) = self.find(&mut ex, name)?;
        let view = ex
            .view(&rec, body.clone())
            .map_err(|reason| ExplainError::InError { name: name.to_owned(), reason })?;
        Ok((view, body))
    }

    /// The provenance reader of `--why`.
    pub fn why(&self) -> why::Why<'_> {
        why::Why {
            pp: &self.pp,
            index: &self.index,
            pre_ast: &self.pre_ast,
            options: &self.options,
            cache: Default::default(),
        }
    }
}
