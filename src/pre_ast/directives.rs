//! Recognising the directives the include graph needs (`#include`, `#include_next`, `#define`,
//! and `__has_include`/`__has_include_next` probes in `#if`/`#elif`) in one file's text.
//!
//! This is the only place that looks at a file's text while building the pre-AST, so it can be
//! replaced by the syntax crate's typed tree (when it lands) without touching the graph builder.
//! It reads the syntax crate's lexer tokens, which already follow C's translation phases 2 and 3:
//! backslash-newline splices, comments as trivia (a block comment can continue a directive onto
//! the next line, and a `#` after a comment that began on an earlier line is not at the start of
//! a line), and literals that hide comment starters.

use syntax::{cooked, Lexed, SyntaxKind};

/// One recognised directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Directive {
    /// `#include` or `#include_next`.
    Include { line: u32, next: bool, target: IncludeTarget },
    /// `__has_include(…)` or `__has_include_next(…)` in an `#if` or `#elif`.
    HasInclude { line: u32, next: bool, target: IncludeTarget },
    /// `#define NAME body` or `#define NAME(params) body`; the body is trimmed.
    Define { line: u32, name: String, function_like: bool, body: String },
}

/// What an include names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IncludeTarget {
    /// `<name>`.
    Angled(String),
    /// `"name"`.
    Quoted(String),
    /// Anything else (a macro to expand), as written.
    Computed(String),
}

impl IncludeTarget {
    /// The include as written (`<x.h>`, `"x.h"` or the macro text).
    pub fn spelled(&self) -> String {
        match self {
            IncludeTarget::Angled(n) => format!("<{n}>"),
            IncludeTarget::Quoted(n) => format!("\"{n}\""),
            IncludeTarget::Computed(t) => t.clone(),
        }
    }

    /// Parses a header name or computed-include text (what follows the directive name).
    pub fn parse(rest: &str) -> IncludeTarget {
        let rest = rest.trim();
        let closed = |open: char, close: char| {
            let inner = rest.strip_prefix(open)?;
            let end = inner.find(close)?;
            Some(inner[..end].to_string())
        };
        if let Some(n) = closed('<', '>') {
            IncludeTarget::Angled(n)
        } else if let Some(n) = closed('"', '"') {
            IncludeTarget::Quoted(n)
        } else {
            IncludeTarget::Computed(rest.to_string())
        }
    }
}

/// The directives of `text`, in order, from the syntax crate's tokens: a `#` first on a logical
/// line (only inline trivia before it; a newline inside a block comment does not start a line),
/// then the directive name. Line splices are inside tokens or `LINE_SPLICE` trivia already.
pub fn scan(text: &str) -> Vec<Directive> {
    let lexed = syntax::lex(text);
    let kinds = lexed.kinds();
    let mut out = Vec::new();
    // Line numbers are counted only up to each directive, in one pass over the bytes.
    let (mut line, mut counted_to) = (1u32, 0usize);
    let mut at_line_start = true;
    let mut toks: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < kinds.len() {
        let kind = kinds[i];
        if kind == SyntaxKind::NEWLINE {
            at_line_start = true;
        } else if at_line_start && kind == SyntaxKind::HASH {
            let start = lexed.range(i).start;
            line += newlines(&text.as_bytes()[counted_to..start]);
            counted_to = start;
            toks.clear();
            i += 1;
            while i < kinds.len() && kinds[i] != SyntaxKind::NEWLINE {
                if !kinds[i].is_trivia() {
                    toks.push(i);
                }
                i += 1;
            }
            directive(text, &lexed, &toks, line, &mut out);
            continue;
        } else if !kind.is_inline_trivia() {
            at_line_start = false;
        }
        i += 1;
    }
    out
}

fn newlines(bytes: &[u8]) -> u32 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u32
}

/// Interprets one directive: `toks` are its non-trivia tokens after the `#`.
fn directive(text: &str, lexed: &Lexed, toks: &[usize], line: u32, out: &mut Vec<Directive>) {
    let Some(&first) = toks.first() else { return };
    if lexed.kind(first) != SyntaxKind::IDENT {
        return;
    }
    let tok_text = |k: usize| cooked(lexed.text(text, toks[k]));
    match &*tok_text(0) {
        name @ ("include" | "include_next") => {
            if toks.len() < 2 {
                return;
            }
            let target = include_target(text, lexed, &toks[1..]);
            out.push(Directive::Include { line, next: name == "include_next", target });
        }
        "define" => {
            if toks.len() < 2 || lexed.kind(toks[1]) != SyntaxKind::IDENT {
                return;
            }
            let name = tok_text(1).into_owned();
            let function_like = toks.len() > 2
                && lexed.kind(toks[2]) == SyntaxKind::L_PAREN
                && lexed.range(toks[2]).start == lexed.range(toks[1]).end;
            let body_from = if function_like {
                toks.iter()
                    .position(|&t| lexed.kind(t) == SyntaxKind::R_PAREN)
                    .map_or(toks.len(), |p| p + 1)
            } else {
                2
            };
            let body = span_text(text, lexed, &toks[body_from.min(toks.len())..]);
            out.push(Directive::Define { line, name, function_like, body });
            // A probe inside a macro is evaluated where the macro is used in an `#if`.
            has_include_probes(text, lexed, toks, line, out);
        }
        "if" | "elif" => has_include_probes(text, lexed, toks, line, out),
        _ => {}
    }
}

