//! The declaration queries on the salsa database, keyed by a translation unit: a pre-AST's
//! target ([`PreAstInput`]) under one configuration ([`KernelConfig`]).
//!
//! `decl_index` skims the unit's tokens (the `preprocessed_tokens` firewall, with its layout
//! pragmas) once. `struct_decl` resolves one struct or union and `typedef_decl` one typedef name;
//! what they use by value comes from the same queries, so each record and typedef is resolved once
//! per unit and a type reached two ways is one value, and a record that contains itself by value
//! is a salsa cycle whose fallback is an error, not a hang. Record layouts come from the `layout`
//! query. `randstruct` tells whether the build runs GCC's randstruct plugin. [`with_resolver`]
//! gives the pipeline a [`Resolver`] whose every record, typedef and layout is one of these
//! queries; `make-profile` has no other way to declarations and layouts.
//! A resolved type is position-free, so two configurations that declare a record identically
//! yield equal values, and `layout`, keyed by the interned value, runs once for both.

use std::sync::Arc;

use smol_str::SmolStr;

use crate::{
    db::Db,
    decl::{
        index::DeclIndex,
        resolve::{DeclSource, Resolver},
        DeclError, DeclErrorKind, NO_TOKEN,
    },
    input::{KernelConfig, Name, PreAstInput},
    layout::{
        query::{layout, RecordId},
        LayoutError, RecordLayout,
    },
    preprocess::{preprocessed_tokens, PpError, UnitTokens},
    ty::{RecordKind, RecordTy, Ty},
};

/// A struct or union tag, interned.
#[salsa::interned(debug)]
pub struct RecordName<'db> {
    #[returns(copy)]
    pub kind: RecordKind,
    #[returns(ref)]
    pub tag: SmolStr,
}

/// The file-scope declarations of a translation unit, with its `#pragma pack` regions.
#[salsa::tracked(returns(ref))]
pub fn decl_index(
    db: &dyn Db,
    input: PreAstInput,
    config: KernelConfig,
) -> Result<Arc<DeclIndex>, PpError> {
    let unit = preprocessed_tokens(db, input, config)?;
    let mut index = DeclIndex::build(unit.tokens());
    index.add_pragmas(unit.layout_pragmas.iter().map(|(at, text)| (*at as usize, text.as_str())));
    Ok(Arc::new(index))
}

/// Whether the build runs GCC's randstruct plugin (`CONFIG_GCC_PLUGIN_RANDSTRUCT`): the records
/// it reorders with the build's secret seed are then errors. A firewall on one option.
#[salsa::tracked(returns(copy))]
pub fn randstruct(db: &dyn Db, config: KernelConfig) -> bool {
    crate::config::options_is_set(config.options(db), "CONFIG_GCC_PLUGIN_RANDSTRUCT")
}

/// Whether the build passes `-fms-extensions` (`config::options_ms_extensions`). A firewall on
/// one option.
#[salsa::tracked(returns(copy))]
pub fn ms_extensions(db: &dyn Db, config: KernelConfig) -> bool {
    crate::config::options_ms_extensions(config.options(db))
}

/// The complete definition of a struct or union, resolved.
#[salsa::tracked(returns(clone), cycle_result = struct_decl_cycle)]
pub fn struct_decl<'db>(
    db: &'db dyn Db,
    input: PreAstInput,
    config: KernelConfig,
    name: RecordName<'db>,
) -> Result<Arc<RecordTy>, DeclError> {
    let (kind, tag) = (name.kind(db), name.tag(db));
    with_resolver(db, input, config, |resolver| resolver.record_here(kind, tag))
        .unwrap_or_else(|e| Err(unit_failed(e)))
}

fn struct_decl_cycle<'db>(
    db: &'db dyn Db,
    _id: salsa::Id,
    input: PreAstInput,
    config: KernelConfig,
    name: RecordName<'db>,
) -> Result<Arc<RecordTy>, DeclError> {
    let at = match decl_index(db, input, config) {
        Ok(index) => {
            index.records.get(&(name.kind(db), name.tag(db).clone())).map_or(NO_TOKEN, |def| def.at)
        }
        Err(_) => NO_TOKEN,
    };
    Err(DeclError::of(
        at,
        DeclErrorKind::ContainsItself { kind: name.kind(db), tag: name.tag(db).clone() },
    ))
}

