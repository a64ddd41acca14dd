//! Typed views of the syntax tree: one zero-cost newtype per node kind, with accessors.
//!
//! Accessors return `Option` (or an empty iterator) whenever the parser may have left a piece out
//! of a malformed line, so callers never panic on bad input. Spellings returned as strings have
//! their line splices removed ([`crate::cooked`]). The shapes are described in `ARCHITECTURE.md`
//! and in the `SyntaxKind` docs.

use rowan::ast::support;
pub use rowan::ast::{AstChildren, AstNode};

use crate::{cooked, CLanguage, SmolStr, SyntaxKind, SyntaxNode, SyntaxToken, T};

/// A position-independent handle to a node, to keep across trees (red nodes are `!Send` and
/// short-lived; keep the `GreenNode` and these pointers instead).
pub type SyntaxNodePtr = rowan::ast::SyntaxNodePtr<CLanguage>;
/// A typed [`SyntaxNodePtr`].
pub type AstPtr<N> = rowan::ast::AstPtr<N>;

macro_rules! ast_node {
    ($(#[$doc:meta])* $name:ident = $($kind:ident)|+) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[repr(transparent)]
        pub struct $name(SyntaxNode);

        impl AstNode for $name {
            type Language = CLanguage;

            fn can_cast(kind: SyntaxKind) -> bool {
                matches!(kind, $(SyntaxKind::$kind)|+)
            }

            fn cast(node: SyntaxNode) -> Option<$name> {
                if Self::can_cast(node.kind()) {
                    Some($name(node))
                } else {
                    None
                }
            }

            fn syntax(&self) -> &SyntaxNode {
                &self.0
            }
        }
    };
}

ast_node!(
    /// The root: a sequence of items.
    HeaderFile = HEADER_FILE
);
ast_node!(
    /// A run of non-directive lines.
    Text = TEXT
);
ast_node!(
    /// `#define NAME(PARAMS) REPLACEMENT`.
    Define = DEFINE
);
ast_node!(
    /// A macro name.
    Name = NAME
);
ast_node!(
    /// The parenthesised parameters of a function-like macro.
    ParamList = PARAM_LIST
);
ast_node!(
    /// One macro parameter.
    Param = PARAM
);
ast_node!(
    /// The body of a `#define`.
    Replacement = REPLACEMENT
);
ast_node!(
    /// `#undef NAME`.
    Undef = UNDEF
);
ast_node!(
    /// `#include` or `#include_next`.
    Include = INCLUDE | INCLUDE_NEXT
);
ast_node!(
    /// `<...>` in an include.
    HeaderName = HEADER_NAME
);
ast_node!(
    /// The macro tokens of a computed include.
    ComputedPath = COMPUTED_PATH
);
ast_node!(
    /// An `#if` ... `#endif` group.
    Conditional = CONDITIONAL
);
ast_node!(
    /// One directive line of a conditional and the items it controls.
    Branch = BRANCH
);
ast_node!(
    /// The expression of `#if`/`#elif` or the name of `#ifdef`/`#ifndef`.
    Condition = CONDITION
);
ast_node!(
    /// `#error ...`.
    ErrorDirective = ERROR_DIRECTIVE
);
ast_node!(
    /// `#warning ...`.
    WarningDirective = WARNING_DIRECTIVE
);
ast_node!(
    /// `#pragma ...`.
    Pragma = PRAGMA
);
ast_node!(
    /// `#line` or a GNU line marker.
    LineDirective = LINE_DIRECTIVE
);
ast_node!(
    /// `#` alone.
    NullDirective = NULL_DIRECTIVE
);
ast_node!(
    /// A directive with a name the parser does not know.
    UnknownDirective = UNKNOWN_DIRECTIVE
);
ast_node!(
    /// Tokens the parser could not place, or a stray `#elif`/`#else`/`#endif` line.
    ErrorNode = ERROR
);

/// An item of a file or a branch: every line of the file belongs to exactly one item.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Item {
    Text(Text),
    Define(Define),
    Undef(Undef),
    Include(Include),
    Conditional(Conditional),
    ErrorDirective(ErrorDirective),
    WarningDirective(WarningDirective),
    Pragma(Pragma),
    LineDirective(LineDirective),
    NullDirective(NullDirective),
    UnknownDirective(UnknownDirective),
    Error(ErrorNode),
}

