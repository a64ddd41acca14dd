//! The one skim of the preprocessed tokens: file-scope declarations, indexed by name.
//!
//! Function bodies, initializers and top-level asm are skipped without looking inside. Struct,
//! union and enum bodies are not parsed here either; only the tags defined in them (which have
//! file scope in C) and enumerators are noted. Tags and ordinary identifiers live in separate
//! maps; a tag's first complete definition is the one kept (a later `struct X;` does not undo it,
//! and a later definition completes an earlier forward declaration).

use std::ops::Range;

use rustc_hash::{FxHashMap, FxHashSet};
use smol_str::SmolStr;
use syntax::{SyntaxKind, T};

use crate::{
    decl::{
        parse::{Attr, DeclOp, Declarator, NamedSpec, Parser, Specs},
        DeclError,
    },
    token::Token,
    ty::RecordKind,
};

/// Where a struct, union or enum is defined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TagDef {
    /// The `struct`/`union`/`enum` keyword.
    pub(crate) at: usize,
    pub(crate) tag: Option<SmolStr>,
    pub(crate) body: Range<usize>,
    /// Attributes before the tag and after the closing brace (they apply to the type).
    pub(crate) attrs: Vec<Attr>,
}

/// One file-scope declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TopDecl {
    pub(crate) specs: Specs,
    pub(crate) declarators: Vec<Declarator>,
    /// Whether this is a function definition (the last declarator has a body).
    pub(crate) is_function_def: bool,
}

/// The index of a translation unit's file-scope declarations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeclIndex {
    pub(crate) typedef_names: FxHashSet<SmolStr>,
    /// Typedef names of function types (`typedef int fn_t(void);`): `fn_t f;` declares a function.
    fn_typedefs: FxHashSet<SmolStr>,
    pub(crate) decls: Vec<TopDecl>,
    pub(crate) records: FxHashMap<(RecordKind, SmolStr), TagDef>,
    pub(crate) enums: FxHashMap<SmolStr, TagDef>,
    /// Every enum definition (tagged or not), by the position of its keyword.
    pub(crate) enum_bodies: FxHashMap<usize, TagDef>,
    /// Typedef name → (declaration, declarator).
    pub(crate) typedefs: FxHashMap<SmolStr, (usize, usize)>,
    /// Variable name → its declarations (declaration, declarator), in order.
    pub(crate) vars: FxHashMap<SmolStr, Vec<(usize, usize)>>,
    /// Variable names in order of first declaration.
    pub(crate) var_order: Vec<SmolStr>,
    /// Enumerator name → (enum keyword position, index in the enum).
    pub(crate) enumerators: FxHashMap<SmolStr, (usize, usize)>,
    /// Types used at file scope since the last variable definition.
    pending_type_uses: Vec<TypeUse>,
    /// Variable definition → the types used at file scope since the previous variable
    /// definition, up to and including it. GCC keeps those types in the debug info when the
    /// variable is emitted (`types_used_by_cur_var_decl` in c-decl.c).
    pub(crate) type_uses_by_var: FxHashMap<SmolStr, Vec<TypeUse>>,
    /// `#pragma pack` and `scalar_storage_order` lines (token position, text): from `_Pragma`
    /// tokens at file scope (as in `gcc -E` output), or from the preprocessor through
    /// [`DeclIndex::add_pragmas`].
    pragmas: Vec<(usize, String)>,
    /// Token ranges in which one of them is in effect, one per state.
    pub(crate) layout_pragmas: Vec<PragmaRegion>,
    /// Declarations the skim could not parse (they are skipped).
    pub errors: Vec<DeclError>,
}

impl DeclIndex {
    /// Skims `toks` once.
    pub fn build(toks: &[Token]) -> DeclIndex {
        let mut index = DeclIndex::default();
        // GCC's predefined typedef name.
        index.typedef_names.insert(SmolStr::new_static("__builtin_va_list"));
        let mut pos = 0;
        while pos < toks.len() {
            match index.top_decl(toks, pos) {
                Ok(next) => pos = next,
                Err(e) => {
                    index.errors.push(e);
                    pos = resync(toks, pos);
                }
            }
        }
        index.layout_pragmas = pragma_regions(&index.pragmas);
        index
    }

