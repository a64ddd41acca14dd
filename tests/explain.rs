//! `explain`: our pahole view of each type against pahole itself, on objects GCC built.
//!
//! For each Debian tree the forensics target is built as a module by the tree's own kbuild and
//! gcc-12 (`xtask::oracle::build_module`, with the oracle's debug flags), and pahole (Debian's
//! `dwarves` package, which `.ci/run` installs) prints the object's types. Our side is the
//! pre-AST of the same tree's headers and the same `.config`, through `explain`. The texts must
//! be equal once whitespace is collapsed and our `//` annotations are removed: first for the
//! fifteen types forensics tools read most (`pahole -C TYPE`), then for every struct and union
//! pahole prints for the object.

#[path = "support/kernels.rs"]
mod kernels;

use std::{path::Path, process::Command, sync::Arc};

use layout_expert::{
    config::ConfigFile,
    db::RootDatabase,
    explain::{pahole::collapse_whitespace, Unit},
    pre_ast::{
        build::{self, BuildInput, BUILTIN_TARGET, BUILTIN_TARGET_NAME},
        tree, PreAst,
    },
};
use xtask::oracle;

const FORENSICS_TYPES: [&str; 15] = [
    "task_struct",
    "mm_struct",
    "sk_buff",
    "net_device",
    "page",
    "inode",
    "file",
    "dentry",
    "super_block",
    "cred",
    "vm_area_struct",
    "sock",
    "module",
    "files_struct",
    "signal_struct",
];

fn pre_ast_of(flavour: &Path) -> Arc<PreAst> {
    let tree = tree::discover(flavour).unwrap_or_else(|e| panic!("{}: {e}", flavour.display()));
    let input = BuildInput {
        tree,
        target_name: BUILTIN_TARGET_NAME.to_owned(),
        target_text: layout_expert::profile::private_symbols::builtin_target_text(BUILTIN_TARGET),
        target_dir: None,
        force: false,
    };
    let (pre_ast, _, _) = build::build(&input).unwrap_or_else(|e| panic!("{}: {e}", flavour.display()));
    Arc::new(pre_ast)
}

fn pahole(args: &[&str], object: &Path) -> String {
    let out = Command::new("pahole").args(args).arg(object).output().unwrap_or_else(|e| {
        panic!("cannot run pahole ({e}): install Debian's `dwarves` package (.ci/run does)")
    });
    assert!(out.status.success(), "pahole {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Our text as compared: `//` annotations removed, whitespace collapsed.
fn comparable(ours: &str) -> String {
    let without: Vec<&str> = ours.lines().map(|l| l.find("//").map_or(l, |i| &l[..i])).collect();
    collapse_whitespace(&without.join("\n"))
}

/// pahole's output for a whole object, one `(struct NAME | union NAME, text)` per type.
fn blocks(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let heading = line.strip_suffix(" {").filter(|h| {
            (h.starts_with("struct ") || h.starts_with("union ")) && h.split(' ').count() == 2
        });
        match heading {
            Some(h) => out.push((h.to_owned(), format!("{line}\n"))),
            None => {
                if let Some((_, text)) = out.last_mut() {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
    }
    out
}

struct TreeResult {
    name: String,
    forensics_equal: usize,
    all_equal: usize,
    all: usize,
    differences: Vec<String>,
}

fn check_tree(name: &str, pre_ast: &Arc<PreAst>, flavour: &Path) -> TreeResult {
    let build = oracle::build_module(flavour, &kernels::repo_root().join("targets/forensics.c"), &[])
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let config_path = flavour.join(".config");
    let config = ConfigFile::parse_bytes(&config_path.display().to_string(), &std::fs::read(&config_path).unwrap())
        .unwrap();
    let db = RootDatabase::default();
    let unit = Unit::new(&db, pre_ast, &config).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut result =
        TreeResult { name: name.to_owned(), forensics_equal: 0, all_equal: 0, all: 0, differences: Vec::new() };
    let mut compare = |what: &str, theirs: &str| -> bool {
        let ours = match unit.pahole(what) {
            Ok(text) => comparable(&text),
            Err(e) => format!("error: {e}"),
        };
        let theirs = collapse_whitespace(theirs);
        if ours == theirs {
            return true;
        }
        let at = ours.bytes().zip(theirs.bytes()).take_while(|(a, b)| a == b).count();
        let from = at.saturating_sub(80);
        result.differences.push(format!(
            "{name} {what}: differs at byte {at}\n  pahole: …{}\n  ours:   …{}",
            theirs.get(from..(at + 80).min(theirs.len())).unwrap_or(""),
            ours.get(from..(at + 80).min(ours.len())).unwrap_or(""),
        ));
        false
    };
    for ty in FORENSICS_TYPES {
        let theirs = pahole(&["-C", ty], &build.object);
        assert!(theirs.contains('{'), "{name}: pahole knows no {ty}");
        if compare(ty, &theirs) {
            result.forensics_equal += 1;
        }
    }
    for (what, theirs) in blocks(&pahole(&[], &build.object)) {
        result.all += 1;
        if compare(&what, &theirs) {
            result.all_equal += 1;
        }
    }
    result
}

#[test]
fn pahole_view_equals_pahole_on_gcc_built_objects() {
    let t61 = kernels::debian_tree("6.1-amd64");
    let t61_cloud = kernels::debian_tree("6.1-cloud-amd64");
    let t612 = kernels::debian_tree("6.12-amd64");
    let p61 = pre_ast_of(&t61);
    let p612 = pre_ast_of(&t612);
    let results = [
        check_tree("6.1-amd64", &p61, &t61),
        check_tree("6.1-cloud-amd64", &p61, &t61_cloud),
        check_tree("6.12-amd64", &p612, &t612),
    ];
    let mut table = String::from("tree              forensics types   all types\n");
    for r in &results {
        table.push_str(&format!(
            "{:<17} {:>2}/{:<2}             {}/{}\n",
            r.name,
            r.forensics_equal,
            FORENSICS_TYPES.len(),
            r.all_equal,
            r.all
        ));
    }
    println!("{table}");
    let differences: Vec<&String> = results.iter().flat_map(|r| &r.differences).collect();
    for r in &results {
        // pahole printed the whole object: hundreds of types, not a handful.
        assert!(r.all > 500, "{table}");
    }
    assert!(differences.is_empty(), "{table}\n{}", differences.iter().take(20).map(|d| d.as_str()).collect::<Vec<_>>().join("\n"));
}
