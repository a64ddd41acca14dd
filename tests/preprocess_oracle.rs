//! The preprocessor's acceptance test: for each Debian tree, our token stream for the target
//! equals `gcc -E` with kbuild's real command line for the same object, ignoring whitespace and
//! line markers. The pre-AST is built once per kernel version from one flavour's tree; each other
//! flavour contributes only its `.config`.
//!
//! The kernel trees are the unpacked Debian header packages under `<repo>/target/kernels`
//! (`xtask::kernels` unpacks them on first use).

#[path = "support/dev_tree.rs"]
mod dev_tree;

#[path = "support/pp_trees.rs"]
mod pp_trees;
use pp_trees::{kernels_dir, TREES};

use std::path::Path;
use std::process::Command;

use layout_expert::config::ConfigFile;
use layout_expert::pre_ast::PreAst;
use layout_expert::preprocess::{
    output, preprocess, skeleton_cache, Preprocessed, TargetConfig, View,
};
use rustc_hash::FxHashMap;

/// gcc -E of the probe with the flavour's recorded kbuild command, run from the flavour dir.
fn gcc_reference(flavour: &Path, probe: &Path, out: &Path) -> String {
    let cmd = dev_tree::kbuild_command(flavour).unwrap();
    let src = dev_tree::source_tree(flavour).unwrap();
    let words = dev_tree::command_words(cmd, &src, probe, out);
    let status = Command::new("gcc-12")
        .args(&words[1..])
        .current_dir(flavour)
        .status()
        .expect("gcc-12 runs");
    assert!(status.success(), "gcc -E failed in {}", flavour.display());
    std::fs::read_to_string(out).unwrap()
}

fn describe_mismatch(
    ours: &[(String, Option<usize>)],
    gcc: &[String],
    pp: &Preprocessed,
) -> String {
    let n = ours.len().min(gcc.len());
    let i = (0..n).find(|&i| ours[i].0 != gcc[i]).unwrap_or(n);
    let ctx = |v: Vec<&str>| v.join(" ");
    let lo = i.saturating_sub(12);
    let mut msg = format!(
        "first difference at token {i} (ours {} tokens, gcc {}):\n  ours: ... {} [[{}]] {} ...\n  gcc:  ... {} [[{}]] {} ...\n",
        ours.len(),
        gcc.len(),
        ctx(ours[lo..i].iter().map(|t| t.0.as_str()).collect()),
        ours.get(i).map_or("<end>", |t| t.0.as_str()),
        ctx(ours[(i + 1).min(ours.len())..(i + 8).min(ours.len())].iter().map(|t| t.0.as_str()).collect()),
        ctx(gcc[lo..i].iter().map(|t| t.as_str()).collect()),
        gcc.get(i).map_or("<end>", |t| t.as_str()),
        ctx(gcc[(i + 1).min(gcc.len())..(i + 8).min(gcc.len())].iter().map(|t| t.as_str()).collect()),
    );
    if let Some(idx) =
        ours.get(i).and_then(|t| t.1).or_else(|| ours[..i].iter().rev().find_map(|t| t.1))
    {
        if let Some(run) = pp.run_of(idx) {
            msg.push_str(&format!(
                "  ours comes from {}:{}\n",
                pp.files[run.file as usize], run.line
            ));
        }
        for e in pp.expansion_chain(idx) {
            msg.push_str(&format!("  expanded from macro {e}\n"));
        }
        for c in pp.cond_chain(idx) {
            msg.push_str(&format!("  kept by {c}\n"));
        }
    }
    msg
}

/// Checks that `decl` is `gcc` with the inside of some `{ … }` groups left out, each a group at
/// file scope (no brace or parenthesis open) right after a `)`; returns how many were left out.
fn check_declaration_view(gcc: &[String], decl: &[String]) -> Result<usize, String> {
    let (mut g, mut d, mut elided) = (0, 0, 0);
    let (mut braces, mut parens) = (0i64, 0i64);
    while d < decl.len() {
        let Some(tok) = gcc.get(g) else {
            return Err(format!("longer than gcc's output ({} tokens)", gcc.len()));
        };
        if *tok != decl[d] {
            return Err(format!("gcc token {g} is {tok:?}, ours {d} is {:?}", decl[d]));
        }
        let body_left_out = tok == "{"
            && decl.get(d + 1).is_some_and(|t| t == "}")
            && gcc.get(g + 1).is_some_and(|t| t != "}");
        if body_left_out {
            if braces != 0 || parens != 0 || g == 0 || gcc[g - 1] != ")" {
                return Err(format!(
                    "a group left out at gcc token {g}, not a file-scope body after `)`"
                ));
            }
            let mut depth = 1;
            while depth > 0 {
                g += 1;
                match gcc.get(g).map(String::as_str) {
                    Some("{") => depth += 1,
                    Some("}") => depth -= 1,
                    Some(_) => {}
                    None => return Err("an unbalanced body".into()),
                }
            }
            // `g` is at the body's `}`, which ours keeps.
            d += 1;
            elided += 1;
        } else {
            match tok.as_str() {
                "{" => braces += 1,
                "}" => braces -= 1,
                "(" => parens += 1,
                ")" => parens -= 1,
                _ => {}
            }
        }
        g += 1;
        d += 1;
    }
    if g != gcc.len() {
        return Err(format!("ends at gcc token {g} of {}", gcc.len()));
    }
    Ok(elided)
}