/// What a typedef name stands for (a `Ty::Typedef`), resolved.
#[salsa::tracked(returns(clone), cycle_result = typedef_decl_cycle)]
pub fn typedef_decl<'db>(
    db: &'db dyn Db,
    input: PreAstInput,
    config: KernelConfig,
    name: Name<'db>,
) -> Result<Ty, DeclError> {
    let text = name.text(db);
    with_resolver(db, input, config, |resolver| resolver.typedef_here(text))
        .unwrap_or_else(|e| Err(unit_failed(e)))
}

fn typedef_decl_cycle<'db>(
    db: &'db dyn Db,
    _id: salsa::Id,
    _input: PreAstInput,
    _config: KernelConfig,
    name: Name<'db>,
) -> Result<Ty, DeclError> {
    Err(DeclError::of(
        NO_TOKEN,
        DeclErrorKind::TypedefRefersToItself { name: SmolStr::from(name.text(db).as_str()) },
    ))
}

/// A declaration query asked about a unit that did not preprocess (the pipeline reports the
/// preprocessing error itself before it asks).
fn unit_failed(e: PpError) -> DeclError {
    DeclError::new(NO_TOKEN, format!("the translation unit did not preprocess: {e}"))
}

/// Runs `f` with a resolver over the unit whose records, typedefs and record layouts are the
/// queries of this module, and randstruct and `-fms-extensions` as the configuration says. What the resolver memoises
/// itself (variables, enums, anonymous records at file scope) lives only as long as `f`.
pub fn with_resolver<R>(
    db: &dyn Db,
    input: PreAstInput,
    config: KernelConfig,
    f: impl FnOnce(&mut Resolver<'_>) -> R,
) -> Result<R, PpError> {
    let unit: Arc<UnitTokens> = preprocessed_tokens(db, input, config)?;
    let index = decl_index(db, input, config).as_ref().map_err(Clone::clone)?;
    let queries = Queries { db, input, config };
    let mut resolver = Resolver::with_source(unit.tokens(), index, &queries)
        .with_randstruct(randstruct(db, config))
        .with_ms_extensions(ms_extensions(db, config));
    Ok(f(&mut resolver))
}

/// The declaration queries of one unit, as a resolver's source.
struct Queries<'db> {
    db: &'db dyn Db,
    input: PreAstInput,
    config: KernelConfig,
}

