//! The engine side of `make-profile`: a loaded pre-AST and one kernel configuration in; the layouts
//! of every type GCC's debug info would hold for the target out, both as the canonical layout
//! document (for the conformance harness) and as the profile model (for the Rekall and ISF writers).
//!
//! Stages: `preprocessed` (salsa query) → `DeclIndex` skim → the debug-info closure of the target's
//! variables (`emitted_for_unit`) → record layouts → [`ModelBuilder`], which turns the engine's
//! types into the writers' model. Nothing here does I/O.

use std::{
    fmt,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Instant,
};

use rustc_hash::FxHashMap;
use smol_str::SmolStr;

use crate::{
    config::ConfigFile,
    db::Db,
    decl::{
        emitted_extra, emitted_for_unit, query as decl_query, EmittedRecords, Resolver, SourceLoc,
    },
    input::{KernelConfig, PreAstInput},
    layout,
    pre_ast::{FileId, FileKind, GeneratedHeader, PreAst},
    preprocess::{config_header, file_skeleton, preprocessed, PpError, Preprocessed},
    profile::{
        layout_json::{layouts_document, LayoutsDoc},
        model::{
            BaseId, BaseKind, BaseType, Enum, EnumId, Field, FunctionType, ProfileModel, Record,
            RecordId, RecordKind as MRecordKind, SymbolType, TypeInError, TypeRef, Typedef,
            TypedefId,
        },
        system_map::SystemMap,
        volatility_coverage::Coverage,
    },
    ty::{BaseTy, EnumTy, RecordKind, RecordTy, Ty},
};

/// Why the engine made no profile for a configuration. Types it cannot lay out are not errors
/// here: they are listed in the model (`ProfileModel::errors`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineError {
    /// The target does not preprocess (an active `#error`, a missing include, a malformed
    /// directive), with its file, line and include chain.
    Preprocess(PpError),
    /// The symbol map the caller gave could not be read.
    SymbolMap(String),
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Preprocess(e) => fmt::Display::fmt(e, f),
            EngineError::SymbolMap(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for EngineError {}

/// The CLI renders errors as text, once, at the edge.
impl From<EngineError> for String {
    fn from(e: EngineError) -> String {
        e.to_string()
    }
}

/// What the engine computed for one configuration.
pub struct EngineOutput {
    /// The canonical layout document (`layout-expert-layouts/1`), for `cargo xtask conformance`.
    pub layouts: LayoutsDoc,
    /// The profile model the writers serialize (config, symbols and banner still to be filled).
    pub model: ProfileModel,
    /// Every declaration or type we could not handle, with its source location.
    pub problems: Vec<String>,
    /// Number of preprocessed tokens.
    pub tokens: usize,
    /// Seconds per stage, in order.
    pub stages: Vec<(&'static str, f64)>,
}

/// Runs the engine for one configuration. `symbol_map` gives the symbol map (if any) whose
/// variables' declared types the profile should carry; it is called only once the layouts are
/// done, so a caller can read the map on another thread meanwhile. The map ends up in the model.
pub fn run(
    db: &dyn Db,
    pre_ast: &Arc<PreAst>,
    config: &ConfigFile,
    symbol_map: impl FnOnce() -> Result<Option<SystemMap>, String>,
) -> Result<EngineOutput, EngineError> {
    let input = PreAstInput::from_pre_ast(db, Arc::clone(pre_ast));
    run_input(db, input, config, symbol_map)
}

/// [`run`] on a pre-AST already made a salsa input. Several configurations run on one input and
/// one database share the config-independent work (each file lexed and lowered once).
pub fn run_input(
    db: &dyn Db,
    input: PreAstInput,
    config: &ConfigFile,
    symbol_map: impl FnOnce() -> Result<Option<SystemMap>, String>,
) -> Result<EngineOutput, EngineError> {
    let pre_ast = Arc::clone(input.pre_ast(db));
    let mut stages = Vec::new();
    let t = Instant::now();
    let kconfig =
        KernelConfig::new(db, config.origin.as_str().into(), config.options.clone().into());
    let pp = with_skeletons_ahead(db, input, kconfig, || preprocessed(db, input, kconfig));
    let pp = pp.map_err(EngineError::Preprocess)?;
    stages.push(("PREPROCESSING", t.elapsed().as_secs_f64()));
    let t = Instant::now();
    // The skim (its errors are reported below, with the rest).
    let _ = decl_query::decl_index(db, input, kconfig);
    stages.push(("TRIMMING", t.elapsed().as_secs_f64()));
    let mut out = decl_query::with_resolver(db, input, kconfig, |resolver| {
        lay_out(resolver, &pp, symbol_map, &mut stages)
    })
    .map_err(EngineError::Preprocess)??;
    out.model.kernel_release = Some(pre_ast.meta.kernel_release.clone()).filter(|r| !r.is_empty());
    out.model.config = config_values(config);
    if !pre_ast.compiler_in_predefined {
        // Refusing is the caller's (`check_version`); a forced choice is recorded here.
        let choice = crate::pre_ast::predefined::choose_for_options(&config.options);
        out.model.warnings.extend(choice.check(true).ok().flatten());
    }
    Ok(out)
}

/// The preprocessed unit of `input` under `config`, computed as [`run_input`] computes it (the
/// config-derived headers and file skeletons ahead on a helper thread). For `explain`.
pub fn preprocessed_ahead(
    db: &dyn Db,
    input: PreAstInput,
    config: KernelConfig,
) -> Result<Arc<Preprocessed>, String> {
    with_skeletons_ahead(db, input, config, || preprocessed(db, input, config))
        .map_err(|e| e.to_string())
}

/// Runs `f` (which preprocesses `input` under `config`) while a helper thread computes what the
/// preprocessor will read, so that it mostly finds it done: first the config-derived headers
/// (autoconf.h is read first; bounds.h is a translation unit of its own), then each file's
/// skeleton (lowering is about a third of cold preprocessing; the machines this runs on have at
/// least two cores). For the skeletons the helper walks the include graph depth first through
/// every branch (the forced includes, then the target), which is nearly the order the
/// preprocessor reads files in under any configuration. It stops as soon as `f` returns.
fn with_skeletons_ahead<T>(
    db: &dyn Db,
    input: PreAstInput,
    config: KernelConfig,
    f: impl FnOnce() -> T,
) -> T {
    let sources = input.sources(db).clone();
    let pre_ast = Arc::clone(input.pre_ast(db));
    let helper = db.fork();
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (stop, sources, pre_ast) = (&stop, &sources, &pre_ast);
        scope.spawn(move || {
            let derived = |which: GeneratedHeader| {
                (0..sources.len() as u32)
                    .map(FileId)
                    .filter(move |&id| pre_ast.file(id).kind == FileKind::ConfigDerived(which))
            };
            for which in
                [GeneratedHeader::Autoconf, GeneratedHeader::Bounds, GeneratedHeader::Timeconst]
            {
                for file in derived(which) {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    // An error here is the preprocessor's to report if it reads the file.
                    let _ = config_header(&*helper, input, config, file);
                }
            }
            let mut seen = vec![false; sources.len()];
            let mut stack: Vec<FileId> = pre_ast.target.into_iter().collect();
            stack.extend(pre_ast.forced_includes.iter().rev());
            while let Some(file) = stack.pop() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                if std::mem::replace(&mut seen[file.0 as usize], true)
                    || pre_ast.file(file).kind != FileKind::Source
                {
                    continue;
                }
                let skeleton = file_skeleton(&*helper, sources[file.0 as usize]);
                for (name, angled, next) in skeleton.includes().iter().rev() {
                    if let Some(to) = pre_ast.resolve_include(file, name, *angled, *next) {
                        if !seen[to.0 as usize] {
                            stack.push(to);
                        }
                    }
                }
            }
        });
        let out = f();
        stop.store(true, Ordering::Relaxed);
        out
    })
}