    /// Adds the `#pragma` lines the preprocessor met (each before a token position); those that
    /// change layouts make the records defined while they are in effect errors.
    pub fn add_pragmas<'p>(&mut self, pragmas: impl IntoIterator<Item = (usize, &'p str)>) {
        for (pos, text) in pragmas {
            self.note_pragma(pos, text.to_owned());
        }
        self.pragmas.sort_by_key(|(pos, _)| *pos);
        self.layout_pragmas = pragma_regions(&self.pragmas);
    }

    /// Keeps a `#pragma` line (`text`, before token `pos`) if it is one that changes layouts.
    fn note_pragma(&mut self, pos: usize, text: String) {
        if crate::preprocess::is_layout_pragma(&text) {
            self.pragmas.push((pos, text));
        }
    }

    /// The names of file-scope variables, in order of first declaration.
    pub fn variables(&self) -> &[SmolStr] {
        &self.var_order
    }

    /// Whether `name` is a typedef name.
    pub fn is_typedef(&self, name: &str) -> bool {
        self.typedef_names.contains(name)
    }

    /// Tags of every struct and union with a complete definition.
    pub fn record_tags(&self) -> impl Iterator<Item = (RecordKind, &SmolStr)> {
        self.records.keys().map(|(kind, tag)| (*kind, tag))
    }

    /// Parses one file-scope declaration at `pos`; returns the position after it.
    fn top_decl(&mut self, toks: &[Token], pos: usize) -> Result<usize, DeclError> {
        let mut p = Parser::new(toks, pos..toks.len(), &self.typedef_names);
        if p.at(T![;]) {
            return Ok(pos + 1);
        }
        if p.ident() == Some("_Pragma") {
            p.pos += 1;
            if p.at(T!['(']) {
                let inner = p.skip_group()?;
                let text = inner.map(|i| toks[i].text.as_str()).collect::<Vec<_>>().join(" ");
                let text = text.trim_start_matches(['"', 'L', ' ']).trim_end_matches(['"', ' ']);
                let next = p.pos;
                self.note_pragma(pos, format!("#pragma {text}"));
                return Ok(next);
            }
            return Ok(p.pos);
        }
        if let Some("_Static_assert" | "static_assert" | "__asm__" | "asm" | "__asm") = p.ident() {
            p.pos += 1;
            if p.at(T!['(']) {
                p.skip_group()?;
            }
            p.expect(T![;], "`;`")?;
            let next = p.pos;
            // A file-scope `_Static_assert` uses enumerators like any declaration does.
            self.note_type_uses(toks, pos..next, &(0..0));
            return Ok(next);
        }
        let specs = p.specs()?;
        if !specs.has_type() && !specs.is_typedef && !specs.is_extern && !specs.is_static {
            return Err(p.error(format!("expected a declaration, found {}", p.describe())));
        }
        let mut declarators = Vec::new();
        let mut is_function_def = false;
        let mut has_init = false;
        let mut body = 0..0;
        if p.at(T![;]) {
            p.pos += 1;
        } else {
            loop {
                let decl = p.declarator(false)?;
                declarators.push(decl);
                if p.at(T![=]) {
                    p.pos += 1;
                    has_init = true;
                    p.skip_expression()?;
                }
                if p.at(T!['{']) {
                    body = p.skip_group()?;
                    is_function_def = true;
                    break;
                }
                if p.at(T![,]) {
                    p.pos += 1;
                    continue;
                }
                p.expect(T![;], "`;` after a declaration")?;
                break;
            }
        }
        let next = p.pos;
        let decl_idx = self.decls.len();
        self.note_tags(toks, &specs)?;
        self.note_type_uses(toks, pos..next, &body);
        let defines_var = !specs.is_typedef && (!specs.is_extern || has_init);
        let base_is_fn = matches!(&specs.named, Some(NamedSpec::Typedef(name, _)) if self.fn_typedefs.contains(name));
        for (i, d) in declarators.iter().enumerate() {
            let Some((name, _)) = &d.name else { continue };
            let is_fn = match d.ops.first() {
                Some(DeclOp::Function { .. }) => true,
                Some(_) => false,
                None => base_is_fn,
            };
            if specs.is_typedef {
                self.typedef_names.insert(name.clone());
                self.typedefs.entry(name.clone()).or_insert((decl_idx, i));
                if is_fn {
                    self.fn_typedefs.insert(name.clone());
                }
            } else if !is_fn {
                let entry = self.vars.entry(name.clone()).or_default();
                if entry.is_empty() {
                    self.var_order.push(name.clone());
                }
                entry.push((decl_idx, i));
                if defines_var && !self.pending_type_uses.is_empty() {
                    let uses = std::mem::take(&mut self.pending_type_uses);
                    self.type_uses_by_var.entry(name.clone()).or_default().extend(uses);
                }
            }
        }
        self.decls.push(TopDecl { specs, declarators, is_function_def });
        Ok(next)
    }

    /// Notes the types a file-scope declaration uses the way GCC's front end records them
    /// (`used_types_insert`): its casts and compound literals, and the enums of the enumerators
    /// it names (outside a function body and outside the enum that defines them).
    fn note_type_uses(&mut self, toks: &[Token], range: Range<usize>, body: &Range<usize>) {
        self.note_cast_uses(toks, range.clone(), body);
        for i in range {
            if body.contains(&i) || toks[i].kind != SyntaxKind::IDENT {
                continue;
            }
            let Some(&(enum_at, _)) = self.enumerators.get(toks[i].text.as_str()) else {
                continue;
            };
            if self.enum_bodies.get(&enum_at).is_some_and(|def| def.body.contains(&i)) {
                continue;
            }
            if self.pending_type_uses.last() != Some(&TypeUse::Enum(enum_at)) {
                self.pending_type_uses.push(TypeUse::Enum(enum_at));
            }
        }
    }

    /// Notes the casts and compound literals of a file-scope declaration (outside a function body):
    /// a `(` in an expression (after an operator or another `(`, never after a name, `)` or `]`,
    /// which make calls and declarators, nor after `sizeof`, `typeof` and the like, whose type
    /// names GCC does not record) followed by a type name.
    fn note_cast_uses(&mut self, toks: &[Token], range: Range<usize>, body: &Range<usize>) {
        for at in range.start.max(1)..range.end.saturating_sub(1) {
            if body.contains(&at) || toks[at].kind != T!['('] {
                continue;
            }
            let prev = &toks[at - 1];
            let in_expression = matches!(
                prev.kind,
                T!['(']
                    | T![,]
                    | T![=]
                    | T!['[']
                    | T![?]
                    | T![:]
                    | T![!]
                    | T![~]
                    | T![-]
                    | T![+]
                    | T![*]
                    | T![/]
                    | T![%]
                    | T![&]
                    | T![|]
                    | T![^]
                    | T![<]
                    | T![>]
                    | T![<<]
                    | T![>>]
                    | T![==]
                    | T![!=]
                    | T![<=]
                    | T![>=]
                    | T![&&]
                    | T![||]
                    | T!['{']
            );
            if !in_expression
                || !Parser::new(toks, at + 1..range.end, &self.typedef_names).at_type_start()
            {
                continue;
            }
            let mut depth = 0usize;
            let Some(close) = (at..range.end).find(|&j| {
                match toks[j].kind {
                    T!['('] => depth += 1,
                    T![')'] => depth -= 1,
                    _ => {}
                }
                depth == 0
            }) else {
                continue;
            };
            // Qualifiers alone (`__attribute__((__const__))`) name no type.
            let names_a_type = Parser::new(toks, at + 1..close, &self.typedef_names)
                .specs()
                .is_ok_and(|specs| specs.has_type());
            if names_a_type {
                self.pending_type_uses.push(TypeUse::Cast(at + 1..close));
            }
        }
    }

    /// Notes the tags defined by a declaration's specifiers, including those nested in bodies.
    fn note_tags(&mut self, toks: &[Token], specs: &Specs) -> Result<(), DeclError> {
        let (at, body) = match &specs.named {
            Some(
                NamedSpec::Record { body: Some(body), at, .. }
                | NamedSpec::Enum { body: Some(body), at, .. },
            ) => (*at, body.clone()),
            _ => return Ok(()),
        };
        // The outer definition, then every definition inside its body, in order.
        self.note_definition(toks, at)?;
        for i in body {
            if toks[i].kind == SyntaxKind::IDENT
                && matches!(toks[i].text.as_str(), "struct" | "union" | "enum")
            {
                self.note_definition(toks, i)?;
            }
        }
        Ok(())
    }

    /// Registers the definition whose keyword is at `at`, if it has a body.
    fn note_definition(&mut self, toks: &[Token], at: usize) -> Result<(), DeclError> {
        let empty = FxHashSet::default();
        let mut p = Parser::new(toks, at..toks.len(), &empty);
        let specs = p.specs()?;
        let def = match specs.named {
            Some(NamedSpec::Record { kind, tag, body: Some(body), attrs, at }) => {
                let def = TagDef { at, tag: tag.clone(), body, attrs };
                if let Some(tag) = tag {
                    self.records.entry((kind, tag)).or_insert(def);
                }
                return Ok(());
            }
            Some(NamedSpec::Enum { tag, body: Some(body), attrs, at }) => {
                TagDef { at, tag, body, attrs }
            }
            _ => return Ok(()),
        };
        for (i, (name, _, _)) in enum_body(toks, def.body.clone())?.into_iter().enumerate() {
            self.enumerators.entry(name).or_insert((def.at, i));
        }
        if let Some(tag) = &def.tag {
            self.enums.entry(tag.clone()).or_insert_with(|| def.clone());
        }
        self.enum_bodies.insert(def.at, def);
        Ok(())
    }
}

