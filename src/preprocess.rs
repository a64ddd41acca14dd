//! C preprocessing of the pre-AST's target under one kernel configuration: token for token what
//! `gcc -E` produces with kbuild's command line.
//!
//! Two levels. `file_skeleton(file)` lowers one file into its directive skeleton; it depends on
//! the file's text only, so it runs at most once per file however many configurations are
//! processed. `preprocessed(pre_ast, config)` runs the translation unit (predefined macros,
//! forced includes, target) under one configuration. The key is the whole translation unit plus
//! the config, because what a header expands to depends on every macro defined before it; the
//! per-file work that does not depend on that (lexing, lowering) is what is shared.
//!
//! Config-derived headers (autoconf.h, bounds.h, timeconst.h) are regenerated from the config and
//! never read from the pre-AST's stored copy. Every output token has provenance in side tables:
//! the file and line (runs), the chain of `#if` branches that kept it, and the macro expansion it
//! came from.

pub mod bodies;
pub mod builtins;
#[cfg(test)]
#[path = "../tests/support/dev_tree.rs"]
mod dev_tree;
pub mod engine;
pub mod eval;
pub mod generated;
pub mod memo;
pub mod output;
pub mod skeleton;
#[cfg(test)]
mod test_gcc;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use smol_str::SmolStr;

use crate::config::autoconf_h_text;
use crate::db::Db;
// `PreAstInput` lives with the other salsa inputs; named here too so that callers of
// `preprocess::PreAstInput` keep working.
pub use crate::input::PreAstInput;
use crate::input::{KernelConfig, SourceFile};
use crate::pre_ast::{FileId, FileKind, GeneratedHeader, PreAst};
use crate::preprocess::engine::{Engine, FileProvider, MainFile};
use crate::preprocess::generated::TypeSizes;
use crate::preprocess::skeleton::{BranchKind, FileSkeleton};
use crate::token::Token;

/// The preprocessed translation unit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preprocessed {
    pub tokens: Vec<Token>,
    /// Whether a space preceded each token (for printing only).
    pub spaces: Vec<bool>,
    /// The macro expansion each token came from (an index into `expansions`; 0 for none).
    pub token_exp: Vec<u32>,
    /// Runs of tokens from the same file, line and `#if` chain, in token order.
    pub runs: Vec<Run>,
    /// Macro expansions; entry 0 is "none".
    pub expansions: Vec<Expansion>,
    /// Taken `#if` branches; entry 0 is the root (no condition).
    pub conds: Vec<CondRecord>,
    /// File names as GCC spells them, indexed by `Run::file`.
    pub files: Vec<String>,
    /// `#pragma` lines and `_Pragma` operators, at their place in the token stream.
    pub pragmas: Vec<Pragma>,
    /// `#warning` messages.
    pub warnings: Vec<String>,
}

/// Provenance of a run of tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// Index of the run's first token.
    pub start: u32,
    /// Index into `Preprocessed::files`.
    pub file: u32,
    /// The line in that file (for macro expansions, the line of the outermost invocation).
    pub line: u32,
    /// The innermost taken `#if` branch (index into `Preprocessed::conds`).
    pub cond: u32,
}

/// One macro expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expansion {
    pub name: SmolStr,
    /// Where the outermost invocation containing it is (file index, line).
    pub file: u32,
    pub line: u32,
    /// The expansion the macro's name token came from (0: written in a file).
    pub parent: u32,
    /// Where the macro was defined (file index, line).
    pub defined_at: (u32, u32),
}

/// A taken conditional branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CondRecord {
    pub file: u32,
    pub line: u32,
    pub kind: BranchKind,
    /// The condition as written.
    pub text: String,
    /// The enclosing taken branch.
    pub parent: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pragma {
    /// The pragma comes before this token index.
    pub before_token: u32,
    /// `#pragma ...` as GCC -E prints it.
    pub text: String,
    pub line: u32,
}

