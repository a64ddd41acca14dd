//! Test tooling around real Debian flavour directories: kbuild's recorded command lines, `gcc-12`
//! run with them (`-E` for the oracle, `-dM` for predefined macros), and a pre-AST built by the
//! real builder whose predefined macros come from that gcc, so the preprocessor is compared with
//! gcc under exactly the same macros. Test tooling, so outside the engine: integration tests,
//! benches and the library's own unit tests include this file by path.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use layout_expert::pre_ast::{
    build::{self, BuildInput},
    tree, PreAst,
};

/// kbuild's real command line for a module `probe.c`, recorded from `make M=... modules` in each
/// Debian flavour (templated: `{srctree}`, `{target}`, `{output}`), with `-c` replaced by `-E`.
pub const KBUILD_COMMANDS: &[(&str, &str)] = &[
    ("6.1-amd64", include_str!("kbuild_cmd/6.1-amd64.cmd")),
    ("6.1-cloud-amd64", include_str!("kbuild_cmd/6.1-cloud-amd64.cmd")),
    ("6.1-rt-amd64", include_str!("kbuild_cmd/6.1-rt-amd64.cmd")),
    ("6.12-amd64", include_str!("kbuild_cmd/6.12-amd64.cmd")),
    ("6.12-cloud-amd64", include_str!("kbuild_cmd/6.12-cloud-amd64.cmd")),
];

/// The recorded command for a flavour directory (`linux-headers-6.1.0-56-cloud-amd64` →
/// `6.1-cloud-amd64`), falling back to the plain amd64 flavour of the same kernel series.
pub fn kbuild_command(flavour: &Path) -> Result<&'static str, String> {
    let name = flavour.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let rest = name
        .strip_prefix("linux-headers-")
        .ok_or_else(|| format!("{name}: not a linux-headers flavour directory"))?;
    let mut parts = rest.split('.');
    let series = format!(
        "{}.{}",
        parts.next().unwrap_or(""),
        parts.next().unwrap_or("").split(|c: char| !c.is_ascii_digit()).next().unwrap_or("")
    );
    let flavour_kind = ["rt-amd64", "cloud-amd64", "amd64"]
        .into_iter()
        .find(|k| rest.ends_with(k))
        .unwrap_or("amd64");
    for key in [format!("{series}-{flavour_kind}"), format!("{series}-amd64")] {
        if let Some((_, cmd)) = KBUILD_COMMANDS.iter().find(|(k, _)| *k == key) {
            return Ok(cmd.trim());
        }
    }
    Err(format!("{name}: no recorded kbuild command for Linux {series}"))
}

/// Splits a command line into words as the shell would (single and double quotes, no expansion).
pub fn shell_words(cmd: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => cur.extend(chars.next()),
                        c => cur.push(c),
                    }
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// The words of a recorded command with its placeholders filled in.
pub fn command_words(cmd: &str, srctree: &Path, target: &Path, output: &Path) -> Vec<String> {
    shell_words(cmd)
        .into_iter()
        .map(|w| {
            w.replace("{srctree}", &srctree.to_string_lossy())
                .replace("{target}", &target.to_string_lossy())
                .replace("{output}", &output.to_string_lossy())
        })
        .collect()
}

/// The flags of a recorded command that change predefined macros: everything but include paths,
/// forced includes, warnings, debug info, the file names and `-E -o`.
pub fn macro_flags(cmd: &str) -> Vec<String> {
    let words = shell_words(cmd);
    let mut out = Vec::new();
    let mut i = 1;
    while i < words.len() {
        let w = &words[i];
        i += 1;
        if w == "-include" || w == "-o" {
            i += 1;
            continue;
        }
        if w.starts_with("-I")
            || w.starts_with("-W")
            || w.starts_with("-g")
            || w == "-E"
            || w == "-c"
            || !w.starts_with('-')
            || w.starts_with("-fmacro-prefix-map")
        {
            continue;
        }
        out.push(w.clone());
    }
    out
}

/// The source tree (kbuild's `srctree`) of a flavour directory, found as `build-pre-ast` finds it.
pub fn source_tree(flavour: &Path) -> Result<PathBuf, String> {
    Ok(tree::discover(flavour).map_err(|e| e.to_string())?.srctree)
}

/// The predefined macros of gcc-12 for a recorded kbuild command, its `-D`s included
/// (`gcc -dM` lists them with the built-in ones).
pub fn gcc_predefined(cmd: &str) -> Result<String, String> {
    let out = Command::new("gcc-12")
        .args(["-dM", "-E", "-x", "c", "/dev/null"])
        .args(macro_flags(cmd))
        .output()
        .map_err(|e| format!("cannot run gcc-12: {e}"))?;
    if !out.status.success() {
        return Err(format!("gcc-12 -dM -E failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    String::from_utf8(out.stdout).map_err(|_| "gcc output is not UTF-8".to_owned())
}

/// The pre-AST of a flavour directory with `target` as the main file, built by `build-pre-ast`'s
/// own builder; only the predefined macros differ: they are `gcc-12 -dM` under the flavour's
/// recorded kbuild command (`predefined`) instead of the shipped table and its config rules.
pub fn pre_ast_from_flavour(
    flavour: &Path,
    target_name: &str,
    target_text: &str,
    predefined: String,
) -> Result<PreAst, String> {
    let input = BuildInput {
        tree: tree::discover(flavour).map_err(|e| e.to_string())?,
        target_name: target_name.to_owned(),
        target_text: target_text.to_owned(),
        target_dir: None,
        force: false,
    };
    let (mut pre_ast, _, _) = build::build(&input).map_err(|e| e.to_string())?;
    pre_ast.predefined = predefined;
    pre_ast.compiler_in_predefined = true;
    pre_ast.flag_rules.clear();
    Ok(pre_ast)
}

/// A target for tests on whole trees: the headers forensic tools need most.
pub const PROBE_C: &str = "#include <linux/sched.h>\n#include <linux/fs.h>\n#include <linux/mm_types.h>\n#include <net/sock.h>\n#include <linux/module.h>\nstruct task_struct *probe_task;\n";
