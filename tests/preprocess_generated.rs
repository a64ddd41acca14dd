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
        let value = it
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        out.insert(name, value);
    }
    out
}

#[test]
fn regenerated_headers_equal_kbuilds() {
    let kernels = kernels_dir();
    let mut n_checked = 0;
    for &(prefix, base, flavour) in TREES {
        let src = kernels.join(prefix).join("usr/src");
        let base_dir = src.join(base);
        let flavour_dir = src.join(flavour);
        let predefined =
            dev_tree::gcc_predefined(dev_tree::kbuild_command(&base_dir).unwrap()).unwrap();
        let pre_ast = dev_tree::pre_ast_from_flavour(
            &base_dir,
            "probe.c",
            dev_tree::PROBE_C,
            predefined,
        )
        .unwrap();
        let config = ConfigFile::parse_bytes(
            ".config",
            &std::fs::read(flavour_dir.join(".config")).unwrap(),
        )
        .unwrap();
        let target = TargetConfig {
            options: config.options.clone().into(),
        };
        let skel = skeleton_cache(&pre_ast);
        let files = PreAstFiles::new(&pre_ast, &target, &skel, &layout_expert::decl::sizes::EngineSizes);
        for (which, rel) in [
            (GeneratedHeader::Autoconf, "include/generated/autoconf.h"),
            (GeneratedHeader::Bounds, "include/generated/bounds.h"),
            (GeneratedHeader::Timeconst, "include/generated/timeconst.h"),
        ] {
            let id = pre_ast.lookup(&format!("obj/{rel}")).unwrap();
            let ours = files
                .generated_text(id, which)
                .unwrap_or_else(|e| panic!("{flavour} {rel}: {e}"));
            let shipped = std::fs::read_to_string(flavour_dir.join(rel)).unwrap();
            let (ours, shipped) = (macros(&ours), macros(&shipped));
            assert!(
                shipped.len() > 5,
                "{flavour} {rel}: too few macros in the shipped header"
            );
            for (name, value) in &shipped {
                assert_eq!(ours.get(name), Some(value), "{flavour} {rel}: {name}");
            }
            assert_eq!(ours.len(), shipped.len(), "{flavour} {rel}: macro count");
            n_checked += shipped.len();
        }
    }
    eprintln!("{n_checked} macros checked");
}
