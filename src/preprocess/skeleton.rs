//! The directive skeleton of one file: its tokens (trivia dropped, splices removed) lowered into
//! text runs, macro definitions, includes, conditional groups with their branches, pragmas and
//! errors. It depends on the file's text only (never on a configuration), so it is computed at
//! most once per file however many configurations are preprocessed.
//!
//! This is the one place that turns lexer tokens into directives; when the syntax crate's parser
//! exists, this lowering can consume its events instead without changing the skeleton.

use std::ops::Range;

use smol_str::SmolStr;
use syntax::{SyntaxKind, T};

/// The token was preceded by whitespace or a comment on its line.
pub const PREV_WHITE: u16 = 1;
/// The token is the first of its logical line.
pub const BOL: u16 = 2;
/// The identifier must never be macro-expanded again (it named a macro that was disabled when it
/// was read; C11 6.10.3.4p2).
pub const NO_EXPAND: u16 = 4;
/// In a macro body: the token is the left operand of `##`.
pub const PASTE_LEFT: u16 = 8;
/// Not a real token: GCC's padding, which only carries spacing information.
pub const PADDING: u16 = 16;
/// For a padding token: its source token had `PREV_WHITE` (otherwise, or with `PAD_NULL`, not).
pub const PAD_WHITE: u16 = 32;
/// For a padding token: it has no source token (GCC's `avoid_paste`).
pub const PAD_NULL: u16 = 64;
/// Not a real token: the end of a file or of a pushed token list.
pub const EOF: u16 = 128;
/// Not a real token: a placemarker (C11 6.10.3.3p2), only while a replacement list is built.
pub const PLACEMARKER: u16 = 256;

/// A preprocessing token as the preprocessor handles it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tok {
    pub kind: SyntaxKind,
    pub flags: u16,
    /// The spelling, with line splices removed.
    pub text: SmolStr,
    /// The macro expansion that produced it (an index into the expansion table; 0 for none).
    pub exp: u32,
}

impl Tok {
    pub fn new(kind: SyntaxKind, text: impl Into<SmolStr>) -> Tok {
        Tok { kind, flags: 0, text: text.into(), exp: 0 }
    }

    pub fn is(&self, kind: SyntaxKind) -> bool {
        self.kind == kind && self.flags & (PADDING | EOF) == 0
    }

    pub fn is_ident(&self, name: &str) -> bool {
        self.is(SyntaxKind::IDENT) && self.text == name
    }

    pub fn is_padding(&self) -> bool {
        self.flags & PADDING != 0
    }

    pub fn is_eof(&self) -> bool {
        self.flags & EOF != 0
    }

    pub fn has(&self, flag: u16) -> bool {
        self.flags & flag != 0
    }
}

/// One file's skeleton.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileSkeleton {
    /// Every non-trivia token of the file (directive lines included).
    pub tokens: Vec<Tok>,
    /// `lines[i]` is the 1-based line on which `tokens[i]` starts.
    pub lines: Vec<u32>,
    pub items: Vec<Item>,
    /// The include-guard macro when the whole file is `#ifndef X` … `#endif` with nothing but
    /// comments outside (GCC's multiple-include optimisation: a second `#include` is skipped when
    /// `X` is defined, which gives the same tokens as reading it again).
    pub guard: Option<SmolStr>,
    /// Problems that make the file unusable wherever it is read (an unterminated conditional,
    /// a stray `#endif`), with their lines.
    pub errors: Vec<(u32, String)>,
}