/// The layouts of a translation unit, from a resolver over its declaration queries
/// ([`decl_query::with_resolver`]); `pp` gives the source locations of problems.
fn lay_out(
    resolver: &mut Resolver<'_>,
    pp: &Preprocessed,
    symbol_map: impl FnOnce() -> Result<Option<SystemMap>, String>,
    stages: &mut Vec<(&'static str, f64)>,
) -> Result<EngineOutput, EngineError> {
    let index = resolver.index;
    let t = Instant::now();
    let emitted = emitted_for_unit(resolver);
    // The profile also holds what memory-forensics tools read that no variable reaches (the
    // coverage list's types and enums); the layout document stays GCC's debug-info closure.
    let extra = coverage_extra(resolver, &emitted);
    // Source locations are needed only to report problems.
    let locs = if index.errors.is_empty() && emitted.errors.is_empty() && extra.errors.is_empty() {
        Vec::new()
    } else {
        source_locs(pp)
    };
    // Declarations the skim could not parse are problems; what the debug-info closure could not
    // resolve are types in error (listed in the profile's metadata).
    let mut problems: Vec<String> = index.errors.iter().map(|e| e.render(&locs)).collect();
    let closure_errors: Vec<TypeInError> = emitted
        .errors
        .iter()
        .chain(&extra.errors)
        .map(|(what, e)| TypeInError { name: what.clone(), reason: e.render(&locs) })
        .collect();
    stages.push(("PARSING", t.elapsed().as_secs_f64()));
    let t = Instant::now();
    let (layouts, failures) =
        layouts_document(&emitted.records, &emitted.enums, &mut |rec| resolver.record_layout(rec));
    problems.extend(failures.iter().map(|f| format!("{}: {}", f.key, f.error)));
    let mut builder = ModelBuilder::new(resolver);
    builder.model.errors.extend(closure_errors);
    for (key, rec) in emitted.records.iter().chain(&extra.records) {
        if let Some(tag) = &rec.tag {
            builder.named.entry((rec.kind, tag.clone())).or_insert_with(|| {
                let id = RecordId(builder.model.records.len() as u32);
                builder.model.records.push(Record {
                    kind: model_kind(rec.kind),
                    name: Some(tag.to_string()),
                    size_bits: 0,
                    fields: None,
                });
                id
            });
        }
        let _ = key;
    }
    for (key, rec) in emitted.records.iter().chain(&extra.records) {
        if let Err(reason) = builder.define(rec) {
            builder.in_error(key.clone(), reason);
        }
    }
    for (key, def) in emitted.enums.iter().chain(&extra.enums) {
        if let Err(reason) = builder.enum_(def) {
            builder.in_error(key.clone(), reason);
        }
    }
    let map = symbol_map().map_err(EngineError::SymbolMap)?;
    if let Some(map) = &map {
        // The declared variables the map has, by name (a few thousand, against ~100k symbols).
        let mut declared: Vec<&SmolStr> =
            index.vars.keys().filter(|name| map.address(name).is_some()).collect();
        declared.sort_unstable();
        for name in declared {
            if let Ok(ty) = builder.resolver.variable(name) {
                match builder.ty(&ty) {
                    Ok(ty) => {
                        builder.model.symbol_types.push(SymbolType { name: name.to_string(), ty })
                    }
                    Err(reason) => builder.in_error(format!("variable {name}"), reason),
                }
            }
        }
    }
    let mut model = builder.model;
    model.system_map = map;
    stages.push(("LAYING OUT", t.elapsed().as_secs_f64()));
    Ok(EngineOutput {
        layouts,
        model,
        problems,
        tokens: pp.tokens.len(),
        stages: std::mem::take(stages),
    })
}

/// The records and enums of the Volatility coverage list (`profile::volatility_coverage`) the unit
/// defines but its debug-info closure does not reach: first what Volatility reads (a type among
/// them that cannot be laid out is a type in error), then what it fetches only to build the
/// templates of those (best effort: one that cannot be resolved is left out, not reported, as
/// Volatility copes with a missing template type until a plugin dereferences it).
fn coverage_extra(resolver: &mut Resolver<'_>, emitted: &EmittedRecords) -> EmittedRecords {
    static NAMES: std::sync::OnceLock<[(Vec<String>, Vec<String>); 2]> = std::sync::OnceLock::new();
    let tiers = NAMES.get_or_init(|| {
        let list = Coverage::builtin();
        [
            (list.types.into_iter().map(|t| t.name).collect(), list.enums),
            (list.template_types, list.template_enums),
        ]
    });
    fn strs(names: &[String]) -> Vec<&str> {
        names.iter().map(String::as_str).collect()
    }
    let (types, enums) = &tiers[0];
    let mut extra = emitted_extra(resolver, emitted, &strs(types), &strs(enums));
    let seen = EmittedRecords {
        records: emitted.records.iter().chain(&extra.records).cloned().collect(),
        enums: emitted.enums.iter().chain(&extra.enums).cloned().collect(),
        errors: Vec::new(),
    };
    let (types, enums) = &tiers[1];
    let templates = emitted_extra(resolver, &seen, &strs(types), &strs(enums));
    for (key, rec) in templates.records {
        if resolver.record_layout(&rec).is_ok() {
            extra.records.push((key, rec));
        }
    }
    extra.enums.extend(templates.enums);
    extra
}

/// One source location per token, from the preprocessor's runs.
fn source_locs(pp: &Preprocessed) -> Vec<SourceLoc> {
    let files: Vec<Arc<str>> = pp.files.iter().map(|f| Arc::from(f.as_str())).collect();
    let mut locs = Vec::with_capacity(pp.tokens.len());
    let unknown: Arc<str> = Arc::from("<unknown>");
    for i in 0..pp.tokens.len() {
        let loc = match pp.run_of(i) {
            Some(run) => SourceLoc {
                file: files.get(run.file as usize).cloned().unwrap_or_else(|| unknown.clone()),
                line: run.line,
            },
            None => SourceLoc { file: unknown.clone(), line: 0 },
        };
        locs.push(loc);
    }
    locs
}

/// The configuration as `.config` spells it (`y`, `m`, numbers, strings without their quotes),
/// for Rekall's `$CONFIG`.
fn config_values(config: &ConfigFile) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(config.options.len());
    let names: rustc_hash::FxHashSet<&str> =
        config.options.iter().map(|(n, _)| n.as_str()).collect();
    for (name, value) in &config.options {
        if let Some(base) = name.strip_suffix("_MODULE") {
            if value == "1" && !names.contains(base) {
                out.push((base.to_owned(), "m".to_owned()));
                continue;
            }
        }
        let value = if value == "1" && !name.ends_with("_MODULE") {
            // autoconf.h spells both `=y` and an int option `=1` as `1`; only `.config` tells
            // them apart, and `y` is by far the common case.
            "y".to_owned()
        } else if let Some(s) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            s.to_owned()
        } else {
            value.to_string()
        };
        out.push((name.to_string(), value));
    }
    out
}