impl AstNode for Item {
    type Language = CLanguage;

    fn can_cast(kind: SyntaxKind) -> bool {
        use SyntaxKind::*;
        matches!(
            kind,
            TEXT | DEFINE
                | UNDEF
                | INCLUDE
                | INCLUDE_NEXT
                | CONDITIONAL
                | ERROR_DIRECTIVE
                | WARNING_DIRECTIVE
                | PRAGMA
                | LINE_DIRECTIVE
                | NULL_DIRECTIVE
                | UNKNOWN_DIRECTIVE
                | ERROR
        )
    }

    fn cast(node: SyntaxNode) -> Option<Item> {
        use SyntaxKind::*;
        let item = match node.kind() {
            TEXT => Item::Text(Text(node)),
            DEFINE => Item::Define(Define(node)),
            UNDEF => Item::Undef(Undef(node)),
            INCLUDE | INCLUDE_NEXT => Item::Include(Include(node)),
            CONDITIONAL => Item::Conditional(Conditional(node)),
            ERROR_DIRECTIVE => Item::ErrorDirective(ErrorDirective(node)),
            WARNING_DIRECTIVE => Item::WarningDirective(WarningDirective(node)),
            PRAGMA => Item::Pragma(Pragma(node)),
            LINE_DIRECTIVE => Item::LineDirective(LineDirective(node)),
            NULL_DIRECTIVE => Item::NullDirective(NullDirective(node)),
            UNKNOWN_DIRECTIVE => Item::UnknownDirective(UnknownDirective(node)),
            ERROR => Item::Error(ErrorNode(node)),
            _ => return None,
        };
        Some(item)
    }

    fn syntax(&self) -> &SyntaxNode {
        match self {
            Item::Text(it) => &it.0,
            Item::Define(it) => &it.0,
            Item::Undef(it) => &it.0,
            Item::Include(it) => &it.0,
            Item::Conditional(it) => &it.0,
            Item::ErrorDirective(it) => &it.0,
            Item::WarningDirective(it) => &it.0,
            Item::Pragma(it) => &it.0,
            Item::LineDirective(it) => &it.0,
            Item::NullDirective(it) => &it.0,
            Item::UnknownDirective(it) => &it.0,
            Item::Error(it) => &it.0,
        }
    }
}

/// The significant (non-trivia) tokens that are direct children of `node`.
fn significant_children(node: &SyntaxNode) -> impl Iterator<Item = SyntaxToken> + '_ {
    node.children_with_tokens()
        .filter_map(|element| element.into_token())
        .filter(|token| !token.kind().is_trivia())
}

/// The significant tokens anywhere under `node`, `NEWLINE` excluded.
fn significant_descendants(node: &SyntaxNode) -> impl Iterator<Item = SyntaxToken> {
    node.descendants_with_tokens()
        .filter_map(|element| element.into_token())
        .filter(|token| !token.kind().is_trivia())
}

/// The directive name token of a directive node (the identifier after `#`).
fn directive_keyword(node: &SyntaxNode) -> Option<SyntaxToken> {
    let mut tokens = significant_children(node);
    let hash = tokens.next()?;
    if hash.kind() != T![#] {
        return None;
    }
    tokens.next().filter(|token| token.kind() == SyntaxKind::IDENT)
}

