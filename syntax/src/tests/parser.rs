//! Parser tests: every case under `test_data/parser/{ok,err}` is parsed and its tree and errors
//! are compared with the `.rast` dump next to it (`UPDATE_EXPECT=1` rewrites the dumps). Each case
//! also checks that the tree's text is the input, that the event stream is well formed, and that
//! `ok` cases have no errors while `err` cases have at least one.

use std::{
    fmt::Write,
    path::{Path, PathBuf},
};

use expect_test::expect_file;

use crate::{lex, parse, parse_events, Event, SyntaxKind};

/// The tree of `text` as an indented dump, followed by its errors.
fn dump(text: &str) -> (String, usize) {
    let parse = parse(text);
    let root = parse.syntax_node();
    assert_eq!(root.text().to_string(), text, "the tree must give the input back");
    check_events(text);
    let mut out = format!("{root:#?}");
    for error in parse.errors() {
        writeln!(out, "error {:?} (line {}): {}", error.range(), error.line(), error.message())
            .unwrap();
    }
    (out, parse.errors().len())
}

/// The event stream is balanced, starts with the root, and has one `Token` per significant token.
fn check_events(text: &str) {
    let lexed = lex(text);
    let events = parse_events(text, &lexed);
    assert_eq!(events.events().first(), Some(&Event::Start(SyntaxKind::HEADER_FILE)));
    let mut depth = 0i32;
    let mut tokens = Vec::new();
    for event in events.events() {
        match *event {
            Event::Start(_) => depth += 1,
            Event::Finish => {
                depth -= 1;
                assert!(depth >= 0, "more Finish than Start");
            }
            Event::Token(i) => tokens.push(i as usize),
            Event::Error(i) => assert!((i as usize) < events.errors().len()),
        }
    }
    assert_eq!(depth, 0, "unbalanced events");
    let significant: Vec<usize> =
        (0..lexed.len()).filter(|&i| !lexed.kind(i).is_inline_trivia()).collect();
    assert_eq!(tokens, significant, "every significant token appears once, in order");
}

fn cases(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/parser").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "h"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no cases in {}", dir.display());
    files
}

#[test]
fn parse_ok() {
    for path in cases("ok") {
        let text = std::fs::read_to_string(&path).unwrap();
        let (actual, errors) = dump(&text);
        expect_file![path.with_extension("rast")].assert_eq(&actual);
        assert_eq!(errors, 0, "{} must parse without errors", path.display());
    }
}

#[test]
fn parse_err() {
    for path in cases("err") {
        let text = std::fs::read_to_string(&path).unwrap();
        let (actual, errors) = dump(&text);
        expect_file![path.with_extension("rast")].assert_eq(&actual);
        assert!(errors > 0, "{} must have errors", path.display());
    }
}

/// Parses `text` and checks the invariants that hold for any input: the tree gives the text back
/// and the events are well formed.
fn check_invariants(text: &str) {
    let parse = parse(text);
    assert_eq!(parse.syntax_node().text().to_string(), text, "lossless on {text:?}");
    check_events(text);
    super::ast::call_every_accessor(text);
}

/// Every prefix of every case, every case with one byte removed, and every case with a
/// troublesome snippet inserted at each position: no panic (in the parser or in any typed
/// accessor), lossless, well-formed events.
#[test]
fn mutated_cases_keep_the_invariants() {
    const SNIPPETS: &[&str] = &["#", "\\\n", "\n", "(", ")", "\"", "'", "/*", "*/", "...", ","];
    let mut count = 0;
    for path in cases("ok").into_iter().chain(cases("err")) {
        let text = std::fs::read_to_string(&path).unwrap();
        let boundaries: Vec<usize> =
            (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
        for &i in &boundaries {
            check_invariants(&text[..i]);
            if i < text.len() {
                let next = boundaries.iter().copied().find(|&j| j > i).unwrap_or(text.len());
                check_invariants(&format!("{}{}", &text[..i], &text[next..]));
            }
            for snippet in SNIPPETS {
                check_invariants(&format!("{}{snippet}{}", &text[..i], &text[i..]));
            }
            count += 2 + SNIPPETS.len();
        }
    }
    assert!(count > 10_000, "only {count} inputs");
}

/// Conditionals nested beyond the limit are kept flat, so the tree's depth stays bounded and
/// nothing recurses 100,000 levels deep.
#[test]
fn very_deep_conditionals_are_flattened() {
    let depth = 100_000;
    let text = format!("{}int x;\n{}", "#if X\n".repeat(depth), "#endif\n".repeat(depth));
    let parse = parse(&text);
    assert_eq!(parse.syntax_node().text().len(), crate::TextSize::from(text.len() as u32));
    let too_deep = depth - crate::parser::MAX_CONDITIONAL_DEPTH;
    assert_eq!(parse.errors().len(), too_deep);
    assert!(parse.errors()[0].message().contains("nested too deeply"));
    assert_eq!(parse.errors()[0].line(), crate::parser::MAX_CONDITIONAL_DEPTH as u32 + 1);
    let (mut depth, mut max_depth) = (0, 0);
    for event in parse.syntax_node().preorder() {
        match event {
            rowan::WalkEvent::Enter(_) => {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            rowan::WalkEvent::Leave(_) => depth -= 1,
        }
    }
    // The root, two nodes per open group, and the innermost TEXT or ERROR line.
    assert_eq!(max_depth, 2 * crate::parser::MAX_CONDITIONAL_DEPTH + 2);
    check_events(&text);
}

#[test]
fn events_are_eight_bytes() {
    assert_eq!(std::mem::size_of::<Event>(), 8);
}

/// The event stream of a small file, as the engine sees it when it lowers a file without a
/// tree: trivia appear only as gaps between token indices.
#[test]
fn event_stream_walkthrough() {
    let text = "#ifdef A /* c */\n#define F(x) (x)\nint a;\n#endif\n";
    let lexed = lex(text);
    let events = parse_events(text, &lexed);
    let mut out = String::new();
    let mut depth = 0;
    for event in events.events() {
        match *event {
            Event::Start(kind) => {
                writeln!(out, "{}{kind:?}", "  ".repeat(depth)).unwrap();
                depth += 1;
            }
            Event::Finish => depth -= 1,
            Event::Token(i) => writeln!(
                out,
                "{}{i}: {:?} {:?}",
                "  ".repeat(depth),
                lexed.kind(i as usize),
                lexed.text(text, i as usize)
            )
            .unwrap(),
            Event::Error(i) => writeln!(out, "error {:?}", events.errors()[i as usize]).unwrap(),
        }
    }
    expect_test::expect![[r##"
        HEADER_FILE
          CONDITIONAL
            BRANCH
              0: HASH "#"
              1: IDENT "ifdef"
              CONDITION
                NAME
                  3: IDENT "A"
              6: NEWLINE "\n"
              DEFINE
                7: HASH "#"
                8: IDENT "define"
                NAME
                  10: IDENT "F"
                PARAM_LIST
                  11: L_PAREN "("
                  PARAM
                    12: IDENT "x"
                  13: R_PAREN ")"
                REPLACEMENT
                  15: L_PAREN "("
                  16: IDENT "x"
                  17: R_PAREN ")"
                18: NEWLINE "\n"
              TEXT
                19: IDENT "int"
                21: IDENT "a"
                22: SEMICOLON ";"
                23: NEWLINE "\n"
            BRANCH
              24: HASH "#"
              25: IDENT "endif"
              26: NEWLINE "\n"
    "##]]
    .assert_eq(&out);
}
