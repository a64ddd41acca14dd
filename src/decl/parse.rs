//! The C declaration syntax over preprocessed tokens: declaration specifiers, declarators,
//! attributes, and the member declarations of a struct or union body.
//!
//! The parser only finds structure: expressions (array bounds, bitfield widths, attribute
//! arguments, initializers) and record bodies are kept as token ranges for `resolve` and `eval`.
//! Telling a typedef name from an identifier needs the set of typedef names, which the caller
//! passes in; as in C, an identifier after a type specifier is a declarator name.

use std::ops::Range;

use rustc_hash::FxHashSet;
use smol_str::SmolStr;
use syntax::{SyntaxKind, T};

use crate::{decl::DeclError, token::Token, ty::RecordKind};

/// One attribute from `__attribute__((...))`, `_Alignas(...)` or `[[...]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Attr {
    /// The name without leading and trailing `__` (`__aligned__` is `aligned`).
    pub(crate) name: SmolStr,
    /// The tokens between the argument parentheses, if any.
    pub(crate) args: Option<Range<usize>>,
    /// The token of the name, for errors.
    pub(crate) at: usize,
}

/// The keywords of a base type specifier, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BaseKeywords {
    pub(crate) void: u8,
    pub(crate) char: u8,
    pub(crate) short: u8,
    pub(crate) int: u8,
    pub(crate) long: u8,
    pub(crate) float: u8,
    pub(crate) double: u8,
    pub(crate) signed: u8,
    pub(crate) unsigned: u8,
    pub(crate) bool: u8,
    pub(crate) int128: u8,
    /// `_Complex`, `_Float128` and friends, which we do not lay out.
    pub(crate) unsupported: Option<usize>,
}

impl BaseKeywords {
    pub(crate) fn any(&self) -> bool {
        self.void
            + self.char
            + self.short
            + self.int
            + self.long
            + self.float
            + self.double
            + self.signed
            + self.unsigned
            + self.bool
            + self.int128
            > 0
            || self.unsupported.is_some()
    }
}

/// The named part of a type specifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum NamedSpec {
    Typedef(SmolStr, usize),
    Record {
        kind: RecordKind,
        tag: Option<SmolStr>,
        body: Option<Range<usize>>,
        attrs: Vec<Attr>,
        at: usize,
    },
    Enum {
        tag: Option<SmolStr>,
        body: Option<Range<usize>>,
        attrs: Vec<Attr>,
        at: usize,
    },
    /// `typeof(...)`: the tokens inside the parentheses (a type name or an expression).
    Typeof {
        inner: Range<usize>,
        at: usize,
    },
    /// `_Atomic(type-name)`.
    Atomic {
        inner: Range<usize>,
        at: usize,
    },
}

/// Declaration specifiers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Specs {
    pub(crate) base: BaseKeywords,
    pub(crate) named: Option<NamedSpec>,
    pub(crate) is_typedef: bool,
    pub(crate) is_extern: bool,
    pub(crate) is_static: bool,
    /// `_Atomic` as a qualifier.
    pub(crate) atomic: Option<usize>,
    /// Attributes that apply to the declaration (`__attribute__` among the specifiers, `_Alignas`),
    /// in the order GCC applies them: `c_parser_declspecs` prepends each run of consecutive
    /// attribute specifiers, so the last run in the text comes first, each run in its own order
    /// (test `typedef_attributes_by_position` in decl::tests).
    pub(crate) attrs: Vec<Attr>,
    pub(crate) start: usize,
}

impl Specs {
    pub(crate) fn has_type(&self) -> bool {
        self.base.any() || self.named.is_some()
    }
}

/// One derivation step of a declarator, outermost first: applying them in order to the base type
/// gives the declared type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DeclOp {
    Pointer {
        attrs: Vec<Attr>,
        at: usize,
    },
    /// `[N]`: the bound's tokens; `None` for `[]`.
    Array {
        bound: Option<Range<usize>>,
        at: usize,
    },
    /// `(params)`: the tokens between the parentheses.
    Function {
        params: Range<usize>,
        at: usize,
    },
}