impl FileSkeleton {
    /// The `#include` and `#include_next` directives of every branch, in file order, as
    /// `(header name, angled, next)`; computed includes (a macro operand) are left out. What a
    /// file may include under some configuration, for reading ahead.
    pub fn includes(&self) -> Vec<(String, bool, bool)> {
        fn walk(sk: &FileSkeleton, items: &[Item], out: &mut Vec<(String, bool, bool)>) {
            for item in items {
                match item {
                    Item::Include { next, operand, .. } => {
                        let toks = &sk.tokens[operand.start as usize..operand.end as usize];
                        if let Some((name, angled)) = header_name(toks) {
                            out.push((name, angled, *next));
                        }
                    }
                    Item::Cond(group) => {
                        for branch in &group.branches {
                            walk(sk, &branch.items, out);
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(self, &self.items, &mut out);
        out
    }
}

/// A top-level element of a file or of a conditional branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// Lines of text: `tokens` indexes `FileSkeleton::tokens`.
    Text(Range<u32>),
    Define(std::sync::Arc<MacroDef>),
    Undef {
        name: SmolStr,
        line: u32,
    },
    /// `#include` or `#include_next`; `operand` is the tokens after the directive name.
    Include {
        next: bool,
        operand: Range<u32>,
        line: u32,
    },
    Cond(Box<CondGroup>),
    /// `#pragma`: the tokens after `pragma`.
    Pragma {
        operand: Range<u32>,
        line: u32,
    },
    /// `#error` (or `#warning` when `warning`) with its message as written.
    Diagnostic {
        warning: bool,
        message: String,
        line: u32,
    },
    /// `#line`: the tokens after `line`.
    Line {
        operand: Range<u32>,
        line: u32,
    },
    /// `#ident`, `#sccs`, `#assert`, `#unassert`: accepted and ignored.
    Ignored {
        line: u32,
    },
    /// A directive that is an error if it is reached in an active group.
    Invalid {
        message: String,
        line: u32,
    },
}

/// A conditional group: `#if`/`#ifdef`/`#ifndef`, its `#elif`s and `#else`, up to `#endif`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CondGroup {
    pub branches: Vec<Branch>,
    pub endif_line: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branch {
    pub kind: BranchKind,
    /// The condition's tokens (for `#ifdef` and friends, the macro name).
    pub cond: Range<u32>,
    pub line: u32,
    pub items: Vec<Item>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BranchKind {
    If,
    Ifdef,
    Ifndef,
    Elif,
    Elifdef,
    Elifndef,
    Else,
}

impl BranchKind {
    pub fn spelling(self) -> &'static str {
        match self {
            BranchKind::If => "if",
            BranchKind::Ifdef => "ifdef",
            BranchKind::Ifndef => "ifndef",
            BranchKind::Elif => "elif",
            BranchKind::Elifdef => "elifdef",
            BranchKind::Elifndef => "elifndef",
            BranchKind::Else => "else",
        }
    }
}

/// A macro definition, with its body compiled for substitution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MacroDef {
    pub name: SmolStr,
    /// `None` for an object-like macro.
    pub params: Option<Vec<SmolStr>>,
    /// The last parameter collects the variable arguments (`...` as `__VA_ARGS__`, or GNU `args...`).
    pub variadic: bool,
    pub body: Vec<BodyTok>,
    pub line: u32,
    /// Set when the definition is malformed: defining it is then an error in an active group.
    pub error: Option<String>,
}

/// One element of a macro body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyTok {
    /// The token (for a parameter, the parameter's name as written, with its flags).
    pub tok: Tok,
    /// What the element is.
    pub role: Role,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Plain,
    /// A use of parameter `n`.
    Param(u16),
    /// `#` applied to parameter `n`.
    Stringify(u16),
    /// `__VA_OPT__(`: the group extends to the matching `VaOptEnd`.
    VaOptStart,
    VaOptEnd,
}

/// Lowers a file's text into its skeleton. Never fails: problems are recorded in the skeleton.
pub fn lower(text: &str) -> FileSkeleton {
    let lexed = syntax::lex(text);
    let mut sk = FileSkeleton::default();
    let unterminated_comment = lexed
        .errors()
        .iter()
        .find(|e| e.kind == syntax::LexErrorKind::UnterminatedComment)
        .map(|e| e.token);
    // Pass 1: non-trivia tokens, with line numbers and flags, and the logical-line boundaries.
    let mut line: u32 = 1;
    let mut flags = BOL;
    let mut line_starts: Vec<u32> = Vec::with_capacity(lexed.len() / 8);
    line_starts.push(0);
    // Roughly half of the lexer's tokens are trivia.
    sk.tokens.reserve(lexed.len() / 2);
    sk.lines.reserve(lexed.len() / 2);
    for i in 0..lexed.len() {
        let kind = lexed.kind(i);
        let tok_text = lexed.text(text, i);
        if unterminated_comment == Some(i) {
            sk.errors.push((line, "unterminated comment".into()));
        }
        match kind {
            SyntaxKind::NEWLINE => {
                line += 1;
                if sk.tokens.len() as u32 != *line_starts.last().unwrap() {
                    line_starts.push(sk.tokens.len() as u32);
                }
                flags = BOL;
                continue;
            }
            SyntaxKind::LINE_SPLICE => {
                line += 1;
                continue;
            }
            SyntaxKind::WHITESPACE | SyntaxKind::BLOCK_COMMENT | SyntaxKind::LINE_COMMENT => {
                line += count_newlines(tok_text);
                flags |= PREV_WHITE;
                continue;
            }
            _ => {}
        }
        sk.tokens.push(Tok { kind, flags, text: syntax::cooked(tok_text).into(), exp: 0 });
        sk.lines.push(line);
        line += count_newlines(tok_text);
        flags = 0;
    }
    if *line_starts.last().unwrap() != sk.tokens.len() as u32 {
        line_starts.push(sk.tokens.len() as u32);
    }
    let mut lowerer =
        Lowerer { sk: &mut sk, line_starts: &line_starts, next_line: 0, end_line: line };
    let mut items = Vec::new();
    loop {
        let (mut more, stop) = lowerer.items();
        items.append(&mut more);
        let Some(stop) = stop else { break };
        let l = lowerer.sk.lines[stop.start as usize];
        let name = lowerer.directive_name(&stop);
        lowerer.sk.errors.push((l, format!("#{name} without #if")));
        lowerer.next_line += 1;
    }
    sk.items = items;
    sk.guard = find_guard(&sk);
    sk
}

fn count_newlines(s: &str) -> u32 {
    s.bytes().filter(|&b| b == b'\n').count() as u32
}

struct Lowerer<'a> {
    sk: &'a mut FileSkeleton,
    /// Token index where each logical line starts; the last entry is the token count.
    line_starts: &'a [u32],
    next_line: usize,
    end_line: u32,
}

impl Lowerer<'_> {
    fn tok(&self, i: u32) -> &Tok {
        &self.sk.tokens[i as usize]
    }

