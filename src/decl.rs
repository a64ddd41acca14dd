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

use crate::{token::Token, ty::RecordKind};

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

/// A declaration we could not understand or evaluate: the cause, with its data, and the token it
/// is about. The text is made in one place, [`DeclErrorKind`]'s `Display`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeclError {
    pub kind: DeclErrorKind,
    /// Index of the token the problem is about, or [`NO_TOKEN`].
    pub token: usize,
}

/// Why a declaration could not be understood or evaluated.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DeclErrorKind {
    /// `struct tag` / `union tag` is used but never defined.
    NoDefinition {
        kind: RecordKind,
        tag: SmolStr,
    },
    /// A record reaches itself through members held by value.
    ContainsItself {
        kind: RecordKind,
        tag: SmolStr,
    },
    UnknownTypedef {
        name: SmolStr,
    },
    TypedefRefersToItself {
        name: SmolStr,
    },
    UnknownVariable {
        name: SmolStr,
    },
    VariableRefersToItself {
        name: SmolStr,
    },
    /// An array bound that evaluates below zero (GCC: "size of array is negative").
    NegativeArraySize {
        size: i128,
    },
    /// A bitfield width that evaluates below zero (GCC: "negative width in bit-field").
    NegativeBitfieldWidth {
        width: i128,
    },
    /// A `_Static_assert` whose condition is zero.
    StaticAssertFailed,
    /// An attribute that may change the layout and that we do not model, and where it stood.
    RefusedAttribute {
        name: SmolStr,
        position: &'static str,
    },
    /// A name in a constant expression that is no enumerator, variable or function we know.
    UnknownConstant {
        name: SmolStr,
    },
    /// An expression that must be an integer constant and is not one we can evaluate.
    NotAnIntegerConstant {
        spelling: String,
    },
    /// A GNU statement expression (`({ ...; })`) in a constant expression.
    StatementExpression,
    /// A struct made only of function pointers in a randstruct build: the plugin
    /// (CONFIG_GCC_PLUGIN_RANDSTRUCT) reorders it with the build's secret seed.
    RandstructFunctionPointers,
    /// A record marked `randomize_layout` in a randstruct build (CONFIG_RANDSTRUCT).
    RandomizeLayout,
    /// A cause not yet given a variant of its own: the message as text.
    Unsupported(String),
}

impl fmt::Display for DeclErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeclErrorKind::NoDefinition { kind, tag } => {
                write!(f, "{} {tag} has no definition", kind.keyword())
            }
            DeclErrorKind::ContainsItself { kind, tag } => {
                write!(f, "{} {tag} contains itself by value", kind.keyword())
            }
            DeclErrorKind::UnknownTypedef { name } => write!(f, "unknown typedef `{name}`"),
            DeclErrorKind::TypedefRefersToItself { name } => {
                write!(f, "typedef `{name}` refers to itself")
            }
            DeclErrorKind::UnknownVariable { name } => write!(f, "unknown variable `{name}`"),
            DeclErrorKind::VariableRefersToItself { name } => {
                write!(f, "the type of `{name}` refers to itself")
            }
            DeclErrorKind::NegativeArraySize { size } => {
                write!(f, "array size is negative ({size})")
            }
            DeclErrorKind::NegativeBitfieldWidth { width } => {
                write!(f, "negative bitfield width ({width})")
            }
            DeclErrorKind::StaticAssertFailed => f.write_str("static assertion failed"),
            DeclErrorKind::RefusedAttribute { name, position } => write!(
                f,
                "attribute `{name}` {position} may change the layout and is not supported"
            ),
            DeclErrorKind::UnknownConstant { name } => {
                write!(f, "`{name}` is not a constant we know")
            }
            DeclErrorKind::NotAnIntegerConstant { spelling } => {
                write!(f, "`{spelling}` is not an integer constant we can evaluate")
            }
            DeclErrorKind::StatementExpression => {
                f.write_str("a statement expression we cannot fold")
            }
            DeclErrorKind::RandstructFunctionPointers => f.write_str(
                "made only of function pointers, so GCC's randstruct plugin (CONFIG_GCC_PLUGIN_RANDSTRUCT) \
                 reorders it with the build's secret seed; its layout cannot be known",
            ),
            DeclErrorKind::RandomizeLayout => f.write_str(
                "`randomize_layout`: the randstruct plugin (CONFIG_RANDSTRUCT) shuffles this record with the build's seed",
            ),
            DeclErrorKind::Unsupported(message) => f.write_str(message),
        }
    }
}

impl DeclError {
    /// An error whose cause has no variant of its own yet ([`DeclErrorKind::Unsupported`]).
    pub(crate) fn new(token: usize, message: impl Into<String>) -> DeclError {
        DeclError::of(token, DeclErrorKind::Unsupported(message.into()))
    }

    pub(crate) fn of(token: usize, kind: DeclErrorKind) -> DeclError {
        DeclError { kind, token }
    }

    /// The message with its source location, when `locs` knows the token.
    pub fn render(&self, locs: &[SourceLoc]) -> String {
        match locs.get(self.token) {
            Some(loc) => format!("{loc}: {}", self.kind),
            None => self.kind.to_string(),
        }
    }
}

impl fmt::Display for DeclError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
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