/// The enumerators of an enum body: name, its token, and the value's tokens if given.
#[allow(clippy::type_complexity)]
pub(crate) fn enum_body(
    toks: &[Token],
    body: Range<usize>,
) -> Result<Vec<(SmolStr, usize, Option<Range<usize>>)>, DeclError> {
    let empty = FxHashSet::default();
    let mut p = Parser::new(toks, body, &empty);
    let mut out = Vec::new();
    while !p.at_end() {
        let Some(name) = p.ident() else {
            return Err(p.error(format!("expected an enumerator, found {}", p.describe())));
        };
        let at = p.pos;
        p.pos += 1;
        let mut attrs = Vec::new();
        p.attributes(&mut attrs)?;
        let value = if p.at(T![=]) {
            p.pos += 1;
            let start = p.pos;
            p.skip_expression()?;
            Some(start..p.pos)
        } else {
            None
        };
        out.push((SmolStr::from(name), at, value));
        if p.at(T![,]) {
            p.pos += 1;
        } else if !p.at_end() {
            return Err(p.error(format!("expected `,` or `}}` in an enum, found {}", p.describe())));
        }
    }
    Ok(out)
}

/// The position after the next `;` at bracket depth 0 (or after a top-level `{...}` group).
fn resync(toks: &[Token], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i < toks.len() {
        match toks[i].kind {
            T!['('] | T!['['] | T!['{'] => depth += 1,
            T![')'] | T![']'] => depth = depth.saturating_sub(1),
            T!['}'] => {
                depth = depth.saturating_sub(1);
                if depth == 0
                    && toks
                        .get(i + 1)
                        .is_some_and(|t| t.kind != T![;] && t.kind != SyntaxKind::IDENT)
                {
                    return i + 1;
                }
            }
            T![;] if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    toks.len().max(start + 1)
}

/// The token ranges in which `#pragma pack` (GCC's forms: `pack(N)`, `pack()`, `pack(push[, id]
/// [, N])`, `pack(pop[, id])`) or a big-endian `scalar_storage_order` is in effect, one per
/// state, each with the pragma that began it.
fn pragma_regions(pragmas: &[(usize, String)]) -> Vec<PragmaRegion> {
    let mut regions = Vec::new();
    // `pack`: the maximum field alignment in bytes (0: none); `stack`: `push`ed states.
    let (mut pack, mut stack): (u64, Vec<(Option<String>, u64)>) = (0, Vec::new());
    let mut big_endian = false;
    let mut current: Option<PragmaRegion> = None;
    for (pos, text) in pragmas {
        let body = text.trim_start_matches("#pragma").trim();
        let mut unreadable = false;
        if let Some(order) = body.strip_prefix("scalar_storage_order") {
            match order.split_whitespace().collect::<String>().as_str() {
                "big-endian" => big_endian = true,
                "little-endian" | "default" => big_endian = false,
                _ => unreadable = true,
            }
        } else if let Some(args) = body
            .strip_prefix("pack")
            .map(str::trim)
            .and_then(|a| a.strip_prefix('('))
            .and_then(|a| a.strip_suffix(')'))
        {
            let args: Vec<&str> =
                args.split(',').map(str::trim).filter(|a| !a.is_empty()).collect();
            // GCC accepts 1, 2, 4, 8 and 16.
            let number =
                |a: &str| a.parse::<u64>().ok().filter(|n| n.is_power_of_two() && *n <= 16);
            match args.as_slice() {
                [] => pack = 0,
                [n] if number(n).is_some() => pack = number(n).expect("checked"),
                ["push", rest @ ..] => {
                    let (id, n) = match rest {
                        [] => (None, None),
                        [x] if number(x).is_some() => (None, number(x)),
                        [id] => (Some((*id).to_owned()), None),
                        [id, x] if number(x).is_some() => (Some((*id).to_owned()), number(x)),
                        _ => {
                            unreadable = true;
                            (None, None)
                        }
                    };
                    stack.push((id, pack));
                    if let Some(n) = n {
                        pack = n;
                    }
                }
                // Without a matching `push`, GCC warns and leaves the state as it is.
                ["pop"] => {
                    if let Some((_, p)) = stack.pop() {
                        pack = p;
                    }
                }
                ["pop", id] => match stack.iter().rposition(|(i, _)| i.as_deref() == Some(*id)) {
                    Some(at) => {
                        pack = stack[at].1;
                        stack.truncate(at);
                    }
                    None => unreadable = true,
                },
                _ => unreadable = true,
            }
        } else {
            unreadable = true;
        }
        if let Some(mut region) = current.take() {
            region.range.end = *pos;
            regions.push(region);
        }
        if unreadable || big_endian || pack != 0 {
            current = Some(PragmaRegion {
                range: *pos..usize::MAX,
                at: *pos,
                text: text.clone(),
                // Only a plain `pack(N)` state is modelled (as GCC's maximum field alignment).
                max_field_align_bits: (!unreadable && !big_endian).then_some(pack * 8),
            });
        }
        if unreadable {
            break;
        }
    }
    regions.extend(current);
    regions
}

/// A type that GCC's front end records as used at file scope (`used_types_insert`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TypeUse {
    /// The enum (by the position of its keyword) whose enumerator was named.
    Enum(usize),
    /// The type name of a cast or compound literal (the tokens inside its parentheses).
    Cast(Range<usize>),
}

/// A stretch of tokens in which a layout pragma is in effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PragmaRegion {
    pub(crate) range: Range<usize>,
    /// The token position of the pragma that began it, and its text.
    pub(crate) at: usize,
    pub(crate) text: String,
    /// `Some(bits)`: a `#pragma pack(N)` alone, laid out as GCC does; `None`: something we do not
    /// model (a big-endian `scalar_storage_order`, a pragma we cannot read), so the records
    /// defined here are refused.
    pub(crate) max_field_align_bits: Option<u64>,
}
