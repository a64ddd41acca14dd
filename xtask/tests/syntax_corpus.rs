//! The syntax crate against real inputs and a real compiler.
//!
//! The corpus: each `.h` file (regular files only; symlinks point at files that are parsed anyway)
//! under the `usr/src` of each unpacked kernel (6.1 common and flavours, 6.1-rt common-rt and
//! flavour, 6.12 common and flavours, and the kbuild packages) is lexed, parsed and built into a
//! tree. The tree's text must equal the file's bytes, and no file may have a syntax error unless it
//! is listed in `MALFORMED` with the reason. The tree builder's debug assertion (on in test builds)
//! also checks that every significant token came from a token event. Prints files, bytes and time.
//!
//! GCC's verdict: every error case of the parser's snapshot tests is given to `gcc-12 -E`, and GCC
//! must report errors on exactly the lines where the parser does. And the directives of the 6.1
//! kernel's headers (all branches of every file) must be what GCC reads from the same lines: each
//! `#define`'s name, function-likeness, parameters and body tokens with their spacing, and each
//! include's file name.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use syntax::{
    ast::{Define, Include, IncludeForm, Undef},
    AstNode, NodeOrToken, SyntaxKind,
};
use xtask::{kernels, util};

/// Files that really are malformed, as paths relative to their `usr/src`, with the reason.
/// Empty: every header of the pinned packages parses without errors.
const MALFORMED: &[(&str, &str)] = &[];

/// The `usr/src` directories of the unpacked kernels.
fn corpus_roots() -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = kernels::debian_trees()
        .expect("the kernel packages unpack (cargo xtask kernels)")
        .iter()
        .filter_map(|tree| tree.path.parent().map(Path::to_path_buf))
        .collect();
    roots.sort();
    roots.dedup();
    roots
}

fn collect_headers(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.unwrap();
        let file_type = entry.file_type().unwrap();
        let path = entry.path();
        if file_type.is_dir() {
            collect_headers(&path, out);
        } else if file_type.is_file() && path.extension().is_some_and(|ext| ext == "h") {
            out.push(path);
        }
    }
}

/// The outcome for one batch of files.
#[derive(Default)]
struct Tally {
    files: usize,
    bytes: usize,
    lex_and_events: Duration,
    tree: Duration,
    checks: Duration,
    /// `(path, first error)` of each file with errors.
    with_errors: Vec<(PathBuf, String)>,
    problems: Vec<String>,
}

fn check_file(path: &Path, tally: &mut Tally) {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let Ok(text) = String::from_utf8(bytes) else {
        tally.problems.push(format!("{}: not UTF-8", path.display()));
        return;
    };
    tally.files += 1;
    tally.bytes += text.len();

    let start = Instant::now();
    let lexed = syntax::lex(&text);
    let events = syntax::parse_events(&text, &lexed);
    tally.lex_and_events += start.elapsed();

    let start = Instant::now();
    let parse = syntax::build_tree(&text, &lexed, &events, None);
    tally.tree += start.elapsed();

    let start = Instant::now();
    // The comparison runs inside rowan (optimised even in test builds). The tree builder also
    // asserts (in builds with debug assertions, like this test's) that only trivia fill the gaps
    // between token events, so a token the parser skipped cannot hide in the tree as trivia.
    if parse.syntax_node().text() != text.as_str() {
        tally.problems.push(format!("{}: the tree's text differs from the file", path.display()));
    }
    tally.checks += start.elapsed();
    if let Some(first) = parse.errors().first() {
        tally.with_errors.push((path.to_path_buf(), first.to_string()));
    }
}

