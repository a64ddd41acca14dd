//! Preprocessor tests: every expectation is gcc-12's own `-E` output for the same input (never
//! our output blessed), compared token by token, pragmas included.

use std::sync::Arc;

use crate::pre_ast::FileId;
use crate::preprocess::engine::{Engine, FileProvider, MainFile};
use crate::preprocess::output::{gcc_tokens as tokens_of_gcc_output, our_tokens};
use crate::preprocess::skeleton::{self, FileSkeleton};
use crate::preprocess::test_gcc::gcc_e;
use crate::preprocess::Preprocessed;

/// Files for snippet tests: `//- name` markers split a fixture into files; the first is main.
struct MemFiles {
    files: Vec<(String, String)>,
}

impl FileProvider for MemFiles {
    fn skeleton(&self, file: FileId) -> Result<Arc<FileSkeleton>, String> {
        Ok(Arc::new(skeleton::lower(&self.files[file.0 as usize].1)))
    }
    fn resolve(
        &self,
        _from: Option<FileId>,
        spelled: &str,
        _angled: bool,
        _next: bool,
    ) -> Option<FileId> {
        self.files.iter().position(|(n, _)| n == spelled).map(|i| FileId(i as u32))
    }
    fn display_name(&self, file: FileId) -> String {
        self.files[file.0 as usize].0.clone()
    }
}

fn predefined() -> String {
    thread_local! {
        static PREDEFINED: String = crate::preprocess::dev_tree::gcc_predefined(crate::preprocess::dev_tree::KBUILD_COMMANDS[0].1).expect("gcc-12 -dM");
    }
    PREDEFINED.with(|p| p.clone())
}

fn run_ours(fixture: &str) -> Result<Preprocessed, String> {
    run_ours_limited(fixture, None)
}

/// [`run_ours`] with the work limit of a unit of `source_bytes` bytes.
fn run_ours_limited(fixture: &str, source_bytes: Option<u64>) -> Result<Preprocessed, String> {
    let mut files = Vec::new();
    let mut cur: Option<(String, String)> = None;
    for line in fixture.lines() {
        if let Some(name) = line.strip_prefix("//- ") {
            files.extend(cur.take());
            cur = Some((name.trim().to_owned(), String::new()));
        } else {
            let c = cur.get_or_insert_with(|| ("main.c".to_owned(), String::new()));
            c.1.push_str(line);
            c.1.push('\n');
        }
    }
    files.extend(cur.take());
    let mem = MemFiles { files };
    let engine = Engine::new(&mem);
    let engine = match source_bytes {
        Some(bytes) => engine.limit_work(bytes),
        None => engine,
    };
    engine.run(&predefined(), &[], MainFile::File(FileId(0))).map_err(|e| e.to_string())
}

/// Macro-expansion bombs (each level doubling the last, in text, in `#if` and through arguments)
/// end in an error naming the line, in bounded time and memory; a unit within the limit is
/// untouched. (Before the limit such a unit ran until memory ran out; the `preprocessor` fuzz
/// target's seeds include a small bomb.)
#[test]
fn macro_bombs_end_in_an_error() {
    let mut levels = String::from("#define A0 x x\n");
    for i in 1..48 {
        levels.push_str(&format!("#define A{i} A{} A{}\n", i - 1, i - 1));
    }
    for (use_, line) in [("A47\n", 50), ("#if A47\n#endif\n", 50)] {
        let text = format!("{levels}int a;\n{use_}");
        let err = run_ours_limited(&text, Some(text.len() as u64)).unwrap_err();
        assert!(
            err.starts_with(&format!("main.c:{line}: macro expansion produces more than")),
            "{err}"
        );
    }
    let nested = format!("#define F(x) x x\n{}1{}\n", "F(".repeat(60), ")".repeat(60));
    let err = run_ours_limited(&nested, Some(nested.len() as u64)).unwrap_err();
    assert!(err.contains("a macro-expansion bomb"), "{err}");
    // Twenty levels (a million tokens) are within the limit of even a small unit.
    let fine = format!("{levels}A19\n");
    let out = run_ours_limited(&fine, Some(fine.len() as u64)).unwrap();
    assert_eq!(out.tokens.len(), 1 << 20);
}