/// The text of a directive after its name, without the newline, splices removed, trimmed.
fn directive_rest(node: &SyntaxNode) -> String {
    let mut out = String::new();
    let mut seen = 0;
    for element in node.children_with_tokens() {
        let text = match &element {
            rowan::NodeOrToken::Token(token) => {
                if !token.kind().is_trivia() && seen < 2 {
                    seen += 1;
                    continue;
                }
                if token.kind() == SyntaxKind::NEWLINE || seen < 2 {
                    continue;
                }
                token.text().to_string()
            }
            rowan::NodeOrToken::Node(node) => node.text().to_string(),
        };
        out.push_str(&text);
    }
    cooked(&out).trim().to_string()
}

/// The cooked spelling of a token.
fn spelling(token: &SyntaxToken) -> SmolStr {
    SmolStr::new(cooked(token.text()))
}

impl HeaderFile {
    pub fn items(&self) -> AstChildren<Item> {
        support::children(&self.0)
    }
}

impl Text {
    /// The significant tokens of the text, newlines excluded.
    pub fn tokens(&self) -> impl Iterator<Item = SyntaxToken> {
        significant_descendants(&self.0).filter(|token| token.kind() != SyntaxKind::NEWLINE)
    }
}

impl Name {
    pub fn ident(&self) -> Option<SyntaxToken> {
        support::token(&self.0, SyntaxKind::IDENT)
    }

    /// The name with splices removed; empty if malformed.
    pub fn text(&self) -> SmolStr {
        self.ident().map(|token| spelling(&token)).unwrap_or_default()
    }
}

impl Define {
    pub fn name(&self) -> Option<Name> {
        support::child(&self.0)
    }

    pub fn params(&self) -> Option<ParamList> {
        support::child(&self.0)
    }

    /// A `(` right after the name (no space) makes a macro function-like.
    pub fn is_function_like(&self) -> bool {
        self.params().is_some()
    }

    pub fn replacement(&self) -> Option<Replacement> {
        support::child(&self.0)
    }

    /// The significant tokens of the body (no whitespace, splices or comments).
    pub fn replacement_tokens(&self) -> impl Iterator<Item = SyntaxToken> {
        self.replacement()
            .into_iter()
            .flat_map(|r| significant_descendants(&r.0).collect::<Vec<_>>())
    }
}

impl ParamList {
    pub fn params(&self) -> AstChildren<Param> {
        support::children(&self.0)
    }
}

impl Param {
    /// The parameter name; `None` for a plain `...` (which is `__VA_ARGS__`).
    pub fn name(&self) -> Option<SyntaxToken> {
        support::token(&self.0, SyntaxKind::IDENT)
    }

    /// `...` or GNU `name...`.
    pub fn is_variadic(&self) -> bool {
        support::token(&self.0, T![...]).is_some()
    }
}

impl Replacement {
    /// The significant tokens of the body.
    pub fn tokens(&self) -> impl Iterator<Item = SyntaxToken> {
        significant_descendants(&self.0)
    }
}

impl Undef {
    pub fn name(&self) -> Option<Name> {
        support::child(&self.0)
    }
}

/// How an include names its file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IncludeForm {
    /// `<path>`: searched in the system include path only.
    Angled,
    /// `"path"`: searched next to the including file first.
    Quoted,
    /// Macro tokens, to be expanded into one of the other forms.
    Computed,
}

/// The path of an include as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IncludePath {
    /// The path between the delimiters (angled, quoted), or the macro tokens' text (computed),
    /// with splices removed.
    pub spelled: String,
    pub form: IncludeForm,
}

impl Include {
    /// `#include_next` rather than `#include`.
    pub fn is_next(&self) -> bool {
        self.0.kind() == SyntaxKind::INCLUDE_NEXT
    }

    pub fn header_name(&self) -> Option<HeaderName> {
        support::child(&self.0)
    }

    pub fn computed_path(&self) -> Option<ComputedPath> {
        support::child(&self.0)
    }

