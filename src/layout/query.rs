//! The `layout` query: record layouts memoised per interned record value.
//!
//! The key is the resolved record itself, interned, so identical declarations from different
//! configurations share one memo. Nested records by value are laid out through the same query.

use std::sync::Arc;

use crate::{
    db::Db,
    layout::{record_layout, ty_layout, LayoutError, RecordLayout},
    ty::{RecordTy, Ty},
};

/// A resolved struct or union, interned by value.
#[salsa::interned(debug)]
pub struct RecordId<'db> {
    #[returns(ref)]
    pub record: Arc<RecordTy>,
}

/// The layout of a record.
#[salsa::tracked(returns(clone), cycle_result = layout_cycle)]
pub fn layout<'db>(db: &'db dyn Db, rec: RecordId<'db>) -> Result<Arc<RecordLayout>, LayoutError> {
    let record = rec.record(db);
    record_layout(record, &mut |ty: &Ty| {
        ty_layout(ty, &mut |nested| {
            layout(db, RecordId::new(db, Arc::clone(nested))).map(|it| it.ty_layout())
        })
    })
    .map(Arc::new)
}

fn layout_cycle<'db>(
    db: &'db dyn Db,
    _id: salsa::Id,
    rec: RecordId<'db>,
) -> Result<Arc<RecordLayout>, LayoutError> {
    let name = rec.record(db).tag.as_deref().unwrap_or("<anonymous>").to_owned();
    Err(LayoutError::Recursive(name))
}