/// A declarator: a name (absent in abstract declarators and unnamed bitfields) and derivations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Declarator {
    pub(crate) name: Option<(SmolStr, usize)>,
    pub(crate) ops: Vec<DeclOp>,
    /// Attributes after the declarator (and after a bitfield's width), in text order; they apply to
    /// the declared entity, before the specifiers' attributes.
    pub(crate) attrs: Vec<Attr>,
    /// Attributes inside a parenthesised declarator (`long (__attribute__((aligned(2))) x)`): GCC
    /// applies them to the type at that point of the derivation, where `aligned` may lower it.
    pub(crate) nested_attrs: Vec<Attr>,
}

/// One member declaration of a record body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum MemberDecl {
    Fields {
        specs: Specs,
        declarators: Vec<(Declarator, Option<Range<usize>>)>,
    },
    /// `_Static_assert(expr, "msg")`: the tokens inside the parentheses.
    StaticAssert {
        inner: Range<usize>,
        at: usize,
    },
}

/// A parser over a token slice.
pub(crate) struct Parser<'a> {
    pub(crate) toks: &'a [Token],
    pub(crate) pos: usize,
    pub(crate) end: usize,
    pub(crate) typedefs: &'a FxHashSet<SmolStr>,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(
        toks: &'a [Token],
        range: Range<usize>,
        typedefs: &'a FxHashSet<SmolStr>,
    ) -> Parser<'a> {
        Parser { toks, pos: range.start, end: range.end.min(toks.len()), typedefs }
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.end
    }

    pub(crate) fn kind(&self) -> Option<SyntaxKind> {
        self.nth_kind(0)
    }

    pub(crate) fn nth_kind(&self, n: usize) -> Option<SyntaxKind> {
        let i = self.pos + n;
        if i < self.end {
            Some(self.toks[i].kind)
        } else {
            None
        }
    }

    pub(crate) fn at(&self, kind: SyntaxKind) -> bool {
        self.kind() == Some(kind)
    }

    pub(crate) fn ident(&self) -> Option<&'a str> {
        self.nth_ident(0)
    }

    pub(crate) fn nth_ident(&self, n: usize) -> Option<&'a str> {
        let i = self.pos + n;
        if i < self.end && self.toks[i].kind == SyntaxKind::IDENT {
            Some(self.toks[i].text.as_str())
        } else {
            None
        }
    }

    pub(crate) fn error(&self, message: impl Into<String>) -> DeclError {
        DeclError::new(self.pos.min(self.toks.len().saturating_sub(1)), message)
    }

    pub(crate) fn expect(&mut self, kind: SyntaxKind, what: &str) -> Result<(), DeclError> {
        if self.at(kind) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(format!("expected {what}, found {}", self.describe())))
        }
    }

    pub(crate) fn describe(&self) -> String {
        if self.pos < self.end {
            format!("`{}`", self.toks[self.pos].text)
        } else {
            "the end of the declaration".to_owned()
        }
    }

    /// Skips a balanced group starting at an opening token; returns the range inside it.
    pub(crate) fn skip_group(&mut self) -> Result<Range<usize>, DeclError> {
        let open = self.pos;
        let mut depth = 0usize;
        while self.pos < self.end {
            match self.toks[self.pos].kind {
                T!['('] | T!['['] | T!['{'] => depth += 1,
                T![')'] | T![']'] | T!['}'] => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos += 1;
                        return Ok(open + 1..self.pos - 1);
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        Err(DeclError::new(open, "unbalanced brackets"))
    }

    /// Whether the current token can start a type name (for casts, `sizeof` and `typeof`).
    pub(crate) fn at_type_start(&self) -> bool {
        match self.ident() {
            Some(word) => {
                is_type_keyword(word) || is_qualifier(word) || self.typedefs.contains(word)
            }
            None => false,
        }
    }

    /// Attributes: any number of `__attribute__((...))` groups and `[[...]]`.
    pub(crate) fn attributes(&mut self, out: &mut Vec<Attr>) -> Result<(), DeclError> {
        loop {
            match self.ident() {
                Some("__attribute__" | "__attribute") => {
                    self.pos += 1;
                    self.expect(T!['('], "`((` after __attribute__")?;
                    self.expect(T!['('], "`((` after __attribute__")?;
                    loop {
                        if self.at(T![')']) {
                            self.pos += 1;
                            break;
                        }
                        if self.at(T![,]) {
                            self.pos += 1;
                            continue;
                        }
                        let at = self.pos;
                        let Some(word) = self.ident() else {
                            return Err(self.error(format!(
                                "expected an attribute name, found {}",
                                self.describe()
                            )));
                        };
                        self.pos += 1;
                        let args = if self.at(T!['(']) { Some(self.skip_group()?) } else { None };
                        out.push(Attr { name: attr_name(word), args, at });
                    }
                    self.expect(T![')'], "`))` after attributes")?;
                }
                Some("_Alignas" | "alignas") => {
                    let at = self.pos;
                    self.pos += 1;
                    if !self.at(T!['(']) {
                        return Err(self.error("expected `(` after _Alignas"));
                    }
                    let args = self.skip_group()?;
                    out.push(Attr { name: SmolStr::new_static("_Alignas"), args: Some(args), at });
                }
                _ if self.at(T!['[']) && self.nth_kind(1) == Some(T!['[']) => {
                    let at = self.pos;
                    let inner = self.skip_group()?;
                    // `[[gnu::packed]]` and friends: keep the last identifier of each entry.
                    let mut p = inner.start + 1;
                    while p + 1 < inner.end {
                        if self.toks[p].kind == SyntaxKind::IDENT {
                            let mut name_at = p;
                            while name_at + 2 < inner.end
                                && self.toks[name_at + 1].kind == T![:]
                                && self.toks[name_at + 2].kind == T![:]
                            {
                                name_at += 3;
                            }
                            let mut q = name_at + 1;
                            let args = if q < inner.end && self.toks[q].kind == T!['('] {
                                let mut sub = Parser {
                                    toks: self.toks,
                                    pos: q,
                                    end: inner.end,
                                    typedefs: self.typedefs,
                                };
                                let r = sub.skip_group()?;
                                q = sub.pos;
                                Some(r)
                            } else {
                                None
                            };
                            out.push(Attr {
                                name: attr_name(&self.toks[name_at].text),
                                args,
                                at: at.max(name_at),
                            });
                            p = q;
                        } else {
                            p += 1;
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// Declaration specifiers. Stops at the first token that cannot continue them.
    pub(crate) fn specs(&mut self) -> Result<Specs, DeclError> {
        let mut specs = Specs { start: self.pos, ..Specs::default() };
        while let Some(word) = self.ident() {
            let at = self.pos;
            match word {
                "typedef" => specs.is_typedef = true,
                "extern" => specs.is_extern = true,
                "static" => specs.is_static = true,
                "auto" | "register" | "inline" | "__inline" | "__inline__" | "_Noreturn"
                | "__thread" | "_Thread_local" | "thread_local" | "__extension__" | "constexpr" => {
                }
                w if is_qualifier(w) => {}
                "_Atomic" => {
                    if self.nth_kind(1) == Some(T!['(']) {
                        self.pos += 1;
                        let inner = self.skip_group()?;
                        self.set_named(&mut specs, NamedSpec::Atomic { inner, at }, at)?;
                        continue;
                    }
                    specs.atomic = Some(at);
                }
                "__attribute__" | "__attribute" | "_Alignas" | "alignas" => {
                    let mut run = Vec::new();
                    self.attributes(&mut run)?;
                    specs.attrs.splice(0..0, run);
                    continue;
                }
                "struct" | "union" => {
                    let kind =
                        if word == "struct" { RecordKind::Struct } else { RecordKind::Union };
                    self.pos += 1;
                    let (tag, body, attrs) = self.tagged_spec(&mut specs.attrs)?;
                    self.set_named(
                        &mut specs,
                        NamedSpec::Record { kind, tag, body, attrs, at },
                        at,
                    )?;
                    continue;
                }
                "enum" => {
                    self.pos += 1;
                    let (tag, body, attrs) = self.tagged_spec(&mut specs.attrs)?;
                    self.set_named(&mut specs, NamedSpec::Enum { tag, body, attrs, at }, at)?;
                    continue;
                }
                "typeof" | "__typeof__" | "__typeof" | "typeof_unqual" | "__typeof_unqual__"
                | "__typeof_unqual" => {
                    self.pos += 1;
                    if !self.at(T!['(']) {
                        return Err(self.error("expected `(` after typeof"));
                    }
                    let inner = self.skip_group()?;
                    self.set_named(&mut specs, NamedSpec::Typeof { inner, at }, at)?;
                    continue;
                }
                "void" => specs.base.void += 1,
                "char" => specs.base.char += 1,
                "short" => specs.base.short += 1,
                "int" => specs.base.int += 1,
                "long" => specs.base.long += 1,
                "float" => specs.base.float += 1,
                "double" => specs.base.double += 1,
                "signed" | "__signed__" | "__signed" => specs.base.signed += 1,
                "unsigned" | "__unsigned__" => specs.base.unsigned += 1,
                "_Bool" => specs.base.bool += 1,
                "__int128" | "__int128_t" => specs.base.int128 += 1,
                "_Complex" | "__complex__" | "_Imaginary" | "_Float16" | "_Float32"
                | "_Float64" | "_Float128" | "_Float32x" | "_Float64x" | "__float128"
                | "__float80" | "_Decimal32" | "_Decimal64" | "_Decimal128" | "__bf16"
                | "__auto_type" | "_BitInt" => specs.base.unsupported = Some(at),
                w if !specs.has_type() && self.typedefs.contains(w) => {
                    specs.named = Some(NamedSpec::Typedef(SmolStr::from(w), at));
                }
                _ => break,
            }
            self.pos += 1;
        }
        Ok(specs)
    }

    fn set_named(&self, specs: &mut Specs, named: NamedSpec, at: usize) -> Result<(), DeclError> {
        if specs.named.is_some() {
            return Err(DeclError::new(at, "two type names in one declaration"));
        }
        specs.named = Some(named);
        Ok(())
    }

    /// After `struct`/`union`/`enum`: attributes, an optional tag, an optional body and the
    /// attributes after it, in text order (the order GCC applies them to the type). Without a
    /// body, GCC ignores the attributes between the keyword and the tag (test
    /// `tag_attributes_by_position` in decl::tests), and those after the tag are declaration
    /// specifiers, so they go to `decl_attrs` as one run.
    #[allow(clippy::type_complexity)]
    fn tagged_spec(
        &mut self,
        decl_attrs: &mut Vec<Attr>,
    ) -> Result<(Option<SmolStr>, Option<Range<usize>>, Vec<Attr>), DeclError> {
        let mut attrs = Vec::new();
        self.attributes(&mut attrs)?;
        let tag = match self.ident() {
            Some(w) if !is_attribute_keyword(w) => {
                self.pos += 1;
                Some(SmolStr::from(w))
            }
            _ => None,
        };
        let mut after_tag = Vec::new();
        self.attributes(&mut after_tag)?;
        if self.at(T!['{']) {
            if let (Some(_), Some(attr)) = (&tag, after_tag.first()) {
                return Err(DeclError::new(
                    attr.at,
                    "an attribute between a tag and `{` (GCC rejects it)",
                ));
            }
            attrs.append(&mut after_tag);
            let body = self.skip_group()?;
            self.attributes(&mut attrs)?;
            Ok((tag, Some(body), attrs))
        } else {
            if tag.is_none() {
                return Err(self.error("expected a tag or `{` after struct, union or enum"));
            }
            decl_attrs.splice(0..0, after_tag);
            Ok((tag, None, Vec::new()))
        }
    }

    /// A declarator. With `abstract_ok`, the name may be missing (type names, parameters,
    /// unnamed bitfields).
    pub(crate) fn declarator(&mut self, abstract_ok: bool) -> Result<Declarator, DeclError> {
        let mut decl = Declarator::default();
        let mut pointers = Vec::new();
        loop {
            if self.at(T![*]) {
                let at = self.pos;
                self.pos += 1;
                let mut attrs = Vec::new();
                loop {
                    match self.ident() {
                        Some(w) if is_qualifier(w) || w == "_Atomic" => self.pos += 1,
                        Some(w) if is_attribute_keyword(w) => self.attributes(&mut attrs)?,
                        _ => break,
                    }
                }
                pointers.push(DeclOp::Pointer { attrs, at });
            } else if self.ident().is_some_and(is_attribute_keyword) {
                self.attributes(&mut decl.attrs)?;
            } else {
                break;
            }
        }
        let mut inner: Option<Declarator> = None;
        match self.kind() {
            Some(SyntaxKind::IDENT) if !self.ident().is_some_and(is_attribute_keyword) => {
                let word = self.ident().unwrap_or_default();
                if abstract_ok && (self.typedefs.contains(word) || is_type_keyword(word)) {
                    // A parameter's type starts here: the declarator is abstract.
                } else {
                    decl.name = Some((SmolStr::from(word), self.pos));
                    self.pos += 1;
                }
            }
            Some(T!['(']) if self.paren_is_nested_declarator(abstract_ok) => {
                self.pos += 1;
                let nested = self.declarator(abstract_ok)?;
                self.expect(T![')'], "`)` closing a declarator")?;
                inner = Some(nested);
            }
            _ => {
                if !abstract_ok {
                    return Err(
                        self.error(format!("expected a declarator, found {}", self.describe()))
                    );
                }
            }
        }
        let mut suffixes = Vec::new();
        loop {
            let at = self.pos;
            match self.kind() {
                Some(T!['[']) => {
                    let r = self.skip_group()?;
                    // `[static N]`, `[const N]` in parameters: drop the qualifiers.
                    let mut start = r.start;
                    while start < r.end
                        && matches!(
                            self.toks[start].text.as_str(),
                            "static" | "const" | "volatile" | "restrict" | "__restrict"
                        )
                    {
                        start += 1;
                    }
                    let bound = if start == r.end { None } else { Some(start..r.end) };
                    suffixes.push(DeclOp::Array { bound, at });
                }
                Some(T!['(']) => {
                    let params = self.skip_group()?;
                    suffixes.push(DeclOp::Function { params, at });
                }
                _ => break,
            }
        }
        // Attributes and an asm label after the declarator.
        loop {
            match self.ident() {
                Some(w) if is_attribute_keyword(w) => self.attributes(&mut decl.attrs)?,
                Some("__asm__" | "asm" | "__asm") => {
                    self.pos += 1;
                    if self.at(T!['(']) {
                        self.skip_group()?;
                    }
                }
                _ => break,
            }
        }
        // Outermost first: the nested declarator's derivations, then the suffixes left to right,
        // then the pointers from the one nearest the name outwards.
        let mut ops = Vec::new();
        if let Some(inner) = inner {
            decl.name = inner.name;
            decl.nested_attrs = inner.attrs;
            decl.nested_attrs.extend(inner.nested_attrs);
            ops = inner.ops;
        }
        ops.extend(suffixes);
        ops.extend(pointers.into_iter().rev());
        decl.ops = ops;
        Ok(decl)
    }

    /// At `(`: whether it opens a nested declarator rather than a parameter list.
    fn paren_is_nested_declarator(&self, abstract_ok: bool) -> bool {
        match self.nth_kind(1) {
            Some(T![*]) => true,
            Some(T!['(']) => !abstract_ok,
            Some(SyntaxKind::IDENT) => {
                let word = self.nth_ident(1).unwrap_or_default();
                if is_attribute_keyword(word) {
                    return true;
                }
                if abstract_ok {
                    !(self.typedefs.contains(word) || is_type_keyword(word) || is_qualifier(word))
                } else {
                    true
                }
            }
            _ => false,
        }
    }

    /// The member declarations of a record body.
    pub(crate) fn members(&mut self) -> Result<Vec<MemberDecl>, DeclError> {
        let mut out = Vec::new();
        while !self.at_end() {
            if self.at(T![;]) {
                self.pos += 1;
                continue;
            }
            if let Some("_Static_assert" | "static_assert") = self.ident() {
                let at = self.pos;
                self.pos += 1;
                if !self.at(T!['(']) {
                    return Err(self.error("expected `(` after _Static_assert"));
                }
                let inner = self.skip_group()?;
                self.expect(T![;], "`;` after _Static_assert")?;
                out.push(MemberDecl::StaticAssert { inner, at });
                continue;
            }
            let specs = self.specs()?;
            if !specs.has_type() {
                return Err(
                    self.error(format!("expected a member type, found {}", self.describe()))
                );
            }
            let mut declarators = Vec::new();
            if self.at(T![;]) {
                // An anonymous struct or union member (or a useless declaration).
                self.pos += 1;
                out.push(MemberDecl::Fields { specs, declarators });
                continue;
            }
            loop {
                let mut decl =
                    if self.at(T![:]) { Declarator::default() } else { self.declarator(false)? };
                let width = if self.at(T![:]) {
                    self.pos += 1;
                    let start = self.pos;
                    self.skip_expression()?;
                    Some(start..self.pos)
                } else {
                    None
                };
                self.attributes(&mut decl.attrs)?;
                declarators.push((decl, width));
                if self.at(T![,]) {
                    self.pos += 1;
                    continue;
                }
                self.expect(T![;], "`;` after a member declaration")?;
                break;
            }
            out.push(MemberDecl::Fields { specs, declarators });
        }
        Ok(out)
    }

    /// Skips an expression up to a `,`, `;` or closing bracket at depth 0, or an attribute.
    pub(crate) fn skip_expression(&mut self) -> Result<(), DeclError> {
        while self.pos < self.end {
            match self.toks[self.pos].kind {
                T!['('] | T!['['] | T!['{'] => {
                    self.skip_group()?;
                }
                T![,] | T![;] | T![')'] | T![']'] | T!['}'] => return Ok(()),
                SyntaxKind::IDENT if is_attribute_keyword(&self.toks[self.pos].text) => {
                    return Ok(())
                }
                _ => self.pos += 1,
            }
        }
        Ok(())
    }
}

/// The attribute name without its leading and trailing `__`.
pub(crate) fn attr_name(word: &str) -> SmolStr {
    let w = word.strip_prefix("__").unwrap_or(word);
    let w = w.strip_suffix("__").unwrap_or(w);
    SmolStr::from(w)
}

pub(crate) fn is_attribute_keyword(word: &str) -> bool {
    matches!(word, "__attribute__" | "__attribute" | "_Alignas" | "alignas")
}

/// Type qualifiers, including GCC's spellings and the x86 named address spaces.
pub(crate) fn is_qualifier(word: &str) -> bool {
    matches!(
        word,
        "const"
            | "volatile"
            | "restrict"
            | "__const"
            | "__const__"
            | "__volatile"
            | "__volatile__"
            | "__restrict"
            | "__restrict__"
            | "__seg_gs"
            | "__seg_fs"
    )
}

/// Keywords that start a type specifier (qualifiers aside).
pub(crate) fn is_type_keyword(word: &str) -> bool {
    matches!(
        word,
        "void"
            | "char"
            | "short"
            | "int"
            | "long"
            | "float"
            | "double"
            | "signed"
            | "__signed__"
            | "__signed"
            | "unsigned"
            | "_Bool"
            | "__int128"
            | "_Complex"
            | "__complex__"
            | "struct"
            | "union"
            | "enum"
            | "typeof"
            | "__typeof__"
            | "__typeof"
            | "typeof_unqual"
            | "__typeof_unqual__"
            | "_Atomic"
            | "__extension__"
            | "_Float128"
            | "__float128"
            | "__auto_type"
    )
}
