//! The declaration queries on the salsa database.
//!
//! `decl_index(tu)` skims a translation unit's preprocessed tokens once. `struct_decl(tu, name)`
//! resolves one struct or union; the records it contains by value come from `struct_decl` of
//! those records, so each record is resolved once per translation unit, and a record that
//! contains itself by value is a salsa cycle whose fallback is an error, not a hang.
//! The result is position-free (a [`RecordTy`]), so two translation units (two configurations)
//! that declare a record identically yield equal values, and the `layout` query, keyed by the
//! interned value, runs once for both.

use std::sync::Arc;

use smol_str::SmolStr;

use crate::{
    db::Db,
    decl::{index::DeclIndex, resolve::Resolver, DeclError, SourceLoc, NO_TOKEN},
    token::Token,
    ty::{RecordKind, RecordTy},
};

/// The preprocessed tokens of one translation unit under one configuration, with their source
/// locations. It stands in for the preprocessor's output until `preprocessed(file, config)`
/// exists; tests fill it from `gcc -E`.
#[salsa::input(debug)]
pub struct TranslationUnit {
    #[returns(ref)]
    pub tokens: Arc<[Token]>,
    #[returns(ref)]
    pub locs: Arc<[SourceLoc]>,
}

/// A struct or union tag, interned.
#[salsa::interned(debug)]
pub struct RecordName<'db> {
    #[returns(copy)]
    pub kind: RecordKind,
    #[returns(ref)]
    pub tag: SmolStr,
}

/// The file-scope declarations of a translation unit.
#[salsa::tracked(returns(ref))]
pub fn decl_index(db: &dyn Db, tu: TranslationUnit) -> Arc<DeclIndex> {
    Arc::new(DeclIndex::build(tu.tokens(db)))
}

/// The complete definition of a struct or union, resolved.
#[salsa::tracked(returns(clone), cycle_result = struct_decl_cycle)]
pub fn struct_decl<'db>(
    db: &'db dyn Db,
    tu: TranslationUnit,
    name: RecordName<'db>,
) -> Result<Arc<RecordTy>, DeclError> {
    let index = decl_index(db, tu);
    let toks = tu.tokens(db);
    let source = Box::new(move |kind: RecordKind, tag: &str| {
        struct_decl(db, tu, RecordName::new(db, kind, SmolStr::from(tag)))
    });
    let mut resolver = Resolver::with_record_source(toks, index, source);
    resolver.record_here(name.kind(db), name.tag(db))
}

fn struct_decl_cycle<'db>(
    db: &'db dyn Db,
    _id: salsa::Id,
    tu: TranslationUnit,
    name: RecordName<'db>,
) -> Result<Arc<RecordTy>, DeclError> {
    let at = decl_index(db, tu)
        .records
        .get(&(name.kind(db), name.tag(db).clone()))
        .map_or(NO_TOKEN, |def| def.at);
    Err(DeclError::new(
        at,
        format!(
            "{} {} contains itself by value",
            name.kind(db).keyword(),
            name.tag(db)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use smol_str::SmolStr;

    use crate::{
        db::LoggingDatabase,
        decl::{
            query::{struct_decl, RecordName, TranslationUnit},
            tokens_from_gcc_e,
        },
        layout::query::{layout, RecordId},
        ty::RecordKind,
    };

    fn unit(db: &LoggingDatabase, text: &str) -> TranslationUnit {
        let (tokens, locs) = tokens_from_gcc_e(text);
        TranslationUnit::new(db, Arc::from(tokens), Arc::from(locs))
    }

    fn executed(db: &LoggingDatabase, query: &str) -> usize {
        db.take_log()
            .iter()
            .filter(|entry| entry.starts_with(&format!("{query}(")))
            .count()
    }

    #[test]
    fn identical_declarations_under_two_configs_are_laid_out_once() {
        let db = LoggingDatabase::default();
        // Two configurations: `struct same` is declared identically (at different positions),
        // `struct differs` is not.
        let config_a = unit(&db, "typedef unsigned int u32;\nstruct same { u32 a; char b; };\nstruct differs { long x; };\n");
        let config_b = unit(&db, "typedef unsigned int u32;\nint pad;\nstruct same { u32 a; char b; };\nstruct differs { char x; };\n");
        let mut layouts = Vec::new();
        for tu in [config_a, config_b] {
            for tag in ["same", "differs"] {
                let name = RecordName::new(&db, RecordKind::Struct, SmolStr::from(tag));
                let rec = struct_decl(&db, tu, name).unwrap();
                layouts.push(layout(&db, RecordId::new(&db, rec)).unwrap());
            }
        }
        let log = db.take_log();
        let count = |q: &str| {
            log.iter()
                .filter(|e| e.starts_with(&format!("{q}(")))
                .count()
        };
        assert_eq!(count("struct_decl"), 4, "{log:?}");
        assert_eq!(count("layout"), 3, "{log:?}");
        assert_eq!(layouts[0], layouts[2]);
        assert_ne!(layouts[1], layouts[3]);
        // Asking again executes nothing.
        let name = RecordName::new(&db, RecordKind::Struct, SmolStr::from("same"));
        let rec = struct_decl(&db, config_a, name).unwrap();
        layout(&db, RecordId::new(&db, rec)).unwrap();
        assert_eq!(executed(&db, "layout") + executed(&db, "struct_decl"), 0);
    }

    #[test]
    fn nested_records_come_from_their_own_query() {
        let db = LoggingDatabase::default();
        let tu = unit(
            &db,
            "struct inner { int a; };\nstruct outer { struct inner i; struct inner j[2]; };\n",
        );
        let outer = RecordName::new(&db, RecordKind::Struct, SmolStr::from("outer"));
        let rec = struct_decl(&db, tu, outer).unwrap();
        assert_eq!(rec.fields.len(), 2);
        let log = db.take_log();
        assert_eq!(
            log.iter().filter(|e| e.starts_with("struct_decl(")).count(),
            2,
            "{log:?}"
        );
        assert_eq!(
            log.iter().filter(|e| e.starts_with("decl_index(")).count(),
            1,
            "{log:?}"
        );
    }

    #[test]
    fn a_record_containing_itself_by_value_is_an_error_not_a_hang() {
        let db = LoggingDatabase::default();
        let tu = unit(
            &db,
            "struct a;\nstruct b { struct a x; };\nstruct a { struct b y; };\n",
        );
        let a = RecordName::new(&db, RecordKind::Struct, SmolStr::from("a"));
        let err = struct_decl(&db, tu, a).unwrap_err();
        assert!(err.message.contains("contains itself by value"), "{err}");
    }
}