fn model_kind(kind: RecordKind) -> MRecordKind {
    match kind {
        RecordKind::Struct => MRecordKind::Struct,
        RecordKind::Union => MRecordKind::Union,
    }
}

/// Turns the engine's types into the profile model, giving every record, enum, base type and
/// typedef one id. It invents nothing: a type it cannot build (a record or enum whose layout
/// fails, a typedef that does not resolve) is an error for everything that holds it, listed in
/// the model's `errors`, and a record in error stays only declared (no fields, no size).
struct ModelBuilder<'r, 'a> {
    resolver: &'r mut Resolver<'a>,
    model: ProfileModel,
    named: FxHashMap<(RecordKind, SmolStr), RecordId>,
    /// Anonymous records by identity (the `Arc` is kept alive in `keep`).
    anonymous: FxHashMap<usize, RecordId>,
    keep: Vec<Arc<RecordTy>>,
    enums: FxHashMap<SmolStr, EnumId>,
    anonymous_enums: FxHashMap<usize, EnumId>,
    keep_enums: Vec<Arc<EnumTy>>,
    bases: FxHashMap<BaseTy, BaseId>,
    typedefs: FxHashMap<SmolStr, TypedefId>,
    /// Typedefs whose target could not be built, with the reason. Their entry in the model's
    /// table (made before the target, so recursive types terminate) is listed as an error and
    /// never referenced.
    failed_typedefs: FxHashMap<SmolStr, String>,
}

