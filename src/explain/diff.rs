//! `--diff-config`: one type under two configurations. Members are matched by name (members of
//! anonymous structs and unions by their own names, as C does); a member in only one layout is
//! explained by the `#if` chain that kept it and the options of that chain whose values differ
//! between the two configurations; moved members by how far; and the size change by the options
//! whose members appear or disappear (the rest is alignment, holes and padding). Records used by
//! value whose size changed are compared the same way, one level down.

use rustc_hash::FxHashMap;

use crate::{
    explain::{why::Why, ExplainError, Member, RecordView, Unit},
    ty::Ty,
};

/// A member present under one configuration only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnlyIn {
    /// The member's name, `outer.inner` for members of records used by value.
    pub path: String,
    pub site: Option<String>,
    pub size_bits: u64,
    /// The `#if` branches that kept it where it exists.
    pub conditions: Vec<String>,
    /// The options of those branches whose values differ: `CONFIG_X86_MCE (y / not set)`.
    pub options: Vec<String>,
}

/// A member at another offset, or of another size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changed {
    pub path: String,
    pub offset_bits: (u64, u64),
    pub size_bits: (u64, u64),
}

/// The comparison of one type under configurations A and B.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigDiff {
    pub name: String,
    pub size_bytes: (u64, u64),
    pub only_a: Vec<OnlyIn>,
    pub only_b: Vec<OnlyIn>,
    pub moved: Vec<Changed>,
    pub resized: Vec<Changed>,
    /// Per option (or condition) deciding members in one layout only: bits of members it adds
    /// to A over B (negative: to B), and the members.
    pub accounts: Vec<(String, i64, Vec<String>)>,
}

struct Flat {
    path: String,
    offset_bits: u64,
    size_bits: u64,
    member: Member,
}

fn flatten(v: &RecordView, base_bits: u64, prefix: &str, out: &mut Vec<Flat>) {
    for m in &v.members {
        match (&m.name, &m.inline) {
            (None, Some(inner)) => flatten(inner, base_bits + m.bit_offset, prefix, out),
            _ => {
                let size_bits = m.bit_width.unwrap_or(m.byte_size * 8);
                out.push(Flat {
                    path: format!("{prefix}{}", m.name.as_deref().unwrap_or("<anonymous>")),
                    offset_bits: base_bits + m.bit_offset,
                    size_bits,
                    member: m.clone(),
                });
            }
        }
    }
}

fn value(options: &[(smol_str::SmolStr, smol_str::SmolStr)], name: &str) -> String {
    let get = |n: &str| options.iter().find(|(k, _)| k == n).map(|(_, v)| v.to_string());
    match (get(name), get(&format!("{name}_MODULE"))) {
        (Some(v), _) if v == "1" => "y".into(),
        (Some(v), _) => v,
        (None, Some(_)) => "m".into(),
        (None, None) => "not set".into(),
    }
}

/// Compares `name` under the two units (same pre-AST, two configurations).
pub fn diff(a: &Unit, b: &Unit, name: &str) -> Result<ConfigDiff, ExplainError> {
    let (va, ba) = a.explain(name)?;
    let (vb, bb) = b.explain(name)?;
    let mut d = ConfigDiff {
        name: name.to_owned(),
        size_bytes: (va.size_bytes, vb.size_bytes),
        ..ConfigDiff::default()
    };
    compare(a, b, (&va, ba.as_ref()), (&vb, bb.as_ref()), "", 0, &mut d);
    let mut accounts: FxHashMap<String, (i64, Vec<String>)> = FxHashMap::default();
    for (only, sign) in [(&d.only_a, 1i64), (&d.only_b, -1i64)] {
        for o in only {
            let key = if o.options.is_empty() {
                match o.conditions.last() {
                    Some(c) => c.clone(),
                    None => String::from("(no condition: a type that differs)"),
                }
            } else {
                o.options.join(" + ")
            };
            let entry = accounts.entry(key).or_default();
            entry.0 += sign * o.size_bits as i64;
            entry.1.push(o.path.clone());
        }
    }
    let mut accounts: Vec<(String, i64, Vec<String>)> =
        accounts.into_iter().map(|(k, (b, m))| (k, b, m)).collect();
    accounts.sort_by(|x, y| y.1.abs().cmp(&x.1.abs()).then(x.0.cmp(&y.0)));
    d.accounts = accounts;
    Ok(d)
}

fn only_in(unit: &Unit, other: &Unit, f: &Flat, body: Option<&std::ops::Range<usize>>) -> OnlyIn {
    let why: Why<'_> = unit.why();
    let origin = why.member_in(&f.member, body);
    let mut options = Vec::new();
    for cond in &origin.conditions {
        // Only the condition itself, not its file:line.
        let text = cond.rsplit_once(" (").map_or(cond.as_str(), |(t, _)| t);
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if let Some(base) =
                word.strip_prefix("CONFIG_").map(|_| word.strip_suffix("_MODULE").unwrap_or(word))
            {
                let (here, there) = (value(&unit.options, base), value(&other.options, base));
                let entry = format!("{base} ({here} / {there})");
                if here != there && !options.contains(&entry) {
                    options.push(entry);
                }
            }
        }
    }
    OnlyIn {
        path: f.path.clone(),
        site: origin.site,
        size_bits: f.size_bits,
        conditions: origin.conditions,
        options,
    }
}

