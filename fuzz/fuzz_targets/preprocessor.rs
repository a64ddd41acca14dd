//! The preprocessor on a two-file unit: the input up to a `//--` line is the target
//! (`target/t.c`), the rest the header `<a.h>` (`src/include/a.h`). Includes of either (cycles),
//! macro-expansion bombs and deep nesting must end, in bounded time and memory, in tokens or an
//! error.
#![no_main]

use std::sync::Arc;

use layout_expert::{
    pre_ast::{FileId, FileKind, Metadata, PreAst, PreAstFile},
    preprocess::{preprocess, skeleton_cache, TargetConfig, View},
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (target, header) = text.split_once("\n//--\n").unwrap_or((&text, ""));
    let file = |path: &str, text: &str| PreAstFile {
        path: path.to_owned(),
        text: Arc::from(text),
        kind: FileKind::Source,
    };
    let mut pre = PreAst::new(
        Metadata::default(),
        vec![file("target/t.c", target), file("src/include/a.h", header)],
        vec!["src/include".to_owned()],
    );
    pre.target = Some(FileId(0));
    let config = TargetConfig {
        options: Arc::from(vec![("CONFIG_X86_64".into(), "1".into())]),
    };
    for view in [View::Full, View::Declarations] {
        let _ = preprocess(&pre, &config, &skeleton_cache(&pre), view);
    }
});
