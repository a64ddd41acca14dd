//! The Volatility coverage list (`targets/volatility3-linux.coverage`) is honest: it covers every
//! type, member, enum and symbol `../shared/volatility/plugin-reads.json` records Volatility 3
//! 2.28.2 reading on a real 6.1 image, and every type, enum and symbol name in the pinned
//! Volatility source (`framework/plugins/linux/`, `framework/symbols/linux/` of the package in
//! the test virtualenv); and it lists nothing that neither source names.

#[path = "common/kernels.rs"]
mod kernels;
#[path = "common/vol3.rs"]
mod vol3;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use layout_expert::profile::volatility_coverage::Coverage;
use serde_json::Value;

fn plugin_reads() -> Value {
    let path = kernels::shared_kernels().parent().unwrap().join("volatility/plugin-reads.json");
    serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

fn named(name: &str) -> bool {
    !name.starts_with("unnamed_")
}

#[test]
fn coverage_list_covers_the_recorded_reads_and_nothing_else() {
    let reads = plugin_reads();
    let list = Coverage::builtin();
    let mut missing = Vec::new();
    for key in ["members", "checked_members"] {
        for (ty, members) in reads[key].as_object().unwrap() {
            if !named(ty) {
                continue;
            }
            match list.type_need(ty) {
                Some(need) => {
                    for m in strings(members) {
                        let listed = need.members.iter().find(|n| n.name == m);
                        // An existence check is listed as one, a read as a read.
                        if listed.is_none_or(|n| n.checked != (key == "checked_members")) {
                            missing.push(format!("{key}: {ty}.{m}"));
                        }
                    }
                }
                None if list.absent.iter().any(|(n, _)| n == ty) => {}
                None => missing.push(format!("{key}: type {ty}")),
            }
        }
    }
    for ty in strings(&reads["checked_user_types"]) {
        if list.type_need(&ty).is_none() && !list.absent.iter().any(|(n, _)| *n == ty) {
            missing.push(format!("checked_user_types: {ty}"));
        }
    }
    for ty in strings(&reads["missing_user_types"]) {
        if !list.absent.iter().any(|(n, _)| *n == ty) && !list.foreign.iter().any(|(n, _)| *n == ty)
        {
            missing.push(format!("missing_user_types: {ty}"));
        }
    }
    for ty in strings(&reads["user_types"]).into_iter().filter(|t| named(t)) {
        if list.type_need(&ty).is_none() && !list.template_types.contains(&ty) {
            missing.push(format!("user_types: {ty}"));
        }
    }
    for key in ["enums", "checked_enums"] {
        for e in strings(&reads[key]).into_iter().filter(|t| named(t)) {
            if !list.enums.contains(&e) && !list.template_enums.contains(&e) {
                missing.push(format!("{key}: {e}"));
            }
        }
    }
    for e in strings(&reads["checked_enums"]) {
        if !list.enums.contains(&e) {
            missing.push(format!("checked_enums (a primary entry): {e}"));
        }
    }
    for key in ["symbols", "checked_symbols", "missing_symbols"] {
        for s in strings(&reads[key]) {
            if !list.symbols.contains(&s) && !list.absent.iter().any(|(n, _)| *n == s) {
                missing.push(format!("{key}: {s}"));
            }
        }
    }
    let plugins = reads["plugins"].as_object().unwrap();
    for (plugin, what) in plugins {
        let types: Vec<String> =
            what["members"].as_object().unwrap().keys().filter(|t| named(t)).cloned().collect();
        if list.plugins.iter().find(|(p, _)| p == plugin).is_none_or(|(_, listed)| *listed != types)
        {
            missing.push(format!("plugin {plugin}: {types:?}"));
        }
    }
    assert!(
        missing.is_empty(),
        "the coverage list misses {} recorded read(s):\n{}",
        missing.len(),
        missing.join("\n")
    );

    // Nothing is listed that the recording does not hold (the source-only names are checked by
    // the next test).
    let recorded: BTreeSet<String> =
        ["user_types", "checked_user_types", "missing_user_types", "enums", "checked_enums"]
            .into_iter()
            .flat_map(|k| strings(&reads[k]))
            .collect();
    let source = source_names();
    let extra: Vec<&String> = list
        .types
        .iter()
        .map(|t| &t.name)
        .chain(&list.enums)
        .chain(&list.template_types)
        .chain(&list.template_enums)
        .filter(|n| !recorded.contains(*n) && !source.types.contains(*n))
        .collect();
    assert!(extra.is_empty(), "listed but neither recorded nor in Volatility's source: {extra:?}");
    let recorded_symbols: BTreeSet<String> = ["symbols", "checked_symbols", "missing_symbols"]
        .into_iter()
        .flat_map(|k| strings(&reads[k]))
        .collect();
    // A symbol a plugin names in a list of names (check_afinfo's `*_seq_ops`) is a string
    // literal of the source.
    let extra: Vec<&String> = list
        .symbols
        .iter()
        .filter(|s| !recorded_symbols.contains(*s) && !source.literals.contains(*s))
        .collect();
    assert!(
        extra.is_empty(),
        "symbols listed but neither recorded nor in Volatility's source: {extra:?}"
    );
    assert!(list.plugins.len() == plugins.len(), "plugins listed that the recording does not have");
}

#[test]
fn coverage_list_covers_the_volatility_source() {
    let list = Coverage::builtin();
    let source = source_names();
    // The extraction finds what it should (a broken pattern would find nothing and pass).
    for expected in
        ["task_struct", "maple_node", "inet6_ifaddr", "kthread", "mount", "printk_ringbuffer"]
    {
        assert!(
            source.types.contains(expected),
            "the source scan missed {expected}: {:?}",
            source.types
        );
    }
    for expected in ["init_task", "prb", "tk_core", "idt_table"] {
        assert!(source.symbols.contains(expected), "the source scan missed {expected}");
    }
    let missing: Vec<&String> = source.types.iter().filter(|t| !list.names_type(t)).collect();
    assert!(
        missing.is_empty(),
        "type names in Volatility's source that the list lacks: {missing:?}"
    );
    let missing: Vec<&String> = source
        .symbols
        .iter()
        .filter(|s| !list.symbols.contains(*s) && !list.absent.iter().any(|(n, _)| n == *s))
        .collect();
    assert!(
        missing.is_empty(),
        "symbol names in Volatility's source that the list lacks: {missing:?}"
    );
}

struct SourceNames {
    types: BTreeSet<String>,
    symbols: BTreeSet<String>,
    /// Every `"identifier"` string literal.
    literals: BTreeSet<String>,
}

/// The type, enum and symbol names the pinned Volatility's Linux plugins and symbol classes spell
/// out as string literals.
fn source_names() -> SourceNames {
    let python = vol3::python();
    let output = Command::new(&python)
        .args(["-c", "import volatility3, os; print(os.path.dirname(volatility3.__file__))"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let package = PathBuf::from(String::from_utf8(output.stdout).unwrap().trim());
    let version = Command::new(&python)
        .args(["-c", "import volatility3.framework as f; print(f.constants.PACKAGE_VERSION)"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        "2.28.2",
        "the test virtualenv has another Volatility"
    );
    let mut files = Vec::new();
    for dir in ["framework/plugins/linux", "framework/symbols/linux"] {
        python_files(&package.join(dir), &mut files);
    }
    assert!(files.len() > 40, "too few Volatility sources under {}", package.display());
    const TYPE_PREFIXES: [&str; 8] = [
        "BANG + \"",
        "BANG}",
        "get_type(\"",
        "has_type(\"",
        "set_type_class(\"",
        "optional_set_type_class(\"",
        "get_enumeration(\"",
        "has_enumeration(\"",
    ];
    const SYMBOL_PREFIXES: [&str; 4] = [
        "get_symbol(\"",
        "has_symbol(\"",
        "object_from_symbol(\"",
        "object_from_symbol(symbol_name=\"",
    ];
    let mut names =
        SourceNames { types: BTreeSet::new(), symbols: BTreeSet::new(), literals: BTreeSet::new() };
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for literal in text.split('"').skip(1).step_by(2) {
            if !literal.is_empty() && literal.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                names.literals.insert(literal.to_owned());
            }
        }
        for (prefixes, out) in
            [(&TYPE_PREFIXES[..], &mut names.types), (&SYMBOL_PREFIXES[..], &mut names.symbols)]
        {
            for prefix in prefixes {
                for (at, _) in text.match_indices(prefix) {
                    let rest = &text[at + prefix.len()..];
                    let end = rest
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(rest.len());
                    let name = &rest[..end];
                    if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) {
                        out.insert(name.to_owned());
                    }
                }
            }
        }
    }
    names
}

fn python_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            python_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "py") {
            out.push(path);
        }
    }
}
