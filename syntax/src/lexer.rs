//! The lexer: splits text into preprocessing tokens and trivia as GCC sees them, losslessly.
//!
//! Every byte of the input lands in exactly one token, so concatenating the token texts gives the
//! input back. Backslash-newline splices (translation phase 2) are honoured everywhere: a splice
//! between tokens is a `LINE_SPLICE` token, and a splice inside a token (an identifier, a number, a
//! comment, a multi-character punctuator) stays in that token's text; [`cooked`] removes them.
//! Lexing never fails: problems are reported as [`LexError`]s next to the tokens.

use std::borrow::Cow;

use crate::{
    SyntaxKind::{self, *},
    T,
};

/// The tokens of one text: kinds and start offsets, struct-of-arrays.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lexed {
    kinds: Vec<SyntaxKind>,
    /// `starts[i]` is the byte offset of token `i`; one extra entry holds the text length.
    starts: Vec<u32>,
    errors: Vec<LexError>,
}

/// A problem found while lexing; lexing goes on after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    /// Index of the token the error is about.
    pub token: usize,
    pub kind: LexErrorKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LexErrorKind {
    /// A `/*` comment with no `*/` before the end of the text.
    UnterminatedComment,
    /// A `"` or `'` with no closing quote on its line. GCC only warns about this (and not at all in
    /// skipped blocks), so the parser decides whether it matters.
    UnterminatedLiteral,
}

impl Lexed {
    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    pub fn kind(&self, i: usize) -> SyntaxKind {
        self.kinds[i]
    }

    pub fn kinds(&self) -> &[SyntaxKind] {
        &self.kinds
    }

    /// The byte range of token `i`.
    pub fn range(&self, i: usize) -> std::ops::Range<usize> {
        self.starts[i] as usize..self.starts[i + 1] as usize
    }

    /// The text of token `i` in `text` (the string that was lexed).
    pub fn text<'a>(&self, text: &'a str, i: usize) -> &'a str {
        &text[self.range(i)]
    }

    pub fn errors(&self) -> &[LexError] {
        &self.errors
    }
}

/// Lexes `text`.
pub fn lex(text: &str) -> Lexed {
    let mut lexer = Lexer { bytes: text.as_bytes(), pos: 0, out: Lexed::default() };
    lexer.out.kinds.reserve(text.len() / 4);
    lexer.out.starts.reserve(text.len() / 4 + 1);
    while lexer.pos < lexer.bytes.len() {
        let start = lexer.pos;
        let kind = lexer.token();
        debug_assert!(lexer.pos > start, "the lexer must always make progress");
        lexer.out.kinds.push(kind);
        lexer.out.starts.push(start as u32);
    }
    lexer.out.starts.push(text.len() as u32);
    lexer.out
}

/// The spelling of a token with its line splices removed (translation phase 2).
pub fn cooked(token_text: &str) -> Cow<'_, str> {
    if !token_text.contains('\\') {
        return Cow::Borrowed(token_text);
    }
    let b = token_text.as_bytes();
    let mut out = String::with_capacity(token_text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if let Some(len) = splice_len(b, i) {
                out.push_str(&token_text[copied..i]);
                i += len;
                copied = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&token_text[copied..]);
    Cow::Owned(out)
}

/// If a line splice starts at `i` (a backslash, optional spaces or tabs, then `\n` or `\r\n`),
/// its length in bytes.
fn splice_len(b: &[u8], i: usize) -> Option<usize> {
    debug_assert_eq!(b[i], b'\\');
    let mut j = i + 1;
    while j < b.len() && matches!(b[j], b' ' | b'\t' | b'\x0b' | b'\x0c') {
        j += 1;
    }
    match (b.get(j), b.get(j + 1)) {
        (Some(b'\n'), _) => Some(j + 1 - i),
        (Some(b'\r'), Some(b'\n')) => Some(j + 2 - i),
        _ => None,
    }
}

struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
    out: Lexed,
}

