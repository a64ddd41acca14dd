//! Recognising the directives the include graph needs (`#include`, `#include_next`, `#define`,
//! and `__has_include`/`__has_include_next` probes in `#if`/`#elif`) in one file's text.
//!
//! This is the only place that looks at a file's text while building the pre-AST, so it can be
//! replaced by the syntax crate's typed tree without touching the graph builder. It follows C's
//! translation phases 2 and 3 as far as directives need: backslash-newline splices join lines,
//! comments become one space (a block comment can continue a directive onto the next line, and
//! a `#` after a comment that began on an earlier line is not at the start of a line), and string
//! and character literals hide comment starters. Literals end at an unspliced newline, as GCC's
//! do.

/// One recognised directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Directive {
    /// `#include` or `#include_next`.
    Include {
        line: u32,
        next: bool,
        target: IncludeTarget,
    },
    /// `__has_include(…)` or `__has_include_next(…)` in an `#if` or `#elif`.
    HasInclude {
        line: u32,
        next: bool,
        target: IncludeTarget,
    },
    /// `#define NAME body` or `#define NAME(params) body`; the body is trimmed.
    Define {
        line: u32,
        name: String,
        function_like: bool,
        body: String,
    },
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

/// The directives of `text`, in order.
pub fn scan(text: &str) -> Vec<Directive> {
    let mut out = Vec::new();
    for (line, logical) in logical_lines(text.as_bytes()) {
        let s = String::from_utf8_lossy(&logical);
        let Some(rest) = s.trim_start().strip_prefix('#') else {
            continue;
        };
        let rest = rest.trim_start();
        let name_len = ident_len(rest.as_bytes());
        let (name, args) = rest.split_at(name_len);
        match name {
            "include" | "include_next" => out.push(Directive::Include {
                line,
                next: name == "include_next",
                target: IncludeTarget::parse(args),
            }),
            "define" => {
                let args = args.trim_start();
                let n = ident_len(args.as_bytes());
                if n == 0 {
                    continue;
                }
                let (macro_name, after) = args.split_at(n);
                let (function_like, body) = match after.strip_prefix('(') {
                    Some(params) => (true, params.find(')').map_or("", |i| &params[i + 1..])),
                    None => (false, after),
                };
                out.push(Directive::Define {
                    line,
                    name: macro_name.to_string(),
                    function_like,
                    body: body.trim().to_string(),
                });
            }
            "if" | "elif" => has_include_probes(args, line, &mut out),
            _ => {}
        }
    }
    out
}

fn has_include_probes(cond: &str, line: u32, out: &mut Vec<Directive>) {
    let b = cond.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let n = ident_len(&b[i..]);
        if n == 0 {
            i += 1;
            continue;
        }
        let word = &cond[i..i + n];
        i += n;
        let next = match word {
            "__has_include" => false,
            "__has_include_next" => true,
            _ => continue,
        };
        let after = cond[i..].trim_start();
        let Some(inner) = after.strip_prefix('(') else {
            continue;
        };
        let target = IncludeTarget::parse(inner);
        let target = match target {
            IncludeTarget::Computed(t) => {
                let t = t.split(')').next().unwrap_or("").trim().to_string();
                IncludeTarget::Computed(t)
            }
            t => t,
        };
        out.push(Directive::HasInclude { line, next, target });
    }
}

fn ident_len(b: &[u8]) -> usize {
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c == b'$' => {}
        _ => return 0,
    }
    b.iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c == b'$')
        .count()
}

/// Splits text into logical lines (after splices and comments), each with its 1-based first
/// physical line. Lines that cannot hold a directive are returned empty, so the caller skips
/// them cheaply.
fn logical_lines(b: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let mut lines = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    let mut line = 1u32;
    let mut start_line = 1u32;
    // Whether the current logical line can still be a directive: only whitespace (and nothing
    // from an earlier line) has been seen before a `#`.
    let mut maybe_directive = true;
    let mut seen_non_ws = false;
    let mut i = 0;
    // Peeks the next byte after skipping splices; returns (byte, index of it).
    let peek = |mut j: usize, line: &mut u32| -> Option<(u8, usize)> {
        loop {
            match b.get(j) {
                Some(b'\\') if b.get(j + 1) == Some(&b'\n') => {
                    *line += 1;
                    j += 2;
                }
                Some(b'\\') if b.get(j + 1) == Some(&b'\r') && b.get(j + 2) == Some(&b'\n') => {
                    *line += 1;
                    j += 3;
                }
                Some(&c) => return Some((c, j)),
                None => return None,
            }
        }
    };
    while let Some((c, j)) = peek(i, &mut line) {
        i = j + 1;
        match c {
            b'\n' => {
                lines.push((
                    start_line,
                    if maybe_directive {
                        std::mem::take(&mut cur)
                    } else {
                        Vec::new()
                    },
                ));
                cur.clear();
                line += 1;
                start_line = line;
                maybe_directive = true;
                seen_non_ws = false;
            }
            b'/' => match peek(i, &mut line) {
                Some((b'*', k)) => {
                    // Block comment: skip to `*/`, counting lines; it becomes one space.
                    i = k + 1;
                    let mut prev_star = false;
                    while let Some((d, k)) = peek(i, &mut line) {
                        i = k + 1;
                        if d == b'\n' {
                            line += 1;
                        }
                        if prev_star && d == b'/' {
                            break;
                        }
                        prev_star = d == b'*';
                    }
                    if maybe_directive {
                        cur.push(b' ');
                    }
                }
                Some((b'/', k)) => {
                    // Line comment: skip to the newline (splices continue it).
                    i = k + 1;
                    while let Some((d, k)) = peek(i, &mut line) {
                        if d == b'\n' {
                            i = k;
                            break;
                        }
                        i = k + 1;
                    }
                }
                _ => {
                    if maybe_directive {
                        cur.push(c);
                    }
                    seen_non_ws = true;
                }
            },
            b'"' | b'\'' => {
                // A literal; in a directive's header name `<…>` quotes cannot appear, and a
                // `"…"` header name is a string literal as far as comments are concerned.
                if maybe_directive {
                    cur.push(c);
                }
                while let Some((d, k)) = peek(i, &mut line) {
                    if d == b'\n' {
                        i = k;
                        break;
                    }
                    i = k + 1;
                    if maybe_directive {
                        cur.push(d);
                    }
                    if d == b'\\' {
                        if let Some((e, k2)) = peek(i, &mut line) {
                            if e != b'\n' {
                                i = k2 + 1;
                                if maybe_directive {
                                    cur.push(e);
                                }
                            }
                        }
                    } else if d == c {
                        break;
                    }
                }
                seen_non_ws = true;
            }
            _ => {
                if maybe_directive {
                    if !seen_non_ws && !c.is_ascii_whitespace() {
                        seen_non_ws = true;
                        if c != b'#' {
                            maybe_directive = false;
                            cur.clear();
                            continue;
                        }
                    }
                    cur.push(c);
                }
            }
        }
    }
    if maybe_directive && !cur.is_empty() {
        lines.push((start_line, cur));
    }
    lines
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
                Directive::Define {
                    line,
                    name,
                    function_like,
                    body,
                } => {
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
             #include <after/apostrophe.h>\n",
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
            ],
        );
    }
}
