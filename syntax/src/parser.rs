//! The parser machinery: its input (token kinds only), its output (a flat stream of events) and
//! the `Parser` the grammar drives.
//!
//! The parser knows neither token text nor tree representation. It reads significant token kinds
//! (trivia other than `NEWLINE` are removed by the glue in `shortcuts`), plus three facts per
//! token that the glue derives from the text: whether trivia came before it on its line, whether
//! it is an unterminated literal, and which directive keyword it spells (if it is an identifier
//! right after a `#`). It emits `Start`, `Token`, `Finish` and `Error` events, and notes the
//! parameter names of macros for the glue's duplicate check; `syntax_node` turns the events into a
//! rowan tree, putting the trivia back, and the engine may lower them directly without a tree.

mod grammar;

use crate::SyntaxKind::{self, *};

pub(crate) use grammar::header_file;
#[cfg(test)]
pub(crate) use grammar::MAX_CONDITIONAL_DEPTH;

/// One step of the parse, in source order.
///
/// A well-formed stream is `Start(HEADER_FILE)`, then properly nested `Start`/`Finish` pairs and
/// `Token`s, then `Finish`. `Token` events appear for every significant token (everything but
/// whitespace, line splices and comments) in source order; trivia are implied by the gaps between
/// token indices. The enum is 8 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Opens a node of this kind.
    Start(SyntaxKind),
    /// The significant token with this index in the `Lexed` the events were parsed from.
    Token(u32),
    /// Closes the innermost open node.
    Finish,
    /// Reports the error with this index in `ParseEvents::errors`; its position is in the error.
    Error(u32),
}

/// The directive keyword an identifier after `#` spells (after removing line splices).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum PpKeyword {
    None = 0,
    Define,
    Undef,
    Include,
    IncludeNext,
    If,
    Ifdef,
    Ifndef,
    Elif,
    Elifdef,
    Elifndef,
    Else,
    Endif,
    Error,
    Warning,
    Pragma,
    Line,
}

impl PpKeyword {
    const ALL: [PpKeyword; 17] = [
        PpKeyword::None,
        PpKeyword::Define,
        PpKeyword::Undef,
        PpKeyword::Include,
        PpKeyword::IncludeNext,
        PpKeyword::If,
        PpKeyword::Ifdef,
        PpKeyword::Ifndef,
        PpKeyword::Elif,
        PpKeyword::Elifdef,
        PpKeyword::Elifndef,
        PpKeyword::Else,
        PpKeyword::Endif,
        PpKeyword::Error,
        PpKeyword::Warning,
        PpKeyword::Pragma,
        PpKeyword::Line,
    ];

    /// The keyword `name` spells, or `None`.
    pub(crate) fn from_name(name: &str) -> PpKeyword {
        match name {
            "define" => PpKeyword::Define,
            "undef" => PpKeyword::Undef,
            "include" => PpKeyword::Include,
            "include_next" => PpKeyword::IncludeNext,
            "if" => PpKeyword::If,
            "ifdef" => PpKeyword::Ifdef,
            "ifndef" => PpKeyword::Ifndef,
            "elif" => PpKeyword::Elif,
            "elifdef" => PpKeyword::Elifdef,
            "elifndef" => PpKeyword::Elifndef,
            "else" => PpKeyword::Else,
            "endif" => PpKeyword::Endif,
            "error" => PpKeyword::Error,
            "warning" => PpKeyword::Warning,
            "pragma" => PpKeyword::Pragma,
            "line" => PpKeyword::Line,
            _ => PpKeyword::None,
        }
    }
}

/// Bit set in `Input::flags` when whitespace or a comment precedes the token on its line.
const FLAG_SPACE_BEFORE: u8 = 1;
/// Bit set for an `UNKNOWN` token that is an unterminated `'` or `"` literal.
const FLAG_UNTERMINATED: u8 = 2;
/// The directive keyword sits in the bits above the two flags.
const KEYWORD_SHIFT: u8 = 2;

/// What the parser reads: the significant tokens, struct of arrays.
#[derive(Debug, Default)]
pub(crate) struct Input {
    kinds: Vec<SyntaxKind>,
    /// The index of each significant token in the `Lexed` it came from.
    lexed_index: Vec<u32>,
    flags: Vec<u8>,
    /// The number of tokens in the `Lexed`, used as the position of "end of file".
    lexed_len: u32,
    /// Trivia follow the last `NEWLINE` (or fill a file with no significant token), so the last
    /// line holds nothing the parser sees and needs a `TEXT` node of its own.
    trailing_trivia_line: bool,
}

impl Input {
    pub(crate) fn with_capacity(n: usize) -> Input {
        Input {
            kinds: Vec::with_capacity(n),
            lexed_index: Vec::with_capacity(n),
            flags: Vec::with_capacity(n),
            lexed_len: 0,
            trailing_trivia_line: false,
        }
    }

    pub(crate) fn push(
        &mut self,
        kind: SyntaxKind,
        lexed_index: u32,
        space_before: bool,
        unterminated: bool,
        keyword: PpKeyword,
    ) {
        self.kinds.push(kind);
        self.lexed_index.push(lexed_index);
        let flags = (space_before as u8 * FLAG_SPACE_BEFORE)
            | (unterminated as u8 * FLAG_UNTERMINATED)
            | ((keyword as u8) << KEYWORD_SHIFT);
        self.flags.push(flags);
    }

    pub(crate) fn finish(&mut self, lexed_len: u32, trailing_trivia_line: bool) {
        self.lexed_len = lexed_len;
        self.trailing_trivia_line = trailing_trivia_line;
    }

