//! `SyntaxKind`: the kind of every token and node of the header syntax tree.
//!
//! Tokens come first, nodes after them. Punctuators are spelled with the `T![..]` macro in code
//! (`T![;]`, `T![->]`), never by their enum names. Digraphs (`<:` `:>` `<%` `%>` `%:` `%:%:`) lex to the
//! kinds of the punctuators they stand for; only their text differs.

/// The kind of a token or node.
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u16)]
pub enum SyntaxKind {
    // Trivia.
    /// Spaces, tabs, form feeds, vertical tabs and lone carriage returns.
    WHITESPACE = 0,
    /// `\n` or `\r\n`: ends a logical line unless spliced.
    NEWLINE,
    /// A backslash-newline between tokens (optionally with spaces between the two, as GCC accepts).
    /// A splice inside a token stays part of that token's text.
    LINE_SPLICE,
    /// `/* ... */`, possibly spanning lines.
    BLOCK_COMMENT,
    /// `// ...` up to (not including) the end of the line.
    LINE_COMMENT,

    // Preprocessing tokens.
    /// An identifier or keyword; `$` and non-ASCII characters are identifier characters, as in GCC.
    IDENT,
    /// A preprocessing number (`0x1fUL`, `1e+5`, `.5`, `1.2.3`).
    PP_NUMBER,
    /// A string literal with optional prefix (`L`, `u`, `U`, `u8`).
    STRING,
    /// A character constant with optional prefix.
    CHAR,
    /// A character that starts no token (`@`, `` ` ``, a stray `\`), or an unterminated quote and
    /// the rest of its line, which GCC also passes through as one "other" token.
    UNKNOWN,

    // Punctuators.
    L_PAREN,
    R_PAREN,
    L_BRACK,
    R_BRACK,
    L_CURLY,
    R_CURLY,
    DOT,
    DOT3,
    ARROW,
    PLUS2,
    MINUS2,
    AMP,
    STAR,
    PLUS,
    MINUS,
    TILDE,
    BANG,
    SLASH,
    PERCENT,
    SHL,
    SHR,
    LT,
    GT,
    LTEQ,
    GTEQ,
    EQ2,
    NEQ,
    CARET,
    PIPE,
    AMP2,
    PIPE2,
    QUESTION,
    COLON,
    SEMICOLON,
    EQ,
    STAR_EQ,
    SLASH_EQ,
    PERCENT_EQ,
    PLUS_EQ,
    MINUS_EQ,
    SHL_EQ,
    SHR_EQ,
    AMP_EQ,
    CARET_EQ,
    PIPE_EQ,
    COMMA,
    HASH,
    HASH2,

    // Nodes.
    /// The root of a header file.
    HEADER_FILE,
    /// Wraps tokens the parser could not place.
    ERROR,

    /// Sentinel: not a real kind.
    #[doc(hidden)]
    __LAST,
}

use SyntaxKind::*;

impl SyntaxKind {
    /// Whitespace, newlines, splices and comments.
    pub fn is_trivia(self) -> bool {
        matches!(self, WHITESPACE | NEWLINE | LINE_SPLICE | BLOCK_COMMENT | LINE_COMMENT)
    }

    /// Trivia that does not end a line (everything but `NEWLINE`).
    pub fn is_inline_trivia(self) -> bool {
        matches!(self, WHITESPACE | LINE_SPLICE | BLOCK_COMMENT | LINE_COMMENT)
    }

    /// Any punctuator.
    pub fn is_punct(self) -> bool {
        (L_PAREN as u16..=HASH2 as u16).contains(&(self as u16))
    }

    /// A token kind (as opposed to a node kind).
    pub fn is_token(self) -> bool {
        (self as u16) < (HEADER_FILE as u16)
    }

    /// Converts a raw value back; `None` when out of range.
    pub fn from_raw(raw: u16) -> Option<SyntaxKind> {
        if raw < __LAST as u16 {
            // SAFETY-free: every value below `__LAST` is a variant, as the enum is dense from 0.
            Some(ALL_KINDS[raw as usize])
        } else {
            None
        }
    }
}