#[test]
fn every_kernel_header_parses_losslessly_without_errors() {
    let roots = corpus_roots();
    assert!(!roots.is_empty());
    let mut files = Vec::new();
    for root in &roots {
        collect_headers(root, &mut files);
    }
    files.sort();
    // Three kernels of some 8000 headers each; a much smaller count means a broken unpack.
    assert!(files.len() > 20_000, "only {} header files under {roots:?}", files.len());

    let wall = Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8);
    let chunk = files.len().div_ceil(threads);
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|batch| {
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    for path in batch {
                        check_file(path, &mut tally);
                    }
                    tally
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let wall = wall.elapsed();

    let mut total = Tally::default();
    for t in tallies {
        total.files += t.files;
        total.bytes += t.bytes;
        total.lex_and_events += t.lex_and_events;
        total.tree += t.tree;
        total.checks += t.checks;

        total.with_errors.extend(t.with_errors);
        total.problems.extend(t.problems);
    }
    let megabytes = total.bytes as f64 / 1e6;
    eprintln!(
        "syntax corpus: {} files, {} bytes ({megabytes:.1} MB), {} with errors; wall {:.2}s on \
         {threads} threads; time summed over threads: lex+events {:.2}s ({:.0} MB/s), \
         rowan tree {:.2}s ({:.0} MB/s), checks {:.2}s",
        total.files,
        total.bytes,
        total.with_errors.len(),
        wall.as_secs_f64(),
        total.lex_and_events.as_secs_f64(),
        megabytes / total.lex_and_events.as_secs_f64(),
        total.tree.as_secs_f64(),
        megabytes / total.tree.as_secs_f64(),
        total.checks.as_secs_f64(),
    );

    assert!(total.problems.is_empty(), "{}", total.problems.join("\n"));
    let unexpected: Vec<String> = total
        .with_errors
        .iter()
        .filter(|(path, _)| {
            !roots.iter().any(|root| {
                path.strip_prefix(root)
                    .is_ok_and(|rel| MALFORMED.iter().any(|(listed, _)| Path::new(listed) == rel))
            })
        })
        .map(|(path, error)| format!("{}: {error}", path.display()))
        .collect();
    assert!(unexpected.is_empty(), "unexpected syntax errors:\n{}", unexpected.join("\n"));
    assert_eq!(total.with_errors.len(), MALFORMED.len(), "a listed malformed file now parses");
}

/// For each case in `syntax/test_data/parser/err`, the lines where `gcc-12 -E` reports errors are
/// the lines where the parser reports errors. An empty `a.h` on the include path lets the include
/// cases get past the file lookup; GCC's "the conditional began here" follow-up lines are left
/// out, as the parser reports such an error once, at the directive that breaks the rule.
#[test]
fn error_cases_agree_with_gcc() {
    let dir = util::repo_root().join("syntax/test_data/parser/err");
    let include_dir = util::TempDir::new("syntax-gcc").unwrap();
    util::write(&include_dir.path().join("a.h"), "").unwrap();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "h"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "only {} error cases in {}", cases.len(), dir.display());
    for case in &cases {
        let text = std::fs::read_to_string(case).unwrap();
        let ours: BTreeSet<u32> =
            syntax::parse(&text).errors().iter().map(|error| error.line()).collect();

        let output = Command::new("gcc-12")
            .args(["-E", "-P", "-w", "-x", "c", "-o", "/dev/null", "-I"])
            .arg(include_dir.path())
            .arg(case)
            .output()
            .expect("gcc-12 runs");
        assert!(!output.status.success(), "gcc-12 accepts {}", case.display());
        let stderr = String::from_utf8_lossy(&output.stderr);
        let prefix = format!("{}:", case.display());
        let gcc: BTreeSet<u32> = stderr
            .lines()
            .filter_map(|line| line.strip_prefix(&prefix))
            .filter(|rest| rest.contains(" error: ") && !rest.contains("began here"))
            .filter_map(|rest| rest.split(':').next()?.parse().ok())
            .collect();
        assert_eq!(ours, gcc, "error lines of {}; GCC said:\n{stderr}", case.display());
    }
}

/// A macro as `gcc -dM` prints it: `#define NAME(a,b...) body`, parameters joined by commas, body
/// tokens separated by one space where the source had whitespace or a comment, and always one
/// space before `##` (GCC's own quirk). An object-like macro with an empty body still has the
/// space after its name.
fn dm_line(define: &Define, name: &str) -> String {
    let mut line = format!("#define {name}");
    if let Some(list) = define.params() {
        let params: Vec<String> = list
            .params()
            .map(|p| {
                let name = p.name().map(|t| syntax::cooked(t.text()).into_owned());
                let dots = if p.is_variadic() { "..." } else { "" };
                format!("{}{dots}", name.unwrap_or_default())
            })
            .collect();
        line.push_str(&format!("({})", params.join(",")));
    }
    line.push(' ');
    let Some(body) = define.replacement() else {
        return line;
    };
    let (mut first, mut space) = (true, false);
    for element in body.syntax().children_with_tokens() {
        let NodeOrToken::Token(token) = element else {
            continue;
        };
        match token.kind() {
            SyntaxKind::WHITESPACE | SyntaxKind::BLOCK_COMMENT | SyntaxKind::LINE_COMMENT => {
                space = true
            }
            SyntaxKind::LINE_SPLICE => {}
            kind => {
                if !first && (space || kind == SyntaxKind::HASH2) {
                    line.push(' ');
                }
                line.push_str(&syntax::cooked(token.text()));
                (first, space) = (false, false);
            }
        }
    }
    line
}