    fn len(&self) -> usize {
        self.kinds.len()
    }
}

/// An error found by the parser, at a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawError {
    /// Index in the `Lexed`, or its length for "at end of file".
    pub(crate) lexed_index: u32,
    pub(crate) message: &'static str,
}

/// The parser state the grammar drives.
pub(crate) struct Parser<'i> {
    input: &'i Input,
    pos: usize,
    events: Vec<Event>,
    errors: Vec<RawError>,
    params: ParamNames,
}

/// The parameter-name tokens of every macro parameter list, for the checks that need their
/// spelling (done by the glue, which can read text).
#[derive(Debug, Default)]
pub(crate) struct ParamNames {
    /// `Lexed` indices of parameter-name identifiers, list after list.
    pub(crate) tokens: Vec<u32>,
    /// The end (in `tokens`) of each list.
    pub(crate) list_ends: Vec<u32>,
}

/// An open node; `complete` closes it. Dropping one without completing it is a bug in the
/// grammar, caught by a debug assertion (the "drop bomb").
#[must_use]
pub(crate) struct Marker {
    _private: (),
}

impl Marker {
    pub(crate) fn complete(self, p: &mut Parser<'_>) {
        p.events.push(Event::Finish);
        std::mem::forget(self);
    }
}

impl Drop for Marker {
    fn drop(&mut self) {
        debug_assert!(std::thread::panicking(), "a Marker was dropped without being completed");
    }
}

impl<'i> Parser<'i> {
    pub(crate) fn new(input: &'i Input) -> Parser<'i> {
        Parser {
            input,
            pos: 0,
            events: Vec::with_capacity(input.len() + input.len() / 4),
            errors: Vec::new(),
            params: ParamNames::default(),
        }
    }

    pub(crate) fn finish(self) -> (Vec<Event>, Vec<RawError>, ParamNames) {
        (self.events, self.errors, self.params)
    }

    /// Records the current token (an identifier) as a parameter name of the open list.
    pub(crate) fn note_param_name(&mut self) {
        if let Some(&index) = self.input.lexed_index.get(self.pos) {
            self.params.tokens.push(index);
        }
    }

    /// Ends the parameter list whose names were noted since the previous call.
    pub(crate) fn end_param_list(&mut self) {
        self.params.list_ends.push(self.params.tokens.len() as u32);
    }

    /// Opens a node of `kind` before the current token.
    pub(crate) fn start(&mut self, kind: SyntaxKind) -> Marker {
        self.events.push(Event::Start(kind));
        Marker { _private: () }
    }

    /// The kind of the `n`-th token ahead, `None` past the end.
    pub(crate) fn nth(&self, n: usize) -> Option<SyntaxKind> {
        self.input.kinds.get(self.pos + n).copied()
    }

    pub(crate) fn current(&self) -> Option<SyntaxKind> {
        self.nth(0)
    }

    pub(crate) fn at(&self, kind: SyntaxKind) -> bool {
        self.current() == Some(kind)
    }

    pub(crate) fn at_eof(&self) -> bool {
        self.pos >= self.input.len()
    }

    /// At the `NEWLINE` that ends the current line, or at the end of the file.
    pub(crate) fn at_line_end(&self) -> bool {
        matches!(self.current(), None | Some(NEWLINE))
    }

    /// Whether whitespace or a comment precedes the current token on its line.
    pub(crate) fn space_before(&self) -> bool {
        self.flags(0) & FLAG_SPACE_BEFORE != 0
    }

    /// Whether the current token is an unterminated character or string literal.
    pub(crate) fn at_unterminated_literal(&self) -> bool {
        self.flags(0) & FLAG_UNTERMINATED != 0
    }

    /// The directive keyword the `n`-th token ahead spells (`None` unless it follows a `#`).
    pub(crate) fn nth_keyword(&self, n: usize) -> PpKeyword {
        PpKeyword::ALL[(self.flags(n) >> KEYWORD_SHIFT) as usize]
    }

    fn flags(&self, n: usize) -> u8 {
        self.input.flags.get(self.pos + n).copied().unwrap_or(0)
    }

    /// Consumes the current token into the open node.
    pub(crate) fn bump(&mut self) {
        debug_assert!(!self.at_eof(), "bump at end of file");
        if let Some(&index) = self.input.lexed_index.get(self.pos) {
            self.events.push(Event::Token(index));
            self.pos += 1;
        }
    }

    /// Consumes the current token if it is `kind`.
    pub(crate) fn eat(&mut self, kind: SyntaxKind) -> bool {
        if self.at(kind) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Consumes tokens up to (not including) the end of the line.
    pub(crate) fn bump_to_line_end(&mut self) {
        while !self.at_line_end() {
            self.bump();
        }
    }

    /// Consumes the rest of the line, its `NEWLINE` included.
    pub(crate) fn bump_line(&mut self) {
        self.bump_to_line_end();
        self.eat(NEWLINE);
    }

    /// Reports an error at the current token.
    pub(crate) fn error(&mut self, message: &'static str) {
        self.error_at(self.pos, message);
    }

    /// The current position, for `error_at`.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Reports an error at the token at `pos`.
    pub(crate) fn error_at(&mut self, pos: usize, message: &'static str) {
        let lexed_index = self.input.lexed_index.get(pos).copied().unwrap_or(self.input.lexed_len);
        self.events.push(Event::Error(self.errors.len() as u32));
        self.errors.push(RawError { lexed_index, message });
    }

    /// Whether the glue saw a trivia-only last line with no newline after it.
    pub(crate) fn trailing_trivia_line(&self) -> bool {
        self.input.trailing_trivia_line
    }
}
