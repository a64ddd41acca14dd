//! The preprocessed token: what the preprocessor produces and the declaration parser reads.
//!
//! A token is only its kind and spelling, so two configurations that yield the same declaration
//! yield equal token slices (and salsa can reuse everything derived from them). Where a token came
//! from (file, line, macro expansion, the `#if` conditions that kept it) lives in a side table
//! indexed like the token vector, never inside the token.

use smol_str::SmolStr;
use syntax::SyntaxKind;

/// One preprocessed token. Never trivia: whitespace, newlines and comments are gone.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Token {
    pub kind: SyntaxKind,
    /// The spelling, with line splices removed.
    pub text: SmolStr,
}

impl Token {
    pub fn new(kind: SyntaxKind, text: impl Into<SmolStr>) -> Token {
        Token {
            kind,
            text: text.into(),
        }
    }

    /// Whether this is the identifier (or keyword) `name`.
    pub fn is_ident(&self, name: &str) -> bool {
        self.kind == SyntaxKind::IDENT && self.text == name
    }
}