impl Preprocessed {
    /// The run a token belongs to.
    pub fn run_of(&self, token: usize) -> Option<&Run> {
        let i = self.runs.partition_point(|r| r.start as usize <= token);
        i.checked_sub(1).map(|i| &self.runs[i])
    }

    /// The macro expansion chain of a token, innermost first: `NAME (file:line)`.
    pub fn expansion_chain(&self, token: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut e = self.token_exp.get(token).copied().unwrap_or(0);
        while e != 0 && out.len() < 64 {
            let x = &self.expansions[e as usize];
            let (df, dl) = x.defined_at;
            out.push(format!(
                "{} invoked at {}:{}, defined at {}:{}",
                x.name, self.files[x.file as usize], x.line, self.files[df as usize], dl
            ));
            e = x.parent;
        }
        out
    }

    /// The `#if` chain that kept a token, innermost first: `#ifdef X (file:line)`.
    pub fn cond_chain(&self, token: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut c = self.run_of(token).map_or(0, |r| r.cond);
        while c != 0 {
            let x = &self.conds[c as usize];
            out.push(format!(
                "#{} {} ({}:{})",
                x.kind.spelling(),
                x.text,
                self.files[x.file as usize],
                x.line
            ));
            c = x.parent;
        }
        out
    }
}

/// A preprocessing error: an `#error`, a missing include, a malformed directive or macro use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PpError {
    pub file: String,
    pub line: u32,
    pub message: String,
    /// The includers, innermost first: (file, line of the `#include`).
    pub include_chain: Vec<(String, u32)>,
}

impl fmt::Display for PpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)?;
        for (file, line) in &self.include_chain {
            write!(f, "\n    included from {file}:{line}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PpError {}

/// How GCC spells a pre-AST file in `__FILE__` and line markers: kbuild passes
/// `-fmacro-prefix-map=$(srctree)/=` and runs in the object tree, so source-tree files lose their
/// prefix and object-tree files are `./…`.
pub fn gcc_file_name(virtual_path: &str) -> String {
    if let Some(rest) = virtual_path.strip_prefix("src/") {
        rest.to_owned()
    } else if let Some(rest) = virtual_path.strip_prefix("obj/") {
        format!("./{rest}")
    } else {
        virtual_path.to_owned()
    }
}

/// The configuration as the preprocessor needs it: autoconf.h's macros.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetConfig {
    pub options: Arc<[(SmolStr, SmolStr)]>,
}

impl TargetConfig {
    /// The compiler's predefined macros and kbuild's `-D` flags under this config: the table of
    /// the compiler the config names, kbuild's `-D`s, and the flag rules this config turns on.
    pub fn predefined(&self, pre_ast: &PreAst) -> String {
        pre_ast.predefined_for(&self.options)
    }
}

/// Which tokens of the translation unit to emit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// Every token, as `gcc -E` prints them.
    Full,
    /// The declaration view: as `Full`, but each file-scope function body is emitted as `{ }`
    /// (its macros are still expanded; see [`bodies`]). What the layout pipeline reads.
    Declarations,
}

/// Preprocesses the pre-AST's target under `config`. `source_skeleton` gives the skeleton of an
/// ordinary (not config-derived) file; the salsa query passes `file_skeleton`, other callers a
/// cache.
pub fn preprocess(
    pre_ast: &PreAst,
    config: &TargetConfig,
    source_skeleton: &dyn Fn(FileId) -> Arc<FileSkeleton>,
    view: View,
) -> Result<Preprocessed, PpError> {
    let files =
        PreAstFiles::new(pre_ast, config, source_skeleton, &crate::decl::sizes::EngineSizes);
    preprocess_files(pre_ast, config, &files, view)
}

