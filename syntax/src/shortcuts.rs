//! The glue between the lexer and the parser: it turns a `Lexed` into the parser's `Input`
//! (significant kinds plus the few facts the parser may not read from text), runs the grammar and
//! hands back the event stream with its errors.
//!
//! Trivia handling lives here and in `syntax_node`: the parser never sees whitespace, line splices
//! or comments (it does see `NEWLINE`, which ends directives), and the tree builder puts them back.

use crate::{
    cooked,
    parser::{self, Event, Input, ParamNames, Parser, PpKeyword},
    LexErrorKind, Lexed, SyntaxError,
    SyntaxKind::{self, *},
    TextRange, TextSize, T,
};

/// The parser's output for one file: the events and the errors (parser and lexer ones).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParseEvents {
    events: Vec<Event>,
    errors: Vec<EventError>,
}

/// An error from parsing one file, positioned at a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventError {
    /// The index of the token in the `Lexed`, or `Lexed::len()` for the end of the file.
    pub token: u32,
    pub message: &'static str,
}

impl ParseEvents {
    /// The events, in source order; see [`Event`] for the shape of the stream.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// All errors: first those of the parser (which `Event::Error` points at), then those that
    /// need token text (duplicate parameter names) and those of the lexer (unterminated
    /// comments), which have no event.
    pub fn errors(&self) -> &[EventError] {
        &self.errors
    }

    /// The errors as [`SyntaxError`]s with text ranges and line numbers, sorted by position.
    pub fn syntax_errors(&self, text: &str, lexed: &Lexed) -> Vec<SyntaxError> {
        if self.errors.is_empty() {
            return Vec::new();
        }
        let mut positioned: Vec<(TextRange, &'static str)> = self
            .errors
            .iter()
            .map(|e| {
                let range = if (e.token as usize) < lexed.len() {
                    let r = lexed.range(e.token as usize);
                    TextRange::new(TextSize::from(r.start as u32), TextSize::from(r.end as u32))
                } else {
                    TextRange::empty(TextSize::from(text.len() as u32))
                };
                (range, e.message)
            })
            .collect();
        positioned.sort_by_key(|(range, _)| range.start());
        // One pass over the text counts the lines of all errors.
        let bytes = text.as_bytes();
        let mut line = 1u32;
        let mut scanned = 0usize;
        positioned
            .into_iter()
            .map(|(range, message)| {
                let offset = usize::from(range.start());
                line += bytes[scanned..offset].iter().filter(|&&b| b == b'\n').count() as u32;
                scanned = offset;
                SyntaxError::new(message, range, line)
            })
            .collect()
    }
}

/// Parses the tokens of `text` (as lexed by [`crate::lex`]) into events, without building a tree.
pub fn parse_events(text: &str, lexed: &Lexed) -> ParseEvents {
    let input = input(text, lexed);
    let mut p = Parser::new(&input);
    parser::header_file(&mut p);
    let (events, raw, params) = p.finish();
    let mut errors: Vec<EventError> =
        raw.into_iter().map(|e| EventError { token: e.lexed_index, message: e.message }).collect();
    validate_param_names(text, lexed, &params, &mut errors);
    for e in lexed.errors() {
        if e.kind == LexErrorKind::UnterminatedComment {
            errors.push(EventError { token: e.token as u32, message: "unterminated comment" });
        }
    }
    ParseEvents { events, errors }
}

/// The check that needs the spelling of parameter names, which the parser cannot see: a name
/// used twice in one list. (`__VA_ARGS__` as a name only draws a warning from GCC.)
fn validate_param_names(
    text: &str,
    lexed: &Lexed,
    params: &ParamNames,
    errors: &mut Vec<EventError>,
) {
    let mut names: Vec<std::borrow::Cow<'_, str>> = Vec::new();
    let mut start = 0usize;
    for &end in &params.list_ends {
        names.clear();
        for &i in &params.tokens[start..end as usize] {
            let name = cooked(lexed.text(text, i as usize));
            if names.contains(&name) {
                errors.push(EventError { token: i, message: "duplicate macro parameter" });
            } else {
                names.push(name);
            }
        }
        start = end as usize;
    }
}

/// Builds the parser's input: significant tokens, whether space came before each, unterminated
/// literals, and the directive keyword of each identifier that follows a line-initial `#`.
fn input(text: &str, lexed: &Lexed) -> Input {
    let kinds = lexed.kinds();
    let mut input = Input::with_capacity(kinds.len());
    let lex_errors = lexed.errors();
    let mut space_before = false;
    let mut at_line_start = true;
    let mut after_directive_hash = false;
    let mut last_significant: Option<(usize, SyntaxKind)> = None;
    for (i, &kind) in kinds.iter().enumerate() {
        match kind {
            WHITESPACE | BLOCK_COMMENT | LINE_COMMENT => {
                space_before = true;
                continue;
            }
            LINE_SPLICE => continue,
            _ => {}
        }
        let keyword = if kind == IDENT && after_directive_hash {
            PpKeyword::from_name(&cooked(lexed.text(text, i)))
        } else {
            PpKeyword::None
        };
        // Unterminated literals are rare `UNKNOWN` tokens; the lexer's errors are sorted.
        let is_unterminated = kind == UNKNOWN
            && lex_errors
                .binary_search_by_key(&i, |e| e.token)
                .is_ok_and(|at| lex_errors[at].kind == LexErrorKind::UnterminatedLiteral);
        input.push(kind, i as u32, space_before, is_unterminated, keyword);
        after_directive_hash = kind == T![#] && at_line_start;
        at_line_start = kind == NEWLINE;
        space_before = false;
        last_significant = Some((i, kind));
    }
    let trailing_trivia_line = match last_significant {
        None => !kinds.is_empty(),
        Some((i, NEWLINE)) => i + 1 < kinds.len(),
        Some(_) => false,
    };
    input.finish(kinds.len() as u32, trailing_trivia_line);
    input
}