/// The directives of the 6.1 kernel's header packages (common, amd64, cloud-amd64, kbuild), in
/// every branch of every file, as GCC reads them.
///
/// Defines: each `#define` line is copied into one file with its macro renamed to a unique name
/// (so later definitions do not replace earlier ones); `gcc-12 -E -dM` on that file must print, for
/// each, the definition the syntax tree describes.
///
/// Includes: each `#include`/`#include_next` line with an angled or quoted file name is copied into
/// another file; `gcc-12 -M -MG` (with an empty include directory, so that every header is
/// "missing" and listed as spelled) must list exactly the paths `Include::path` spells.
///
/// No directive missed or invented: the files are concatenated with the lines of every directive
/// other than `#define` and `#undef` blanked out (conditionals, includes, `#error`, `#pragma`, ...,
/// as the parser sees them; newlines are kept); `gcc-12 -E -dN -fdirectives-only` must then accept
/// the text without a diagnostic and report the same sequence of `#define` and `#undef` names. A
/// directive line the parser took for text would still be executed by GCC (a conditional
/// unbalances the rest, an include or `#error` fails, an unknown one is invalid), and a text line
/// it took for a `#define` or `#undef` would be missing from GCC's sequence.
#[test]
fn directives_agree_with_gcc() {
    let root = corpus_roots()
        .into_iter()
        .find(|root| root.parent().and_then(Path::parent).is_some_and(|k| k.ends_with("6.1")))
        .expect("the 6.1 kernel is unpacked");
    let mut files = Vec::new();
    collect_headers(&root, &mut files);
    files.sort();

    let mut copied = String::new();
    let mut expected: Vec<String> = Vec::new();
    let mut include_lines = String::new();
    let mut include_paths: BTreeSet<String> = BTreeSet::new();
    let mut blanked = String::new();
    let mut define_names: Vec<String> = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let parse = syntax::parse(&text);
        blanked.push_str(&blank_directives(&text, &parse.syntax_node(), &mut define_names));
        if !blanked.ends_with('\n') {
            blanked.push('\n');
        }
        for include in parse.syntax_node().descendants().filter_map(Include::cast) {
            let Some(path) = include.path() else { continue };
            if path.form == IncludeForm::Computed {
                continue;
            }
            include_lines.push_str(include.syntax().text().to_string().trim_end());
            include_lines.push('\n');
            include_paths.insert(path.spelled);
        }
        for define in parse.syntax_node().descendants().filter_map(Define::cast) {
            let Some(name) = define.name() else { continue };
            let unique = format!("__syntax_check_{}", expected.len());
            let line = define.syntax().text().to_string();
            let start = usize::from(define.syntax().text_range().start());
            let name_range = name.syntax().text_range();
            let (name_start, name_end) =
                (usize::from(name_range.start()) - start, usize::from(name_range.end()) - start);
            copied.push_str(&line[..name_start]);
            copied.push_str(&unique);
            copied.push_str(&line[name_end..]);
            if !line.ends_with('\n') {
                copied.push('\n');
            }
            expected.push(dm_line(&define, &unique));
        }
    }
    assert!(expected.len() > 300_000, "only {} defines under {}", expected.len(), root.display());

    let dir = util::TempDir::new("syntax-defines").unwrap();
    let input = dir.path().join("defines.h");
    util::write(&input, &copied).unwrap();
    let output = Command::new("gcc-12")
        .args(["-E", "-dM", "-w", "-x", "c"])
        .arg(&input)
        .output()
        .expect("gcc-12 runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && stderr.is_empty(), "gcc-12 -dM failed:\n{stderr}");
    let mut from_gcc: Vec<Option<String>> = vec![None; expected.len()];
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Some(rest) = line.strip_prefix("#define __syntax_check_") else {
            continue;
        };
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if let Ok(i) = rest[..digits].parse::<usize>() {
            if i < from_gcc.len() {
                from_gcc[i] = Some(line.to_string());
            }
        }
    }
    let differences: Vec<String> = expected
        .iter()
        .zip(&from_gcc)
        .filter(|(ours, gcc)| gcc.as_deref() != Some(ours.as_str()))
        .take(20)
        .map(|(ours, gcc)| format!("ours: {ours}\ngcc:  {gcc:?}"))
        .collect();
    assert!(
        differences.is_empty(),
        "definitions that differ from GCC's:\n{}",
        differences.join("\n")
    );

    let includes = dir.path().join("includes.h");
    util::write(&includes, &include_lines).unwrap();
    let empty = dir.path().join("empty");
    util::create_dir_all(&empty).unwrap();
    let output = Command::new("gcc-12")
        .args(["-M", "-MG", "-nostdinc", "-w", "-x", "c", "-MT", "target", "-I"])
        .arg(&empty)
        .arg("includes.h")
        .current_dir(dir.path())
        .output()
        .expect("gcc-12 runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && stderr.is_empty(), "gcc-12 -M -MG failed:\n{stderr}");
    // Make syntax: continuation lines, `\ ` for a space, `$$` for `$`, `\#` for `#`.
    let rule = String::from_utf8_lossy(&output.stdout).replace("\\\n", " ");
    let mut listed: BTreeSet<String> = BTreeSet::new();
    let mut word = String::new();
    let mut chars = rule.trim().strip_prefix("target:").expect("one rule").chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some(' ' | '#')) => word.push(chars.next().unwrap()),
            '$' if chars.peek() == Some(&'$') => word.push(chars.next().unwrap()),
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    listed.insert(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        listed.insert(word);
    }
    listed.remove("includes.h");
    assert!(include_paths.len() > 3_000, "only {} include paths", include_paths.len());
    let only_ours: Vec<&String> = include_paths.difference(&listed).take(20).collect();
    let only_gcc: Vec<&String> = listed.difference(&include_paths).take(20).collect();
    assert!(
        only_ours.is_empty() && only_gcc.is_empty(),
        "include paths spelled differently: only ours {only_ours:?}, only GCC's {only_gcc:?}"
    );

    let all = dir.path().join("blanked.h");
    util::write(&all, &blanked).unwrap();
    let output = Command::new("gcc-12")
        .args(["-E", "-dN", "-fdirectives-only", "-nostdinc", "-w", "-x", "c"])
        .arg(&all)
        .output()
        .expect("gcc-12 runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && stderr.is_empty(), "gcc-12 -dN failed:\n{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let marker = format!("# 1 \"{}\"", all.display());
    let ours_start = stdout.find(&marker).expect("gcc's line marker for the file");
    let gcc_names: Vec<&str> = stdout[ours_start..]
        .lines()
        // With -fdirectives-only, GCC keeps a directive's leading whitespace.
        .map(str::trim_start)
        .filter(|line| {
            let name = line.strip_prefix("#define ").or_else(|| line.strip_prefix("#undef "));
            name.is_some_and(|name| {
                name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
            })
        })
        .collect();
    if let Some(i) = (0..define_names.len().max(gcc_names.len()))
        .find(|&i| define_names.get(i).map(String::as_str) != gcc_names.get(i).copied())
    {
        panic!(
            "the #define/#undef sequences part at #{i}: ours {:?}, GCC's {:?}",
            &define_names[i.saturating_sub(2)..(i + 3).min(define_names.len())],
            &gcc_names[i.saturating_sub(2)..(i + 3).min(gcc_names.len())]
        );
    }
    eprintln!(
        "syntax directives: {} #define lines, {} #define/#undef in sequence and {} distinct include \
         paths of the 6.1 headers agree with gcc-12",
        expected.len(),
        define_names.len(),
        include_paths.len()
    );
}

/// `text` with the lines of every directive but `#define` and `#undef`, and every comment, turned
/// into blanks (each byte but newlines becomes a space), and its `#define NAME` and `#undef NAME`
/// lines as `gcc -dN` prints them, in order.
/// (With `-fdirectives-only`, GCC copies comments to its output, where a commented-out
/// `#define` line would look like one of its `-dN` lines.)
fn blank_directives(text: &str, root: &syntax::SyntaxNode, names: &mut Vec<String>) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let mut blank = |range: syntax::TextRange| {
        for b in &mut bytes[usize::from(range.start())..usize::from(range.end())] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    for token in root.descendants_with_tokens().filter_map(|e| e.into_token()) {
        if matches!(token.kind(), SyntaxKind::BLOCK_COMMENT | SyntaxKind::LINE_COMMENT) {
            blank(token.text_range());
        }
    }
    for node in root.descendants() {
        match node.kind() {
            SyntaxKind::DEFINE => names.extend(
                Define::cast(node).and_then(|d| d.name()).map(|n| format!("#define {}", n.text())),
            ),
            SyntaxKind::UNDEF => names.extend(
                Undef::cast(node).and_then(|u| u.name()).map(|n| format!("#undef {}", n.text())),
            ),
            SyntaxKind::INCLUDE
            | SyntaxKind::INCLUDE_NEXT
            | SyntaxKind::ERROR_DIRECTIVE
            | SyntaxKind::WARNING_DIRECTIVE
            | SyntaxKind::PRAGMA
            | SyntaxKind::LINE_DIRECTIVE
            | SyntaxKind::UNKNOWN_DIRECTIVE
            | SyntaxKind::ERROR => blank(node.text_range()),
            SyntaxKind::BRANCH => {
                // The directive line: up to its first newline token.
                let end = node
                    .children_with_tokens()
                    .filter_map(|e| e.into_token())
                    .find(|t| t.kind() == SyntaxKind::NEWLINE)
                    .map_or(node.text_range().end(), |t| t.text_range().end());
                blank(syntax::TextRange::new(node.text_range().start(), end));
            }
            _ => {}
        }
    }
    String::from_utf8(bytes).expect("whole characters were replaced by spaces")
}
