//! The declaration parser, resolver and layout engine on preprocessed C: every variable's
//! types and their closure are resolved and laid out; anything may be an error, nothing panics.
#![no_main]

use layout_expert::decl::{emitted_for_unit, tokens_from_gcc_e, DeclIndex, Resolver};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (tokens, _locs) = tokens_from_gcc_e(&text);
    let index = DeclIndex::build(&tokens);
    let mut resolver = Resolver::new(&tokens, &index).with_randstruct(data.first() == Some(&b'R'));
    let emitted = emitted_for_unit(&mut resolver);
    for (_, record) in &emitted.records {
        let _ = resolver.record_layout(record);
    }
});
