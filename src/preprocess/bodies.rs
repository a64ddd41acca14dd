//! Function-body elision for the declaration view of a translation unit.
//!
//! Layouts need only file-scope declarations, and more than half of a kernel translation unit's
//! tokens are the bodies of `static inline` functions. The engine still expands every macro in a
//! body (so `__COUNTER__`, `#define` inside bodies and `_Pragma` behave exactly as in GCC); this
//! filter only decides which expanded tokens are *emitted*. A file-scope function body becomes
//! `{ }`, and its end is found by counting braces in the expanded tokens, which is how the
//! compiler itself sees it.
//!
//! The filter is sound rather than complete: it elides only a `{` that must open a function body,
//! a `{` at file scope (no open brace or parenthesis) right after a `)` that closes a declarator's
//! parameter list: a group opened after an identifier that is not an attribute-like keyword, or
//! after another `)` (`void (*f(int))(long) {`). Any other `{` (struct and enum bodies,
//! initializers, `struct __attribute__((packed)) {`, compound literals) is emitted with
//! everything inside it.

use syntax::{SyntaxKind, T};

/// Keywords whose parenthesized operand can precede a `{` without being a parameter list.
const NOT_DECLARATORS: &[&str] = &[
    "__attribute__",
    "__attribute",
    "__declspec",
    "_Alignas",
    "alignas",
    "asm",
    "__asm",
    "__asm__",
    "typeof",
    "__typeof",
    "__typeof__",
    "typeof_unqual",
    "__typeof_unqual__",
    "_Atomic",
    "sizeof",
    "_Alignof",
    "__alignof",
    "__alignof__",
    "_Generic",
    "_Static_assert",
    "static_assert",
    "__extension__",
];

/// Tracks file-scope nesting over the emitted tokens and elides function bodies.
#[derive(Debug, Default)]
pub struct BodyElider {
    /// Open braces outside function bodies.
    braces: u32,
    /// For each open parenthesis: whether it may start a parameter list.
    parens: Vec<bool>,
    /// Whether the previous token was a `)` closing a possible parameter list at file scope.
    after_params: bool,
    /// Whether the previous token could introduce a parameter list (an ordinary identifier or `)`).
    prev_declarator_end: bool,
    /// Open braces inside the function body being elided (0: not in a body).
    body: u32,
    /// Function bodies elided so far.
    pub elided: u32,
}

impl BodyElider {
    /// Whether the last token kept or dropped was inside a function body (its opening brace
    /// counts as inside, its closing brace does not).
    pub fn in_body(&self) -> bool {
        self.body > 0
    }

    /// Whether to emit `kind`/`text` (a real token, not padding).
    pub fn keep(&mut self, kind: SyntaxKind, text: &str) -> bool {
        if self.body > 0 {
            if kind == T!['{'] {
                self.body += 1;
            } else if kind == T!['}'] {
                self.body -= 1;
                if self.body == 0 {
                    self.after_params = false;
                    self.prev_declarator_end = false;
                    return true;
                }
            }
            return false;
        }
        let after_params = std::mem::take(&mut self.after_params);
        let mut declarator_end = false;
        if kind == T!['('] {
            self.parens.push(self.prev_declarator_end);
        } else if kind == T![')'] {
            let opened_params = self.parens.pop().unwrap_or(false);
            self.after_params = opened_params && self.parens.is_empty() && self.braces == 0;
            declarator_end = true;
        } else if kind == T!['{'] {
            if after_params && self.parens.is_empty() && self.braces == 0 {
                self.body = 1;
                self.elided += 1;
            } else {
                self.braces += 1;
            }
        } else if kind == T!['}'] {
            self.braces = self.braces.saturating_sub(1);
        } else if kind == SyntaxKind::IDENT {
            declarator_end = !NOT_DECLARATORS.contains(&text);
        }
        self.prev_declarator_end = declarator_end;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::skeleton;

    /// The tokens of `src` that the elider emits, joined by spaces.
    fn elide(src: &str) -> String {
        let sk = skeleton::lower(src);
        let mut e = BodyElider::default();
        let kept: Vec<&str> = sk
            .tokens
            .iter()
            .filter(|t| !t.is_padding() && !t.is_eof())
            .filter(|t| e.keep(t.kind, &t.text))
            .map(|t| t.text.as_str())
            .collect();
        kept.join(" ")
    }

    #[test]
    fn function_bodies_become_empty() {
        assert_eq!(
            elide("static inline int f(int a) { if (a) { return 1; } return 0; } int x;"),
            "static inline int f ( int a ) { } int x ;"
        );
        assert_eq!(
            elide("void (*g(int))(long) { return 0; }"),
            "void ( * g ( int ) ) ( long ) { }"
        );
        assert_eq!(
            elide("int h(void) { ({ 1; }); } struct s { int a; };"),
            "int h ( void ) { } struct s { int a ; } ;"
        );
    }

    #[test]
    fn other_braces_are_kept() {
        for src in [
            "struct __attribute__((packed)) { int a; } x;",
            "struct s { int (*f)(void); struct { int b; } c; };",
            "int a[] = { 1, 2 };",
            "static struct s v = (struct s){ 1 };",
            "int v = ({ int t = 1; t; });",
            "enum e { A = sizeof(int) };",
            "_Alignas(8) { }",
            "int f(a) int a; { return a; }",
        ] {
            let want = skeleton::lower(src)
                .tokens
                .iter()
                .filter(|t| !t.is_padding() && !t.is_eof())
                .map(|t| t.text.to_string())
                .collect::<Vec<_>>()
                .join(" ");
            assert_eq!(elide(src), want, "{src}");
        }
    }
}
