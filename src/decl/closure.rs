//! Which records a target's debug info contains: the closure of its variables' types.
//!
//! GCC emits a complete definition for every struct and union a defined variable reaches through
//! fields, pointers, arrays, typedefs and function signatures, so we follow the same edges.
//! Records reached only by a tag that has no definition are not emitted (GCC writes a
//! declaration for them). Keys follow the layout JSON: `struct NAME`/`union NAME` for tagged
//! records, the typedef name for a tagless record a typedef names, and other tagless records
//! only inline inside the record that uses them.

use std::sync::Arc;

use rustc_hash::FxHashSet;
use smol_str::SmolStr;

use crate::{
    decl::{index::TypeUse, resolve::Resolver, DeclError},
    ty::{EnumTy, RecordKind, RecordTy, Ty},
};

/// The records and enums a target's debug info holds, by their layout-JSON keys.
#[derive(Clone, Debug, Default)]
pub struct EmittedRecords {
    pub records: Vec<(String, Arc<RecordTy>)>,
    pub enums: Vec<(String, Arc<EnumTy>)>,
    /// What could not be resolved, with the name that led to it.
    pub errors: Vec<(String, DeclError)>,
}

/// The records and enums GCC emits for a translation unit: the closure of the variables it
/// defines (`static` ones included).
pub fn emitted_for_unit(resolver: &mut Resolver<'_>) -> EmittedRecords {
    let roots: Vec<SmolStr> = resolver
        .index
        .variables()
        .iter()
        .filter(|name| resolver.is_defined_variable(name))
        .cloned()
        .collect();
    emitted_records(resolver, &roots)
}

/// Walks from the types of `roots` (variable names) through everything they reach.
pub fn emitted_records(resolver: &mut Resolver<'_>, roots: &[SmolStr]) -> EmittedRecords {
    let mut walk = Walk {
        out: EmittedRecords::default(),
        seen_keys: FxHashSet::default(),
        seen_anon: FxHashSet::default(),
    };
    for root in roots {
        match resolver.variable(root) {
            Ok(ty) => walk.ty(resolver, &ty),
            Err(e) => walk.out.errors.push((format!("variable {root}"), e)),
        }
    }
    // GCC also keeps the types used at file scope before each variable whose object it emits:
    // the enums of enumerators (in array bounds, for example) and the type names of casts and
    // compound literals.
    for root in roots {
        if !resolver.is_emitted_object(root) {
            continue;
        }
        let uses = resolver.index.type_uses_by_var.get(root).cloned().unwrap_or_default();
        for used in uses {
            let (ty, what) = match used {
                TypeUse::Enum(at) => (resolver.enum_def(at).map(Ty::Enum), "enum used"),
                TypeUse::Cast(range) => (resolver.type_name(range), "type of a cast"),
            };
            match ty {
                Ok(ty) => walk.ty(resolver, &ty),
                Err(e) => walk.out.errors.push((format!("{what} before {root}"), e)),
            }
        }
    }
    walk.out
}

/// The records and enums named by `roots` that `emitted` lacks, and everything they reach that it
/// lacks: types a reader of the profile needs although no variable of the unit reaches them (held
/// behind `void *` or container casts, or used only by code). A root is a record tag, a typedef
/// name or an enum tag (`type_names`, tried as `struct`, `union`, then typedef) or an enum tag
/// (`enum_names`); one the unit does not define is skipped.
pub fn emitted_extra(
    resolver: &mut Resolver<'_>,
    emitted: &EmittedRecords,
    type_names: &[&str],
    enum_names: &[&str],
) -> EmittedRecords {
    let mut walk = Walk {
        out: EmittedRecords::default(),
        seen_keys: emitted
            .records
            .iter()
            .map(|(k, _)| k.clone())
            .chain(emitted.enums.iter().map(|(k, _)| k.clone()))
            .collect(),
        seen_anon: emitted.records.iter().map(|(_, r)| Arc::as_ptr(r) as usize).collect(),
    };
    for name in type_names {
        let kind = [RecordKind::Struct, RecordKind::Union]
            .into_iter()
            .find(|kind| resolver.index.records.contains_key(&(*kind, SmolStr::new(name))));
        let ty = match kind {
            Some(kind) => Ty::RecordRef(kind, SmolStr::new(name)),
            None if resolver.index.typedefs.contains_key(*name) => {
                Ty::TypedefRef(SmolStr::new(name))
            }
            None => continue,
        };
        walk.ty(resolver, &ty);
    }
    for name in enum_names {
        if resolver.index.enums.contains_key(*name) {
            walk.ty(resolver, &Ty::EnumRef(SmolStr::new(name)));
        }
    }
    walk.out
}