impl Lexer<'_> {
    /// Skips any line splices at `pos` and returns the position of the next real character.
    fn skip_splices(&self, mut pos: usize) -> usize {
        while pos < self.bytes.len() && self.bytes[pos] == b'\\' {
            match splice_len(self.bytes, pos) {
                Some(len) => pos += len,
                None => break,
            }
        }
        pos
    }

    /// The character at `pos` after splices, and the position just past it.
    fn peek_at(&self, pos: usize) -> Option<(u8, usize)> {
        let p = self.skip_splices(pos);
        self.bytes.get(p).map(|&c| (c, p + 1))
    }

    fn peek(&self) -> Option<u8> {
        self.peek_at(self.pos).map(|(c, _)| c)
    }

    /// Consumes the next character (with any splices before it) if it is `c`.
    fn eat(&mut self, c: u8) -> bool {
        match self.peek_at(self.pos) {
            Some((got, next)) if got == c => {
                self.pos = next;
                true
            }
            _ => false,
        }
    }

    fn bump(&mut self) -> Option<u8> {
        let (c, next) = self.peek_at(self.pos)?;
        self.pos = next;
        Some(c)
    }

    fn error(&mut self, kind: LexErrorKind) {
        let token = self.out.kinds.len();
        self.out.errors.push(LexError { token, kind });
    }

    fn token(&mut self) -> SyntaxKind {
        let b = self.bytes;
        let c = b[self.pos];
        // Raw-byte trivia first; splices are only looked through inside tokens.
        match c {
            b' ' | b'\t' | b'\x0b' | b'\x0c' => {
                while self.pos < b.len() && matches!(b[self.pos], b' ' | b'\t' | b'\x0b' | b'\x0c')
                {
                    self.pos += 1;
                }
                return WHITESPACE;
            }
            b'\n' => {
                self.pos += 1;
                return NEWLINE;
            }
            b'\r' => {
                self.pos += 1;
                if b.get(self.pos) == Some(&b'\n') {
                    self.pos += 1;
                    return NEWLINE;
                }
                return WHITESPACE;
            }
            b'\\' => {
                if let Some(len) = splice_len(b, self.pos) {
                    self.pos += len;
                    return LINE_SPLICE;
                }
                self.pos += 1;
                return UNKNOWN;
            }
            _ => {}
        }
        let c = self.bump().expect("not at end");
        match c {
            b'/' => {
                if self.eat(b'*') {
                    return self.block_comment();
                }
                if self.eat(b'/') {
                    self.line_comment();
                    return LINE_COMMENT;
                }
                if self.eat(b'=') {
                    return T![/=];
                }
                T![/]
            }
            b'"' => self.literal(b'"', STRING),
            b'\'' => self.literal(b'\'', CHAR),
            b'0'..=b'9' => {
                self.pp_number();
                PP_NUMBER
            }
            b'.' => {
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.pp_number();
                    return PP_NUMBER;
                }
                let save = self.pos;
                if self.eat(b'.') && self.eat(b'.') {
                    return T![...];
                }
                self.pos = save;
                T![.]
            }
            b'L' | b'U' | b'u' => {
                // Literal prefixes: L, U, u, u8.
                let save = self.pos;
                if c == b'u' && self.eat(b'8') {
                    if let Some(kind) = self.prefixed_literal() {
                        return kind;
                    }
                    self.pos = save;
                } else if let Some(kind) = self.prefixed_literal() {
                    return kind;
                }
                self.ident_rest();
                IDENT
            }
            c if is_ident_start(c) => {
                self.ident_rest();
                IDENT
            }
            b'(' => T!['('],
            b')' => T![')'],
            b'[' => T!['['],
            b']' => T![']'],
            b'{' => T!['{'],
            b'}' => T!['}'],
            b'~' => T![~],
            b'?' => T![?],
            b';' => T![;],
            b',' => T![,],
            b'-' => {
                if self.eat(b'>') {
                    T![->]
                } else if self.eat(b'-') {
                    T![--]
                } else if self.eat(b'=') {
                    T![-=]
                } else {
                    T![-]
                }
            }
            b'+' => {
                if self.eat(b'+') {
                    T![++]
                } else if self.eat(b'=') {
                    T![+=]
                } else {
                    T![+]
                }
            }
            b'&' => {
                if self.eat(b'&') {
                    T![&&]
                } else if self.eat(b'=') {
                    T![&=]
                } else {
                    T![&]
                }
            }
            b'|' => {
                if self.eat(b'|') {
                    T![||]
                } else if self.eat(b'=') {
                    T![|=]
                } else {
                    T![|]
                }
            }
            b'*' => {
                if self.eat(b'=') {
                    T![*=]
                } else {
                    T![*]
                }
            }
            b'!' => {
                if self.eat(b'=') {
                    T![!=]
                } else {
                    T![!]
                }
            }
            b'=' => {
                if self.eat(b'=') {
                    T![==]
                } else {
                    T![=]
                }
            }
            b'^' => {
                if self.eat(b'=') {
                    T![^=]
                } else {
                    T![^]
                }
            }
            b'#' => {
                if self.eat(b'#') {
                    T![##]
                } else {
                    T![#]
                }
            }
            b':' => {
                if self.eat(b'>') {
                    T![']']
                } else {
                    T![:]
                }
            }
            b'%' => {
                if self.eat(b'=') {
                    T![%=]
                } else if self.eat(b'>') {
                    T!['}']
                } else if self.eat(b':') {
                    let save = self.pos;
                    if self.eat(b'%') && self.eat(b':') {
                        return T![##];
                    }
                    self.pos = save;
                    T![#]
                } else {
                    T![%]
                }
            }
            b'<' => {
                if self.eat(b'<') {
                    if self.eat(b'=') {
                        T![<<=]
                    } else {
                        T![<<]
                    }
                } else if self.eat(b'=') {
                    T![<=]
                } else if self.eat(b':') {
                    T!['[']
                } else if self.eat(b'%') {
                    T!['{']
                } else {
                    T![<]
                }
            }
            b'>' => {
                if self.eat(b'>') {
                    if self.eat(b'=') {
                        T![>>=]
                    } else {
                        T![>>]
                    }
                } else if self.eat(b'=') {
                    T![>=]
                } else {
                    T![>]
                }
            }
            _ => UNKNOWN,
        }
    }

    /// After `L`, `U`, `u` or `u8`: a string or character literal if a quote follows directly.
    fn prefixed_literal(&mut self) -> Option<SyntaxKind> {
        if self.eat(b'"') {
            return Some(self.literal(b'"', STRING));
        }
        if self.eat(b'\'') {
            return Some(self.literal(b'\'', CHAR));
        }
        None
    }

    fn ident_rest(&mut self) {
        while let Some((c, next)) = self.peek_at(self.pos) {
            if is_ident_continue(c) {
                self.pos = next;
            } else {
                break;
            }
        }
    }

    /// The rest of a pp-number: `[0-9A-Za-z_.$]` and `e+ e- E+ E- p+ p- P+ P-`.
    fn pp_number(&mut self) {
        while let Some((c, next)) = self.peek_at(self.pos) {
            if matches!(c, b'e' | b'E' | b'p' | b'P') {
                self.pos = next;
                if let Some((b'+' | b'-', after)) = self.peek_at(self.pos) {
                    self.pos = after;
                }
            } else if c == b'.' || is_ident_continue(c) {
                self.pos = next;
            } else {
                break;
            }
        }
    }

    /// A string or character literal whose opening quote was consumed. Unterminated on its line:
    /// GCC passes the quote and the rest of the line through as one "other" token.
    fn literal(&mut self, quote: u8, kind: SyntaxKind) -> SyntaxKind {
        while let Some((c, next)) = self.peek_at(self.pos) {
            match c {
                b'\n' => break,
                b'\r' if self.bytes.get(next) == Some(&b'\n') => break,
                b'\\' => {
                    self.pos = next;
                    // An escaped character (a splice was already skipped by peek_at).
                    match self.peek_at(self.pos) {
                        Some((b'\n', _)) | None => {}
                        Some((_, after)) => self.pos = after,
                    }
                }
                c if c == quote => {
                    self.pos = next;
                    return kind;
                }
                _ => self.pos = next,
            }
        }
        self.error(LexErrorKind::UnterminatedLiteral);
        UNKNOWN
    }

    fn block_comment(&mut self) -> SyntaxKind {
        while let Some((c, next)) = self.peek_at(self.pos) {
            self.pos = next;
            if c == b'*' && self.eat(b'/') {
                return BLOCK_COMMENT;
            }
        }
        // Trailing bytes that `peek_at` could not see (a final lone backslash) belong here too.
        self.pos = self.bytes.len();
        self.error(LexErrorKind::UnterminatedComment);
        BLOCK_COMMENT
    }

    fn line_comment(&mut self) {
        while let Some((c, next)) = self.peek_at(self.pos) {
            if c == b'\n' || (c == b'\r' && self.bytes.get(next) == Some(&b'\n')) {
                // A splice just before the newline was consumed by peek_at; a bare newline ends it.
                self.pos = next - 1;
                return;
            }
            self.pos = next;
        }
        // Only splices were left before the end of the text.
        self.pos = self.bytes.len();
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c >= 0x80
}

fn is_ident_continue(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}