impl<'r, 'a> ModelBuilder<'r, 'a> {
    fn new(resolver: &'r mut Resolver<'a>) -> Self {
        ModelBuilder {
            resolver,
            model: ProfileModel::default(),
            named: FxHashMap::default(),
            anonymous: FxHashMap::default(),
            keep: Vec::new(),
            enums: FxHashMap::default(),
            anonymous_enums: FxHashMap::default(),
            keep_enums: Vec::new(),
            bases: FxHashMap::default(),
            typedefs: FxHashMap::default(),
            failed_typedefs: FxHashMap::default(),
        }
    }

    /// Lists a type in error (once per name).
    fn in_error(&mut self, name: String, reason: String) {
        if !self.model.errors.iter().any(|e| e.name == name) {
            self.model.errors.push(TypeInError { name, reason });
        }
    }

    /// The id of a record known by name; a record not (yet) defined in the model is declared.
    fn named_record(&mut self, kind: RecordKind, tag: &SmolStr) -> RecordId {
        if let Some(id) = self.named.get(&(kind, tag.clone())) {
            return *id;
        }
        let id = RecordId(self.model.records.len() as u32);
        self.model.records.push(Record {
            kind: model_kind(kind),
            name: Some(tag.to_string()),
            size_bits: 0,
            fields: None,
        });
        self.named.insert((kind, tag.clone()), id);
        id
    }

    /// Fills in a record's definition (size and fields, with their layouts).
    fn define(&mut self, rec: &Arc<RecordTy>) -> Result<RecordId, String> {
        let id = match &rec.tag {
            Some(tag) => self.named_record(rec.kind, tag),
            None => {
                let key = Arc::as_ptr(rec) as usize;
                if let Some(id) = self.anonymous.get(&key) {
                    return Ok(*id);
                }
                let id = RecordId(self.model.records.len() as u32);
                self.model.records.push(Record {
                    kind: model_kind(rec.kind),
                    name: None,
                    size_bits: 0,
                    fields: None,
                });
                self.anonymous.insert(key, id);
                self.keep.push(Arc::clone(rec));
                id
            }
        };
        if self.model.records[id.0 as usize].fields.is_some() {
            return Ok(id);
        }
        let layout = self.resolver.record_layout(rec).map_err(|e| e.to_string())?;
        // Mark it defined before the fields, so self-references through pointers terminate.
        self.model.records[id.0 as usize].fields = Some(Vec::new());
        self.model.records[id.0 as usize].size_bits = layout.size_bits;
        let mut fields = Vec::with_capacity(rec.fields.len());
        for (field, fl) in rec.fields.iter().zip(&layout.fields) {
            if field.name.is_none() && field.bit_width.is_some() {
                continue;
            }
            let ty = match self.ty(&field.ty) {
                Ok(ty) => ty,
                Err(reason) => {
                    // Back to only declared: the record is in error, not exported.
                    self.model.records[id.0 as usize].fields = None;
                    self.model.records[id.0 as usize].size_bits = 0;
                    let what = field.name.as_deref().unwrap_or("<anonymous>");
                    return Err(format!("member `{what}`: {reason}"));
                }
            };
            fields.push(Field {
                name: field.name.as_ref().map(|n| n.to_string()),
                offset_bits: fl.offset_bits,
                bit_width: field.bit_width.map(|w| w as u32),
                ty,
            });
        }
        self.model.records[id.0 as usize].fields = Some(fields);
        Ok(id)
    }

