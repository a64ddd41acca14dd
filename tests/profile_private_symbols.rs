//! The well-known private symbols table (`profile::private_symbols`) is valid C for the kernels
//! it claims to cover: GCC accepts its fragment against the real Debian 6.1 and 6.12 header trees
//! (from `../shared/kernels`, unpacked once into `<repo>/target/profile-kernels/`), with kbuild's
//! include order, forced includes and defines, so the engine can parse and lay out the same text.
//! The layouts themselves are the engine's to compute; this test checks the declarations.

#[path = "common/kernels.rs"]
mod kernels;

use std::path::Path;

use layout_expert::profile::private_symbols;

fn gcc_accepts(common: &Path, flavour: &Path, source: &Path) -> Result<(), String> {
    kernels::kbuild_gcc(common, flavour, source, &["-fno-PIE", "-mcmodel=kernel", "-fsyntax-only"])
}

#[test]
fn private_symbols_fragment_compiles_against_debian_6_1_and_6_12_headers() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("profile_private_symbols");
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("private_symbols.c");
    // Each symbol is also used, so a wrong type would be a type error, not an unused declaration.
    let mut text = private_symbols::c_source();
    text.push_str("\nvoid *layout_expert_private_symbols[] = {\n");
    let mut names: Vec<&str> = private_symbols::PRIVATE_SYMBOLS.iter().map(|s| s.name).collect();
    names.dedup();
    for name in &names {
        text.push_str(&format!("\t(void *)&{name},\n"));
    }
    text.push_str("};\n");
    std::fs::write(&source, &text).unwrap();

    let (common, flavour) = kernels::debian_6_1();
    gcc_accepts(&common, &flavour, &source)
        .unwrap_or_else(|err| panic!("6.1 rejects the fragment:\n{err}"));

    let (common, flavour) = kernels::debian_6_12();
    gcc_accepts(&common, &flavour, &source)
        .unwrap_or_else(|err| panic!("6.12 rejects the fragment:\n{err}"));

    // The check can fail: a wrong type for a symbol is rejected.
    let wrong = dir.join("wrong.c");
    std::fs::write(
        &wrong,
        "#include <linux/list.h>\nextern struct list_head modules;\nextern struct idr modules;\n",
    )
    .unwrap();
    assert!(gcc_accepts(&common, &flavour, &wrong).is_err());
}
