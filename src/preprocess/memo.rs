//! Preprocessing shared across configurations: a translation unit's output is memoised by the
//! configuration state it actually read, and replayed for any later configuration that agrees on
//! that state.
//!
//! A unit run under a configuration depends on the configuration in exactly three ways: the
//! predefined macros and `-D` flags (`TargetConfig::predefined`), the regenerated config-derived
//! headers it reads, and the macros autoconf.h defines. autoconf.h only defines `CONFIG_*` names
//! and the engine observes a macro only by looking its name up (expansion, `defined`, `#ifdef`,
//! `#undef`, include guards: every lookup goes through `Engine::note_lookup`). So if a later
//! configuration has the same predefined text, the same derived headers other than autoconf.h,
//! and the same definition (or absence) of every `CONFIG_*` name the first run looked up, then
//! both runs take the same steps and give the same output, with one exception: macros defined in
//! autoconf.h record their definition line there, which depends on the options before them;
//! those lines are patched ([`patch_autoconf_lines`]). The files' skeletons are part of the
//! record too (compared on every reuse), so a memo never outlives a change to a file.
//!
//! The memo table lives in a query result keyed by the pre-AST input ([`unit_memo`]), so each
//! pre-AST has its own; a reuse calls the same `file_skeleton` and `config_header` queries the
//! run did, so salsa records the same dependencies as a real run.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc, Mutex,
};

use rustc_hash::{FxHashMap, FxHashSet};
use smol_str::SmolStr;

use crate::db::Db;
use crate::input::KernelConfig;
use crate::pre_ast::{FileId, FileKind, GeneratedHeader};
use crate::preprocess::skeleton::{FileSkeleton, Item};
use crate::preprocess::{
    config_header, file_skeleton, gcc_file_name, PpError, PreAstInput, Preprocessed, TargetConfig,
};

/// One real run of a unit, with everything it read from its configuration and its files.
#[derive(Debug, PartialEq, Eq)]
pub struct UnitRun {
    pub pp: Arc<Preprocessed>,
    /// The `CONFIG_*` names looked up and their autoconf.h value under the run's configuration
    /// (`None`: not defined there), sorted by name.
    pub reads: Vec<(SmolStr, Option<SmolStr>)>,
    /// The predefined macros and flags of the run.
    pub predefined: String,
    /// Every stored file's skeleton the run read.
    pub files: Vec<(FileId, Arc<FileSkeleton>)>,
    /// Every config-derived header the run read except autoconf.h, as regenerated for it.
    pub derived: Vec<(FileId, Arc<FileSkeleton>)>,
    /// False when the run cannot be reused (a configuration option that is not a `CONFIG_*`
    /// name, so the lookups recorded would not cover it).
    pub reusable: bool,
}

/// How many runs the table keeps (each holds a whole unit, ~30 MB for a distribution kernel):
/// the least recently used is forgotten first.
const MEMO_RUNS: usize = 8;

/// The memo table of one pre-AST: the reusable runs so far (most recently used last), and how
/// many units were replayed and run.
#[derive(Debug, Default)]
pub struct UnitMemo {
    runs: Mutex<Vec<Arc<UnitRun>>>,
    replayed: AtomicUsize,
    run: AtomicUsize,
}

/// The memo table of one pre-AST. A query result so that it belongs to the input (a changed
/// pre-AST gets a fresh table); `no_eq`, as it is a shared cell.
#[salsa::tracked(returns(clone), no_eq)]
pub fn unit_memo(db: &dyn Db, pre_ast: PreAstInput) -> Arc<UnitMemo> {
    // Read the input's fields, so that the table depends on them.
    let _ = (pre_ast.pre_ast(db), pre_ast.sources(db));
    Arc::default()
}

