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
        Token { kind, text: text.into() }
    }

    /// Whether this is the identifier (or keyword) `name`.
    pub fn is_ident(&self, name: &str) -> bool {
        self.kind == SyntaxKind::IDENT && self.text == name
    }
}

/// A pp-number split as an integer constant (C11 6.4.4.1, plus GCC's `0b` prefix): its digits,
/// radix and suffix, lowercased. A floating constant shows in the suffix (it starts with `.`, `e`
/// or `p`); what a suffix may be is for the caller to judge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberParts {
    pub digits: String,
    pub radix: u32,
    pub suffix: String,
}

impl NumberParts {
    pub fn split(text: &str) -> NumberParts {
        let lower = text.to_ascii_lowercase();
        let (rest, radix) = if let Some(rest) = lower.strip_prefix("0x") {
            (rest, 16)
        } else if let Some(rest) = lower.strip_prefix("0b") {
            (rest, 2)
        } else if lower.len() > 1 && lower.starts_with('0') {
            (&lower[1..], 8)
        } else {
            (lower.as_str(), 10)
        };
        let end = rest.find(|c: char| !c.is_digit(radix)).unwrap_or(rest.len());
        let (digits, suffix) = rest.split_at(end);
        NumberParts { digits: digits.to_owned(), radix, suffix: suffix.to_owned() }
    }
}