fn preprocess_files(
    pre_ast: &PreAst,
    config: &TargetConfig,
    files: &PreAstFiles<'_>,
    view: View,
) -> Result<Preprocessed, PpError> {
    let engine = unit_engine(pre_ast, files, view)?;
    engine.run(
        &config.predefined(pre_ast),
        &pre_ast.forced_includes,
        MainFile::File(unit_target(pre_ast)?),
    )
}

/// The declaration view of the unit, recording the `CONFIG_*` names it looks up (for `memo`).
fn run_unit(
    pre_ast: &PreAst,
    files: &PreAstFiles<'_>,
    predefined: &str,
) -> Result<(Preprocessed, rustc_hash::FxHashSet<SmolStr>), PpError> {
    let engine = unit_engine(pre_ast, files, View::Declarations)?.record_config_reads();
    engine.run_recording(
        predefined,
        &pre_ast.forced_includes,
        MainFile::File(unit_target(pre_ast)?),
    )
}

fn unit_target(pre_ast: &PreAst) -> Result<FileId, PpError> {
    pre_ast.target.ok_or_else(|| PpError {
        file: String::new(),
        line: 0,
        message: "the pre-AST has no target file".into(),
        include_chain: Vec::new(),
    })
}

fn unit_engine<'a>(
    pre_ast: &PreAst,
    files: &'a PreAstFiles<'a>,
    view: View,
) -> Result<Engine<'a>, PpError> {
    unit_target(pre_ast)?;
    let text_bytes: usize = pre_ast.files.iter().map(|f| f.text.len()).sum();
    let mut engine = match view {
        View::Full => Engine::new(files),
        View::Declarations => Engine::new(files).elide_function_bodies(),
    }
    .limit_work(text_bytes as u64);
    // A kernel unit has about one output token per 7 bytes of the pre-AST's text (fewer in the
    // declaration view). Reserving that up front saves the copies of a growing vector; pages not
    // written are never touched.
    engine.reserve_output(text_bytes / 6);
    Ok(engine)
}

/// Outside salsa (the `preprocess` command, tests, benchmarks): a `source_skeleton` for
/// [`preprocess`] that lowers each file of `pre_ast` on first use and keeps it.
pub fn skeleton_cache(pre_ast: &PreAst) -> impl Fn(FileId) -> Arc<FileSkeleton> + '_ {
    let cache: RefCell<FxHashMap<FileId, Arc<FileSkeleton>>> = RefCell::default();
    move |id| {
        if let Some(s) = cache.borrow().get(&id) {
            return Arc::clone(s);
        }
        let s = Arc::new(skeleton::lower(&pre_ast.file(id).text));
        cache.borrow_mut().insert(id, Arc::clone(&s));
        s
    }
}

/// The skeleton of one source file: config-independent, computed at most once per file.
#[salsa::tracked(returns(clone))]
pub fn file_skeleton(db: &dyn Db, file: SourceFile) -> Arc<FileSkeleton> {
    Arc::new(skeleton::lower(file.text(db)))
}

/// The preprocessed target of a pre-AST under one configuration, in the declaration view
/// ([`View::Declarations`]: file-scope function bodies elided). At most `lru` units stay in memory
/// when the database evicts (`batch` does between groups of configurations).
#[salsa::tracked(returns(clone), lru = 8)]
pub fn preprocessed(
    db: &dyn Db,
    pre_ast: PreAstInput,
    config: KernelConfig,
) -> Result<Arc<Preprocessed>, PpError> {
    // Memoised across configurations by the configuration state the unit reads (`memo`).
    memo::preprocessed_shared(db, pre_ast, config)
}

/// The preprocessed target in the full view ([`View::Full`]: exactly `gcc -E`, function bodies
/// included), for the `preprocess` command.
#[salsa::tracked(returns(clone))]
pub fn preprocessed_full(
    db: &dyn Db,
    pre_ast: PreAstInput,
    config: KernelConfig,
) -> Result<Arc<Preprocessed>, PpError> {
    with_query_files(db, pre_ast, config, |shape, target, files| {
        preprocess_files(shape, target, files, View::Full).map(Arc::new)
    })
}