#[test]
fn tokens_equal_gcc_e_on_debian_trees() {
    let kernels = kernels_dir();
    let tmp = std::env::temp_dir().join(format!("le-pp-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let probe = tmp.join("probe.c");
    // `LAYOUT_EXPERT_PP_TARGET=file.c` checks another target (for example the pre-AST's).
    let target_text = match std::env::var_os("LAYOUT_EXPERT_PP_TARGET") {
        Some(p) => std::fs::read_to_string(p).unwrap(),
        None => dev_tree::PROBE_C.to_owned(),
    };
    std::fs::write(&probe, &target_text).unwrap();
    let mut pre_asts: FxHashMap<String, PreAst> = FxHashMap::default();
    let mut failures = Vec::new();
    for &(prefix, base, flavour) in TREES {
        let src = kernels.join(prefix).join("usr/src");
        let base_dir = src.join(base);
        let flavour_dir = src.join(flavour);
        let pre_ast = pre_asts.entry(format!("{prefix}/{base}")).or_insert_with(|| {
            let predefined =
                dev_tree::gcc_predefined(dev_tree::kbuild_command(&base_dir).unwrap()).unwrap();
            dev_tree::pre_ast_from_flavour(&base_dir, "probe.c", &target_text, predefined).unwrap()
        });
        let config_text = std::fs::read(flavour_dir.join(".config")).unwrap();
        let config = ConfigFile::parse_bytes(".config", &config_text).unwrap();
        let target = TargetConfig { options: config.options.clone().into() };
        let skel = skeleton_cache(pre_ast);
        let pp = match preprocess(pre_ast, &target, &skel, View::Full) {
            Ok(pp) => pp,
            Err(e) => {
                failures.push(format!("{flavour}: our preprocessor failed: {e}"));
                continue;
            }
        };
        let out = tmp.join(format!("{flavour}.i"));
        let gcc = output::gcc_tokens(&gcc_reference(&flavour_dir, &probe, &out));
        let ours = output::our_tokens_indexed(&pp);
        let same = ours.len() == gcc.len() && ours.iter().zip(&gcc).all(|(a, b)| a.0 == *b);
        eprintln!("{flavour}: ours {} tokens, gcc {} tokens, equal: {same}", ours.len(), gcc.len());
        if !same {
            failures.push(format!("{flavour}: {}", describe_mismatch(&ours, &gcc, &pp)));
        }
        // The declaration view (what make-profile reads) is GCC's tokens with the inside of
        // file-scope function bodies left out, and nothing else.
        match preprocess(pre_ast, &target, &skel, View::Declarations) {
            Ok(decl) => match check_declaration_view(&gcc, &output::our_tokens(&decl)) {
                Ok(elided) if elided > 1000 => {
                    eprintln!("{flavour}: {elided} function bodies elided")
                }
                Ok(elided) => {
                    failures.push(format!("{flavour}: only {elided} function bodies elided"))
                }
                Err(e) => failures.push(format!("{flavour}: declaration view: {e}")),
            },
            Err(e) => {
                failures.push(format!("{flavour}: our preprocessor failed (declaration view): {e}"))
            }
        }
        // What `layout-expert preprocess` prints lexes back to the same tokens.
        let printed = output::gcc_tokens(&output::write_gcc_e(&pp));
        if printed.len() != ours.len() || printed.iter().zip(&ours).any(|(a, b)| *a != b.0) {
            let i = printed
                .iter()
                .zip(&ours)
                .position(|(a, b)| *a != b.0)
                .unwrap_or(printed.len().min(ours.len()));
            failures.push(format!(
                "{flavour}: the printed -E text re-lexes differently at token {i}: {:?} vs {:?}",
                printed.get(i),
                ours.get(i)
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
