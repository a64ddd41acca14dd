//! Lexer tests: token shapes, splices, losslessness.

use expect_test::{expect, Expect};

use crate::{cooked, lex, SyntaxKind};

fn check_lex(input: &str, expect: Expect) {
    let lexed = lex(input);
    let mut out = String::new();
    let mut rebuilt = String::new();
    for i in 0..lexed.len() {
        let text = lexed.text(input, i);
        rebuilt.push_str(text);
        out.push_str(&format!("{:?} {:?}\n", lexed.kind(i), text));
    }
    for e in lexed.errors() {
        out.push_str(&format!("error at token {}: {:?}\n", e.token, e.kind));
    }
    assert_eq!(rebuilt, input, "the lexer must be lossless");
    expect.assert_eq(&out);
}

#[test]
fn punctuators_and_digraphs() {
    check_lex(
        "a->b ... <<= %:%: <: x->y##z",
        expect![[r###"
            IDENT "a"
            ARROW "->"
            IDENT "b"
            WHITESPACE " "
            DOT3 "..."
            WHITESPACE " "
            SHL_EQ "<<="
            WHITESPACE " "
            HASH2 "%:%:"
            WHITESPACE " "
            L_BRACK "<:"
            WHITESPACE " "
            IDENT "x"
            ARROW "->"
            IDENT "y"
            HASH2 "##"
            IDENT "z"
        "###]],
    );
}

#[test]
fn literals_numbers_identifiers() {
    check_lex(
        "L\"w\" u8\"s\\\"\" 'c' u'\\'' 0x1fUL 1e+5 .5 $x u8 __x86_64__ 1.2.3",
        expect![[r###"
            STRING "L\"w\""
            WHITESPACE " "
            STRING "u8\"s\\\"\""
            WHITESPACE " "
            CHAR "'c'"
            WHITESPACE " "
            CHAR "u'\\''"
            WHITESPACE " "
            PP_NUMBER "0x1fUL"
            WHITESPACE " "
            PP_NUMBER "1e+5"
            WHITESPACE " "
            PP_NUMBER ".5"
            WHITESPACE " "
            IDENT "$x"
            WHITESPACE " "
            IDENT "u8"
            WHITESPACE " "
            IDENT "__x86_64__"
            WHITESPACE " "
            PP_NUMBER "1.2.3"
        "###]],
    );
}

#[test]
fn splices_inside_and_between_tokens() {
    check_lex(
        "#define A(x) \\\n  fo\\\no /* c *\\\n/ x // y \\\n z\n-\\\n>",
        expect![[r###"
            HASH "#"
            IDENT "define"
            WHITESPACE " "
            IDENT "A"
            L_PAREN "("
            IDENT "x"
            R_PAREN ")"
            WHITESPACE " "
            LINE_SPLICE "\\\n"
            WHITESPACE "  "
            IDENT "fo\\\no"
            WHITESPACE " "
            BLOCK_COMMENT "/* c *\\\n/"
            WHITESPACE " "
            IDENT "x"
            WHITESPACE " "
            LINE_COMMENT "// y \\\n z"
            NEWLINE "\n"
            ARROW "-\\\n>"
        "###]],
    );
    assert_eq!(cooked("fo\\\no"), "foo");
    assert_eq!(cooked("a\\  \r\nb"), "ab");
}

#[test]
fn unterminated_things_are_tokens_with_errors() {
    check_lex(
        "#error don't\n/* open",
        expect![[r###"
            HASH "#"
            IDENT "error"
            WHITESPACE " "
            IDENT "don"
            UNKNOWN "'t"
            NEWLINE "\n"
            BLOCK_COMMENT "/* open"
            error at token 4: UnterminatedLiteral
            error at token 6: UnterminatedComment
        "###]],
    );
}

#[test]
fn crlf_and_stray_characters() {
    check_lex(
        "a\r\n@ `\\ b\\",
        expect![[r###"
            IDENT "a"
            NEWLINE "\r\n"
            UNKNOWN "@"
            WHITESPACE " "
            UNKNOWN "`"
            UNKNOWN "\\"
            WHITESPACE " "
            IDENT "b"
            UNKNOWN "\\"
        "###]],
    );
}

#[test]
fn every_kind_is_classified() {
    assert!(SyntaxKind::LINE_SPLICE.is_trivia());
    assert!(!SyntaxKind::IDENT.is_trivia());
    assert!(SyntaxKind::HASH2.is_punct());
    assert!(!SyntaxKind::IDENT.is_punct());
}