    /// Reads items until the end of the file or a line that ends the current group (`#elif`,
    /// `#else`, `#endif` and friends), which is returned unconsumed as its token range.
    fn items(&mut self) -> (Vec<Item>, Option<Range<u32>>) {
        let mut items = Vec::new();
        let mut text_start: Option<u32> = None;
        let mut text_end = 0;
        while self.next_line + 1 < self.line_starts.len() {
            let range = self.line_starts[self.next_line]..self.line_starts[self.next_line + 1];
            if !self.tok(range.start).is(T![#]) {
                self.next_line += 1;
                text_start.get_or_insert(range.start);
                text_end = range.end;
                continue;
            }
            if let Some(start) = text_start.take() {
                items.push(Item::Text(start..text_end));
            }
            let name = self.directive_name(&range);
            if matches!(name.as_str(), "elif" | "else" | "endif" | "elifdef" | "elifndef") {
                return (items, Some(range));
            }
            self.next_line += 1;
            if let Some(item) = self.directive(range, &name) {
                items.push(item);
            }
        }
        if let Some(start) = text_start.take() {
            items.push(Item::Text(start..text_end));
        }
        (items, None)
    }

    fn directive_name(&self, range: &Range<u32>) -> SmolStr {
        if range.end > range.start + 1 && self.tok(range.start + 1).kind == SyntaxKind::IDENT {
            self.tok(range.start + 1).text.clone()
        } else {
            SmolStr::default()
        }
    }

    fn directive(&mut self, range: Range<u32>, name: &str) -> Option<Item> {
        let line = self.sk.lines[range.start as usize];
        let operand = (range.start + 2).min(range.end)..range.end;
        let item = match name {
            "" if range.end == range.start + 1 => return None,
            "define" => Item::Define(std::sync::Arc::new(self.define(operand, line))),
            "undef" => match self.single_name(&operand) {
                Ok(name) => Item::Undef { name, line },
                Err(message) => Item::Invalid { message: format!("#undef: {message}"), line },
            },
            "include" | "include_next" => {
                Item::Include { next: name == "include_next", operand, line }
            }
            "if" | "ifdef" | "ifndef" => self.cond_group(range, name, line),
            "pragma" => Item::Pragma { operand, line },
            "error" | "warning" => {
                let message = self.spell(operand);
                Item::Diagnostic { warning: name == "warning", message, line }
            }
            "line" => Item::Line { operand, line },
            "ident" | "sccs" | "assert" | "unassert" => Item::Ignored { line },
            _ => {
                let spelled = self.spell(range.start + 1..range.end.min(range.start + 2));
                Item::Invalid {
                    message: format!("invalid preprocessing directive #{spelled}"),
                    line,
                }
            }
        };
        Some(item)
    }

    fn cond_group(&mut self, first: Range<u32>, name: &str, line: u32) -> Item {
        let mut branches = Vec::new();
        let mut kind = match name {
            "if" => BranchKind::If,
            "ifdef" => BranchKind::Ifdef,
            _ => BranchKind::Ifndef,
        };
        let mut cond = (first.start + 2).min(first.end)..first.end;
        let mut branch_line = line;
        loop {
            let (items, stop) = self.items();
            branches.push(Branch { kind, cond: cond.clone(), line: branch_line, items });
            let Some(stop) = stop else {
                self.sk.errors.push((line, format!("unterminated #{name}")));
                return Item::Cond(Box::new(CondGroup { branches, endif_line: self.end_line }));
            };
            self.next_line += 1;
            let stop_name = self.directive_name(&stop);
            branch_line = self.sk.lines[stop.start as usize];
            cond = (stop.start + 2).min(stop.end)..stop.end;
            kind = match stop_name.as_str() {
                "elif" => BranchKind::Elif,
                "elifdef" => BranchKind::Elifdef,
                "elifndef" => BranchKind::Elifndef,
                "else" => BranchKind::Else,
                _ => return Item::Cond(Box::new(CondGroup { branches, endif_line: branch_line })),
            };
            if branches.last().is_some_and(|b| b.kind == BranchKind::Else) {
                self.sk.errors.push((branch_line, format!("#{stop_name} after #else")));
            }
        }
    }

    fn single_name(&self, operand: &Range<u32>) -> Result<SmolStr, String> {
        match operand.clone().next() {
            Some(i) if self.tok(i).kind == SyntaxKind::IDENT => Ok(self.tok(i).text.clone()),
            Some(_) => Err("macro names must be identifiers".into()),
            None => Err("no macro name given".into()),
        }
    }

    /// The tokens of a range spelled with single spaces where the source had whitespace.
    fn spell(&self, range: Range<u32>) -> String {
        let mut out = String::new();
        for i in range {
            let t = self.tok(i);
            if !out.is_empty() && t.has(PREV_WHITE) {
                out.push(' ');
            }
            out.push_str(&t.text);
        }
        out
    }

    fn define(&self, operand: Range<u32>, line: u32) -> MacroDef {
        let mut def = MacroDef {
            name: SmolStr::default(),
            params: None,
            variadic: false,
            body: Vec::new(),
            line,
            error: None,
        };
        let name = match self.single_name(&operand) {
            Ok(name) => name,
            Err(message) => {
                def.error = Some(message);
                return def;
            }
        };
        if name == "defined" {
            def.error = Some("\"defined\" cannot be used as a macro name".into());
        }
        def.name = name;
        let mut i = operand.start + 1;
        if i < operand.end && self.tok(i).is(T!['(']) && !self.tok(i).has(PREV_WHITE) {
            // Parameter list.
            let mut params = Vec::new();
            i += 1;
            let mut ok = false;
            loop {
                if i >= operand.end {
                    break;
                }
                let t = self.tok(i);
                if t.is(T![')']) && params.is_empty() {
                    i += 1;
                    ok = true;
                    break;
                }
                if t.is(T![...]) {
                    params.push(SmolStr::new_static("__VA_ARGS__"));
                    def.variadic = true;
                    i += 1;
                } else if t.kind == SyntaxKind::IDENT {
                    params.push(t.text.clone());
                    i += 1;
                    if i < operand.end && self.tok(i).is(T![...]) {
                        def.variadic = true;
                        i += 1;
                    }
                } else {
                    break;
                }
                if i < operand.end && self.tok(i).is(T![')']) {
                    i += 1;
                    ok = true;
                    break;
                }
                if def.variadic || i >= operand.end || !self.tok(i).is(T![,]) {
                    break;
                }
                i += 1;
            }
            if !ok {
                def.error = Some(format!("malformed parameter list of macro {}", def.name));
                return def;
            }
            def.params = Some(params);
        }
        // The body.
        let params = def.params.clone();
        let param_index = |t: &Tok| -> Option<u16> {
            let ps = params.as_ref()?;
            if t.kind != SyntaxKind::IDENT {
                return None;
            }
            ps.iter().position(|p| *p == t.text).map(|p| p as u16)
        };
        let mut body: Vec<BodyTok> = Vec::new();
        let mut va_opt_depth: Option<(usize, u32)> = None;
        let mut j = i;
        while j < operand.end {
            let mut tok = self.tok(j).clone();
            tok.flags &= PREV_WHITE;
            if body.is_empty() {
                tok.flags &= !PREV_WHITE;
            }
            if tok.is(T![##]) {
                match body.last_mut() {
                    Some(prev) if j + 1 < operand.end => prev.tok.flags |= PASTE_LEFT,
                    _ => {
                        def.error =
                            Some("'##' cannot appear at either end of a macro expansion".into());
                        return def;
                    }
                }
                j += 1;
                continue;
            }
            if def.params.is_some() && tok.is(T![#]) {
                match (j + 1 < operand.end).then(|| param_index(self.tok(j + 1))).flatten() {
                    Some(p) => {
                        body.push(BodyTok { tok, role: Role::Stringify(p) });
                        j += 2;
                        continue;
                    }
                    None => {
                        def.error = Some("'#' is not followed by a macro parameter".into());
                        return def;
                    }
                }
            }
            if def.variadic && tok.is_ident("__VA_OPT__") {
                if j + 1 < operand.end && self.tok(j + 1).is(T!['(']) && va_opt_depth.is_none() {
                    body.push(BodyTok { tok, role: Role::VaOptStart });
                    va_opt_depth = Some((body.len(), 0));
                    j += 2;
                    continue;
                }
                def.error = Some("__VA_OPT__ must be followed by an open parenthesis".into());
                return def;
            }
            if let Some((_, depth)) = va_opt_depth.as_mut() {
                if tok.is(T!['(']) {
                    *depth += 1;
                } else if tok.is(T![')']) {
                    if *depth == 0 {
                        va_opt_depth = None;
                        body.push(BodyTok { tok, role: Role::VaOptEnd });
                        j += 1;
                        continue;
                    }
                    *depth -= 1;
                }
            }
            let role = match param_index(&tok) {
                Some(p) => Role::Param(p),
                None => Role::Plain,
            };
            body.push(BodyTok { tok, role });
            j += 1;
        }
        if va_opt_depth.is_some() {
            def.error = Some("unterminated __VA_OPT__".into());
        }
        def.body = body;
        def
    }
}

/// Finds the include guard: the file's items are exactly one `#ifndef X` group (or
/// `#if !defined X` / `#if !defined(X)`) with no `#else`/`#elif`, nothing outside it.
fn find_guard(sk: &FileSkeleton) -> Option<SmolStr> {
    let [Item::Cond(group)] = sk.items.as_slice() else {
        return None;
    };
    let [branch] = group.branches.as_slice() else {
        return None;
    };
    let toks = &sk.tokens[branch.cond.start as usize..branch.cond.end as usize];
    let name = match branch.kind {
        BranchKind::Ifndef if toks.len() == 1 => &toks[0],
        BranchKind::If => {
            let t: Vec<&Tok> = toks.iter().collect();
            match t.as_slice() {
                [bang, d, n] if bang.is(T![!]) && d.is_ident("defined") => *n,
                [bang, d, l, n, r]
                    if bang.is(T![!])
                        && d.is_ident("defined")
                        && l.is(T!['('])
                        && r.is(T![')']) =>
                {
                    *n
                }
                _ => return None,
            }
        }
        _ => return None,
    };
    (name.kind == SyntaxKind::IDENT).then(|| name.text.clone())
}

/// The header name of an `#include` operand: `"x.h"` or `<x.h>` (GCC builds the latter from the
/// spellings of the tokens between the brackets, a space where there was whitespace).
pub fn header_name(toks: &[Tok]) -> Option<(String, bool)> {
    let first = toks.first()?;
    if first.kind == SyntaxKind::STRING && first.text.starts_with('"') {
        return Some((first.text[1..first.text.len() - 1].to_owned(), false));
    }
    if first.is(T![<]) {
        let mut name = String::new();
        for t in &toks[1..] {
            if t.is(T![>]) {
                return Some((name, true));
            }
            if !name.is_empty() && t.has(PREV_WHITE) {
                name.push(' ');
            }
            name.push_str(&t.text);
        }
    }
    None
}
