//! `explain --json`: the explained types as JSON (schema `layout-expert-explain/1`, described in
//! the README), built from the engine's views; only `profile` serializes.

use serde_json::{json, Map, Value};

use crate::explain::{diff::ConfigDiff, pahole, why::Why, Explainer, Member, RecordView, Unit};

/// One type's document: its layout, each member's provenance, holes and padding with their
/// causes, and the members this configuration removed.
pub fn type_value(unit: &Unit, name: &str) -> Result<Value, crate::explain::ExplainError> {
    let (view, body) = unit.explain(name)?;
    let why = unit.why();
    let mut ex = unit.explainer();
    let mut doc = record_value(&mut ex, &why, &view, body.as_ref());
    let kept = pahole::member_names(&view);
    let removed: Vec<Value> = match &body {
        Some(b) => why
            .removed(b.clone())
            .into_iter()
            .map(|r| {
                let alternative = kept.contains(&r.name);
                json!({ "name": r.name, "declared_at": r.site, "needs": r.needs, "options": r.options, "alternative": alternative })
            })
            .collect(),
        None => Vec::new(),
    };
    let text = pahole::pahole(&mut ex, &view).map_err(|reason| {
        crate::explain::ExplainError::InError { name: name.to_owned(), reason }
    })?;
    if let Value::Object(map) = &mut doc {
        map.insert("query".into(), json!(name));
        map.insert("removed".into(), Value::Array(removed));
        map.insert("pahole".into(), json!(text));
    }
    Ok(doc)
}

fn record_value(
    ex: &mut Explainer<'_>,
    why: &Why<'_>,
    view: &RecordView,
    body: Option<&std::ops::Range<usize>>,
) -> Value {
    let members: Vec<Value> = view.members.iter().map(|m| member_value(ex, why, m, body)).collect();
    let (list, padding, bit_padding) = pahole::holes(view);
    let holes: Vec<Value> = list
        .iter()
        .map(|&(i, bytes, bits)| {
            let m = &view.members[i];
            let next = view.members.get(i + 1);
            let mut cause = Vec::new();
            if bits > 0 {
                cause.push(why.bit_hole_cause(m, next));
            }
            if let (true, Some(n)) = (bytes > 0, next) {
                let align = ex.align_bytes(&n.ty);
                cause.push(why.hole_cause(n, align));
            }
            json!({
                "after": m.name.as_deref(),
                "bytes": bytes,
                "bits": bits,
                "cause": cause.join("; "),
            })
        })
        .collect();
    let mut map = Map::new();
    map.insert("kind".into(), json!(view.kind().keyword()));
    map.insert("name".into(), json!(view.tag().map(|t| t.as_str())));
    map.insert("size".into(), json!(view.size_bytes));
    map.insert("alignment".into(), json!(view.align_bytes));
    map.insert("forced_alignment".into(), json!(view.alignment));
    map.insert("members".into(), Value::Array(members));
    map.insert("holes".into(), Value::Array(holes));
    let padding_cause = (padding > 0).then(|| {
        let aligns: Vec<u64> =
            view.members.iter().map(|m| ex.member_align_bytes(view, m)).collect();
        let align_of = |m: &Member| {
            view.members.iter().position(|x| std::ptr::eq(x, m)).map_or(0, |i| aligns[i])
        };
        why.padding_cause(view, &align_of)
    });
    map.insert(
        "padding".into(),
        json!({ "bytes": padding, "bits": bit_padding, "cause": padding_cause }),
    );
    Value::Object(map)
}

fn member_value(
    ex: &mut Explainer<'_>,
    why: &Why<'_>,
    m: &Member,
    body: Option<&std::ops::Range<usize>>,
) -> Value {
    let origin = why.member_in(m, body);
    let mut map = Map::new();
    map.insert("name".into(), json!(m.name.as_deref()));
    map.insert("type".into(), json!(m.ty.to_string()));
    map.insert("offset".into(), json!(m.byte_offset()));
    map.insert("size".into(), json!(m.byte_size));
    if let Some(w) = m.bit_width {
        map.insert("bit_offset".into(), json!(m.bitfield_offset()));
        map.insert("bit_size".into(), json!(w));
    }
    map.insert("forced_alignment".into(), json!(m.alignment));
    if m.alignment.is_some() {
        map.insert("alignment_cause".into(), json!(why.align_origin(m)));
    }
    map.insert("declared_at".into(), json!(origin.site));
    map.insert("macros".into(), json!(origin.macros));
    map.insert("conditions".into(), json!(origin.conditions));
    if let Some(inner) = &m.inline {
        map.insert("type".into(), json!(inner.kind().keyword()));
        map.insert("inline".into(), record_value(ex, why, inner, body));
    }
    Value::Object(map)
}

/// A `--diff-config` comparison.
pub fn diff_value(d: &ConfigDiff) -> Value {
    let only = |o: &[crate::explain::diff::OnlyIn]| -> Vec<Value> {
        o.iter()
            .map(|o| {
                json!({ "name": o.path, "declared_at": o.site, "bits": o.size_bits, "conditions": o.conditions, "options": o.options })
            })
            .collect()
    };
    let changed = |c: &[crate::explain::diff::Changed]| -> Vec<Value> {
        c.iter()
            .map(|c| json!({ "name": c.path, "offset_bits": [c.offset_bits.0, c.offset_bits.1], "size_bits": [c.size_bits.0, c.size_bits.1] }))
            .collect()
    };
    json!({
        "query": d.name,
        "size": [d.size_bytes.0, d.size_bytes.1],
        "only_in_config": only(&d.only_a),
        "only_in_other": only(&d.only_b),
        "moved": changed(&d.moved),
        "resized": changed(&d.resized),
        "size_change_by_option": d.accounts.iter().map(|(k, bits, m)| json!({ "option": k, "member_bits": -bits, "members": m })).collect::<Vec<_>>(),
    })
}

/// The whole document: the configuration(s), the types, and the errors.
pub fn document(
    config: &str,
    other: Option<&str>,
    types: Vec<Value>,
    errors: Vec<(String, String)>,
) -> String {
    let doc = json!({
        "schema": "layout-expert-explain/1",
        "config": config,
        "other_config": other,
        "types": types,
        "errors": errors.into_iter().map(|(n, e)| json!({ "query": n, "error": e })).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