/// Every kind, indexed by its raw value (the enum is dense from 0).
const ALL_KINDS: &[SyntaxKind] = &[
    WHITESPACE, NEWLINE, LINE_SPLICE, BLOCK_COMMENT, LINE_COMMENT, IDENT, PP_NUMBER, STRING, CHAR,
    UNKNOWN, L_PAREN, R_PAREN, L_BRACK, R_BRACK, L_CURLY, R_CURLY, DOT, DOT3, ARROW, PLUS2, MINUS2,
    AMP, STAR, PLUS, MINUS, TILDE, BANG, SLASH, PERCENT, SHL, SHR, LT, GT, LTEQ, GTEQ, EQ2, NEQ,
    CARET, PIPE, AMP2, PIPE2, QUESTION, COLON, SEMICOLON, EQ, STAR_EQ, SLASH_EQ, PERCENT_EQ,
    PLUS_EQ, MINUS_EQ, SHL_EQ, SHR_EQ, AMP_EQ, CARET_EQ, PIPE_EQ, COMMA, HASH, HASH2, HEADER_FILE,
    ERROR,
];

/// Spells a punctuator kind: `T![;]` is `SyntaxKind::SEMICOLON`.
#[macro_export]
macro_rules! T {
    ['('] => { $crate::SyntaxKind::L_PAREN };
    [')'] => { $crate::SyntaxKind::R_PAREN };
    ['['] => { $crate::SyntaxKind::L_BRACK };
    [']'] => { $crate::SyntaxKind::R_BRACK };
    ['{'] => { $crate::SyntaxKind::L_CURLY };
    ['}'] => { $crate::SyntaxKind::R_CURLY };
    [.] => { $crate::SyntaxKind::DOT };
    [...] => { $crate::SyntaxKind::DOT3 };
    [->] => { $crate::SyntaxKind::ARROW };
    [++] => { $crate::SyntaxKind::PLUS2 };
    [--] => { $crate::SyntaxKind::MINUS2 };
    [&] => { $crate::SyntaxKind::AMP };
    [*] => { $crate::SyntaxKind::STAR };
    [+] => { $crate::SyntaxKind::PLUS };
    [-] => { $crate::SyntaxKind::MINUS };
    [~] => { $crate::SyntaxKind::TILDE };
    [!] => { $crate::SyntaxKind::BANG };
    [/] => { $crate::SyntaxKind::SLASH };
    [%] => { $crate::SyntaxKind::PERCENT };
    [<<] => { $crate::SyntaxKind::SHL };
    [>>] => { $crate::SyntaxKind::SHR };
    [<] => { $crate::SyntaxKind::LT };
    [>] => { $crate::SyntaxKind::GT };
    [<=] => { $crate::SyntaxKind::LTEQ };
    [>=] => { $crate::SyntaxKind::GTEQ };
    [==] => { $crate::SyntaxKind::EQ2 };
    [!=] => { $crate::SyntaxKind::NEQ };
    [^] => { $crate::SyntaxKind::CARET };
    [|] => { $crate::SyntaxKind::PIPE };
    [&&] => { $crate::SyntaxKind::AMP2 };
    [||] => { $crate::SyntaxKind::PIPE2 };
    [?] => { $crate::SyntaxKind::QUESTION };
    [:] => { $crate::SyntaxKind::COLON };
    [;] => { $crate::SyntaxKind::SEMICOLON };
    [=] => { $crate::SyntaxKind::EQ };
    [*=] => { $crate::SyntaxKind::STAR_EQ };
    [/=] => { $crate::SyntaxKind::SLASH_EQ };
    [%=] => { $crate::SyntaxKind::PERCENT_EQ };
    [+=] => { $crate::SyntaxKind::PLUS_EQ };
    [-=] => { $crate::SyntaxKind::MINUS_EQ };
    [<<=] => { $crate::SyntaxKind::SHL_EQ };
    [>>=] => { $crate::SyntaxKind::SHR_EQ };
    [&=] => { $crate::SyntaxKind::AMP_EQ };
    [^=] => { $crate::SyntaxKind::CARET_EQ };
    [|=] => { $crate::SyntaxKind::PIPE_EQ };
    [,] => { $crate::SyntaxKind::COMMA };
    [#] => { $crate::SyntaxKind::HASH };
    [##] => { $crate::SyntaxKind::HASH2 };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_round_trip() {
        assert_eq!(ALL_KINDS.len(), __LAST as usize);
        for (i, k) in ALL_KINDS.iter().enumerate() {
            assert_eq!(*k as usize, i);
            assert_eq!(SyntaxKind::from_raw(i as u16), Some(*k));
        }
        assert_eq!(SyntaxKind::from_raw(__LAST as u16), None);
    }
}
