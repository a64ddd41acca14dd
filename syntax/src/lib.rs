//! Lossless syntax for C headers: a lexer that puts every byte into a token, a parser that turns
//! the tokens into events (directives and the text between them), and a rowan tree built from the
//! events, with typed accessors. No salsa, no kernel config, no layouts.
//!
//! Entry points: [`parse`] (text to a [`Parse<HeaderFile>`]), [`parse_events`] (text to events,
//! for callers that lower a file without building a tree) and [`build_tree`] (events to a tree,
//! optionally sharing a [`NodeCache`] between files). Parsing never fails: malformed input gives a
//! tree plus [`SyntaxError`]s.
//!
//! Syntax errors: stray or misplaced `#elif`/`#else`/`#endif`, unterminated conditionals and
//! comments (these GCC rejects whatever the configuration), and malformed directive lines: a
//! `#define` without a name, bad parameter lists, an `#include` without a file name or with an
//! unclosed `<` or `"`, `#if`/`#elif` without an expression, `#ifdef`/`#ifndef` without a name.
//! GCC checks the latter only in blocks it does not skip; we report them everywhere (no kernel
//! header has one; the corpus test checks that), and a caller can tell by an error's range which
//! branch it is in. Not errors at all: unterminated `'` or `"` elsewhere (`#error don't`,
//! assembler comments), unknown directives (`# comment` in `__ASSEMBLY__` blocks), and extra
//! tokens after `#else`, `#endif`, `#undef` or an include's file name (GCC only warns).

pub mod ast;
mod lexer;
mod parser;
mod shortcuts;
mod syntax_kind;
mod syntax_node;

use std::{marker::PhantomData, sync::Arc};

pub use rowan::{GreenNode, GreenNodeData, NodeCache, NodeOrToken, TextRange, TextSize};
pub use smol_str::SmolStr;

pub use crate::{
    ast::{AstNode, HeaderFile},
    lexer::{cooked, lex, LexError, LexErrorKind, Lexed},
    parser::Event,
    shortcuts::{parse_events, EventError, ParseEvents},
    syntax_kind::SyntaxKind,
    syntax_node::{CLanguage, SyntaxElement, SyntaxNode, SyntaxNodeChildren, SyntaxToken},
};

/// A problem in the source, with its place. The tree is still built around it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SyntaxError {
    message: String,
    range: TextRange,
    line: u32,
}

impl SyntaxError {
    pub fn new(message: impl Into<String>, range: TextRange, line: u32) -> SyntaxError {
        SyntaxError { message: message.into(), range, line }
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn range(&self) -> TextRange {
        self.range
    }

    /// The 1-based line of the start of the range.
    pub fn line(&self) -> u32 {
        self.line
    }
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The result of parsing: a green tree and the errors found on the way. It is `Send + Sync` and
/// cheap to clone, so it can be stored; build the red tree with [`Parse::syntax_node`] to read it.
pub struct Parse<T> {
    green: GreenNode,
    errors: Option<Arc<[SyntaxError]>>,
    _ty: PhantomData<fn() -> T>,
}

impl<T> Clone for Parse<T> {
    fn clone(&self) -> Parse<T> {
        Parse { green: self.green.clone(), errors: self.errors.clone(), _ty: PhantomData }
    }
}

impl<T> PartialEq for Parse<T> {
    fn eq(&self, other: &Parse<T>) -> bool {
        self.green == other.green && self.errors == other.errors
    }
}

impl<T> Eq for Parse<T> {}

impl<T> std::fmt::Debug for Parse<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parse").field("green", &self.green).field("errors", &self.errors()).finish()
    }
}

impl<T> Parse<T> {
    fn new(green: GreenNode, errors: Vec<SyntaxError>) -> Parse<T> {
        let errors = if errors.is_empty() { None } else { Some(errors.into()) };
        Parse { green, errors, _ty: PhantomData }
    }

    pub fn green(&self) -> &GreenNode {
        &self.green
    }

    pub fn syntax_node(&self) -> SyntaxNode {
        SyntaxNode::new_root(self.green.clone())
    }

    /// The errors, sorted by position.
    pub fn errors(&self) -> &[SyntaxError] {
        self.errors.as_deref().unwrap_or(&[])
    }
}

impl<T: AstNode<Language = CLanguage>> Parse<T> {
    /// The typed root.
    pub fn tree(&self) -> T {
        T::cast(self.syntax_node()).expect("the root of a parse has the kind of its type")
    }

    /// The tree if there were no errors.
    pub fn ok(self) -> Result<T, Arc<[SyntaxError]>> {
        match self.errors {
            Some(errors) => Err(errors),
            None => Ok(self.tree()),
        }
    }
}

/// Lexes and parses a header file.
pub fn parse(text: &str) -> Parse<HeaderFile> {
    let lexed = lex(text);
    let events = parse_events(text, &lexed);
    build_tree(text, &lexed, &events, None)
}

/// Builds the tree of a header file from its tokens and events. With a `cache`, identical
/// subtrees and tokens are shared with the other trees built through it: that saves memory when
/// many trees are kept, but costs time (on the kernel corpus, one shared cache made building
/// twice as slow as a fresh builder per file, which is what `None` gives).
pub fn build_tree(
    text: &str,
    lexed: &Lexed,
    events: &ParseEvents,
    cache: Option<&mut NodeCache>,
) -> Parse<HeaderFile> {
    let green = syntax_node::build_green(text, lexed, events.events(), cache);
    Parse::new(green, events.syntax_errors(text, lexed))
}

#[cfg(test)]
mod tests;
