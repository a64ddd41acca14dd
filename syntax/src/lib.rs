//! Lossless syntax for C headers: a lexer that puts every byte into a token, and a rowan tree of
//! preprocessor directives and the text between them. No salsa, no kernel config, no layouts.

mod lexer;
mod syntax_kind;

pub use crate::{
    lexer::{cooked, lex, LexError, LexErrorKind, Lexed},
    syntax_kind::SyntaxKind,
};

#[cfg(test)]
mod tests;