struct Walk {
    out: EmittedRecords,
    seen_keys: FxHashSet<String>,
    seen_anon: FxHashSet<usize>,
}

impl Walk {
    fn ty(&mut self, resolver: &mut Resolver<'_>, ty: &Ty) {
        match ty {
            Ty::Void | Ty::Base(_) => {}
            Ty::Pointer(inner) | Ty::Array(inner, _) => self.ty(resolver, inner),
            Ty::Function(sig) => {
                self.ty(resolver, &sig.ret);
                for p in &sig.params {
                    self.ty(resolver, p);
                }
            }
            Ty::Record(rec) => match &rec.tag {
                Some(tag) => {
                    let key = format!("{} {tag}", rec.kind.keyword());
                    if self.seen_keys.insert(key.clone()) {
                        self.out.records.push((key, Arc::clone(rec)));
                        self.fields(resolver, rec);
                    }
                }
                None => {
                    if self.seen_anon.insert(Arc::as_ptr(rec) as usize) {
                        self.fields(resolver, rec);
                    }
                }
            },
            Ty::RecordRef(kind, tag) => {
                let key = format!("{} {tag}", kind.keyword());
                if self.seen_keys.contains(&key)
                    || !resolver.index.records.contains_key(&(*kind, tag.clone()))
                {
                    return;
                }
                match resolver.record(*kind, tag) {
                    Ok(rec) => self.ty(resolver, &Ty::Record(rec)),
                    Err(e) => {
                        if self.seen_keys.insert(key.clone()) {
                            self.out.errors.push((key, e));
                        }
                    }
                }
            }
            Ty::Enum(def) => {
                let key = match (&def.tag, def.constants.first()) {
                    (Some(tag), _) => format!("enum {tag}"),
                    (None, Some((first, _))) => format!("enum <anonymous:{first}>"),
                    (None, None) => return,
                };
                if self.seen_keys.insert(key.clone()) {
                    self.out.enums.push((key, Arc::clone(def)));
                }
            }
            Ty::EnumRef(tag) => {
                if let Some(def) = resolver.index.enums.get(tag).map(|d| d.at) {
                    match resolver.enum_def(def) {
                        Ok(def) => self.ty(resolver, &Ty::Enum(def)),
                        Err(e) => self.out.errors.push((format!("enum {tag}"), e)),
                    }
                }
            }
            Ty::Typedef(def) => match def.ty.strip_typedefs() {
                Ty::Record(rec) if rec.tag.is_none() && matches!(&def.ty, Ty::Record(_)) => {
                    let key = def.name.to_string();
                    if self.seen_keys.insert(key.clone()) {
                        self.seen_anon.insert(Arc::as_ptr(rec) as usize);
                        self.out.records.push((key, Arc::clone(rec)));
                        self.fields(resolver, rec);
                    }
                }
                Ty::Enum(en) if en.tag.is_none() && matches!(&def.ty, Ty::Enum(_)) => {
                    let key = def.name.to_string();
                    if self.seen_keys.insert(key.clone()) {
                        self.out.enums.push((key, Arc::clone(en)));
                    }
                }
                _ => {
                    let key = format!("typedef {}", def.name);
                    if self.seen_keys.insert(key) {
                        self.ty(resolver, &def.ty)
                    }
                }
            },
            Ty::TypedefRef(name) => {
                if self.seen_keys.contains(name.as_str())
                    || self.seen_keys.contains(&format!("typedef {name}"))
                {
                    return;
                }
                match resolver.typedef(name) {
                    Ok(ty) => self.ty(resolver, &ty),
                    Err(e) => {
                        if self.seen_keys.insert(format!("typedef {name}")) {
                            self.out.errors.push((name.to_string(), e));
                        }
                    }
                }
            }
        }
    }

    fn fields(&mut self, resolver: &mut Resolver<'_>, rec: &RecordTy) {
        for f in &rec.fields {
            self.ty(resolver, &f.ty);
        }
    }
}
