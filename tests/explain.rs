//! `explain`: our pahole view of each type against pahole itself, on objects GCC built.
//!
//! For each of the five Debian trees the forensics target is built as a module by the tree's own kbuild and
//! gcc-12 (`xtask::oracle::build_module`, with the oracle's debug flags), and pahole (Debian's
//! `dwarves` package, which `.ci/run` installs) prints the object's types. Our side is the
//! pre-AST of the same tree's headers and the same `.config`, through `explain`. The texts must
//! be equal once whitespace is collapsed and our `//` annotations are removed: first for the
//! fifteen types forensics tools read most (`pahole -C TYPE`, with and without `--why`), then
//! for every struct and union pahole prints for the object, and ten typedefs.
//!
//! `why` checks the provenance on fixtures whose line numbers are facts of the fixture text.

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

/// Typedef names (`pahole -C` prints the typedef: the anonymous record inline, or one line).
const TYPEDEFS: [&str; 10] = [
    "atomic_t",
    "atomic_long_t",
    "pgd_t",
    "spinlock_t",
    "kuid_t",
    "seqcount_spinlock_t",
    "rwlock_t",
    "cpumask_t",
    "refcount_t",
    "wait_queue_head_t",
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
    let (pre_ast, _, _) =
        build::build(&input).unwrap_or_else(|e| panic!("{}: {e}", flavour.display()));
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
    let build =
        oracle::build_module(flavour, &kernels::repo_root().join("targets/forensics.c"), &[])
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    let config_path = flavour.join(".config");
    let config = ConfigFile::parse_bytes(
        &config_path.display().to_string(),
        &std::fs::read(&config_path).unwrap(),
    )
    .unwrap();
    let db = RootDatabase::default();
    let unit = Unit::new(&db, pre_ast, &config).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut result = TreeResult {
        name: name.to_owned(),
        forensics_equal: 0,
        all_equal: 0,
        all: 0,
        differences: Vec::new(),
    };
    let mut compare = |what: &str, theirs: &str, why: bool| -> bool {
        let ours = match unit.text(what, why) {
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
        // With `--why` too: the annotations are `//` comments that leave pahole's lines intact.
        if compare(ty, &theirs, false) & compare(ty, &theirs, true) {
            result.forensics_equal += 1;
        }
    }
    for ty in TYPEDEFS {
        let theirs = pahole(&["-C", ty], &build.object);
        assert!(theirs.starts_with("typedef "), "{name}: pahole knows no typedef {ty}");
        result.all += 1;
        if compare(ty, &theirs, false) {
            result.all_equal += 1;
        }
    }
    for (what, theirs) in blocks(&pahole(&[], &build.object)) {
        result.all += 1;
        if compare(&what, &theirs, false) {
            result.all_equal += 1;
        }
    }
    result
}

#[test]
fn pahole_view_equals_pahole_on_gcc_built_objects() {
    let t61 = kernels::debian_tree("6.1-amd64");
    let t61_cloud = kernels::debian_tree("6.1-cloud-amd64");
    let t61_rt = kernels::debian_tree("6.1-rt-amd64");
    let t612 = kernels::debian_tree("6.12-amd64");
    let t612_cloud = kernels::debian_tree("6.12-cloud-amd64");
    let p61 = pre_ast_of(&t61);
    let p61_rt = pre_ast_of(&t61_rt);
    let p612 = pre_ast_of(&t612);
    let results = [
        check_tree("6.1-amd64", &p61, &t61),
        check_tree("6.1-cloud-amd64", &p61, &t61_cloud),
        check_tree("6.1-rt-amd64", &p61_rt, &t61_rt),
        check_tree("6.12-amd64", &p612, &t612),
        check_tree("6.12-cloud-amd64", &p612, &t612_cloud),
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
    assert!(
        differences.is_empty(),
        "{table}\n{}",
        differences.iter().take(20).map(|d| d.as_str()).collect::<Vec<_>>().join("\n")
    );
}

/// Member names and byte offsets pahole prints for a type (every nesting level).
fn pahole_members(text: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((decl, comment)) = line.split_once("/*") else {
            continue;
        };
        let decl = decl.trim_end();
        let Some(decl) = decl.strip_suffix(';') else {
            continue;
        };
        let decl = decl.split(" __attribute__").next().unwrap_or(decl);
        let decl = decl.split(':').next().unwrap_or(decl).trim_end();
        let decl = decl.split('[').next().unwrap_or(decl);
        let name: String = decl
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<String>()
            .chars()
            .rev()
            .collect();
        let offset = comment.split(|c: char| c == ':' || c.is_whitespace()).find(|w| !w.is_empty());
        if let (false, Some(Ok(offset))) = (name.is_empty(), offset.map(str::parse::<u64>)) {
            out.push((name, offset));
        }
    }
    out
}

/// `--diff-config` on the 6.1 amd64 and cloud configurations: the members in one layout only are
/// exactly those pahole shows in one object only, moved members are where pahole puts them in
/// both, the sizes are pahole's, and every deciding option has different values in the two
/// `.config` files.
#[test]
fn diff_config_agrees_with_pahole_on_both_objects() {
    use layout_expert::{explain::diff, preprocess::PreAstInput};
    let t61 = kernels::debian_tree("6.1-amd64");
    let t61_cloud = kernels::debian_tree("6.1-cloud-amd64");
    let p61 = pre_ast_of(&t61);
    let source = kernels::repo_root().join("targets/forensics.c");
    let read = |tree: &Path| {
        let path = tree.join(".config");
        (
            ConfigFile::parse_bytes(&path.display().to_string(), &std::fs::read(&path).unwrap())
                .unwrap(),
            std::fs::read_to_string(&path).unwrap(),
        )
    };
    let ((ca, text_a), (cb, text_b)) = (read(&t61), read(&t61_cloud));
    let db = RootDatabase::default();
    let input = PreAstInput::from_pre_ast(&db, Arc::clone(&p61));
    let (ua, ub) = (Unit::new_in(&db, input, &ca).unwrap(), Unit::new_in(&db, input, &cb).unwrap());
    let obj_a = oracle::build_module(&t61, &source, &[]).unwrap();
    let obj_b = oracle::build_module(&t61_cloud, &source, &[]).unwrap();
    let config_line = |text: &str, option: &str| {
        text.lines()
            .find(|l| {
                l.starts_with(&format!("{option}=")) || *l == format!("# {option} is not set")
            })
            .map(str::to_owned)
    };
    let mut checked = 0;
    for ty in [
        "task_struct",
        "mm_struct",
        "sk_buff",
        "net_device",
        "inode",
        "super_block",
        "sock",
        "module",
    ] {
        let (pa, pb) = (pahole(&["-C", ty], &obj_a.object), pahole(&["-C", ty], &obj_b.object));
        let (ma, mb) = (pahole_members(&pa), pahole_members(&pb));
        let d = diff::diff(&ua, &ub, ty).unwrap();
        let size = |text: &str| {
            text.lines()
                .find_map(|l| l.trim().strip_prefix("/* size: "))
                .and_then(|r| r.split(',').next())
                .map(|n| n.parse::<u64>().unwrap())
        };
        assert_eq!((Some(d.size_bytes.0), Some(d.size_bytes.1)), (size(&pa), size(&pb)), "{ty}");
        let names = |m: &[(String, u64)]| {
            m.iter().map(|(n, _)| n.clone()).collect::<std::collections::BTreeSet<_>>()
        };
        let (na, nb) = (names(&ma), names(&mb));
        // Members of the type itself (`outer.inner` ones belong to records used by value, which
        // pahole shows under their own names).
        let direct = |only: &[diff::OnlyIn]| -> std::collections::BTreeSet<String> {
            only.iter().filter(|o| !o.path.contains('.')).map(|o| o.path.clone()).collect()
        };
        let (ours_a, ours_b) = (direct(&d.only_a), direct(&d.only_b));
        assert_eq!(ours_a, na.difference(&nb).cloned().collect(), "{ty}: only under amd64");
        assert_eq!(ours_b, nb.difference(&na).cloned().collect(), "{ty}: only under cloud");
        // (pahole shows a bitfield at its storage unit; we report its own bits.)
        for c in d.moved.iter().filter(|c| !c.path.contains('.') && c.size_bits.0 % 8 == 0) {
            let at = |m: &[(String, u64)]| m.iter().find(|(n, _)| *n == c.path).map(|(_, o)| *o);
            assert_eq!(
                (at(&ma), at(&mb)),
                (Some(c.offset_bits.0 / 8), Some(c.offset_bits.1 / 8)),
                "{ty}: {}",
                c.path
            );
        }
        for o in d.only_a.iter().chain(&d.only_b) {
            assert!(!o.options.is_empty(), "{ty}: no option decides {}: {o:?}", o.path);
            for opt in &o.options {
                let name = opt.split(' ').next().unwrap();
                assert_ne!(config_line(&text_a, name), config_line(&text_b, name), "{ty}: {name}");
            }
        }
        checked += d.only_a.len() + d.only_b.len();
        if ty == "task_struct" {
            // The cloud kernel's task_struct is 64 bytes smaller, and an option says why.
            assert!(
                d.accounts.iter().any(|(opt, _, _)| opt.starts_with("CONFIG_X86_MCE")),
                "{d:?}"
            );
            println!("{}", diff::render(&d, "6.1 amd64", "6.1 cloud"));
        }
    }
    assert!(checked > 10, "{checked}");
}

/// The command as users run it: `--live` finds the pre-AST and config of the running system
/// (here a fake root) and prints what pahole prints for GCC's object; an unknown type is a clear
/// error with the closest names and a non-zero exit.
#[test]
fn cli_live_and_errors() {
    let flavour = kernels::debian_tree("6.1-amd64");
    let dir = kernels::repo_root().join("target/test-scratch/explain-live");
    let _ = std::fs::remove_dir_all(&dir);
    let (root, pre_asts) = (dir.join("root"), dir.join("pre-asts"));
    for d in [root.join("proc/sys/kernel"), root.join("boot"), pre_asts.clone()] {
        std::fs::create_dir_all(d).unwrap();
    }
    let release = "6.1.0-56-amd64";
    std::fs::write(root.join("proc/sys/kernel/osrelease"), format!("{release}\n")).unwrap();
    std::fs::write(
        root.join("proc/version"),
        format!("Linux version {release} (debian-kernel@lists.debian.org) #1 SMP\n"),
    )
    .unwrap();
    std::fs::write(root.join("proc/kallsyms"), "ffffffff81000000 T _text\n").unwrap();
    std::fs::copy(flavour.join(".config"), root.join(format!("boot/config-{release}"))).unwrap();
    let pre_ast_path = pre_asts.join(format!("{release}.pre-ast"));
    std::fs::write(&pre_ast_path, layout_expert::pre_ast::format::encode(&pre_ast_of(&flavour)))
        .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_layout-expert")).args(args).output().unwrap()
    };
    let o = run(&[
        "-q",
        "explain",
        "--live",
        "--root",
        root.to_str().unwrap(),
        "--pre-ast-dir",
        pre_asts.to_str().unwrap(),
        "cred",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let build =
        oracle::build_module(&flavour, &kernels::repo_root().join("targets/forensics.c"), &[])
            .unwrap();
    assert_eq!(
        comparable(&String::from_utf8(o.stdout).unwrap()),
        collapse_whitespace(&pahole(&["-C", "cred"], &build.object))
    );
    let config = flavour.join(".config");
    let o = run(&[
        "-q",
        "explain",
        "--config-file",
        config.to_str().unwrap(),
        pre_ast_path.to_str().unwrap(),
        "task_strct",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no struct, union or typedef named `task_strct`")
            && err.contains("struct task_struct"),
        "{err}"
    );
    let o = run(&[
        "-q",
        "explain",
        "--config-file",
        config.to_str().unwrap(),
        pre_ast_path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("give at least one TYPE"));
}

mod why {
    use std::sync::Arc;

    use layout_expert::{
        config::ConfigFile,
        db::RootDatabase,
        explain::Unit,
        pre_ast::{FileId, FileKind, GeneratedHeader, Metadata, PreAst, PreAstFile},
    };

    /// A pre-AST of in-memory files: the target, headers under `src/include`, and autoconf.h
    /// (regenerated from the config).
    fn unit(files: &[(&str, &str)], config: &str) -> Unit {
        let mut all: Vec<PreAstFile> = files
            .iter()
            .map(|(path, text)| PreAstFile {
                path: (*path).into(),
                text: (*text).into(),
                kind: FileKind::Source,
            })
            .collect();
        all.push(PreAstFile {
            path: "obj/include/generated/autoconf.h".into(),
            text: "#define CONFIG_STORED 1\n".into(),
            kind: FileKind::ConfigDerived(GeneratedHeader::Autoconf),
        });
        let mut pre_ast =
            PreAst::new(Metadata::default(), all, vec!["src/include".into(), "obj/include".into()]);
        pre_ast.target = Some(FileId(0));
        let config = ConfigFile::parse_bytes(".config", config.as_bytes()).unwrap();
        let db = RootDatabase::default();
        Unit::new(&db, &Arc::new(pre_ast), &config).unwrap()
    }

    const TARGET: &str = "#include <generated/autoconf.h>\n#include <linux/a.h>\nstruct s v;\n#ifdef CONFIG_B\nstruct t w;\n#endif\nstruct half h;\nstruct alt a;\n";

    // Line numbers below are this fixture's own.
    const A_H: &str = "\
#define DECLARE_PAIR(n) int n##_lo; int n##_hi
#ifdef CONFIG_B
#include <linux/b.h>
#endif
struct s {
\tint always;
#ifdef CONFIG_A
#ifdef CONFIG_B
\tlong a_and_b;
#else
\tlong a_not_b;
#endif
#endif
#if defined(CONFIG_C)
\tchar c;
#elif defined(CONFIG_D)
\tshort d;
#else
\tint neither;
#endif
\tDECLARE_PAIR(pair);
};
#ifdef CONFIG_E
struct e { int x; };
#endif
struct half { char c;
#pragma pack(2)
int i; };
struct alt {
#ifdef CONFIG_A
	int x;
#else
	long x;
#endif
};
";

    const B_H: &str = "struct t {\n\tint from_b;\n};\n";

    fn files() -> Vec<(&'static str, &'static str)> {
        vec![("target/t.c", TARGET), ("src/include/linux/a.h", A_H), ("src/include/linux/b.h", B_H)]
    }

    #[test]
    fn members_name_their_site_macro_and_conditions() {
        let unit = unit(&files(), "CONFIG_A=y\nCONFIG_B=y\nCONFIG_D=y\n");
        let (view, _) = unit.explain("s").unwrap();
        let why = unit.why();
        let names: Vec<&str> = view.members.iter().map(|m| m.name.as_deref().unwrap()).collect();
        assert_eq!(names, ["always", "a_and_b", "d", "pair_lo", "pair_hi"]);
        let origin = |i: usize| why.member(&view.members[i]);
        assert_eq!(origin(0).site.as_deref(), Some("include/linux/a.h:6"));
        assert!(origin(0).conditions.is_empty(), "{:?}", origin(0));
        // Nested #ifdefs, outermost first.
        assert_eq!(
            origin(1).conditions,
            ["#ifdef CONFIG_A (include/linux/a.h:7)", "#ifdef CONFIG_B (include/linux/a.h:8)"]
        );
        assert_eq!(origin(1).site.as_deref(), Some("include/linux/a.h:9"));
        // The taken #elif of a chain.
        assert_eq!(origin(2).conditions.len(), 1, "{:?}", origin(2));
        assert!(origin(2).conditions[0].starts_with("#elif defined(CONFIG_D)"), "{:?}", origin(2));
        assert!(origin(2).conditions[0].ends_with("(include/linux/a.h:16)"), "{:?}", origin(2));
        // A member a macro generated: the invocation's line, and the macro with its definition.
        assert_eq!(origin(3).site.as_deref(), Some("include/linux/a.h:21"));
        assert_eq!(origin(3).macros, ["DECLARE_PAIR (defined at include/linux/a.h:1)"]);
        assert_eq!(origin(4).macros, ["DECLARE_PAIR (defined at include/linux/a.h:1)"]);
    }

    #[test]
    fn members_of_a_conditionally_included_file_name_the_include_condition() {
        let unit = unit(&files(), "CONFIG_B=y\n");
        let (view, _) = unit.explain("struct t").unwrap();
        let origin = unit.why().member(&view.members[0]);
        assert_eq!(origin.site.as_deref(), Some("include/linux/b.h:2"));
        assert_eq!(origin.conditions, ["included under #ifdef CONFIG_B (include/linux/a.h:2)"]);
        // Without CONFIG_B the type does not exist here.
        let unit = self::unit(&files(), "CONFIG_A=y\n");
        assert!(unit.explain("t").is_err());
    }

    #[test]
    fn removed_members_name_the_conditions_and_options_that_bring_them_back() {
        let unit = unit(&files(), "CONFIG_A=y\nCONFIG_B=y\nCONFIG_D=y\n");
        let (_, body) = unit.explain("s").unwrap();
        let removed = unit.why().removed(body.unwrap());
        let names: Vec<&str> = removed.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a_not_b", "c", "neither"]);
        assert_eq!(removed[0].site, "include/linux/a.h:11");
        assert_eq!(
            removed[0].needs,
            ["#ifdef CONFIG_A (include/linux/a.h:7)", "not #ifdef CONFIG_B (include/linux/a.h:8)"]
        );
        assert_eq!(removed[0].options, ["CONFIG_A=y", "CONFIG_B=y"]);
        assert_eq!(removed[1].needs, ["#if defined(CONFIG_C) (include/linux/a.h:14)"]);
        assert_eq!(removed[1].options, ["CONFIG_C is not set"]);
        assert_eq!(
            removed[2].needs,
            ["not #if defined(CONFIG_C) (include/linux/a.h:14), not #elif defined(CONFIG_D) (include/linux/a.h:16)"]
        );
        // Under another configuration the same members are kept and others removed.
        let unit = self::unit(&files(), "CONFIG_C=y\n");
        let (view, body) = unit.explain("s").unwrap();
        let kept: Vec<&str> = view.members.iter().map(|m| m.name.as_deref().unwrap()).collect();
        assert_eq!(kept, ["always", "c", "pair_lo", "pair_hi"]);
        let removed: Vec<String> =
            unit.why().removed(body.unwrap()).into_iter().map(|r| r.name).collect();
        assert_eq!(removed, ["a_and_b", "a_not_b", "d", "neither"]);
    }

    #[test]
    fn holes_padding_and_forced_alignments_name_their_cause() {
        let header = "\
#define SHIFT CONFIG_SHIFT
#define cache_aligned __attribute__((__aligned__(1 << SHIFT)))
struct inner { int v; } cache_aligned;
struct h {
\tchar c;
\tint i;
\tlong l __attribute__((aligned(16)));
\tstruct inner x;
\tchar tail;
};
";
        let target = "#include <generated/autoconf.h>\n#include <linux/h.h>\nstruct h v;\n";
        let unit =
            unit(&[("target/t.c", target), ("src/include/linux/h.h", header)], "CONFIG_SHIFT=6\n");
        let (view, body) = unit.explain("h").unwrap();
        let why = unit.why();
        let m = |name: &str| view.members.iter().find(|m| m.name.as_deref() == Some(name)).unwrap();
        // `int` after `char`: its natural alignment (4 bytes on x86-64).
        assert_eq!(why.hole_cause(m("i"), 4), "`i` needs its type's natural alignment of 4 bytes");
        // An attribute on the member itself.
        let l = why.hole_cause(m("l"), 16);
        assert!(
            l.starts_with(
                "`l` is aligned to 16 bytes: on the member: `aligned` at include/linux/h.h:7"
            ),
            "{l}"
        );
        // Inherited from the member's type, through a macro whose value comes from the config.
        let x = why.hole_cause(m("x"), 64);
        assert!(
            x.starts_with("`x` is aligned to 64 bytes: struct inner is aligned by cache_aligned (defined at include/linux/h.h:2) at include/linux/h.h:3"),
            "{x}"
        );
        assert!(x.ends_with("with CONFIG_SHIFT=6"), "{x}");
        let padding = why.padding_cause(&view, &|m| {
            if m.name.as_deref() == Some("x") {
                64
            } else {
                1
            }
        });
        assert!(
            padding.starts_with("the size is rounded up to the alignment, 64 bytes, of `x`"),
            "{padding}"
        );
        // Nothing is removed from a record without conditions.
        assert!(why.removed(body.unwrap()).is_empty());
    }
    #[test]
    fn unknown_types_suggest_names_or_the_options_they_need_and_types_in_error_say_why() {
        use layout_expert::explain::ExplainError;
        let unit = unit(&files(), "CONFIG_A=y\n");
        match unit.explain("sx") {
            Err(ExplainError::Unknown { suggestions, .. }) => {
                assert!(suggestions.contains(&"struct s".to_owned()), "{suggestions:?}")
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        // Defined under a condition false here.
        match unit.explain("struct e") {
            Err(ExplainError::OtherConfigs { definitions, .. }) => assert_eq!(
                definitions,
                ["defined at include/linux/a.h:24 under #ifdef CONFIG_E (include/linux/a.h:23); here CONFIG_E is not set"]
            ),
            other => panic!("{:?}", other.map(|_| ())),
        }
        // Defined in a file this configuration does not include.
        match unit.explain("t") {
            Err(ExplainError::OtherConfigs { definitions, .. }) => assert_eq!(
                definitions,
                ["defined at include/linux/b.h:1; include/linux/b.h is not included under this configuration"]
            ),
            other => panic!("{:?}", other.map(|_| ())),
        }
        // A pragma halfway through the definition: the type is in error, with the reason.
        match unit.explain("half") {
            Err(ExplainError::InError { reason, .. }) => {
                assert!(reason.contains("#pragma pack(2)"), "{reason}")
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn json_carries_layout_provenance_holes_and_removed_members() {
        use layout_expert::profile::explain_json;
        let unit = unit(&files(), "CONFIG_A=y\nCONFIG_B=y\nCONFIG_D=y\n");
        let doc = explain_json::type_value(&unit, "s").unwrap();
        let text = explain_json::document(".config", None, vec![doc], Vec::new());
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["schema"], "layout-expert-explain/1");
        let t = &doc["types"][0];
        assert_eq!(t["kind"], "struct");
        assert_eq!(t["name"], "s");
        let members = t["members"].as_array().unwrap();
        let names: Vec<&str> = members.iter().map(|m| m["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["always", "a_and_b", "d", "pair_lo", "pair_hi"]);
        // x86-64: int at 0, long at 8, short at 16, two ints at 20 and 24; 32 bytes in all.
        let offsets: Vec<u64> = members.iter().map(|m| m["offset"].as_u64().unwrap()).collect();
        assert_eq!(offsets, [0, 8, 16, 20, 24]);
        assert_eq!(t["size"], 32);
        assert_eq!(members[1]["declared_at"], "include/linux/a.h:9");
        assert_eq!(members[1]["conditions"][1], "#ifdef CONFIG_B (include/linux/a.h:8)");
        assert_eq!(members[3]["macros"][0], "DECLARE_PAIR (defined at include/linux/a.h:1)");
        // The 4-byte hole after `always` (before the long) and the 2-byte one after `d`.
        assert_eq!(t["holes"][0]["after"], "always");
        assert_eq!(t["holes"][0]["bytes"], 4);
        assert_eq!(
            t["holes"][0]["cause"],
            "`a_and_b` needs its type's natural alignment of 8 bytes"
        );
        assert_eq!(t["holes"][1]["after"], "d");
        assert_eq!(t["holes"][1]["bytes"], 2);
        assert_eq!(t["padding"]["bytes"], 4);
        let removed: Vec<&str> =
            t["removed"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(removed, ["a_not_b", "c", "neither"]);
        assert!(t["pahole"].as_str().unwrap().starts_with("struct s {"));
        assert_eq!(t["removed"][0]["alternative"], false);
        // A member declared in both branches: the untaken declaration is an alternative.
        let doc = explain_json::type_value(&unit, "alt").unwrap();
        assert_eq!(doc["members"][0]["name"], "x");
        assert_eq!(doc["removed"][0]["name"], "x");
        assert_eq!(doc["removed"][0]["alternative"], true);
        assert_eq!(doc["removed"][0]["needs"][0], "not #ifdef CONFIG_A (include/linux/a.h:30)");
    }
    #[test]
    fn randstruct_types_are_in_error_with_the_reason() {
        use layout_expert::explain::ExplainError;
        // As the kernel spells it: the attribute exists only with the plugin.
        let header = "#ifdef CONFIG_GCC_PLUGIN_RANDSTRUCT\n#define __randomize_layout __attribute__((randomize_layout))\n#else\n#define __randomize_layout\n#endif\nstruct r { int a; long b; } __randomize_layout;\nstruct ops { void (*f)(void); void (*g)(void); };\n";
        let target =
            "#include <generated/autoconf.h>\n#include <linux/r.h>\nstruct r x;\nstruct ops o;\n";
        let files = [("target/t.c", target), ("src/include/linux/r.h", header)];
        let unit = unit(&files, "CONFIG_GCC_PLUGIN_RANDSTRUCT=y\n");
        for ty in ["r", "ops"] {
            match unit.explain(ty) {
                Err(ExplainError::InError { reason, .. }) => {
                    assert!(reason.contains("randstruct"), "{ty}: {reason}")
                }
                other => panic!("{ty}: {:?}", other.map(|_| ())),
            }
        }
        // Without the plugin both are laid out (x86-64: 16 bytes each).
        let unit = self::unit(&files, "CONFIG_X=y\n");
        assert_eq!(unit.explain("r").unwrap().0.size_bytes, 16);
        assert_eq!(unit.explain("ops").unwrap().0.size_bytes, 16);
    }
}
