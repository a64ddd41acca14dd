//! The symbol map reader on the real Debian 6.1 `System.map` from `../shared/kernels`.
//!
//! The expected addresses are read from the map's own text with a plain line search here, not
//! from our reader, and checked against values visible in the file (`_text` at the kernel's link
//! address). If `shared/` is missing the test fails and says where it looked.

use std::io::Read;
use std::path::PathBuf;

use layout_expert::profile::system_map::{SystemMap, REKALL_ADDRESS_MASK};

fn shared_kernels() -> PathBuf {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // A clone has `shared/` beside it; a worktree under `wt/` has it one level further up.
    let candidates = [repo.join("../shared/kernels"), repo.join("../../shared/kernels")];
    for candidate in &candidates {
        if candidate.join("System.map-6.1.0-56-amd64.gz").is_file() {
            return candidate.clone();
        }
    }
    panic!(
        "the real System.map is missing: looked for System.map-6.1.0-56-amd64.gz in {} and {}; \
         this test needs the project's shared/ directory beside the repository",
        candidates[0].display(),
        candidates[1].display()
    );
}

#[test]
fn real_system_map_of_debian_6_1() {
    let path = shared_kernels().join("System.map-6.1.0-56-amd64.gz");
    let map = SystemMap::read(&path).unwrap();

    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let lines = text.lines().count();
    assert_eq!(
        map.symbols.len(),
        lines,
        "System.map has no module symbols, so every line is a symbol"
    );
    assert_eq!(map.file_name, "System.map-6.1.0-56-amd64.gz");

    for name in
        ["_text", "init_task", "linux_banner", "tk_core", "init_top_pgt", "modules", "idt_table"]
    {
        let line = text.lines().rev().find(|l| l.split_whitespace().nth(2) == Some(name)).unwrap();
        let expected = u64::from_str_radix(line.split_whitespace().next().unwrap(), 16).unwrap();
        assert_eq!(map.address(name), Some(expected), "{name}");
    }
    assert_eq!(map.address("_text"), Some(0xffff_ffff_8100_0000));
    assert_eq!(map.address("_text").unwrap() & REKALL_ADDRESS_MASK, 0xffff_8100_0000);
}

#[test]
fn kallsyms_with_module_symbols() {
    let text = "ffffffff81000000 T _text\n\
                ffffffff82a1aa40 D init_task\n\
                ffffffffc06f5000 t ext4_fill_super\t[ext4]\n\
                ffffffffc06f6010 d ext4_fs_type\t[ext4]\n";
    let map = SystemMap::parse("kallsyms", text.as_bytes()).unwrap();
    assert_eq!(
        map.symbols.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["_text", "init_task"]
    );
    let err = SystemMap::parse("kallsyms", b"ffffffff81000000 T _text\nffffffffc06f5000 t x y z\n")
        .unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(err.to_string().starts_with("kallsyms:2: malformed symbol line"), "{err}");
}