    fn enum_(&mut self, def: &Arc<EnumTy>) -> Result<EnumId, String> {
        let existing = match &def.tag {
            Some(tag) => self.enums.get(tag).copied(),
            None => self.anonymous_enums.get(&(Arc::as_ptr(def) as usize)).copied(),
        };
        if let Some(id) = existing {
            return Ok(id);
        }
        let (size_bits, signed) = match layout::enum_layout(def) {
            Ok((l, base)) => (l.size_bits, base.is_signed()),
            Err(e) => return Err(e.to_string()),
        };
        let id = EnumId(self.model.enums.len() as u32);
        self.model.enums.push(Enum {
            name: def.tag.as_ref().map(|t| t.to_string()),
            size_bits,
            signed,
            constants: def.constants.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
        });
        match &def.tag {
            Some(tag) => {
                self.enums.insert(tag.clone(), id);
            }
            None => {
                self.anonymous_enums.insert(Arc::as_ptr(def) as usize, id);
                self.keep_enums.push(Arc::clone(def));
            }
        }
        Ok(id)
    }

    /// An enum that is only declared: size 0 and no constants (GCC's DWARF has a declaration
    /// without `DW_AT_byte_size`; dwarf2json writes it with size 0 and base `void`).
    fn declared_enum(&mut self, tag: &SmolStr) -> EnumId {
        let id = EnumId(self.model.enums.len() as u32);
        self.model.enums.push(Enum {
            name: Some(tag.to_string()),
            size_bits: 0,
            signed: false,
            constants: Vec::new(),
        });
        self.enums.insert(tag.clone(), id);
        id
    }

    fn base(&mut self, base: BaseTy) -> BaseId {
        if let Some(id) = self.bases.get(&base) {
            return *id;
        }
        let id = BaseId(self.model.base_types.len() as u32);
        let kind = match base {
            BaseTy::Bool => BaseKind::Bool,
            BaseTy::Char | BaseTy::SChar | BaseTy::UChar => BaseKind::Char,
            BaseTy::Float | BaseTy::Double | BaseTy::LongDouble => BaseKind::Float,
            _ => BaseKind::Int,
        };
        self.model.base_types.push(BaseType {
            name: base.gcc_name().to_owned(),
            size_bits: layout::base_layout(base).size_bits,
            signed: base.is_signed(),
            kind,
        });
        self.bases.insert(base, id);
        id
    }