/// The skeleton of a config-derived header (autoconf.h, bounds.h, timeconst.h, …) regenerated
/// under `config`. A query of its own so that it can be computed ahead of the preprocessor on
/// another thread (bounds.h preprocesses a translation unit of its own). About four per
/// configuration; autoconf.h's is a few MB, hence the `lru`.
#[salsa::tracked(returns(clone), lru = 32)]
pub fn config_header(
    db: &dyn Db,
    pre_ast: PreAstInput,
    config: KernelConfig,
    file: FileId,
) -> Result<Arc<FileSkeleton>, String> {
    with_query_files(db, pre_ast, config, |shape, _, files| {
        let FileKind::ConfigDerived(which) = shape.file(file).kind else {
            return Err(format!("{} is not derived from the configuration", shape.file(file).path));
        };
        files.generated_text(file, which).map(|text| Arc::new(skeleton::lower(&text)))
    })
}

/// Runs `f` inside a query with the engine's view of `pre_ast` under `config`: stored files
/// through `file_skeleton`, config-derived ones through `config_header`.
fn with_query_files<T>(
    db: &dyn Db,
    pre_ast: PreAstInput,
    config: KernelConfig,
    f: impl FnOnce(&PreAst, &TargetConfig, &PreAstFiles<'_>) -> T,
) -> T {
    let shape = pre_ast.pre_ast(db);
    let sources = pre_ast.sources(db);
    let target = TargetConfig { options: config.options(db).clone() };
    let skel = |id: FileId| file_skeleton(db, sources[id.0 as usize]);
    let header = |id: FileId| config_header(db, pre_ast, config, id);
    let files = PreAstFiles::new(shape, &target, &skel, &crate::decl::sizes::EngineSizes)
        .with_config_headers(&header);
    f(shape, &target, &files)
}

/// What the declaration stage reads of a preprocessed unit: its tokens and the `#pragma` lines
/// that change layouts (`pack`, `scalar_storage_order`), each before a token position. It shares
/// the unit's token vector (no copy); equality, which salsa's backdating uses, looks only at the
/// tokens and those pragmas, and nothing else of the unit can be read through it.
#[derive(Clone, Debug)]
pub struct UnitTokens {
    unit: Arc<Preprocessed>,
    pub layout_pragmas: Vec<(u32, String)>,
}

impl UnitTokens {
    pub fn tokens(&self) -> &[Token] {
        &self.unit.tokens
    }
}

impl PartialEq for UnitTokens {
    fn eq(&self, other: &UnitTokens) -> bool {
        self.tokens() == other.tokens() && self.layout_pragmas == other.layout_pragmas
    }
}

impl Eq for UnitTokens {}

/// Whether a `#pragma` line (as GCC -E prints it, or a `_Pragma` operand) can change a layout.
pub fn is_layout_pragma(text: &str) -> bool {
    let body = text.trim_start().trim_start_matches("#pragma").trim_start();
    body.starts_with("pack") || body.starts_with("scalar_storage_order")
}

/// Only the tokens and layout pragmas of `preprocessed`: a firewall for the declaration stage,
/// so that a config change that moves lines or conditions but yields the same tokens is
/// backdated here and nothing downstream re-runs.
#[salsa::tracked(returns(clone))]
pub fn preprocessed_tokens(
    db: &dyn Db,
    pre_ast: PreAstInput,
    config: KernelConfig,
) -> Result<Arc<UnitTokens>, PpError> {
    preprocessed(db, pre_ast, config).map(|pp| {
        Arc::new(UnitTokens {
            layout_pragmas: pp
                .pragmas
                .iter()
                .filter(|p| is_layout_pragma(&p.text))
                .map(|p| (p.before_token, p.text.clone()))
                .collect(),
            unit: pp,
        })
    })
}

/// Every asm-offsets.h constant's value under one config, or why it cannot be computed.
type AsmOffsets = FxHashMap<String, Result<i64, String>>;

/// The engine's view of a pre-AST under one configuration: stored files through
/// `source_skeleton`, config-derived ones regenerated (once per translation unit).
pub struct PreAstFiles<'a> {
    pre_ast: &'a PreAst,
    config: &'a TargetConfig,
    source_skeleton: &'a dyn Fn(FileId) -> Arc<FileSkeleton>,
    sizes: &'a dyn TypeSizes,
    /// Where config-derived headers come from when the caller has them (the `config_header`
    /// query); otherwise they are regenerated here, once per translation unit.
    config_headers: Option<&'a dyn Fn(FileId) -> Result<Arc<FileSkeleton>, String>>,
    generated: RefCell<FxHashMap<FileId, Arc<FileSkeleton>>>,
    /// Set while bounds.c is preprocessed: bounds.h must not be needed then.
    generating_bounds: bool,
    /// The compiler the config names (its `__has_attribute`/`__has_builtin` answers).
    compiler: &'static crate::pre_ast::predefined::CompilerTable,
    /// Set while the asm-offsets unit is preprocessed: its values must not be needed then.
    generating_asm_offsets: bool,
    /// The asm-offsets.h values, computed on first use.
    asm_offsets: RefCell<Option<Result<AsmOffsets, String>>>,
}