/// A real run of the unit under `config` (declaration view), recording what it read. Executed
/// only when no earlier run can be reused: in the query log, each execution is a unit preprocessed.
#[salsa::tracked(returns(clone), lru = 8)]
pub fn unit_run(
    db: &dyn Db,
    pre_ast: PreAstInput,
    config: KernelConfig,
) -> Result<Arc<UnitRun>, PpError> {
    let files_read = std::cell::RefCell::new((FxHashSet::default(), Vec::new()));
    let derived_read = std::cell::RefCell::new((FxHashSet::default(), Vec::new()));
    let shape = pre_ast.pre_ast(db);
    let sources = pre_ast.sources(db);
    let target = TargetConfig { options: config.options(db).clone() };
    let skel = |id: FileId| {
        let sk = file_skeleton(db, sources[id.0 as usize]);
        let mut seen = files_read.borrow_mut();
        if seen.0.insert(id) {
            seen.1.push((id, Arc::clone(&sk)));
        }
        sk
    };
    let header = |id: FileId| {
        let sk = config_header(db, pre_ast, config, id);
        if shape.file(id).kind != FileKind::ConfigDerived(GeneratedHeader::Autoconf) {
            if let Ok(sk) = &sk {
                let mut seen = derived_read.borrow_mut();
                if seen.0.insert(id) {
                    seen.1.push((id, Arc::clone(sk)));
                }
            }
        }
        sk
    };
    let files = super::PreAstFiles::new(shape, &target, &skel, &crate::decl::sizes::EngineSizes)
        .with_config_headers(&header);
    let predefined = target.predefined(shape);
    let (pp, looked_up) = super::run_unit(shape, &files, &predefined)?;
    let values = option_values(&target.options);
    let mut reads: Vec<(SmolStr, Option<SmolStr>)> = looked_up
        .into_iter()
        .map(|name| {
            let value = values.get(name.as_str()).map(|v| SmolStr::from(*v));
            (name, value)
        })
        .collect();
    reads.sort_unstable();
    Ok(Arc::new(UnitRun {
        pp: Arc::new(pp),
        reads,
        predefined,
        files: files_read.into_inner().1,
        derived: derived_read.into_inner().1,
        reusable: target.options.iter().all(|(name, _)| name.starts_with("CONFIG_")),
    }))
}

/// The preprocessed unit under `config`: an earlier run replayed if one read the same
/// configuration state, else a real run ([`unit_run`]), remembered for the next configurations.
pub fn preprocessed_shared(
    db: &dyn Db,
    pre_ast: PreAstInput,
    config: KernelConfig,
) -> Result<Arc<Preprocessed>, PpError> {
    let options = config.options(db);
    if options.iter().all(|(name, _)| name.starts_with("CONFIG_")) {
        let memo = unit_memo(db, pre_ast);
        let candidates: Vec<Arc<UnitRun>> = memo.runs.lock().unwrap().clone();
        if !candidates.is_empty() {
            let shape = pre_ast.pre_ast(db);
            let target = TargetConfig { options: options.clone() };
            let predefined = target.predefined(shape);
            let values = option_values(options);
            for run in candidates.into_iter().rev() {
                if reusable_for(db, pre_ast, config, &run, &predefined, &values) {
                    // Most recently used last: the table forgets the least recently used.
                    let mut table = memo.runs.lock().unwrap();
                    if let Some(i) = table.iter().position(|r| Arc::ptr_eq(r, &run)) {
                        let run = table.remove(i);
                        table.push(run);
                    }
                    drop(table);
                    memo.replayed.fetch_add(1, Ordering::Relaxed);
                    return Ok(patch_autoconf_lines(db, pre_ast, config, &run.pp));
                }
            }
        }
    }
    let memo = unit_memo(db, pre_ast);
    memo.run.fetch_add(1, Ordering::Relaxed);
    let run = unit_run(db, pre_ast, config)?;
    if run.reusable {
        let mut table = memo.runs.lock().unwrap();
        if !table.iter().any(|r| Arc::ptr_eq(r, &run)) {
            table.push(Arc::clone(&run));
            if table.len() > MEMO_RUNS {
                table.remove(0);
            }
        }
    }
    Ok(Arc::clone(&run.pp))
}

/// How many times `preprocessed` on `pre_ast` replayed an earlier unit, and how many times it
/// ran one (for `batch`'s summary). Not a query result: asked outside queries, after the work.
pub fn memo_counts(db: &dyn Db, pre_ast: PreAstInput) -> (usize, usize) {
    let memo = unit_memo(db, pre_ast);
    (memo.replayed.load(Ordering::Relaxed), memo.run.load(Ordering::Relaxed))
}