    /// The included path and its form; `None` when the directive names no file.
    pub fn path(&self) -> Option<IncludePath> {
        if let Some(header_name) = self.header_name() {
            let text = header_name.0.text().to_string();
            let text = cooked(&text);
            let inner = text.strip_prefix('<').unwrap_or(&text);
            let inner = inner.strip_suffix('>').unwrap_or(inner);
            return Some(IncludePath { spelled: inner.to_string(), form: IncludeForm::Angled });
        }
        if let Some(computed) = self.computed_path() {
            let text = computed.0.text().to_string();
            return Some(IncludePath {
                spelled: cooked(&text).trim().to_string(),
                form: IncludeForm::Computed,
            });
        }
        let string = support::token(&self.0, SyntaxKind::STRING)?;
        let text = cooked(string.text());
        let inner = text.strip_prefix('"')?.strip_suffix('"')?;
        Some(IncludePath { spelled: inner.to_string(), form: IncludeForm::Quoted })
    }
}

impl ComputedPath {
    pub fn tokens(&self) -> impl Iterator<Item = SyntaxToken> {
        significant_descendants(&self.0)
    }
}

impl Conditional {
    /// The branches in order; the last one is the `#endif` line unless the group is unterminated.
    pub fn branches(&self) -> AstChildren<Branch> {
        support::children(&self.0)
    }
}

/// Which directive opens a branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BranchKind {
    If,
    Ifdef,
    Ifndef,
    Elif,
    Elifdef,
    Elifndef,
    Else,
    Endif,
}

impl Branch {
    /// The directive name token (`if`, `elif`, `endif`, ...).
    pub fn keyword(&self) -> Option<SyntaxToken> {
        directive_keyword(&self.0)
    }

    pub fn kind(&self) -> Option<BranchKind> {
        let kind = match &*cooked(self.keyword()?.text()) {
            "if" => BranchKind::If,
            "ifdef" => BranchKind::Ifdef,
            "ifndef" => BranchKind::Ifndef,
            "elif" => BranchKind::Elif,
            "elifdef" => BranchKind::Elifdef,
            "elifndef" => BranchKind::Elifndef,
            "else" => BranchKind::Else,
            "endif" => BranchKind::Endif,
            _ => return None,
        };
        Some(kind)
    }

    pub fn condition(&self) -> Option<Condition> {
        support::child(&self.0)
    }

    /// The items this branch controls (none for the `#endif` branch).
    pub fn items(&self) -> AstChildren<Item> {
        support::children(&self.0)
    }
}

impl Condition {
    /// The macro name of `#ifdef`/`#ifndef`/`#elifdef`/`#elifndef`.
    pub fn name(&self) -> Option<Name> {
        support::child(&self.0)
    }

    /// The significant tokens of the expression (or of the name).
    pub fn tokens(&self) -> impl Iterator<Item = SyntaxToken> {
        significant_descendants(&self.0)
    }
}

impl ErrorDirective {
    /// The message text after `#error`, trimmed.
    pub fn message(&self) -> String {
        directive_rest(&self.0)
    }
}

impl WarningDirective {
    /// The message text after `#warning`, trimmed.
    pub fn message(&self) -> String {
        directive_rest(&self.0)
    }
}

impl Pragma {
    /// The text after `#pragma`, trimmed.
    pub fn body(&self) -> String {
        directive_rest(&self.0)
    }
}

impl LineDirective {
    /// The significant tokens after `#` (after `#line`, for the long form).
    pub fn tokens(&self) -> impl Iterator<Item = SyntaxToken> {
        let skip = if directive_keyword(&self.0).is_some() { 2 } else { 1 };
        significant_children(&self.0)
            .filter(|t| t.kind() != SyntaxKind::NEWLINE)
            .skip(skip)
            .collect::<Vec<_>>()
            .into_iter()
    }
}

impl UnknownDirective {
    /// The token after `#` that names the directive.
    pub fn name(&self) -> Option<SyntaxToken> {
        significant_children(&self.0).nth(1).filter(|t| t.kind() != SyntaxKind::NEWLINE)
    }
}