impl<'a> PreAstFiles<'a> {
    pub fn new(
        pre_ast: &'a PreAst,
        config: &'a TargetConfig,
        source_skeleton: &'a dyn Fn(FileId) -> Arc<FileSkeleton>,
        sizes: &'a dyn TypeSizes,
    ) -> PreAstFiles<'a> {
        PreAstFiles {
            pre_ast,
            config,
            source_skeleton,
            sizes,
            config_headers: None,
            generated: RefCell::default(),
            generating_bounds: false,
            compiler: if pre_ast.compiler_in_predefined {
                crate::pre_ast::predefined::default_table()
            } else {
                crate::pre_ast::predefined::choose_for_options(&config.options).table
            },
            generating_asm_offsets: false,
            asm_offsets: RefCell::default(),
        }
    }

    /// Takes config-derived headers from `headers` instead of regenerating them.
    pub fn with_config_headers(
        mut self,
        headers: &'a dyn Fn(FileId) -> Result<Arc<FileSkeleton>, String>,
    ) -> PreAstFiles<'a> {
        self.config_headers = Some(headers);
        self
    }

    /// The regenerated text of a config-derived header.
    pub fn generated_text(&self, file: FileId, which: GeneratedHeader) -> Result<String, String> {
        let path = &self.pre_ast.file(file).path;
        match which {
            GeneratedHeader::Autoconf => {
                // kconfig prefixes hex values with 0x when `.config` spells them without; the
                // symbol types are not in `.config`, so take them from the stored autoconf.h
                // (a symbol's type is a property of the kernel version, not of the config).
                let stored = &self.pre_ast.file(file).text;
                let hex: rustc_hash::FxHashSet<&str> = stored
                    .lines()
                    .filter_map(|l| l.strip_prefix("#define "))
                    .filter_map(|l| l.split_once(' '))
                    .filter(|(_, v)| v.starts_with("0x") || v.starts_with("0X"))
                    .map(|(n, _)| n)
                    .collect();
                let options: Vec<(SmolStr, SmolStr)> = self
                    .config
                    .options
                    .iter()
                    .map(|(n, v)| {
                        if hex.contains(n.as_str()) && !v.starts_with("0x") && !v.starts_with("0X") {
                            (n.clone(), SmolStr::from(format!("0x{v}")))
                        } else {
                            (n.clone(), v.clone())
                        }
                    })
                    .collect();
                Ok(autoconf_h_text(None, None, &options))
            }
            GeneratedHeader::Timeconst => {
                let hz = self.config.options.iter().find(|(n, _)| n == "CONFIG_HZ").map(|(_, v)| v.clone());
                let hz = hz.ok_or_else(|| format!("{path}: CONFIG_HZ is not set in the configuration"))?;
                let hz: u64 = hz.parse().map_err(|_| format!("{path}: CONFIG_HZ={hz} is not a number"))?;
                generated::timeconst_h(hz)
            }
            GeneratedHeader::Bounds => self.bounds_h(file),
            GeneratedHeader::AsmOffsets => Ok(generated::asm_offsets_h(&self.pre_ast.file(file).text)),
            GeneratedHeader::CpuFeatureMasks => {
                let features = self
                    .pre_ast
                    .lookup("src/arch/x86/include/asm/cpufeatures.h")
                    .ok_or_else(|| format!("{path}: the pre-AST lacks arch/x86/include/asm/cpufeatures.h"))?;
                generated::cpufeaturemasks_h(&self.pre_ast.file(features).text, &self.config.options)
                    .map_err(|e| format!("{path}: {e}"))
            }
            GeneratedHeader::Other => Err(format!(
                "{path} is derived from the configuration and we cannot regenerate it yet (it needs the layout engine)"
            )),
        }
    }

    /// Every asm-offsets.h value: the stored unit (`generated::asm_offsets_unit`) preprocessed
    /// under the target config and its enumerators evaluated by our layout engine.
    fn compute_asm_offsets(&self) -> Result<AsmOffsets, String> {
        let unit = self
            .pre_ast
            .lookup(generated::ASM_OFFSETS_UNIT_PATH)
            .ok_or("the pre-AST has no asm-offsets unit (rebuild it with this build-pre-ast)")?;
        let mut nested =
            PreAstFiles::new(self.pre_ast, self.config, self.source_skeleton, self.sizes);
        nested.config_headers = self.config_headers;
        nested.generating_asm_offsets = true;
        let pp = Engine::new(&nested)
            .run(
                // kbuild compiles asm-offsets.c into the kernel, not as a module.
                &crate::pre_ast::predefined::builtin_object_defines(
                    &self.config.predefined(self.pre_ast),
                    "asm_offsets",
                ),
                &self.pre_ast.forced_includes,
                MainFile::File(unit),
            )
            .map_err(|e| format!("while preprocessing the asm-offsets unit: {e}"))?;
        let names: Vec<String> = pp
            .tokens
            .iter()
            .filter(|t| {
                t.kind == syntax::SyntaxKind::IDENT
                    && t.text.starts_with(generated::ASM_OFFSET_PREFIX)
            })
            .map(|t| t.text.to_string())
            .collect();
        let values = self.sizes.enumerator_values(&names, &pp.tokens);
        Ok(names
            .iter()
            .zip(values)
            .map(|(n, v)| {
                let name = n[generated::ASM_OFFSET_PREFIX.len()..].to_string();
                (name, v.and_then(generated::asm_immediate))
            })
            .collect())
    }

    /// bounds.h: the constants the stored copy lists, each computed the way kernel/bounds.c does
    /// under the target config (never the stored values).
    fn bounds_h(&self, file: FileId) -> Result<String, String> {
        let stored = generated::parse_bounds_h(&self.pre_ast.file(file).text);
        let mut nested =
            PreAstFiles::new(self.pre_ast, self.config, self.source_skeleton, self.sizes);
        nested.config_headers = self.config_headers;
        nested.generating_bounds = true;
        let main =
            MainFile::Text { name: "kernel/bounds.c".into(), text: generated::BOUNDS_C.into() };
        let (pp, values) = Engine::new(&nested)
            .run_and_eval(
                &self.config.predefined(self.pre_ast),
                &self.pre_ast.forced_includes,
                main,
                &[
                    "defined(MAX_NR_GENS)",
                    "MAX_NR_GENS + 1",
                    "defined(MAX_NR_TIERS)",
                    "MAX_NR_TIERS - 2",
                ],
            )
            .map_err(|e| format!("while preprocessing kernel/bounds.c: {e}"))?;
        let value_if = |defined: usize| match (&values[defined], &values[defined + 1]) {
            (Ok(d), Ok(v)) if d.is_true() => Some(v.as_i128()),
            _ => None,
        };
        let inputs = generated::BoundsInputs {
            options: &self.config.options,
            tokens: &pp.tokens,
            max_nr_gens_plus_1: value_if(0),
            max_nr_tiers_minus_2: value_if(2),
        };
        let mut entries = Vec::new();
        for e in &stored {
            if let Some(v) = generated::bounds_value(&e.name, &inputs, self.sizes)? {
                entries.push((e.name.clone(), v, e.expr.clone()));
            }
        }
        Ok(generated::bounds_h(&entries))
    }
}