    /// The model's reference for a type, or why it cannot be built.
    fn ty(&mut self, ty: &Ty) -> Result<TypeRef, String> {
        Ok(match ty {
            Ty::Void => TypeRef::Void,
            Ty::Base(b) => TypeRef::Base(self.base(*b)),
            Ty::Pointer(inner) => TypeRef::Pointer(Box::new(self.ty(inner)?)),
            Ty::Array(inner, count) => {
                TypeRef::Array { count: *count, element: Box::new(self.ty(inner)?) }
            }
            Ty::Function(sig) => TypeRef::Function(Box::new(FunctionType {
                ret: self.ty(&sig.ret)?,
                params: sig.params.iter().map(|p| self.ty(p)).collect::<Result<_, _>>()?,
                variadic: sig.variadic,
            })),
            Ty::Record(rec) => match (self.define(rec), &rec.tag) {
                (Ok(id), _) => TypeRef::Record(id),
                // A named record in error stays declared (listed); a reference keeps its name.
                (Err(reason), Some(tag)) => {
                    self.in_error(format!("{} {tag}", rec.kind.keyword()), reason);
                    TypeRef::Record(self.named_record(rec.kind, tag))
                }
                (Err(reason), None) => return Err(reason),
            },
            Ty::RecordRef(kind, tag) => TypeRef::Record(self.named_record(*kind, tag)),
            Ty::Enum(def) => TypeRef::Enum(self.enum_(def)?),
            Ty::EnumRef(tag) => match self.enums.get(tag) {
                Some(id) => TypeRef::Enum(*id),
                // Named before its definition was met (a function's return type, say): the
                // definition, as GCC's debug info has it.
                None => match self.resolver.index.enums.get(tag).map(|d| d.at) {
                    Some(at) => {
                        let def = self.resolver.enum_def(at).map_err(|e| e.to_string())?;
                        TypeRef::Enum(self.enum_(&def)?)
                    }
                    // Never defined (`enum x86_intercept_stage;` named in a prototype): only
                    // declared, as in GCC's DWARF (no size, no constants).
                    None => TypeRef::Enum(self.declared_enum(tag)),
                },
            },
            Ty::Typedef(td) => {
                if let Some(reason) = self.failed_typedefs.get(&td.name) {
                    return Err(reason.clone());
                }
                if let Some(id) = self.typedefs.get(&td.name) {
                    return Ok(TypeRef::Typedef(*id));
                }
                let id = TypedefId(self.model.typedefs.len() as u32);
                self.typedefs.insert(td.name.clone(), id);
                self.model
                    .typedefs
                    .push(Typedef { name: td.name.to_string(), target: TypeRef::Void });
                match self.ty(&td.ty) {
                    Ok(target) => self.model.typedefs[id.0 as usize].target = target,
                    Err(reason) => {
                        let reason = format!("typedef {}: {reason}", td.name);
                        self.failed_typedefs.insert(td.name.clone(), reason.clone());
                        self.in_error(format!("typedef {}", td.name), reason.clone());
                        return Err(reason);
                    }
                }
                TypeRef::Typedef(id)
            }
            Ty::TypedefRef(name) => {
                let resolved = self.resolver.typedef(name).map_err(|e| e.to_string())?;
                self.ty(&resolved)?
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{
        config::ConfigFile,
        db::RootDatabase,
        pre_ast::{FileId, FileKind, Metadata, PreAst, PreAstFile},
    };

    /// `#pragma pack` reaches the declaration stage from the preprocessor (not only as `_Pragma`
    /// tokens in `gcc -E` fixtures): a record defined under it is laid out packed, one defined
    /// after the `pop` is not, and one that a pragma changes halfway is a type in error.
    #[test]
    fn pragma_pack_from_the_preprocessor_applies_to_the_records_it_covers() {
        let target = "#pragma pack(push, 1)\nstruct packed_pair { char c; int i; };\n#pragma pack(pop)\n\
                      struct plain_pair { char c; int i; };\nstruct half { char c;\n#pragma pack(2)\nint i; };\n\
                      struct packed_pair a;\nstruct plain_pair b;\nstruct half h;\n";
        let files = vec![PreAstFile {
            path: "target/t.c".into(),
            text: target.into(),
            kind: FileKind::Source,
        }];
        let mut pre_ast = PreAst::new(Metadata::default(), files, Vec::new());
        pre_ast.target = Some(FileId(0));
        let config = ConfigFile::parse_bytes(".config", b"CONFIG_X=y\n").unwrap();
        let out =
            super::run(&RootDatabase::default(), &Arc::new(pre_ast), &config, || Ok(None)).unwrap();
        let size = |name: &str| {
            out.model
                .records
                .iter()
                .find(|r| r.name.as_deref() == Some(name) && r.fields.is_some())
                .map(|r| r.size_bits)
        };
        // GCC's x86-64 sizes: `{ char; int }` is 5 bytes under `pack(1)`, 8 without.
        assert_eq!(
            (size("packed_pair"), size("plain_pair"), size("half")),
            (Some(40), Some(64), None)
        );
        assert_eq!(out.model.errors.len(), 1, "{:?}", out.model.errors);
        assert_eq!(out.model.errors[0].name, "variable h");
        assert!(
            out.model.errors[0]
                .reason
                .contains("`#pragma pack(2)` is in effect for part of the definition"),
            "{:?}",
            out.model.errors
        );
    }

    /// A one-file pre-AST whose target is `text` after autoconf.h.
    fn one_file(text: &str) -> Arc<PreAst> {
        use crate::pre_ast::GeneratedHeader;
        let files = vec![
            PreAstFile {
                path: "target/t.c".into(),
                text: format!("#include <generated/autoconf.h>\n{text}").into(),
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
        Arc::new(pre_ast)
    }

    /// make-profile's declarations and layouts are the salsa queries: each record is one
    /// `struct_decl` and one `layout`, each typedef one `typedef_decl`.
    #[test]
    fn make_profile_runs_the_declaration_and_layout_queries() {
        use crate::db::LoggingDatabase;
        use crate::input::PreAstInput;
        let db = LoggingDatabase::default();
        let input = PreAstInput::from_pre_ast(
            &db,
            one_file("typedef int s32;\nstruct pair { char c; s32 i; };\nstruct holder { struct pair p; long l; };\nstruct holder h;\n"),
        );
        let config = ConfigFile::parse_bytes(".config", b"CONFIG_X=y\n").unwrap();
        let count = |log: &[String], query: &str| {
            log.iter().filter(|l| l.starts_with(&format!("{query}("))).count()
        };
        let out = super::run_input(&db, input, &config, || Ok(None)).unwrap();
        let log = db.take_log();
        assert_eq!(
            [
                count(&log, "decl_index"),
                count(&log, "struct_decl"),
                count(&log, "typedef_decl"),
                count(&log, "layout")
            ],
            [1, 2, 1, 2],
            "{log:?}"
        );
        let size = |name: &str| {
            out.model.records.iter().find(|r| r.name.as_deref() == Some(name)).map(|r| r.size_bits)
        };
        // GCC's x86-64 sizes: `{ char; int }` is 8 bytes, `{ struct pair; long }` 16.
        assert_eq!((size("pair"), size("holder")), (Some(64), Some(128)));
        assert_eq!(out.layouts.records.len(), 2);
        // A second run is a new configuration input: its declarations are resolved again, and
        // equal to the first's, so nothing is laid out again.
        let again = super::run_input(&db, input, &config, || Ok(None)).unwrap();
        let log = db.take_log();
        assert_eq!([count(&log, "struct_decl"), count(&log, "layout")], [2, 0], "{log:?}");
        assert_eq!(again.layouts, out.layouts);
    }

    /// Under `CONFIG_GCC_PLUGIN_RANDSTRUCT` the structs the plugin reorders (here one made only of
    /// function pointers, and one holding it by value) are types in error; others are laid out.
    #[test]
    fn a_randstruct_build_refuses_the_records_the_plugin_reorders() {
        let pre_ast = one_file(
            "struct ops { void (*open)(void); void (*close)(void); };\nstruct holds { struct ops o; int n; };\n\
             struct mixed { int n; void (*f)(void); };\nstruct holds a;\nstruct mixed b;\n",
        );
        let run = |text: &str| {
            let config = ConfigFile::parse_bytes(".config", text.as_bytes()).unwrap();
            super::run(&RootDatabase::default(), &pre_ast, &config, || Ok(None)).unwrap()
        };
        let defined = |out: &super::EngineOutput| {
            let mut names: Vec<(String, u64)> = out
                .model
                .records
                .iter()
                .filter(|r| r.fields.is_some())
                .map(|r| (r.name.clone().unwrap_or_default(), r.size_bits))
                .collect();
            names.sort();
            names
        };
        // GCC's x86-64 sizes: two pointers 16 bytes, `{ struct ops; int }` 24, `{ int; ptr }` 16.
        let plain = run("CONFIG_X=y\n");
        assert_eq!(
            defined(&plain),
            [("holds".into(), 192), ("mixed".into(), 128), ("ops".into(), 128)]
        );
        assert!(plain.model.errors.is_empty(), "{:?}", plain.model.errors);
        let shuffled = run("CONFIG_GCC_PLUGIN_RANDSTRUCT=y\n");
        assert_eq!(defined(&shuffled), [("mixed".to_owned(), 128)]);
        assert_eq!(shuffled.model.errors.len(), 1, "{:?}", shuffled.model.errors);
        assert_eq!(shuffled.model.errors[0].name, "variable a");
        assert!(
            shuffled.model.errors[0].reason.contains("randstruct"),
            "{:?}",
            shuffled.model.errors
        );
    }

    /// The model builder invents nothing: an enum named (as a return type) before its
    /// definition gets the definition's constants, a function type keeps its `...`, a
    /// multi-character constant has GCC's value (`'ab'` is 0x6162), an enum the unit never
    /// defines is only declared (size 0, no constants, as dwarf2json writes GCC's declaration),
    /// and a record pointing to a typedef that cannot be built (a pragma changes its definition
    /// halfway) is a type in error, not a pointer to `void`.
    #[test]
    fn the_model_builder_builds_what_gcc_emits_or_lists_an_error() {
        use crate::profile::model::TypeRef;
        let pre_ast = one_file(
            "struct timer { enum restart (*fn)(int, ...); char tag['ab' - 0x6160]; };\n\
             enum restart { NORESTART, RESTART };\nstruct holder { enum nowhere (*f)(void); int n; };\n\
             typedef struct { char c;\n#pragma pack(2)\nint i; } half_t;\n#pragma pack()\nstruct bad { half_t *p; };\n\
             struct timer t;\nstruct holder h;\nstruct bad b;\n",
        );
        let config = ConfigFile::parse_bytes(".config", b"CONFIG_X=y\n").unwrap();
        let out = super::run(&RootDatabase::default(), &pre_ast, &config, || Ok(None)).unwrap();
        let model = &out.model;
        let timer = model.records.iter().find(|r| r.name.as_deref() == Some("timer")).unwrap();
        // GCC's x86-64 layout: a pointer, then `char[2]` at byte 8; 16 bytes.
        assert_eq!(timer.size_bits, 128);
        let fields = timer.fields.as_ref().unwrap();
        let TypeRef::Array { count: Some(2), element } = &fields[1].ty else {
            panic!("{:?}", fields[1].ty)
        };
        let TypeRef::Base(char_id) = **element else { panic!("{element:?}") };
        assert_eq!(
            (fields[1].offset_bits, model.base_types[char_id.0 as usize].name.as_str()),
            (64, "char")
        );
        let TypeRef::Pointer(f) = &fields[0].ty else { panic!("{:?}", fields[0].ty) };
        let TypeRef::Function(f) = &**f else { panic!("{f:?}") };
        assert!(f.variadic && f.params.len() == 1, "{f:?}");
        let TypeRef::Enum(e) = f.ret else { panic!("{:?}", f.ret) };
        let e = &model.enums[e.0 as usize];
        assert_eq!((e.name.as_deref(), e.size_bits), (Some("restart"), 32));
        assert_eq!(e.constants, [("NORESTART".to_owned(), 0), ("RESTART".to_owned(), 1)]);
        let holder = model.records.iter().find(|r| r.name.as_deref() == Some("holder")).unwrap();
        // GCC's x86-64 layout: a pointer and an int, 16 bytes.
        assert_eq!(holder.size_bits, 128);
        let nowhere = model.enums.iter().find(|e| e.name.as_deref() == Some("nowhere")).unwrap();
        assert_eq!((nowhere.size_bits, nowhere.constants.len()), (0, 0));
        let bad = model.records.iter().find(|r| r.name.as_deref() == Some("bad")).unwrap();
        assert_eq!((bad.fields.as_ref(), bad.size_bits), (None, 0));
        let names: Vec<&str> = model.errors.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["half_t", "struct bad"], "{:?}", model.errors);
        assert!(
            model.errors[1].reason.contains("is in effect for part of the definition"),
            "{:?}",
            model.errors
        );
    }

    /// A target that does not preprocess is an error value with its location, not a message.
    #[test]
    fn a_unit_that_does_not_preprocess_is_a_located_error() {
        let pre_ast = one_file("#ifndef CONFIG_X\n#error needs CONFIG_X\n#endif\n");
        let config = ConfigFile::parse_bytes(".config", b"CONFIG_Y=y\n").unwrap();
        let err =
            super::run(&RootDatabase::default(), &pre_ast, &config, || Ok(None)).err().unwrap();
        let super::EngineError::Preprocess(e) = err else { panic!("{err:?}") };
        assert_eq!((e.file.as_str(), e.line, e.include_chain.len()), ("target/t.c", 3, 0), "{e}");
        let err = super::run(
            &RootDatabase::default(),
            &pre_ast,
            &ConfigFile::parse_bytes(".config", b"CONFIG_X=y\n").unwrap(),
            || Err("System.map: line 3: not an address".to_owned()),
        );
        assert_eq!(
            err.err(),
            Some(super::EngineError::SymbolMap("System.map: line 3: not an address".into()))
        );
    }

    /// The event log across configurations (issue 15): a configuration that differs only in an
    /// option the unit never reads runs no unit and lays out no record again; one that differs in
    /// a read option lays out again only the records whose declarations changed (here `wide`
    /// and `holder`, which holds it by value), not `plain`.
    #[test]
    fn a_further_configuration_re_executes_only_what_depends_on_its_options() {
        use crate::db::LoggingDatabase;
        use crate::input::PreAstInput;
        let db = LoggingDatabase::default();
        let input = PreAstInput::from_pre_ast(
            &db,
            one_file(
                "struct plain { char c; int i; };\n#ifdef CONFIG_WIDE\nstruct wide { long v; };\n#else\n\
                 struct wide { short v; };\n#endif\nstruct holder { struct wide w; char c; };\n\
                 struct plain p;\nstruct holder h;\n",
            ),
        );
        let count = |log: &[String], query: &str| {
            log.iter().filter(|l| l.starts_with(&format!("{query}("))).count()
        };
        let mut runs = Vec::new();
        for text in ["CONFIG_X=y\n", "CONFIG_X=y\nCONFIG_UNREAD=y\n", "CONFIG_X=y\nCONFIG_WIDE=y\n"]
        {
            let config = ConfigFile::parse_bytes(".config", text.as_bytes()).unwrap();
            let out = super::run_input(&db, input, &config, || Ok(None)).unwrap();
            let log = db.take_log();
            let size = |name: &str| {
                out.model
                    .records
                    .iter()
                    .find(|r| r.name.as_deref() == Some(name))
                    .map(|r| r.size_bits)
            };
            runs.push((
                count(&log, "unit_run"),
                count(&log, "layout"),
                [size("plain"), size("wide"), size("holder")],
            ));
        }
        // GCC's x86-64 sizes: `{ char; int }` 8 bytes, `{ short }` 2, `{ struct { short }; char }`
        // 4; `{ long }` 8 and `{ struct { long }; char }` 16.
        let narrow = [Some(64), Some(16), Some(32)];
        assert_eq!(runs[0], (1, 3, narrow), "{runs:?}");
        assert_eq!(runs[1], (0, 0, narrow), "{runs:?}");
        assert_eq!(runs[2], (1, 2, [Some(64), Some(64), Some(128)]), "{runs:?}");
    }

    /// Two configurations on one pre-AST input and one database: the second lexes and lowers no
    /// file again, and each gets its own config-derived headers and unit.
    #[test]
    fn configurations_share_the_file_skeletons() {
        use crate::db::LoggingDatabase;
        use crate::input::PreAstInput;
        use crate::pre_ast::GeneratedHeader;
        let files = vec![
            PreAstFile {
                path: "target/t.c".into(),
                text: "#include <generated/autoconf.h>\n#include <linux/a.h>\nstruct s { A_TYPE a; char c; } v;\n".into(),
                kind: FileKind::Source,
            },
            PreAstFile {
                path: "src/include/linux/a.h".into(),
                text: "#ifdef CONFIG_WIDE\n#define A_TYPE long\n#else\n#define A_TYPE short\n#endif\n".into(),
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
        let db = LoggingDatabase::default();
        let input = PreAstInput::from_pre_ast(&db, Arc::new(pre_ast));
        let count = |log: &[String], query: &str| {
            log.iter().filter(|l| l.starts_with(&format!("{query}("))).count()
        };
        let mut sizes = Vec::new();
        for text in ["CONFIG_WIDE=y\n", "CONFIG_NARROW=y\n"] {
            let config = ConfigFile::parse_bytes(".config", text.as_bytes()).unwrap();
            let out = super::run_input(&db, input, &config, || Ok(None)).unwrap();
            let s = out.model.records.iter().find(|r| r.name.as_deref() == Some("s")).unwrap();
            sizes.push(s.size_bits);
            let log = db.take_log();
            sizes.push(count(&log, "file_skeleton") as u64);
            assert_eq!(count(&log, "config_header"), 1, "{log:?}");
        }
        // GCC's x86-64 sizes: `{ long; char }` is 16 bytes, `{ short; char }` 4; two files
        // lowered for the first configuration, none for the second.
        assert_eq!(sizes, [128, 2, 32, 0]);
    }
}
