//! The rowan side of the syntax tree: `CLanguage`, the node and token aliases used everywhere
//! else, and the builder that turns parser events back into a lossless green tree.
//!
//! This is the only module that puts trivia back. Whitespace, splices and comments go into the
//! innermost node that is open when the next significant token arrives, with two adjustments that
//! make every line belong to exactly one item node: the inner nodes (`NAME`, `PARAM_LIST`,
//! `PARAM`, `REPLACEMENT`, `CONDITION`, `HEADER_NAME`, `COMPUTED_PATH`) leave the trivia before
//! them to their parent, and at the end of the file the trivia after the last significant token go
//! into the node of the line they are on.

use rowan::{GreenNode, GreenNodeBuilder, NodeCache};

use crate::{Event, Lexed, SyntaxKind};

/// The language tag of our rowan trees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CLanguage {}

impl rowan::Language for CLanguage {
    type Kind = SyntaxKind;

    fn kind_from_raw(raw: rowan::SyntaxKind) -> SyntaxKind {
        // Our trees only ever hold kinds we converted ourselves, so this cannot fail in practice.
        SyntaxKind::from_raw(raw.0).unwrap_or(SyntaxKind::ERROR)
    }

    fn kind_to_raw(kind: SyntaxKind) -> rowan::SyntaxKind {
        rowan::SyntaxKind(kind as u16)
    }
}

impl From<SyntaxKind> for rowan::SyntaxKind {
    fn from(kind: SyntaxKind) -> rowan::SyntaxKind {
        rowan::SyntaxKind(kind as u16)
    }
}

pub type SyntaxNode = rowan::SyntaxNode<CLanguage>;
pub type SyntaxToken = rowan::SyntaxToken<CLanguage>;
pub type SyntaxElement = rowan::SyntaxElement<CLanguage>;
pub type SyntaxNodeChildren = rowan::SyntaxNodeChildren<CLanguage>;

/// Whether a node takes the trivia that precede its first token (line-level nodes do; inner
/// nodes leave them to their parent).
fn takes_leading_trivia(kind: SyntaxKind) -> bool {
    use SyntaxKind::*;
    !matches!(
        kind,
        NAME | PARAM_LIST | PARAM | REPLACEMENT | CONDITION | HEADER_NAME | COMPUTED_PATH
    )
}

/// Builds the green tree of `text` from its tokens and the parser's events.
pub(crate) fn build_green(
    text: &str,
    lexed: &Lexed,
    events: &[Event],
    cache: Option<&mut NodeCache>,
) -> GreenNode {
    let mut builder = match cache {
        Some(cache) => GreenNodeBuilder::with_cache(cache),
        None => GreenNodeBuilder::new(),
    };
    let kinds = lexed.kinds();
    let token = |builder: &mut GreenNodeBuilder<'_>, i: usize| {
        builder.token(kinds[i].into(), lexed.text(text, i));
    };
    // Everything from the last significant token on is trivia.
    let last_significant = kinds.iter().rposition(|k| !k.is_inline_trivia());
    let mut next = 0usize;
    let mut last_emitted = None;
    let mut open: Vec<SyntaxKind> = Vec::with_capacity(16);
    for &event in events {
        match event {
            Event::Start(kind) => {
                if !takes_leading_trivia(kind) {
                    while next < kinds.len() && kinds[next].is_inline_trivia() {
                        token(&mut builder, next);
                        next += 1;
                    }
                }
                builder.start_node(kind.into());
                open.push(kind);
            }
            Event::Token(i) => {
                let i = i as usize;
                while next < i {
                    debug_assert!(
                        kinds[next].is_inline_trivia(),
                        "the parser skipped significant token {next}"
                    );
                    token(&mut builder, next);
                    next += 1;
                }
                token(&mut builder, i);
                next = i + 1;
                last_emitted = Some(kinds[i]);
            }
            Event::Finish => {
                let kind = open.pop().unwrap_or(SyntaxKind::HEADER_FILE);
                let only_trivia_left = last_significant.is_none_or(|last| next > last);
                // Trailing trivia of the last line: in the node of the last token's line, unless
                // that token was a newline; then the parser ends the file with a `TEXT` for them.
                let flush = only_trivia_left
                    && takes_leading_trivia(kind)
                    && (open.is_empty()
                        || kind == SyntaxKind::TEXT
                        || last_emitted != Some(SyntaxKind::NEWLINE));
                if flush {
                    while next < kinds.len() {
                        token(&mut builder, next);
                        next += 1;
                    }
                }
                builder.finish_node();
            }
            Event::Error(_) => {}
        }
    }
    builder.finish()
}
