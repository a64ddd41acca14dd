//! The grammar of a header file: a sequence of lines, where a line that starts with `#` is a
//! directive and every other line is text.
//!
//! Conditionals nest without recursion: the open `#if` groups live on an explicit stack, so a file
//! with a million nested `#if`s cannot overflow the call stack. Each function below parses one
//! production and starts at the first token of its line.

use super::{Marker, Parser, PpKeyword};
use crate::{
    SyntaxKind::{self, *},
    T,
};

/// An `#if` group whose `#endif` has not been seen yet.
struct OpenConditional {
    conditional: Marker,
    branch: Marker,
    /// Position of the `#` of the opening directive, for the "unterminated" error.
    opening: usize,
    seen_else: bool,
}

/// How deeply conditionals may nest in the tree. Deeper groups are kept flat, as `ERROR` lines,
/// because rowan's trees recurse on their depth (dropping one, for instance), and a file with
/// 100,000 nested `#if`s would overflow the stack. Real headers nest a dozen levels at most.
pub(crate) const MAX_CONDITIONAL_DEPTH: usize = 256;

/// `HEADER_FILE = item*`, where an item is `TEXT`, a directive or a `CONDITIONAL`.
pub(crate) fn header_file(p: &mut Parser<'_>) {
    let file = p.start(HEADER_FILE);
    let mut open: Vec<OpenConditional> = Vec::new();
    // Conditionals opened beyond `MAX_CONDITIONAL_DEPTH`, whose lines are flat `ERROR` nodes.
    let mut too_deep = 0usize;
    let mut ended_with_text = false;
    while !p.at_eof() {
        // Every item starts at the beginning of a line, so a `#` here starts a directive.
        ended_with_text = !p.at(T![#]);
        if ended_with_text {
            text(p);
            continue;
        }
        let keyword = if p.nth(1) == Some(IDENT) { p.nth_keyword(1) } else { PpKeyword::None };
        let opens_group = matches!(keyword, PpKeyword::If | PpKeyword::Ifdef | PpKeyword::Ifndef);
        if (too_deep > 0 && is_conditional_keyword(keyword))
            || (opens_group && open.len() >= MAX_CONDITIONAL_DEPTH)
        {
            let m = p.start(ERROR);
            match keyword {
                PpKeyword::If | PpKeyword::Ifdef | PpKeyword::Ifndef => {
                    p.error("conditional directives nested too deeply (more than 256 levels)");
                    too_deep += 1;
                }
                PpKeyword::Endif => too_deep -= 1,
                _ => {}
            }
            p.bump_line();
            m.complete(p);
            continue;
        }
        match keyword {
            PpKeyword::If | PpKeyword::Ifdef | PpKeyword::Ifndef => {
                let opening = p.pos();
                let conditional = p.start(CONDITIONAL);
                let branch = p.start(BRANCH);
                branch_line(p, keyword);
                open.push(OpenConditional { conditional, branch, opening, seen_else: false });
            }
            PpKeyword::Elif | PpKeyword::Elifdef | PpKeyword::Elifndef | PpKeyword::Else => {
                let Some(mut group) = open.pop() else {
                    stray_branch(
                        p,
                        if keyword == PpKeyword::Else {
                            "#else without #if"
                        } else {
                            "#elif without #if"
                        },
                    );
                    continue;
                };
                group.branch.complete(p);
                group.branch = p.start(BRANCH);
                if group.seen_else {
                    p.error(if keyword == PpKeyword::Else {
                        "#else after #else"
                    } else {
                        "#elif after #else"
                    });
                }
                if keyword == PpKeyword::Else {
                    group.seen_else = true;
                }
                open.push(group);
                branch_line(p, keyword);
            }
            PpKeyword::Endif => match open.pop() {
                None => stray_branch(p, "#endif without #if"),
                Some(group) => {
                    group.branch.complete(p);
                    let branch = p.start(BRANCH);
                    branch_line(p, keyword);
                    branch.complete(p);
                    group.conditional.complete(p);
                }
            },
            _ => directive(p, keyword),
        }
    }
    if p.trailing_trivia_line() && !ended_with_text {
        // The last line holds only trivia (and no newline). A `TEXT` that ends the file takes
        // them itself; otherwise the builder puts them into this empty `TEXT`.
        p.start(TEXT).complete(p);
    }
    while let Some(group) = open.pop() {
        p.error_at(group.opening, "unterminated conditional directive (#if without #endif)");
        group.branch.complete(p);
        group.conditional.complete(p);
    }
    file.complete(p);
}

fn is_conditional_keyword(keyword: PpKeyword) -> bool {
    matches!(
        keyword,
        PpKeyword::If
            | PpKeyword::Ifdef
            | PpKeyword::Ifndef
            | PpKeyword::Elif
            | PpKeyword::Elifdef
            | PpKeyword::Elifndef
            | PpKeyword::Else
            | PpKeyword::Endif
    )
}

/// `TEXT = (non-directive line)+`.
fn text(p: &mut Parser<'_>) {
    let m = p.start(TEXT);
    loop {
        p.bump_line();
        if p.at_eof() || p.at(T![#]) {
            break;
        }
    }
    m.complete(p);
}

/// A directive line other than the conditional ones.
fn directive(p: &mut Parser<'_>, keyword: PpKeyword) {
    let kind = match keyword {
        PpKeyword::Define => return define(p),
        PpKeyword::Undef => return undef(p),
        PpKeyword::Include => return include(p, INCLUDE),
        PpKeyword::IncludeNext => return include(p, INCLUDE_NEXT),
        PpKeyword::Error => ERROR_DIRECTIVE,
        PpKeyword::Warning => WARNING_DIRECTIVE,
        PpKeyword::Pragma => PRAGMA,
        PpKeyword::Line => LINE_DIRECTIVE,
        _ => match p.nth(1) {
            None | Some(NEWLINE) => NULL_DIRECTIVE,
            // A GNU line marker: `# 12 "file.h" 2`.
            Some(PP_NUMBER) => LINE_DIRECTIVE,
            Some(_) => UNKNOWN_DIRECTIVE,
        },
    };
    let m = p.start(kind);
    p.bump_line();
    m.complete(p);
}

/// `DEFINE = '#' 'define' NAME PARAM_LIST? REPLACEMENT NEWLINE`.
///
/// The macro is function-like only when `(` follows the name with no whitespace or comment
/// between them (a line splice does not count as whitespace).
fn define(p: &mut Parser<'_>) {
    let m = p.start(DEFINE);
    p.bump(); // `#`
    p.bump(); // `define`
    if p.at(IDENT) {
        name(p);
        if p.at(T!['(']) && !p.space_before() {
            param_list(p);
        }
        let body = p.start(REPLACEMENT);
        p.bump_to_line_end();
        body.complete(p);
    } else if p.at_line_end() {
        p.error("macro name missing in #define");
    } else {
        p.error("macro names must be identifiers");
        let e = p.start(ERROR);
        p.bump_to_line_end();
        e.complete(p);
    }
    p.eat(NEWLINE);
    m.complete(p);
}

/// `NAME = IDENT`.
fn name(p: &mut Parser<'_>) {
    debug_assert!(p.at(IDENT));
    let m = p.start(NAME);
    p.bump();
    m.complete(p);
}

/// `PARAM_LIST = '(' (PARAM (',' PARAM)*)? ')'`, where `PARAM = IDENT | '...' | IDENT '...'` and
/// only the last parameter may be variadic.
fn param_list(p: &mut Parser<'_>) {
    let m = p.start(PARAM_LIST);
    p.bump(); // `(`
    if p.eat(T![')']) {
        m.complete(p);
        return;
    }
    param_list_body(p);
    p.end_param_list();
    m.complete(p);
}

/// The parameters and the closing `)` of a parameter list whose `(` was consumed.
fn param_list_body(p: &mut Parser<'_>) {
    loop {
        match p.current() {
            Some(IDENT | T![...]) => {
                let variadic = param(p);
                if p.eat(T![')']) {
                    break;
                }
                if p.at_line_end() {
                    p.error("missing ')' in macro parameter list");
                    break;
                }
                if variadic {
                    p.error("expected ')' after \"...\" in macro parameter list");
                }
                if !p.eat(T![,]) {
                    p.error("expected ',' or ')' in macro parameter list");
                    error_token(p);
                    // Resynchronise on the next separator, as one error per list is enough.
                    while !p.at_line_end() && !p.at(T![,]) && !p.at(T![')']) {
                        error_token(p);
                    }
                    if p.eat(T![')']) {
                        break;
                    }
                    p.eat(T![,]);
                }
            }
            None | Some(NEWLINE) => {
                p.error("missing ')' in macro parameter list");
                break;
            }
            Some(T![')']) => {
                p.error("expected parameter name, found ')'");
                p.bump();
                break;
            }
            Some(_) => {
                p.error("expected parameter name in macro parameter list");
                error_token(p);
                while !p.at_line_end() && !p.at(T![,]) && !p.at(T![')']) {
                    error_token(p);
                }
                if p.eat(T![')']) {
                    break;
                }
                p.eat(T![,]);
            }
        }
    }
}

/// One parameter; returns whether it is variadic (`...` or `name...`).
fn param(p: &mut Parser<'_>) -> bool {
    let m = p.start(PARAM);
    let variadic = if p.eat(T![...]) {
        true
    } else {
        p.note_param_name();
        p.bump();
        p.eat(T![...])
    };
    m.complete(p);
    variadic
}

/// Wraps the current token in an `ERROR` node.
fn error_token(p: &mut Parser<'_>) {
    let e = p.start(ERROR);
    p.bump();
    e.complete(p);
}

/// `UNDEF = '#' 'undef' NAME token* NEWLINE`. Extra tokens only draw a warning from GCC.
fn undef(p: &mut Parser<'_>) {
    let m = p.start(UNDEF);
    p.bump();
    p.bump();
    if p.at(IDENT) {
        name(p);
    } else if p.at_line_end() {
        p.error("macro name missing in #undef");
    } else {
        p.error("macro names must be identifiers");
    }
    p.bump_line();
    m.complete(p);
}

/// `INCLUDE = '#' 'include' (HEADER_NAME | STRING | COMPUTED_PATH) token* NEWLINE`.
fn include(p: &mut Parser<'_>, kind: SyntaxKind) {
    let m = p.start(kind);
    p.bump();
    p.bump();
    match p.current() {
        Some(T![<]) => {
            let h = p.start(HEADER_NAME);
            p.bump();
            while !p.at_line_end() && !p.at(T![>]) {
                p.bump();
            }
            if !p.eat(T![>]) {
                p.error("missing terminating > character");
            }
            h.complete(p);
        }
        Some(STRING) => p.bump(),
        None | Some(NEWLINE) => p.error("#include expects \"FILENAME\" or <FILENAME>"),
        Some(_) if p.at_unterminated_literal() => {
            p.error("missing terminating \" character");
            p.bump();
        }
        Some(_) => {
            let c = p.start(COMPUTED_PATH);
            p.bump_to_line_end();
            c.complete(p);
        }
    }
    p.bump_line();
    m.complete(p);
}

/// The directive line of a `BRANCH`: `'#' keyword CONDITION? token* NEWLINE`.
fn branch_line(p: &mut Parser<'_>, keyword: PpKeyword) {
    p.bump(); // `#`
    p.bump(); // the keyword
    match keyword {
        PpKeyword::If | PpKeyword::Elif => {
            if p.at_line_end() {
                p.error(if keyword == PpKeyword::If {
                    "#if with no expression"
                } else {
                    "#elif with no expression"
                });
            } else {
                let c = p.start(CONDITION);
                p.bump_to_line_end();
                c.complete(p);
            }
        }
        PpKeyword::Ifdef | PpKeyword::Ifndef | PpKeyword::Elifdef | PpKeyword::Elifndef => {
            if p.at(IDENT) {
                let c = p.start(CONDITION);
                name(p);
                c.complete(p);
            } else if p.at_line_end() {
                p.error("no macro name given in #ifdef/#ifndef directive");
            } else {
                p.error("macro names must be identifiers");
            }
        }
        _ => {}
    }
    // Extra tokens after `#else`, `#endif` or the macro name only draw a warning from GCC.
    p.bump_line();
}

/// An `#elif`, `#else` or `#endif` with no open `#if`: the line becomes an `ERROR` node.
fn stray_branch(p: &mut Parser<'_>, message: &'static str) {
    let m = p.start(ERROR);
    p.error(message);
    p.bump_line();
    m.complete(p);
}
