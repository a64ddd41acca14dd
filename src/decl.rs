//! Declarations: find and resolve, from the preprocessed tokens, the C declarations a target needs.
//!
//! `index` skims the token stream once (function bodies, inline asm and initializers are
//! skipped) and records where every file-scope struct, union and enum is defined and which
//! typedefs, variables and enumerators exist. `resolve` turns a declaration into a [`Ty`] lazily,
//! when a root or another declaration needs it, evaluating array bounds, bitfield widths,
//! enumerators and `aligned(...)` with `eval`. `closure` finds the records a target's variables
//! reach, as GCC's debug info does. Nothing here panics on input: every problem is a
//! [`DeclError`] with the token it is about, turned into a file and line through the source map.

mod attrs;
mod closure;
mod eval;
mod index;
pub(crate) mod parse;
pub mod query;
mod resolve;
pub mod sizes;

#[cfg(test)]
mod tests;

use std::{fmt, sync::Arc};

use smol_str::SmolStr;
use syntax::SyntaxKind;

use crate::token::Token;

pub use crate::decl::{
    closure::{emitted_extra, emitted_for_unit, emitted_records, EmittedRecords},
    index::DeclIndex,
    resolve::Resolver,
};

/// Where a token came from: a file and a line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SourceLoc {
    pub file: Arc<str>,
    pub line: u32,
}

impl fmt::Display for SourceLoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// The `token` of an error that is about no particular token (an unknown name asked for by a
/// caller); the code that knows where the name was used fills it in.
pub const NO_TOKEN: usize = usize::MAX;

/// A declaration we could not understand or evaluate.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeclError {
    pub message: String,
    /// Index of the token the problem is about, or [`NO_TOKEN`].
    pub token: usize,
}

impl DeclError {
    pub(crate) fn new(token: usize, message: impl Into<String>) -> DeclError {
        DeclError { message: message.into(), token }
    }

    /// The message with its source location, when `locs` knows the token.
    pub fn render(&self, locs: &[SourceLoc]) -> String {
        match locs.get(self.token) {
            Some(loc) => format!("{loc}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

impl fmt::Display for DeclError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Turns GCC's `gcc -E` output into our preprocessed tokens and their source locations.
///
/// Trivia is dropped; linemarkers (`# LINE "FILE" FLAGS`) set the location of the tokens after
/// them and are dropped too, as is any other line starting with `#` (`#pragma`, `#ident`).
pub fn tokens_from_gcc_e(text: &str) -> (Vec<Token>, Vec<SourceLoc>) {
    let lexed = syntax::lex(text);
    let mut tokens = Vec::with_capacity(lexed.len() / 2);
    let mut locs = Vec::with_capacity(lexed.len() / 2);
    let mut file: Arc<str> = Arc::from("<gcc -E>");
    let mut line: u32 = 1;
    let mut at_line_start = true;
    let mut i = 0;
    while i < lexed.len() {
        let kind = lexed.kind(i);
        if kind == SyntaxKind::NEWLINE {
            line = line.saturating_add(1);
            at_line_start = true;
            i += 1;
            continue;
        }
        if kind.is_trivia() {
            i += 1;
            continue;
        }
        if at_line_start && kind == SyntaxKind::HASH {
            // A directive line: a linemarker sets the location of the next line.
            let mut j = i + 1;
            let mut words = Vec::new();
            while j < lexed.len() && lexed.kind(j) != SyntaxKind::NEWLINE {
                if !lexed.kind(j).is_trivia() {
                    words.push(j);
                }
                j += 1;
            }
            let marker =
                words.first().map(|w| lexed.kind(*w) == SyntaxKind::PP_NUMBER).unwrap_or(false);
            if marker {
                if let Ok(n) = lexed.text(text, words[0]).parse::<u32>() {
                    line = n;
                }
                if let Some(name) = words.get(1).filter(|w| lexed.kind(**w) == SyntaxKind::STRING) {
                    let quoted = lexed.text(text, *name);
                    file = Arc::from(quoted.trim_matches('"'));
                }
            } else {
                // `#pragma pack` and `#pragma scalar_storage_order` change layouts: keep them as
                // the equivalent `_Pragma("...")` so the declaration index can refuse what
                // follows. Other directives (`#pragma GCC diagnostic`, `#ident`) are dropped.
                let is = |k: usize, word: &str| {
                    words.get(k).is_some_and(|w| lexed.text(text, *w) == word)
                };
                if is(0, "pragma") && (is(1, "pack") || is(1, "scalar_storage_order")) {
                    let loc = SourceLoc { file: Arc::clone(&file), line };
                    let spelled: Vec<&str> =
                        words[1..].iter().map(|w| lexed.text(text, *w)).collect();
                    let operand = format!("\"{}\"", spelled.join(" ").replace('"', "\\\""));
                    for tok in [
                        Token::new(SyntaxKind::IDENT, "_Pragma"),
                        Token::new(SyntaxKind::L_PAREN, "("),
                        Token::new(SyntaxKind::STRING, operand),
                        Token::new(SyntaxKind::R_PAREN, ")"),
                    ] {
                        tokens.push(tok);
                        locs.push(loc.clone());
                    }
                }
                line = line.saturating_add(1);
            }
            // Skip to after the newline; the marker's line number already names the next line.
            i = j + 1;
            at_line_start = true;
            continue;
        }
        at_line_start = false;
        let raw = lexed.text(text, i);
        let spelling = syntax::cooked(raw);
        tokens.push(Token { kind, text: SmolStr::from(spelling.as_ref()) });
        locs.push(SourceLoc { file: Arc::clone(&file), line });
        i += 1;
    }
    (tokens, locs)
}