impl FileProvider for PreAstFiles<'_> {
    fn skeleton(&self, file: FileId) -> Result<Arc<FileSkeleton>, String> {
        match self.pre_ast.file(file).kind {
            FileKind::Source => Ok((self.source_skeleton)(file)),
            FileKind::ConfigDerived(which) => {
                if which == GeneratedHeader::Bounds && self.generating_bounds {
                    let path = &self.pre_ast.file(file).path;
                    return Err(format!(
                        "{path} is needed while generating it from kernel/bounds.c"
                    ));
                }
                if let Some(headers) = self.config_headers {
                    return headers(file);
                }
                if let Some(sk) = self.generated.borrow().get(&file) {
                    return Ok(sk.clone());
                }
                let text = self.generated_text(file, which)?;
                let sk = Arc::new(skeleton::lower(&text));
                self.generated.borrow_mut().insert(file, sk.clone());
                Ok(sk)
            }
        }
    }

    fn resolve(
        &self,
        from: Option<FileId>,
        spelled: &str,
        angled: bool,
        next: bool,
    ) -> Option<FileId> {
        match from {
            Some(from) => self.pre_ast.resolve_include(from, spelled, angled, next),
            None => self.pre_ast.search_dirs.iter().find_map(|d| {
                self.pre_ast.lookup(&crate::pre_ast::normalize(&format!("{d}/{spelled}")))
            }),
        }
    }

    fn display_name(&self, file: FileId) -> String {
        let path = &self.pre_ast.file(file).path;
        match path.strip_prefix("src/") {
            Some(rest) if !self.pre_ast.src_file_prefix.is_empty() => {
                format!("{}{rest}", self.pre_ast.src_file_prefix)
            }
            _ => gcc_file_name(path),
        }
    }

    fn compiler(&self) -> &'static crate::pre_ast::predefined::CompilerTable {
        self.compiler
    }

    fn asm_offset(&self, name: &str) -> Result<i64, String> {
        if self.generating_bounds {
            // kbuild generates bounds.h first; kernel/bounds.c defines COMPILE_OFFSETS so that
            // asm/asm.h does not include asm-offsets.h.
            return Err(format!("{name} (from asm-offsets.h) is needed while generating bounds.h"));
        }
        if self.generating_asm_offsets {
            return Err(format!(
                "{name} (from asm-offsets.h) is needed while computing asm-offsets.h"
            ));
        }
        let mut cache = self.asm_offsets.borrow_mut();
        let all = cache.get_or_insert_with(|| self.compute_asm_offsets());
        match all {
            Err(e) => Err(format!("{name} (from asm-offsets.h): {e}")),
            Ok(map) => match map.get(name) {
                Some(Ok(v)) => Ok(*v),
                Some(Err(e)) => Err(format!("{name} (from asm-offsets.h): {e}")),
                None => Err(format!("{name} (from asm-offsets.h): the stored asm-offsets.h gives no expression for it")),
            },
        }
    }
}