/// The options as autoconf.h defines them: the last definition of each name wins.
fn option_values(options: &[(SmolStr, SmolStr)]) -> FxHashMap<&str, &str> {
    options.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

/// Whether `run` is what a real run under `config` would give (up to autoconf.h's lines): same
/// predefined text, same value of every name it looked up, same skeletons of the files it read,
/// same derived headers. The cheap checks come first.
fn reusable_for(
    db: &dyn Db,
    pre_ast: PreAstInput,
    config: KernelConfig,
    run: &UnitRun,
    predefined: &str,
    values: &FxHashMap<&str, &str>,
) -> bool {
    if !run.reusable || run.predefined != predefined {
        return false;
    }
    if !run.reads.iter().all(|(name, value)| values.get(name.as_str()).copied() == value.as_deref())
    {
        return false;
    }
    let sources = pre_ast.sources(db);
    let same_files = run.files.iter().all(|(id, sk)| {
        let now = file_skeleton(db, sources[id.0 as usize]);
        Arc::ptr_eq(&now, sk) || now == *sk
    });
    same_files
        && run.derived.iter().all(|(id, sk)| match config_header(db, pre_ast, config, *id) {
            Ok(now) => Arc::ptr_eq(&now, sk) || now == *sk,
            Err(_) => false,
        })
}

/// `pp` with the definition lines of macros defined in autoconf.h as they are in `config`'s
/// autoconf.h (the only part of a replayed run that depends on options it did not read: their
/// number shifts the lines). Shared unchanged when every line is already right.
fn patch_autoconf_lines(
    db: &dyn Db,
    pre_ast: PreAstInput,
    config: KernelConfig,
    pp: &Arc<Preprocessed>,
) -> Arc<Preprocessed> {
    let shape = pre_ast.pre_ast(db);
    let mut autoconf_files: Vec<u32> = Vec::new();
    let mut skeletons = Vec::new();
    for (i, file) in shape.files.iter().enumerate() {
        if file.kind == FileKind::ConfigDerived(GeneratedHeader::Autoconf) {
            let name = gcc_file_name(&file.path);
            if let Some(idx) = pp.files.iter().position(|f| *f == name) {
                if let Ok(sk) = config_header(db, pre_ast, config, FileId(i as u32)) {
                    autoconf_files.push(idx as u32);
                    skeletons.push(sk);
                }
            }
        }
    }
    if autoconf_files.is_empty() {
        return Arc::clone(pp);
    }
    // Only one autoconf.h is reachable in a kernel tree; with several, a name's line could come
    // from any of them, so look it up in the one the expansion names.
    let per_file: Vec<FxHashMap<&SmolStr, u32>> = skeletons
        .iter()
        .map(|sk| {
            sk.items
                .iter()
                .filter_map(|item| match item {
                    Item::Define(def) => Some((&def.name, def.line)),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let wanted = |e: &crate::preprocess::Expansion| -> Option<u32> {
        let k = autoconf_files.iter().position(|&f| f == e.defined_at.0)?;
        per_file[k].get(&e.name).copied()
    };
    if pp.expansions.iter().all(|e| wanted(e).is_none_or(|line| line == e.defined_at.1)) {
        return Arc::clone(pp);
    }
    let mut patched = Preprocessed::clone(pp);
    for e in &mut patched.expansions {
        if let Some(line) = wanted(e) {
            e.defined_at.1 = line;
        }
    }
    Arc::new(patched)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::db::LoggingDatabase;
    use crate::input::KernelConfig;
    use crate::pre_ast::{FileId, FileKind, GeneratedHeader, Metadata, PreAst, PreAstFile};
    use crate::preprocess::{
        preprocess, preprocessed, skeleton_cache, PreAstInput, TargetConfig, View,
    };

    /// A target that expands one option (so an expansion records its autoconf.h line) and tests
    /// another with `#ifdef`; a header included under a guard.
    fn fixture() -> PreAst {
        let files = vec![
            PreAstFile {
                path: "target/t.c".into(),
                text: "#include <generated/autoconf.h>\n#include <linux/a.h>\nint n = CONFIG_N + A;\n#ifdef CONFIG_X\nint x;\n#endif\n".into(),
                kind: FileKind::Source,
            },
            PreAstFile {
                path: "src/include/linux/a.h".into(),
                text: "#ifndef A_H\n#define A_H\n#define A 1\n#endif\n".into(),
                kind: FileKind::Source,
            },
            PreAstFile {
                path: "obj/include/generated/autoconf.h".into(),
                text: "#define CONFIG_STORED 1\n".into(),
                kind: FileKind::ConfigDerived(GeneratedHeader::Autoconf),
            },
        ];
        let mut pre_ast = PreAst::new(
            Metadata::default(),
            files,
            vec!["src/include".into(), "obj/include".into()],
        );
        pre_ast.target = Some(FileId(0));
        pre_ast
    }

    fn options(list: &[(&str, &str)]) -> Arc<[(smol_str::SmolStr, smol_str::SmolStr)]> {
        list.iter().map(|(n, v)| ((*n).into(), (*v).into())).collect::<Vec<_>>().into()
    }

    fn units_run(log: &[String]) -> usize {
        log.iter().filter(|l| l.contains("unit_run")).count()
    }

    /// Configurations that agree on every option the unit reads share one run (even when the
    /// options they differ in shift autoconf.h's lines: the replay equals a real run, provenance
    /// included); one that differs in a read option runs the unit again, and nothing else.
    #[test]
    fn units_are_shared_by_the_options_they_read() {
        let pre_ast = Arc::new(fixture());
        let db = LoggingDatabase::default();
        let input = PreAstInput::from_pre_ast(&db, Arc::clone(&pre_ast));
        let config =
            |name: &str, list: &[(&str, &str)]| KernelConfig::new(&db, name.into(), options(list));
        let direct = |list: &[(&str, &str)]| {
            let target = TargetConfig { options: options(list) };
            preprocess(&pre_ast, &target, &skeleton_cache(&pre_ast), View::Declarations).unwrap()
        };
        let base = [("CONFIG_N", "4"), ("CONFIG_X", "1")];
        let first = preprocessed(&db, input, config("first", &base)).unwrap();
        assert_eq!(*first, direct(&base));
        assert_eq!(units_run(&db.take_log()), 1);

        // An option nobody reads, at the end: the same result, shared.
        let appended = [("CONFIG_N", "4"), ("CONFIG_X", "1"), ("CONFIG_UNREAD_MODULE", "1")];
        let pp = preprocessed(&db, input, config("appended", &appended)).unwrap();
        assert!(Arc::ptr_eq(&pp, &first));
        let log = db.take_log();
        assert_eq!(units_run(&log), 0, "{log:?}");
        assert!(!log.iter().any(|l| l.contains("file_skeleton")), "{log:?}");

        // An option nobody reads, first: autoconf.h's lines move; the replay is patched and equals
        // a real run, definition lines included.
        let shifted = [("CONFIG_UNREAD", "1"), ("CONFIG_N", "4"), ("CONFIG_X", "1")];
        let pp = preprocessed(&db, input, config("shifted", &shifted)).unwrap();
        assert_eq!(units_run(&db.take_log()), 0);
        let real = direct(&shifted);
        assert_eq!(*pp, real);
        assert_ne!(pp.expansions, first.expansions, "the fixture must move a definition line");

        // A read option changes (an expanded one, then an #ifdef'd one): the unit runs again, and
        // only the unit and the per-config derived header (autoconf.h) are computed.
        for list in [&[("CONFIG_N", "8"), ("CONFIG_X", "1")][..], &[("CONFIG_N", "4")][..]] {
            let pp = preprocessed(&db, input, config("changed", list)).unwrap();
            let log = db.take_log();
            assert_eq!(units_run(&log), 1, "{log:?}");
            assert!(!log.iter().any(|l| l.contains("file_skeleton")), "{log:?}");
            assert_eq!(*pp, direct(list));
            assert_ne!(pp.tokens, first.tokens);
        }

        // An option that is not a CONFIG_ name is beyond what the lookups record: never shared.
        let odd = [("CONFIG_N", "4"), ("CONFIG_X", "1"), ("NOT_A_CONFIG_NAME", "1")];
        let pp = preprocessed(&db, input, config("odd", &odd)).unwrap();
        assert_eq!(units_run(&db.take_log()), 1);
        assert_eq!(*pp, direct(&odd));
    }
}
