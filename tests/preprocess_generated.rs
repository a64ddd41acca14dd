//! Config-derived headers: for each Debian flavour, autoconf.h, bounds.h and timeconst.h
//! regenerated from the flavour's `.config` (on the pre-AST of its kernel version) define the same
//! macros with the same values as the headers kbuild generated for that flavour.

#[path = "support/dev_tree.rs"]
mod dev_tree;

#[path = "support/pp_trees.rs"]
mod pp_trees;
use pp_trees::{kernels_dir, TREES};

use layout_expert::config::ConfigFile;
use layout_expert::pre_ast::GeneratedHeader;
use layout_expert::preprocess::{skeleton_cache, PreAstFiles, TargetConfig};
use rustc_hash::FxHashMap;

/// `#define NAME VALUE` lines (comments dropped), as a map.
fn macros(text: &str) -> FxHashMap<String, String> {
    let mut out = FxHashMap::default();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("#define ") else {
            continue;
        };
        let rest = rest.split("/*").next().unwrap_or("");
        let mut it = rest.splitn(2, char::is_whitespace);
        let name = it.next().unwrap_or("").to_owned();
        let value = it.next().unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ");
        out.insert(name, value);
    }
    out
}

/// Each test tree's flavour: its name and directory, the probe's pre-AST built from its kernel
/// version's base tree (with gcc-12's predefined macros for kbuild's flags), and its `.config`.
fn flavour_units(
) -> Vec<(&'static str, std::path::PathBuf, layout_expert::pre_ast::PreAst, TargetConfig)> {
    let kernels = kernels_dir();
    TREES
        .iter()
        .map(|&(prefix, base, flavour)| {
            let src = kernels.join(prefix).join("usr/src");
            let base_dir = src.join(base);
            let flavour_dir = src.join(flavour);
            let predefined =
                dev_tree::gcc_predefined(dev_tree::kbuild_command(&base_dir).unwrap()).unwrap();
            let pre_ast =
                dev_tree::pre_ast_from_flavour(&base_dir, "probe.c", dev_tree::PROBE_C, predefined)
                    .unwrap();
            let config = ConfigFile::parse_bytes(
                ".config",
                &std::fs::read(flavour_dir.join(".config")).unwrap(),
            )
            .unwrap();
            let target = TargetConfig { options: config.options.clone().into() };
            (flavour, flavour_dir, pre_ast, target)
        })
        .collect()
}

#[test]
fn regenerated_headers_equal_kbuilds() {
    let mut n_checked = 0;
    for (flavour, flavour_dir, pre_ast, target) in flavour_units() {
        let skel = skeleton_cache(&pre_ast);
        let files =
            PreAstFiles::new(&pre_ast, &target, &skel, &layout_expert::decl::sizes::EngineSizes);
        for (which, rel) in [
            (GeneratedHeader::Autoconf, "include/generated/autoconf.h"),
            (GeneratedHeader::Bounds, "include/generated/bounds.h"),
            (GeneratedHeader::Timeconst, "include/generated/timeconst.h"),
        ] {
            let id = pre_ast.lookup(&format!("obj/{rel}")).unwrap();
            let ours =
                files.generated_text(id, which).unwrap_or_else(|e| panic!("{flavour} {rel}: {e}"));
            let shipped = std::fs::read_to_string(flavour_dir.join(rel)).unwrap();
            let (ours, shipped) = (macros(&ours), macros(&shipped));
            assert!(shipped.len() > 5, "{flavour} {rel}: too few macros in the shipped header");
            for (name, value) in &shipped {
                assert_eq!(ours.get(name), Some(value), "{flavour} {rel}: {name}");
            }
            assert_eq!(ours.len(), shipped.len(), "{flavour} {rel}: macro count");
            n_checked += shipped.len();
        }
    }
    eprintln!("{n_checked} macros checked");
}

/// asm-offsets.h: every constant of every flavour's shipped copy, computed by our own engine
/// from the expression kbuild wrote in its comment, under the flavour's `.config`, on the pre-AST
/// of its kernel version (whose stored unit comes from another flavour's copy where they differ),
/// equals the value kbuild wrote.
#[test]
fn asm_offsets_values_equal_kbuilds() {
    use layout_expert::preprocess::engine::FileProvider;
    let mut n_checked = 0;
    for (flavour, flavour_dir, pre_ast, target) in flavour_units() {
        let skel = skeleton_cache(&pre_ast);
        let files =
            PreAstFiles::new(&pre_ast, &target, &skel, &layout_expert::decl::sizes::EngineSizes);
        let shipped =
            std::fs::read_to_string(flavour_dir.join("include/generated/asm-offsets.h")).unwrap();
        let entries = layout_expert::preprocess::generated::parse_bounds_h(&shipped);
        assert!(entries.len() > 50, "{flavour}: too few constants in the shipped asm-offsets.h");
        let mut wrong = Vec::new();
        for e in &entries {
            match files.asm_offset(&e.name) {
                Ok(v) if i128::from(v) == e.value => n_checked += 1,
                other => {
                    wrong.push(format!("{} = {} /* {} */: ours {other:?}", e.name, e.value, e.expr))
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "{flavour}: {} of {} asm-offsets.h values differ:\n{}",
            wrong.len(),
            entries.len(),
            wrong.join("\n")
        );
    }
    assert!(n_checked >= 300, "{n_checked}");
    eprintln!("asm-offsets.h: {n_checked} values equal kbuild's in {} flavours", TREES.len());
}

/// A header using an asm-offsets.h value gets the computed value (kbuild's 168 for
/// `sizeof(struct pt_regs)` on 6.1 amd64); a negative one (kbuild writes `-4096`, two tokens) is
/// an error naming it, not a wrong token.
#[test]
fn asm_offsets_values_expand_in_the_unit() {
    use layout_expert::preprocess::{output, preprocess, View};
    let kernels = kernels_dir();
    let (prefix, base, _) = TREES[0];
    let base_dir = kernels.join(prefix).join("usr/src").join(base);
    let predefined =
        dev_tree::gcc_predefined(dev_tree::kbuild_command(&base_dir).unwrap()).unwrap();
    let config =
        ConfigFile::parse_bytes(".config", &std::fs::read(base_dir.join(".config")).unwrap())
            .unwrap();
    let target = TargetConfig { options: config.options.clone().into() };
    let shipped =
        std::fs::read_to_string(base_dir.join("include/generated/asm-offsets.h")).unwrap();
    assert!(shipped.contains("#define PTREGS_SIZE 168 /* sizeof(struct pt_regs) */"));
    for (text, expect) in [
        ("#include <generated/asm-offsets.h>\nint s = PTREGS_SIZE;\n", Ok("int s = 168;")),
        (
            "#include <generated/asm-offsets.h>\nint m = MASK_entry_stack;\n",
            Err("MASK_entry_stack (from asm-offsets.h) is -4096"),
        ),
    ] {
        let pre_ast =
            dev_tree::pre_ast_from_flavour(&base_dir, "uses.c", text, predefined.clone()).unwrap();
        let skel = skeleton_cache(&pre_ast);
        match (preprocess(&pre_ast, &target, &skel, View::Full), expect) {
            (Ok(pp), Ok(line)) => assert!(output::write_gcc_e(&pp).contains(line), "{text}"),
            (Err(e), Err(msg)) => assert!(e.to_string().contains(msg), "{e}"),
            (got, _) => panic!("{text}: {:?}", got.map(|pp| output::write_gcc_e(&pp))),
        }
    }
}