type Side<'v> = (&'v RecordView, Option<&'v std::ops::Range<usize>>);

fn compare(
    a: &Unit,
    b: &Unit,
    (va, ba): Side<'_>,
    (vb, bb): Side<'_>,
    prefix: &str,
    depth: usize,
    d: &mut ConfigDiff,
) {
    let (mut fa, mut fb) = (Vec::new(), Vec::new());
    flatten(va, 0, prefix, &mut fa);
    flatten(vb, 0, prefix, &mut fb);
    let by_name_b: FxHashMap<&str, usize> =
        fb.iter().enumerate().map(|(i, f)| (f.path.as_str(), i)).collect();
    let by_name_a: FxHashMap<&str, usize> =
        fa.iter().enumerate().map(|(i, f)| (f.path.as_str(), i)).collect();
    for f in &fa {
        match by_name_b.get(f.path.as_str()) {
            None => {
                if f.member.name.is_some() {
                    d.only_a.push(only_in(a, b, f, ba));
                }
            }
            Some(&j) => {
                let g = &fb[j];
                let change = Changed {
                    path: f.path.clone(),
                    offset_bits: (f.offset_bits, g.offset_bits),
                    size_bits: (f.size_bits, g.size_bits),
                };
                if f.size_bits != g.size_bits {
                    d.resized.push(change.clone());
                    // A record used by value whose size changed: one level down.
                    if let (Ty::Record(ra), Ty::Record(rb), true) =
                        (f.member.ty.strip_typedefs(), g.member.ty.strip_typedefs(), depth < 2)
                    {
                        if let (Some(ta), Some(tb)) = (&ra.tag, &rb.tag) {
                            let q = format!("{} {ta}", ra.kind.keyword());
                            if let (Ok((ia, xa)), Ok((ib, xb))) =
                                (a.explain(&q), b.explain(&format!("{} {tb}", rb.kind.keyword())))
                            {
                                compare(
                                    a,
                                    b,
                                    (&ia, xa.as_ref()),
                                    (&ib, xb.as_ref()),
                                    &format!("{}.", f.path),
                                    depth + 1,
                                    d,
                                );
                            }
                        }
                    }
                }
                if f.offset_bits != g.offset_bits {
                    d.moved.push(change);
                }
            }
        }
    }
    for g in &fb {
        if !by_name_a.contains_key(g.path.as_str()) && g.member.name.is_some() {
            d.only_b.push(only_in(b, a, g, bb));
        }
    }
}

fn bytes(bits: i64) -> String {
    if bits % 8 == 0 {
        format!("{} bytes", bits / 8)
    } else {
        format!("{bits} bits")
    }
}

fn signed_bytes(bits: i64) -> String {
    let sign = if bits > 0 { "+" } else { "" };
    format!("{sign}{}", bytes(bits))
}

/// The text of a comparison; `a` and `b` name the two configurations.
pub fn render(d: &ConfigDiff, a: &str, b: &str) -> String {
    let (sa, sb) = d.size_bytes;
    let delta = sb as i64 - sa as i64;
    let mut out =
        format!("{}: {sa} bytes under {a}, {sb} bytes under {b} ({delta:+} bytes)\n", d.name);
    for (title, only) in [(a, &d.only_a), (b, &d.only_b)] {
        if only.is_empty() {
            continue;
        }
        out.push_str(&format!("  only under {title}:\n"));
        for o in only {
            out.push_str(&format!("    {} ({}", o.path, bytes(o.size_bits as i64)));
            if let Some(site) = &o.site {
                out.push_str(&format!(", {site}"));
            }
            out.push(')');
            if !o.conditions.is_empty() {
                out.push_str(&format!(" {}", crate::explain::why::conditions_note(&o.conditions)));
            }
            if !o.options.is_empty() {
                out.push_str(&format!("; {}", o.options.join(", ")));
            }
            out.push('\n');
        }
    }
    if !d.resized.is_empty() {
        out.push_str("  changed size:\n");
        for c in &d.resized {
            out.push_str(&format!(
                "    {}: {} -> {}\n",
                c.path,
                bytes(c.size_bits.0 as i64),
                bytes(c.size_bits.1 as i64)
            ));
        }
    }
    if !d.moved.is_empty() {
        out.push_str("  moved:\n");
        for c in &d.moved {
            let (x, y) = c.offset_bits;
            // Byte offsets, with the bit for members that do not start on a byte.
            let at = |bits: u64| match bits % 8 {
                0 => format!("{}", bits / 8),
                b => format!("{}:{b}", bits / 8),
            };
            out.push_str(&format!(
                "    {}: {} -> {} ({})\n",
                c.path,
                at(x),
                at(y),
                signed_bytes(y as i64 - x as i64)
            ));
        }
    }
    if delta != 0 || !d.accounts.is_empty() {
        out.push_str(&format!("  the size change ({delta:+} bytes), by option:\n"));
        let mut explained: i64 = 0;
        for (key, bits, members) in &d.accounts {
            // Members only under A make B smaller.
            let change = -bits;
            explained += change;
            out.push_str(&format!(
                "    {key}: {} of members ({})\n",
                signed_bytes(change),
                members.join(", ")
            ));
        }
        let rest = delta * 8 - explained;
        if rest != 0 {
            out.push_str(&format!("    alignment, holes and padding: {}\n", signed_bytes(rest)));
        }
    }
    out
}
