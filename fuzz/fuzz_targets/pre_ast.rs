//! The pre-AST file reader: a damaged or hostile file is an error, never a panic or an
//! allocation the file's size cannot justify; a file it accepts encodes back to the same bytes'
//! meaning.
#![no_main]

use layout_expert::pre_ast::format::{decode, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(pre) = decode(data) {
        let again = decode(&encode(&pre)).expect("what we encode decodes");
        assert_eq!(again, pre);
    }
});
