//! The lexer and the header parser: never panic, and the tree's text is the input, for any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parse = syntax::parse(&text);
    assert_eq!(parse.syntax_node().to_string(), text, "the tree is lossless");
});