/// The `__has_include(…)`/`__has_include_next(…)` probes among `toks`.
fn has_include_probes(
    text: &str,
    lexed: &Lexed,
    toks: &[usize],
    line: u32,
    out: &mut Vec<Directive>,
) {
    let mut k = 1;
    while k < toks.len() {
        let next = match &*cooked(lexed.text(text, toks[k])) {
            "__has_include" => false,
            "__has_include_next" => true,
            _ => {
                k += 1;
                continue;
            }
        };
        k += 1;
        if k < toks.len() && lexed.kind(toks[k]) == SyntaxKind::L_PAREN {
            let close = (k + 1..toks.len())
                .find(|&m| lexed.kind(toks[m]) == SyntaxKind::R_PAREN)
                .unwrap_or(toks.len());
            let inner = &toks[k + 1..close.max(k + 1)];
            if !inner.is_empty() {
                out.push(Directive::HasInclude {
                    line,
                    next,
                    target: include_target(text, lexed, inner),
                });
            }
            k = close;
        }
    }
}

/// The header an include names, from the tokens after the directive name (or inside a
/// `__has_include(…)`).
fn include_target(text: &str, lexed: &Lexed, toks: &[usize]) -> IncludeTarget {
    let first = toks[0];
    match lexed.kind(first) {
        SyntaxKind::LT => {
            if let Some(&gt) = toks.iter().find(|&&t| lexed.kind(t) == SyntaxKind::GT) {
                let inner = &text[lexed.range(first).end..lexed.range(gt).start];
                return IncludeTarget::Angled(cooked(inner).into_owned());
            }
        }
        SyntaxKind::STRING => {
            let s = cooked(lexed.text(text, first));
            if let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
                return IncludeTarget::Quoted(inner.to_string());
            }
        }
        _ => {}
    }
    IncludeTarget::Computed(span_text(text, lexed, toks))
}

/// The source text from the first to the last of `toks`, splices removed, trimmed.
fn span_text(text: &str, lexed: &Lexed, toks: &[usize]) -> String {
    match (toks.first(), toks.last()) {
        (Some(&a), Some(&b)) => {
            cooked(&text[lexed.range(a).start..lexed.range(b).end]).trim().to_string()
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: &[&str]) {
        let got: Vec<String> = scan(text)
            .into_iter()
            .map(|d| match d {
                Directive::Include { line, next, target } => {
                    format!(
                        "{line}: include{} {}",
                        if next { "_next" } else { "" },
                        target.spelled()
                    )
                }
                Directive::HasInclude { line, next, target } => {
                    format!(
                        "{line}: has_include{} {}",
                        if next { "_next" } else { "" },
                        target.spelled()
                    )
                }
                Directive::Define { line, name, function_like, body } => {
                    format!(
                        "{line}: define {name}{} [{body}]",
                        if function_like { "()" } else { "" }
                    )
                }
            })
            .collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn directives_through_comments_and_splices() {
        check(
            "#include <linux/types.h>\n\
             # include_next \"x.h\" // trailing\n\
             /* #include <not/this.h>\n#include <nor/this.h> */\n\
             int x; /* spans\n*/ #include <not/directive.h>\n\
             #inc\\\nlude <spliced.h>\n\
             #define HDR <asm/foo.h>\n\
             #define F(a, b) a ## b\n\
             #include HDR\n\
             char *s = \"/*\";\n\
             #include <after/string.h>\n\
             #if defined(X) && __has_include(<linux/a.h>) || __has_include_next (\"b.h\")\n\
             #elif __has_include(<c.h>)\n\
             #endif\n\
             #define G /* multi\n line */ 1\n\
             #error don't\n\
             #include <after/apostrophe.h>\n\
             #define HAS_X __has_include(<x.h>)\n",
            &[
                "1: include <linux/types.h>",
                "2: include_next \"x.h\"",
                "7: include <spliced.h>",
                "9: define HDR [<asm/foo.h>]",
                "10: define F() [a ## b]",
                "11: include HDR",
                "13: include <after/string.h>",
                "14: has_include <linux/a.h>",
                "14: has_include_next \"b.h\"",
                "15: has_include <c.h>",
                "17: define G [1]",
                "20: include <after/apostrophe.h>",
                "21: define HAS_X [__has_include(<x.h>)]",
                "21: has_include <x.h>",
            ],
        );
    }

    #[test]
    fn never_panics_on_truncated_or_odd_input() {
        let text = "#include <a.h\n#include \"b.h\n#define\n#define F(\n#if __has_include(\n\
                    #if __has_include_next(<x>\n#include\n# \\\n include <c.h>\n/* open";
        for end in (0..=text.len()).filter(|&e| text.is_char_boundary(e)) {
            let _ = scan(&text[..end]);
        }
        assert_eq!(
            scan("#include <a.h\n"),
            [Directive::Include {
                line: 1,
                next: false,
                target: IncludeTarget::Computed("<a.h".into())
            }]
        );
    }
}