/// Checks our tokens against gcc-12's for a fixture (files after the first are written to a
/// temporary directory for gcc's includes).
#[track_caller]
fn check(fixture: &str) {
    let ours =
        our_tokens(&run_ours(fixture).unwrap_or_else(|e| panic!("our preprocessor failed: {e}")));
    let dir = std::env::temp_dir().join(format!("le-pp-{}-{}", std::process::id(), fixture.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut main = String::new();
    let mut name: Option<String> = None;
    let mut body = String::new();
    let flush = |name: &Option<String>, body: &str, main: &mut String| match name {
        None => main.push_str(body),
        Some(n) => std::fs::write(dir.join(n), body).unwrap(),
    };
    for line in fixture.lines() {
        if let Some(n) = line.strip_prefix("//- ") {
            flush(&name, &body, &mut main);
            body.clear();
            name = if main.is_empty() && name.is_none() { None } else { Some(n.trim().to_owned()) };
            if n.trim() == "main.c" {
                name = None;
            }
        } else {
            body.push_str(line);
            body.push('\n');
        }
    }
    flush(&name, &body, &mut main);
    let inc = format!("-I{}", dir.display());
    let gcc = tokens_of_gcc_output(&gcc_e(&main, &[&inc, "-P"]));
    assert_eq!(ours, gcc, "ours (left) and gcc-12 (right) differ");
}

#[test]
fn object_and_function_macros() {
    check(
        "#define A 1 + B\n#define B (2)\n#define F(x, y) x * y + F(y, x)\n#define G F\nA F(1, 2) G(3, 4) G (5,\n 6)\nF\n(7, 8) F;\n#define EMPTY\n#define E() e\nE() E( ) [EMPTY]\n",
    );
}

#[test]
fn stringify_and_paste() {
    check(
        "#define S(x) #x\n#define XS(x) S(x)\n#define CAT(a, b) a ## b\n#define XCAT(a, b) CAT(a, b)\nS(a  +  b) S( \"q\\\"\" 'c' ) XS(CAT(x, 1)) CAT(x, ) CAT(, y) CAT(,) XCAT(XCAT(a, b), c)\nS(f(x,  y) g) XS(__LINE__) CAT(1, e+5) S() XS(S(a b))\n#define L(x) S(  x  ) S( x y)\nL(1  2)\n",
    );
}

#[test]
fn variadics() {
    check(
        "#define V(fmt, ...) f(fmt, ## __VA_ARGS__)\n#define N(fmt, args...) g(fmt, ## args)\n#define W(...) h(__VA_ARGS__) #__VA_ARGS__\n#define O(a, ...) k(a __VA_OPT__(,) __VA_ARGS__)\nV(1) V(1,) V(1, 2, 3) N(1) N(1, 2, 3) W() W(a, b,  c) O(1) O(1, 2)\n",
    );
}

#[test]
fn rescanning_and_disabled_macros() {
    check(
        "#define f(a) a*g\n#define g(a) f(a)\nf(2)(9)\n#define x 3\n#define h(a) a+x\n#undef x\n#define x 2\n#define z z[0]\nz h(h(z)) \n#define AA BB\n#define BB AA\nAA BB\n#define q(x) x\n#define r(x) q(q)(x)\nr(1) q(q)(q)(1)\n#define obj (obj + 1)\nobj\n",
    );
}

#[test]
fn conditionals_and_arithmetic() {
    check(
        "#define ONE 1\n#if ONE && defined ONE && defined(ONE) && !defined TWO\nyes1\n#endif\n#if 1 & 2 && 4\nno\n#elif 2 | 1 == 1\nyes2\n#else\nno\n#endif\n#if -1 < 0u\nno\n#elif (-1 < 0) && ~0 == -1 && 0x7fffffffffffffff + 0 > 0 && (1 ? -1 : 0u) > 0\nyes3\n#endif\n#ifdef ONE\n#ifndef ONE\nno\n#else\nyes4\n#endif\n#endif\n#if __has_attribute(__fallthrough__) > 1 && __has_builtin(__builtin_constant_p)\nyes5\n#endif\n#if defined(__has_include) && !__has_include(\"nonexistent.h\") && __has_include(\"inc.h\")\nyes6\n#endif\n#if 0\n#error not reached\n#garbage\n#endif\n//- inc.h\nint inc;\n",
    );
}

#[test]
fn includes_guards_pragmas_and_counters() {
    check(
        "#include \"a.h\"\n#include \"a.h\"\n#include \"b.h\"\n#include \"b.h\"\n#define HDR \"a.h\"\n#include HDR\n__COUNTER__ __COUNTER__ __LINE__ __INCLUDE_LEVEL__\n_Pragma(\"GCC diagnostic push\") x _Pragma(\"message(\\\"hi\\\")\")\n#pragma GCC diagnostic pop\n#define DO_PRAGMA(x) _Pragma(#x) after\nDO_PRAGMA(GCC diagnostic ignored \"-Wfoo\")\n//- a.h\n#ifndef A_H\n#define A_H\nint a;\n#endif\n//- b.h\n#pragma once\nint b __LINE__;\n",
    );
}

#[test]
fn errors_name_file_and_line() {
    let err = run_ours("int a;\n#if 1\n#error this config is wrong\n#endif\n").unwrap_err();
    assert!(err.starts_with("main.c:3: #error this config is wrong"), "{err}");
    let err = run_ours("#include \"x.h\"\n//- x.h\nint x;\n#include <missing.h>\n").unwrap_err();
    assert!(err.starts_with("x.h:2: missing.h: No such file or directory"), "{err}");
    assert!(err.contains("included from main.c:1"), "{err}");
    let err = run_ours("#define F(a, b) a\nF(1)\n").unwrap_err();
    assert!(err.contains("requires 2 arguments, but only 1 given"), "{err}");
    let err = run_ours("#if 1 / 0\n#endif\n").unwrap_err();
    assert!(err.contains("division by zero"), "{err}");
    let err = run_ours("#endif\n").unwrap_err();
    assert!(err.contains("#endif without #if"), "{err}");
    let err = run_ours("int a;\n/* open\n").unwrap_err();
    assert!(err.starts_with("main.c:2: unterminated comment"), "{err}");
    let err = run_ours("#ifdef X\nint a;\n").unwrap_err();
    assert!(err.starts_with("main.c:1: unterminated #ifdef"), "{err}");
    let deep = format!("#define ID(x) x\n{}1{}\n", "ID(".repeat(300), ")".repeat(300));
    let err = run_ours(&deep).unwrap_err();
    assert!(err.contains("nested more than"), "{err}");
}

/// A tiny pre-AST: a target that includes a header and autoconf.h, with one config-dependent
/// branch.
fn fixture_pre_ast() -> crate::pre_ast::PreAst {
    use crate::pre_ast::{FileKind, GeneratedHeader, Metadata, PreAst, PreAstFile};
    let files = vec![
        PreAstFile { path: "target/t.c".into(), text: "#include <linux/a.h>\nint t = A;\n".into(), kind: FileKind::Source },
        PreAstFile {
            path: "src/include/linux/a.h".into(),
            text: "#ifndef A_H\n#define A_H\n#include <generated/autoconf.h>\n#ifdef CONFIG_X\n#define A 1\n#else\n#define A 0\n#endif\n#endif\n".into(),
            kind: FileKind::Source,
        },
        PreAstFile {
            path: "obj/include/generated/autoconf.h".into(),
            text: "#define CONFIG_STORED_ON_THE_PREPARATION_MACHINE 1\n".into(),
            kind: FileKind::ConfigDerived(GeneratedHeader::Autoconf),
        },
    ];
    let mut pre_ast =
        PreAst::new(Metadata::default(), files, vec!["src/include".into(), "obj/include".into()]);
    pre_ast.target = Some(FileId(0));
    pre_ast
}

#[test]
fn skeletons_are_shared_across_configs() {
    use crate::input::KernelConfig;
    use crate::{input::PreAstInput, preprocess::preprocessed};
    let db = crate::db::LoggingDatabase::default();
    let input = PreAstInput::from_pre_ast(&db, Arc::new(fixture_pre_ast()));
    let on = KernelConfig::new(&db, "on".into(), vec![("CONFIG_X".into(), "1".into())].into());
    let off = KernelConfig::new(&db, "off".into(), Vec::new().into());
    let texts = |pp: &Preprocessed| {
        pp.tokens.iter().map(|t| t.text.to_string()).collect::<Vec<_>>().join(" ")
    };
    assert_eq!(texts(&preprocessed(&db, input, on).unwrap()), "int t = 1 ;");
    assert_eq!(texts(&preprocessed(&db, input, off).unwrap()), "int t = 0 ;");
    let log = db.take_log();
    let n_skeletons = log.iter().filter(|l| l.contains("file_skeleton")).count();
    let n_pp = log.iter().filter(|l| l.contains("preprocessed")).count();
    // Two stored source files (the config-derived autoconf.h is regenerated, never lowered from
    // its stored text), each lowered once for both configs.
    assert_eq!((n_skeletons, n_pp), (2, 2), "{log:?}");
    // Asking again runs nothing.
    let _ = preprocessed(&db, input, on);
    assert_eq!(db.take_log(), Vec::<String>::new());
}

/// The token firewall: a config change that changes the unit (here which `#define` of `B` is
/// used, so the macro expansion's definition site) but not its tokens re-runs `preprocessed` and
/// `preprocessed_tokens`, which is backdated, so `decl_index`, which reads only it, is not
/// executed again, and no file is lowered again. A change of the tokens reaches `decl_index`.
#[test]
fn the_token_firewall_stops_changes_that_keep_the_tokens() {
    use crate::decl::query::decl_index;
    use crate::input::KernelConfig;
    use crate::input::PreAstInput;
    use crate::pre_ast::{FileKind, GeneratedHeader, Metadata, PreAst, PreAstFile};
    use salsa::Setter;
    let files = vec![
        PreAstFile {
            path: "target/t.c".into(),
            text: "#include <generated/autoconf.h>\n#ifdef CONFIG_Y\n#define B 1\n#else\n#define B 1\n#endif\n\
                   #ifdef CONFIG_Z\nint z;\n#endif\nint u = B;\n"
                .into(),
            kind: FileKind::Source,
        },
        PreAstFile {
            path: "obj/include/generated/autoconf.h".into(),
            text: "".into(),
            kind: FileKind::ConfigDerived(GeneratedHeader::Autoconf),
        },
    ];
    let mut pre_ast = PreAst::new(Metadata::default(), files, vec!["obj/include".into()]);
    pre_ast.target = Some(FileId(0));
    let mut db = crate::db::LoggingDatabase::default();
    let input = PreAstInput::from_pre_ast(&db, Arc::new(pre_ast));
    let config = KernelConfig::new(&db, "c".into(), Vec::new().into());
    let count = |log: &[String], query: &str| {
        log.iter().filter(|l| l.starts_with(&format!("{query}("))).count()
    };
    let counts = |log: &[String]| {
        ["preprocessed", "preprocessed_tokens", "decl_index", "file_skeleton"]
            .map(|q| count(log, q))
    };
    assert!(decl_index(&db, input, config).is_ok());
    assert_eq!(counts(&db.take_log()), [1, 1, 1, 1]);
    config.set_options(&mut db).to(vec![("CONFIG_Y".into(), "1".into())].into());
    let index = decl_index(&db, input, config).as_ref().unwrap().clone();
    let log = db.take_log();
    assert_eq!(counts(&log), [1, 1, 0, 0], "{log:?}");
    assert_eq!(index.variables(), ["u"]);
    config.set_options(&mut db).to(vec![("CONFIG_Z".into(), "1".into())].into());
    let index = decl_index(&db, input, config).as_ref().unwrap().clone();
    let log = db.take_log();
    assert_eq!(counts(&log), [1, 1, 1, 0], "{log:?}");
    assert_eq!(index.variables(), ["z", "u"]);
}

/// The `preprocess` command's query: the full view, printed as `gcc -E`.
#[test]
fn the_full_view_prints_as_gcc_e() {
    use crate::input::KernelConfig;
    use crate::{
        input::PreAstInput,
        preprocess::{output::write_gcc_e, preprocessed_full},
    };
    let db = crate::db::RootDatabase::default();
    let input = PreAstInput::from_pre_ast(&db, Arc::new(fixture_pre_ast()));
    let config = KernelConfig::new(&db, "c".into(), vec![("CONFIG_X".into(), "1".into())].into());
    let text = write_gcc_e(&preprocessed_full(&db, input, config).unwrap());
    assert_eq!(text, "# 2 \"target/t.c\"\nint t = 1;\n");
}

/// Checks a small tree against gcc-12: `files` are virtual paths (written under a temporary
/// directory for gcc), `dirs` the `-I` directories in order, the first file the main file.
#[track_caller]
fn check_tree(files: &[(&str, &str)], dirs: &[&str]) {
    use crate::pre_ast::{FileKind, Metadata, PreAst, PreAstFile};
    use crate::preprocess::{preprocess, TargetConfig, View};
    let pre_files: Vec<PreAstFile> = files
        .iter()
        .map(|(p, t)| PreAstFile { path: p.to_string(), text: (*t).into(), kind: FileKind::Source })
        .collect();
    let mut pre_ast =
        PreAst::new(Metadata::default(), pre_files, dirs.iter().map(|d| d.to_string()).collect());
    pre_ast.target = Some(FileId(0));
    pre_ast.predefined = predefined();
    let config = TargetConfig { options: Vec::new().into() };
    let skel = |id: FileId| Arc::new(skeleton::lower(&pre_ast.file(id).text));
    let ours = our_tokens(
        &preprocess(&pre_ast, &config, &skel, View::Full)
            .unwrap_or_else(|e| panic!("ours failed: {e}")),
    );

    let tmp = std::env::temp_dir().join(format!(
        "le-pp-tree-{}-{}",
        std::process::id(),
        files[0].1.len()
    ));
    for (p, t) in files {
        let path = tmp.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, t).unwrap();
    }
    let mut args: Vec<String> =
        dirs.iter().map(|d| format!("-I{}", tmp.join(d).display())).collect();
    args.push("-P".into());
    // gcc reads the main file from its real place so that quoted includes see its directory.
    let out = std::process::Command::new("gcc-12")
        .args(["-E"])
        .args(crate::preprocess::dev_tree::macro_flags(
            crate::preprocess::dev_tree::KBUILD_COMMANDS[0].1,
        ))
        .args(&args)
        .arg(tmp.join(files[0].0))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(out.status.success(), "gcc failed: {}", String::from_utf8_lossy(&out.stderr));
    let gcc = tokens_of_gcc_output(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(ours, gcc, "ours (left) and gcc-12 (right) differ");
}

#[test]
fn include_next_and_quoted_includes() {
    check_tree(
        &[
            ("t/main.c", "#include \"local.h\"\n#include <x.h>\n#if __has_include(<y.h>) && !__has_include(<nope.h>)\nhas_y\n#endif\n"),
            ("t/local.h", "int local;\n"),
            ("a/x.h", "int a_x;\n#include_next <x.h>\n#if __has_include_next(<x.h>)\nmore_x\n#endif\n"),
            ("b/x.h", "int b_x;\n#include \"sub/s.h\"\n"),
            ("b/sub/s.h", "int b_sub_s;\n"),
            ("b/y.h", ""),
        ],
        &["a", "b"],
    );
}

#[test]
fn directives_and_newlines_inside_macro_arguments() {
    check(
        "#define F(x, y) [x|y]\n#define S(x) #x\nF(1,\n#ifdef __x86_64__\n 2\n#else\n 3\n#endif\n)\nS(a\n  b\n c) F\n\n(4, 5)\n",
    );
}

#[test]
fn paste_rescan_and_lookahead_corner_cases() {
    check(
        "#define CAT(a, b) a ## b\n#define CAT3(a, b, c) a ## b ## c\n#define FOO foo_expanded\n#define f(x) (x)\n#define LPAREN (\n#define EMPTY\n#define ID(x) x\nCAT(F, OO) CAT3(a, , c) CAT3(, , ) CAT(f, )(1) f LPAREN 2) ID(f LPAREN 3)) f EMPTY (4) ID(f EMPTY (5))\nCAT(<, <=) CAT(-, >) CAT(%:, %:) CAT(., 5) CAT(L, 'a') CAT(u8, \"s\") CAT(0x, 1p-3)\n#define str(x) #x\n#define xstr(x) str(x)\nxstr(CAT(a b, c d)) xstr(ID( ID(1)  ID( 2 ) )) str( ID(x)  +  y )\n",
    );
}

#[test]
fn line_directive() {
    check("a __LINE__\n#line 100\nb __LINE__\n#define N 7\n#line N \"renamed.h\"\nc __LINE__ __FILE__\n\nd __LINE__\n");
}

#[test]
fn pragma_operator_in_macro_arguments() {
    check("#define X(a) a b\n#define P _Pragma(\"GCC diagnostic push\")\nx X(_Pragma(\"foo\") 1) y X(P 2) z\n#define DIAG(s) _Pragma(#s)\n#define W(x) DIAG(GCC diagnostic ignored #x)\nW(-Wfoo) after\n");
}

/// The compiler the config names decides which query operators exist and what they answer:
/// `__has_builtin` is an ordinary identifier for GCC 9, `__has_feature` is defined from GCC 14
/// (a query of it is an error: we keep no answers), and `__has_attribute` answers per release
/// (`counted_by` from GCC 15). The tables are the real compilers' (`shipped_tables_match_their_compilers`).
#[test]
fn query_operators_follow_the_configs_compiler() {
    use crate::config::ConfigFile;
    use crate::input::{KernelConfig, PreAstInput};
    use crate::preprocess::{output::write_gcc_e, preprocessed_full};
    let preprocess_to_text = |pre_ast: &crate::pre_ast::PreAst, config: &ConfigFile| {
        let db = crate::db::RootDatabase::default();
        let input = PreAstInput::from_pre_ast(&db, Arc::new(pre_ast.clone()));
        let config = KernelConfig::new(&db, "c".into(), config.options.clone().into());
        preprocessed_full(&db, input, config).map(|pp| write_gcc_e(&pp)).map_err(|e| e.to_string())
    };
    let mut pre_ast = fixture_pre_ast();
    pre_ast.files[0].text =
        "#ifdef __has_builtin\nint b;\n#endif\n#ifdef __has_feature\nint f;\n#endif\n\
                             #if __has_attribute(__counted_by__)\nint c;\n#endif\n"
            .into();
    let run = |version: &str| {
        let config =
            ConfigFile::parse("c", &format!("CONFIG_CC_IS_GCC=y\nCONFIG_GCC_VERSION={version}\n"))
                .unwrap();
        let text = preprocess_to_text(&pre_ast, &config).unwrap();
        // The tokens, without line markers.
        let text: Vec<&str> =
            text.lines().filter(|l| !l.starts_with('#')).flat_map(str::split_whitespace).collect();
        let text = text.join(" ");
        ["b", "f", "c"]
            .into_iter()
            .filter(|v| text.contains(&format!("int {v};")))
            .collect::<Vec<_>>()
    };
    assert_eq!(run("90300"), Vec::<&str>::new());
    assert_eq!(run("120200"), ["b"]);
    assert_eq!(run("140200"), ["b", "f"]);
    assert_eq!(run("160200"), ["b", "f", "c"]);
    pre_ast.files[0].text = "#if __has_feature(c_alignas)\n#endif\n".into();
    let config = ConfigFile::parse("c", "CONFIG_CC_IS_GCC=y\nCONFIG_GCC_VERSION=140200\n").unwrap();
    let e = preprocess_to_text(&pre_ast, &config).unwrap_err();
    assert!(e.contains("__has_feature(c_alignas)") && e.contains("gcc 14.2.0"), "{e}");
}