impl DeclSource for Queries<'_> {
    fn record(&self, kind: RecordKind, tag: &str) -> Result<Arc<RecordTy>, DeclError> {
        let name = RecordName::new(self.db, kind, SmolStr::from(tag));
        struct_decl(self.db, self.input, self.config, name)
    }

    fn typedef(&self, name: &str) -> Result<Ty, DeclError> {
        let name = Name::new(self.db, SmolStr::from(name));
        typedef_decl(self.db, self.input, self.config, name)
    }

    fn record_layout(&self, rec: &Arc<RecordTy>) -> Result<Arc<RecordLayout>, LayoutError> {
        layout(self.db, RecordId::new(self.db, Arc::clone(rec)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use smol_str::SmolStr;

    use crate::{
        db::LoggingDatabase,
        decl::{
            query::{struct_decl, RecordName},
            DeclErrorKind,
        },
        input::{KernelConfig, PreAstInput},
        layout::query::{layout, RecordId},
        pre_ast::{FileId, FileKind, GeneratedHeader, Metadata, PreAst, PreAstFile},
        ty::RecordKind,
    };

    /// A pre-AST whose target is `text` after autoconf.h.
    fn pre_ast(db: &LoggingDatabase, text: &str) -> PreAstInput {
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
        PreAstInput::from_pre_ast(db, Arc::new(pre_ast))
    }

    fn config(db: &LoggingDatabase, options: &[&str]) -> KernelConfig {
        let options: Vec<(SmolStr, SmolStr)> =
            options.iter().map(|o| (SmolStr::from(*o), SmolStr::from("1"))).collect();
        KernelConfig::new(db, "test".into(), options.into())
    }

    fn count(log: &[String], query: &str) -> usize {
        log.iter().filter(|entry| entry.starts_with(&format!("{query}("))).count()
    }

    fn record<'db>(db: &'db LoggingDatabase, tag: &str) -> RecordName<'db> {
        RecordName::new(db, RecordKind::Struct, SmolStr::from(tag))
    }

    #[test]
    fn identical_declarations_under_two_configs_are_laid_out_once() {
        let db = LoggingDatabase::default();
        // Two configurations: `struct same` is declared identically (at different positions),
        // `struct differs` is not.
        let input = pre_ast(
            &db,
            "typedef unsigned int u32;\n#ifdef CONFIG_B\nint pad;\n#endif\nstruct same { u32 a; char b; };\n\
             #ifdef CONFIG_B\nstruct differs { char x; };\n#else\nstruct differs { long x; };\n#endif\n",
        );
        let (a, b) = (config(&db, &[]), config(&db, &["CONFIG_B"]));
        let mut layouts = Vec::new();
        for config in [a, b] {
            for tag in ["same", "differs"] {
                let rec = struct_decl(&db, input, config, record(&db, tag)).unwrap();
                layouts.push(layout(&db, RecordId::new(&db, rec)).unwrap());
            }
        }
        let log = db.take_log();
        assert_eq!(
            (count(&log, "struct_decl"), count(&log, "typedef_decl"), count(&log, "layout")),
            (4, 2, 3),
            "{log:?}"
        );
        // GCC's x86-64 sizes: `{ unsigned int; char }` 8 bytes, `{ long }` 8, `{ char }` 1.
        let sizes: Vec<u64> = layouts.iter().map(|l| l.size_bits).collect();
        assert_eq!(sizes, [64, 64, 64, 8]);
        assert!(Arc::ptr_eq(&layouts[0], &layouts[2]));
        // Asking again executes nothing.
        let rec = struct_decl(&db, input, a, record(&db, "same")).unwrap();
        layout(&db, RecordId::new(&db, rec)).unwrap();
        assert_eq!(db.take_log(), Vec::<String>::new());
    }

    #[test]
    fn nested_records_and_typedefs_come_from_their_own_query() {
        let db = LoggingDatabase::default();
        let input = pre_ast(
            &db,
            "typedef struct { int v; } atomic_t;\nstruct inner { atomic_t a; };\n\
             struct outer { struct inner i; struct inner j[2]; atomic_t k; };\n",
        );
        let config = config(&db, &[]);
        let rec = struct_decl(&db, input, config, record(&db, "outer")).unwrap();
        assert_eq!(rec.fields.len(), 3);
        let log = db.take_log();
        assert_eq!(
            (count(&log, "struct_decl"), count(&log, "typedef_decl"), count(&log, "decl_index")),
            (2, 1, 1),
            "{log:?}"
        );
        // The typedef reached directly and through `struct inner` is one value.
        let crate::ty::Ty::Record(inner) = &rec.fields[0].ty else {
            panic!("{:?}", rec.fields[0].ty)
        };
        assert_eq!(inner.fields[0].ty, rec.fields[2].ty);
    }

    #[test]
    fn a_record_containing_itself_by_value_is_an_error_not_a_hang() {
        let db = LoggingDatabase::default();
        let input =
            pre_ast(&db, "struct a;\nstruct b { struct a x; };\nstruct a { struct b y; };\n");
        let err = struct_decl(&db, input, config(&db, &[]), record(&db, "a")).unwrap_err();
        assert!(
            matches!(&err.kind, DeclErrorKind::ContainsItself { kind: RecordKind::Struct, tag } if tag == "a"),
            "{err}"
        );
    }
}
