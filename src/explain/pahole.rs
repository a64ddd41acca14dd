//! pahole's text format (dwarves 1.24, `pahole -C TYPE`) for a [`RecordView`].
//!
//! The rules follow what pahole does with GCC's DWARF, so that a reader who knows pahole's output
//! reads ours the same way: member lines `TYPE NAME; /* OFFSET SIZE */` (bitfields
//! `/* OFFSET:BIT SIZE */`, the offset of the bitfield's storage unit, its type's size aligned
//! down), anonymous struct, union and enum types inline, byte and bit holes found as pahole finds
//! them (`class__find_holes`), cacheline boundaries every 64 bytes, the padding of struct members'
//! types, `__attribute__((__aligned__(N)))` where GCC records a user alignment, `__packed__` where
//! pahole infers it, explicit `:0` bitfields where a bitfield run restarts, and the summary block.

use rustc_hash::FxHashMap;

use crate::{
    explain::{why::Why, Explainer, Member, PTy, RecordView},
    layout,
    ty::{EnumTy, RecordKind, Ty},
};

const CACHELINE: u64 = 64;

/// `pahole -C NAME` for a view: the text pahole prints for the type (without the trailing blank
/// line).
pub fn pahole(ex: &mut Explainer<'_>, view: &RecordView) -> Result<String, String> {
    pahole_with(ex, view, None)
}

/// [`pahole`], with `--why`'s `//` annotations when `why` is given (with the record's body
/// tokens, whose source lines are read for the members this configuration removed).
pub fn pahole_with(
    ex: &mut Explainer<'_>,
    view: &RecordView,
    why: Option<(&Why<'_>, std::ops::Range<usize>)>,
) -> Result<String, String> {
    let mut p = Printer { ex, cacheline: 0, packed: FxHashMap::default(), error: None, why };
    let conf = Conf {
        indent: 0,
        base_offset: 0,
        emit_stats: true,
        suffix: None,
        union_member: false,
        first_member: false,
        last_member: false,
        suffix_for_array: false,
    };
    let mut out = match view.kind() {
        RecordKind::Struct => p.class(view, &conf),
        RecordKind::Union => p.union(view, &conf),
    };
    out.push_str(";\n");
    match p.error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// `pahole -C NAME` for a typedef of an anonymous struct or union: `typedef struct { … } NAME;`.
pub fn pahole_typedef(
    ex: &mut Explainer<'_>,
    view: &RecordView,
    name: &str,
    why: Option<(&Why<'_>, std::ops::Range<usize>)>,
) -> Result<String, String> {
    let mut p = Printer { ex, cacheline: 0, packed: FxHashMap::default(), error: None, why };
    let conf = Conf {
        indent: 0,
        base_offset: 0,
        emit_stats: true,
        suffix: Some(name.to_owned()),
        union_member: false,
        first_member: false,
        last_member: false,
        suffix_for_array: false,
    };
    let body = match view.kind() {
        RecordKind::Struct => p.class(view, &conf),
        RecordKind::Union => p.union(view, &conf),
    };
    match p.error {
        Some(e) => Err(e),
        None => Ok(format!("typedef {body};\n")),
    }
}

/// A struct's holes as pahole finds them: `(member index, bytes, bits)` for each hole after a
/// member, and the tail padding in bytes and bits.
pub fn holes(view: &RecordView) -> (Vec<(usize, u64, u64)>, u64, u64) {
    let h = find_holes(view);
    let list = (0..view.members.len())
        .filter(|&i| h.hole[i] != 0 || h.bit_hole[i] != 0)
        .map(|i| (i, h.hole[i] as u64, h.bit_hole[i] as u64))
        .collect();
    (list, h.padding as u64, h.bit_padding as u64)
}

/// Collapses every run of whitespace into one space (how pahole's output is compared).
pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Clone)]
struct Conf {
    indent: usize,
    base_offset: u64,
    emit_stats: bool,
    suffix: Option<String>,
    union_member: bool,
    first_member: bool,
    last_member: bool,
    /// `type__fprintf` reached an anonymous record as an array's element.
    suffix_for_array: bool,
}

struct Printer<'e, 'a, 'w> {
    ex: &'e mut Explainer<'a>,
    why: Option<(&'w Why<'w>, std::ops::Range<usize>)>,
    /// The last cacheline a boundary was printed for (shared by nested types, as in pahole).
    cacheline: u64,
    /// pahole's inferred `__packed__`, by record identity, once computed.
    packed: FxHashMap<usize, bool>,
    error: Option<String>,
}

/// What `class__find_holes` computes for a struct.
#[derive(Default)]
struct Holes {
    hole: Vec<u16>,
    bit_hole: Vec<u8>,
    pre_hole: u16,
    pre_bit_hole: u8,
    nr_holes: u8,
    nr_bit_holes: u8,
    padding: u16,
    bit_padding: u8,
}

fn tabs(n: usize) -> String {
    "\t".repeat(n.min(16))
}

fn plural(n: u64) -> &'static str {
    if n != 1 {
        "s"
    } else {
        ""
    }
}

fn find_holes(v: &RecordView) -> Holes {
    let n = v.members.len();
    let mut h = Holes { hole: vec![0; n], bit_hole: vec![0; n], ..Holes::default() };
    if v.kind() != RecordKind::Struct {
        return h;
    }
    let size_bits = (v.size_bytes * 8) as i64;
    let mut cur_bitfield_end = size_bits;
    let mut cur_bitfield_size: i64 = 0;
    let mut last_seen_bit: i64 = 0;
    let mut in_bitfield = false;
    let mut last: Option<usize> = None;
    for (i, pos) in v.members.iter().enumerate() {
        let bit_start = pos.bit_offset as i64;
        let bit_size = (pos.byte_size * 8) as i64;
        let bit_end = bit_start + pos.bit_width.map_or(bit_size, |w| w as i64);
        let mut bit_holes: i64 = 0;
        let mut byte_holes: i64 = 0;
        if in_bitfield {
            let bitfield_end = bit_start.min(cur_bitfield_end);
            bit_holes = bitfield_end - last_seen_bit;
            last_seen_bit = bitfield_end;
        }
        let byte_offset = pos.byte_offset() as i64;
        if pos.bit_width.is_some() {
            let aligned_start = byte_offset * 8;
            if last_seen_bit < aligned_start && aligned_start <= bit_start {
                byte_holes = byte_offset - last_seen_bit / 8;
                last_seen_bit = aligned_start;
            }
            bit_holes += bit_start - last_seen_bit;
        } else {
            byte_holes = bit_start / 8 - last_seen_bit / 8;
        }
        last_seen_bit = bit_end;
        if pos.bit_width.is_some() {
            in_bitfield = true;
            if bit_end > cur_bitfield_end || bit_size > cur_bitfield_size {
                cur_bitfield_size = bit_size;
                cur_bitfield_end = byte_offset * 8 + cur_bitfield_size;
                if bit_end > cur_bitfield_end {
                    cur_bitfield_end += cur_bitfield_size;
                }
            }
        } else {
            in_bitfield = false;
            cur_bitfield_size = 0;
            cur_bitfield_end = bit_end;
        }
        // pahole keeps these in narrow unsigned fields.
        match last {
            Some(l) => {
                h.hole[l] = byte_holes as u16;
                h.bit_hole[l] = bit_holes as u8;
            }
            None => {
                h.pre_hole = byte_holes as u16;
                h.pre_bit_hole = bit_holes as u8;
            }
        }
        if bit_holes != 0 {
            h.nr_bit_holes = h.nr_bit_holes.wrapping_add(1);
        }
        if byte_holes != 0 {
            h.nr_holes = h.nr_holes.wrapping_add(1);
        }
        last = Some(i);
    }
    if in_bitfield {
        let bitfield_end = size_bits.min(cur_bitfield_end);
        h.bit_padding = (bitfield_end - last_seen_bit) as u8;
        last_seen_bit = bitfield_end;
    }
    h.padding = (v.size_bytes as i64 - last_seen_bit / 8) as u16;
    h
}

/// Typedefs and qualifiers stripped.
fn strip(ty: &Ty) -> &Ty {
    ty.strip_typedefs()
}

/// pahole's `tag__natural_alignment`: pointers 8, base types and enums their size, records the
/// largest of their members', arrays their element's; never 0.
fn natural_alignment(ty: &Ty) -> u64 {
    let a = match strip(ty) {
        Ty::Pointer(_) => 8,
        Ty::Base(b) => layout::base_layout(*b).size_bits / 8,
        Ty::Enum(def) => layout::layout_of_enum(def).map_or(4, |l| l.size_bits / 8),
        Ty::Record(rec) => rec
            .fields
            .iter()
            .filter(|f| !(f.name.is_none() && f.bit_width.is_some()))
            .map(|f| natural_alignment(&f.ty))
            .max()
            .unwrap_or(1),
        Ty::Array(elem, _) => natural_alignment(elem),
        _ => 1,
    };
    a.max(1)
}

fn is_struct_ty(ty: &Ty) -> Option<&std::sync::Arc<crate::ty::RecordTy>> {
    match strip(ty) {
        Ty::Record(rec) if rec.kind == RecordKind::Struct => Some(rec),
        _ => None,
    }
}

impl Printer<'_, '_, '_> {
    fn fail(&mut self, e: String) {
        self.error.get_or_insert(e);
    }

    /// The view of a struct type used by value (inline or named).
    fn view_of(&mut self, m: &Member) -> Option<RecordView> {
        if let Some(v) = &m.inline {
            return Some((**v).clone());
        }
        let rec = match &m.ty {
            Ty::Record(rec) => rec.clone(),
            _ => return None,
        };
        match self.ex.plain_view(&rec) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(e);
                None
            }
        }
    }

    /// `type__check_structs_at_unnatural_alignments`.
    fn check_unnatural(&mut self, v: &RecordView) {
        for m in &v.members {
            if let Some(rec) = is_struct_ty(&m.ty) {
                if !m.byte_offset().is_multiple_of(natural_alignment(&m.ty)) {
                    self.packed.insert(std::sync::Arc::as_ptr(rec) as usize, true);
                }
            }
        }
    }

    /// `class__infer_packed_attributes`.
    fn infer_packed(&mut self, v: &RecordView) -> bool {
        if v.kind() != RecordKind::Struct {
            return false;
        }
        let key = std::sync::Arc::as_ptr(&v.rec) as usize;
        if let Some(p) = self.packed.get(&key) {
            return *p;
        }
        let holes = find_holes(v);
        let mut packed = false;
        if holes.padding != 0 || holes.nr_holes != 0 {
            self.check_unnatural(v);
        } else {
            let mut max_natural = 1;
            let mut unaligned = false;
            for m in &v.members {
                let na = natural_alignment(&m.ty);
                if na == 1 {
                    continue;
                }
                max_natural = max_natural.max(na);
                if !m.byte_offset().is_multiple_of(na) {
                    unaligned = true;
                    break;
                }
            }
            packed = unaligned
                || (max_natural != 1 && v.alignment == Some(1))
                || !v.size_bytes.is_multiple_of(max_natural);
        }
        self.packed.insert(key, packed);
        packed
    }

    /// `union__infer_packed_attributes`.
    fn infer_union_packed(&mut self, v: &RecordView) {
        let key = std::sync::Arc::as_ptr(&v.rec) as usize;
        if self.packed.contains_key(&key) {
            return;
        }
        for m in &v.members {
            if let Some(rec) = is_struct_ty(&m.ty) {
                if !v.size_bytes.is_multiple_of(natural_alignment(&m.ty)) {
                    self.packed.insert(std::sync::Arc::as_ptr(rec) as usize, true);
                }
            }
        }
        self.packed.insert(key, false);
    }

    fn cacheline_boundary(&mut self, indent: usize, offset: u64) -> String {
        let line = offset / CACHELINE;
        if line <= self.cacheline {
            return String::new();
        }
        let pos = offset % CACHELINE;
        let start = offset - pos;
        self.cacheline = line;
        let mut s = if pos == 0 {
            format!("/* --- cacheline {line} boundary ({start} bytes) --- */\n")
        } else {
            format!(
                "/* --- cacheline {line} boundary ({start} bytes) was {pos} byte{} ago --- */\n",
                plural(pos)
            )
        };
        s.push_str(&tabs(indent));
        s
    }

    /// `__class__fprintf`.
    fn class(&mut self, v: &RecordView, conf: &Conf) -> String {
        let mut out = String::from("struct");
        if let Some(tag) = v.tag() {
            out.push(' ');
            out.push_str(tag);
        }
        let indent = conf.indent + 1;
        let packed = self.infer_packed(v);
        out.push_str(" {\n");
        let h = find_holes(v);
        let mut newline = false;
        let (mut sum_holes, mut sum_bit_holes, mut sum_bytes, mut sum_bits) =
            (0u64, 0u64, 0u64, 0u64);
        let (mut nr_paddings, mut sum_paddings) = (0u64, 0u64);
        let (mut nr_forced, mut nr_forced_holes, mut sum_forced_holes) = (0u64, 0u64, 0u64);
        if h.pre_bit_hole > 0 {
            if !newline {
                out.push('\n');
                newline = true;
            }
            out.push_str(&format!(
                "{}/* XXX {} bit{} hole, try to pack */\n",
                tabs(indent),
                h.pre_bit_hole,
                plural(h.pre_bit_hole as u64)
            ));
            sum_bit_holes += h.pre_bit_hole as u64;
        }
        if h.pre_hole > 0 {
            if !newline {
                out.push('\n');
                newline = true;
            }
            out.push_str(&format!(
                "{}/* XXX {} byte{} hole, try to pack */\n",
                tabs(indent),
                h.pre_hole,
                plural(h.pre_hole as u64)
            ));
            sum_holes += h.pre_hole as u64;
        }
        let mut last: Option<usize> = None;
        let mut last_size: u64 = 0;
        let n = v.members.len();
        for (i, pos) in v.members.iter().enumerate() {
            if pos.alignment.is_some() {
                let forced_hole = last.map_or(h.pre_hole, |l| h.hole[l]);
                if forced_hole != 0 {
                    nr_forced_holes += 1;
                    sum_forced_holes += forced_hole as u64;
                }
                nr_forced += 1;
            }
            if let Some(l) = last.filter(|_| last_size != 0) {
                let lm = &v.members[l];
                if h.bit_hole[l] != 0 && pos.bit_width.is_some() {
                    let mut bits = h.bit_hole[l] as u64;
                    if lm.byte_offset() != pos.byte_offset() {
                        out.push_str(&format!(
                            "\n{}/* Force alignment to the next boundary: */\n",
                            tabs(indent)
                        ));
                        bits = 0;
                    }
                    let c = Conf { indent, ..conf.clone() };
                    out.push_str(&tabs(indent));
                    out.push_str(&self.type_fprintf(&pos.pty, "", &c, None));
                    out.push_str(&format!(":{bits};\n"));
                }
                let (po, lo) = (pos.byte_offset(), lm.byte_offset());
                if po < lo || (po == lo && lm.bit_width.is_none() && pos.bit_width.is_some()) {
                    if !newline {
                        out.push('\n');
                        newline = true;
                    }
                    out.push_str(&format!(
                        "{}/* Bitfield combined with previous fields */\n",
                        tabs(indent)
                    ));
                } else {
                    let cc = po as i64 - lo as i64;
                    if cc > 0 && (cc as u64) < last_size {
                        if !newline {
                            out.push('\n');
                            newline = true;
                        }
                        out.push_str(&format!(
                            "{}/* Bitfield combined with next fields */\n",
                            tabs(indent)
                        ));
                    }
                }
            }
            if newline {
                out.push('\n');
                newline = false;
            }
            let mconf = Conf {
                indent,
                base_offset: conf.base_offset,
                emit_stats: conf.emit_stats,
                suffix: None,
                union_member: conf.union_member,
                first_member: last.is_none(),
                last_member: i + 1 == n,
                suffix_for_array: false,
            };
            let size = pos.byte_size;
            out.push_str(&tabs(indent));
            out.push_str(&self.member(pos, false, &mconf));
            if matches!(pos.pty, PTy::Record(RecordKind::Struct, _)) {
                if let Some(tv) = self.view_of(pos) {
                    let th = find_holes(&tv);
                    self.infer_packed(&tv);
                    let padding = th.padding as u64;
                    if padding > 0 {
                        nr_paddings += 1;
                        sum_paddings += padding;
                        if !newline {
                            out.push('\n');
                            newline = true;
                        }
                        out.push_str(&format!(
                            "\n{}/* XXX last struct has {padding} byte{} of padding */",
                            tabs(indent),
                            plural(padding)
                        ));
                        if let Some((why, _)) = &self.why {
                            let aligns: Vec<u64> = tv
                                .members
                                .iter()
                                .map(|m| self.ex.member_align_bytes(&tv, m))
                                .collect();
                            let align_of = |m: &Member| {
                                tv.members
                                    .iter()
                                    .position(|x| std::ptr::eq(x, m))
                                    .map_or(0, |i| aligns[i])
                            };
                            out.push_str(&format!(
                                " // in its type: {}",
                                why.padding_cause(&tv, &align_of)
                            ));
                        }
                    }
                }
            }
            if h.bit_hole[i] != 0 {
                if !newline {
                    out.push('\n');
                    newline = true;
                }
                let b = h.bit_hole[i] as u64;
                out.push_str(&format!(
                    "\n{}/* XXX {b} bit{} hole, try to pack */",
                    tabs(indent),
                    plural(b)
                ));
                if let Some((why, _)) = &self.why {
                    out.push_str(&format!(" // {}", why.bit_hole_cause(pos, v.members.get(i + 1))));
                }
                sum_bit_holes += b;
            }
            if h.hole[i] > 0 {
                if !newline {
                    out.push('\n');
                    newline = true;
                }
                let b = h.hole[i] as u64;
                out.push_str(&format!(
                    "\n{}/* XXX {b} byte{} hole, try to pack */",
                    tabs(indent),
                    plural(b)
                ));
                if let (Some((why, _)), Some(next)) = (&self.why, v.members.get(i + 1)) {
                    let align = self.ex.align_bytes(&next.ty);
                    out.push_str(&format!(" // {}", why.hole_cause(next, align)));
                }
                sum_holes += b;
            }
            out.push('\n');
            match pos.bit_width {
                Some(w) => sum_bits += w,
                None => sum_bytes += pos.byte_size,
            }
            match last {
                None => last_size = size,
                Some(l) => {
                    let lm = &v.members[l];
                    // A new offset, or a bitfield starting where a non-bitfield member is.
                    if last_size == 0
                        || lm.byte_offset() != pos.byte_offset()
                        || (lm.bit_width.is_none() && pos.bit_width.is_some())
                    {
                        last_size = size;
                    }
                }
            }
            last = Some(i);
        }
        // pahole's "Force padding" (DWARF has alignment information).
        if h.padding != 0 && v.alignment.is_none() {
            if let Some(l) = last {
                let lm = &v.members[l];
                let size = lm.byte_size;
                if size.is_power_of_two() && (h.padding as u64) > 8 {
                    out.push_str(&format!("\n{}/* Force padding: */\n", tabs(indent)));
                    let c = Conf { indent, ..conf.clone() };
                    let mut added = 0;
                    while added < h.padding as u64 {
                        out.push_str(&tabs(indent));
                        out.push_str(&self.type_fprintf(&lm.pty, "", &c, None));
                        out.push_str(&format!(":{};\n", size * 8));
                        added += size;
                    }
                }
            }
        }
        if conf.indent == 0 {
            out.push_str(&self.removed_notes(indent, &member_names(v)));
        }
        if conf.emit_stats {
            let t = tabs(indent);
            out.push_str(&format!(
                "\n{t}/* size: {}, cachelines: {}, members: {} */\n",
                v.size_bytes,
                v.size_bytes.div_ceil(CACHELINE),
                v.members.len()
            ));
            if sum_holes > 0 || sum_bit_holes > 0 {
                if sum_bytes > 0 {
                    out.push_str(&format!("{t}/* sum members: {sum_bytes}"));
                    if sum_holes > 0 {
                        out.push_str(&format!(", holes: {}, sum holes: {sum_holes}", h.nr_holes));
                    }
                    out.push_str(" */\n");
                }
                if sum_bits > 0 {
                    out.push_str(&format!("{t}/* sum bitfield members: {sum_bits} bits"));
                    if sum_bit_holes > 0 {
                        out.push_str(&format!(
                            ", bit holes: {}, sum bit holes: {sum_bit_holes} bits",
                            h.nr_bit_holes
                        ));
                    } else {
                        out.push_str(&format!(" ({} bytes)", sum_bits / 8));
                    }
                    out.push_str(" */\n");
                }
            }
            if h.padding > 0 {
                out.push_str(&format!("{t}/* padding: {} */", h.padding));
                if let Some((why, _)) = &self.why {
                    let aligns: Vec<u64> =
                        v.members.iter().map(|m| self.ex.member_align_bytes(v, m)).collect();
                    let align_of = |m: &Member| {
                        v.members.iter().position(|x| std::ptr::eq(x, m)).map_or(0, |i| aligns[i])
                    };
                    out.push_str(&format!(" // {}", why.padding_cause(v, &align_of)));
                }
                out.push('\n');
            }
            if nr_paddings > 0 {
                out.push_str(&format!(
                    "{t}/* paddings: {nr_paddings}, sum paddings: {sum_paddings} */\n"
                ));
            }
            if h.bit_padding > 0 {
                out.push_str(&format!("{t}/* bit_padding: {} bits */\n", h.bit_padding));
            }
            if nr_forced != 0 {
                out.push_str(&format!("{t}/* forced alignments: {nr_forced}"));
                if nr_forced_holes != 0 {
                    out.push_str(&format!(
                        ", forced holes: {nr_forced_holes}, sum forced holes: {sum_forced_holes}"
                    ));
                }
                out.push_str(" */\n");
            }
            let last_line = (conf.base_offset + v.size_bytes) % CACHELINE;
            if last_line != 0 {
                out.push_str(&format!("{t}/* last cacheline: {last_line} bytes */\n"));
            }
            let diff = (v.size_bytes * 8) as i64
                - (sum_bytes * 8
                    + sum_bits
                    + sum_holes * 8
                    + sum_bit_holes
                    + h.padding as u64 * 8
                    + h.bit_padding as u64) as i64;
            if diff != 0 && !v.members.is_empty() {
                out.push_str(&format!(
                    "\n{t}/* BRAIN FART ALERT! {} bytes != {sum_bytes} (member bytes) + {sum_bits} (member bits) + {sum_holes} (byte holes) + {sum_bit_holes} (bit holes), diff = {diff} bits */\n",
                    v.size_bytes
                ));
            }
        }
        out.push_str(&tabs(conf.indent));
        out.push('}');
        if packed {
            out.push_str(" __attribute__((__packed__))");
        }
        if let Some(s) = &conf.suffix {
            out.push(' ');
            out.push_str(s);
        }
        if let (Some(a), false) = (v.alignment, packed) {
            out.push_str(&format!(" __attribute__((__aligned__({a})))"));
        }
        out
    }

    /// `union__fprintf`.
    fn union(&mut self, v: &RecordView, conf: &Conf) -> String {
        let mut out = String::from("union");
        if let Some(tag) = v.tag() {
            out.push(' ');
            out.push_str(tag);
        }
        out.push_str(" {\n");
        let indent = conf.indent + 1;
        self.infer_union_packed(v);
        let initial = self.cacheline;
        for pos in &v.members {
            let mconf = Conf { indent, union_member: true, ..conf.clone() };
            out.push_str(&tabs(indent));
            out.push_str(&self.member(pos, true, &mconf));
            out.push('\n');
            self.cacheline = initial;
        }
        if conf.indent == 0 {
            out.push_str(&self.removed_notes(indent, &member_names(v)));
        }
        out.push_str(&tabs(conf.indent));
        out.push('}');
        if let Some(s) = &conf.suffix {
            out.push(' ');
            out.push_str(s);
        }
        out
    }

    /// `--why`'s lines for the members this configuration removed (`kept`: the names of the
    /// members it has, so that an alternative declaration of one is told apart).
    fn removed_notes(&self, indent: usize, kept: &rustc_hash::FxHashSet<String>) -> String {
        let Some((why, body)) = &self.why else {
            return String::new();
        };
        let mut out = String::new();
        for r in why.removed(body.clone()) {
            let what = match kept.contains(&r.name) {
                true => "an alternative declaration not used by this configuration",
                false => "removed by this configuration",
            };
            out.push_str(&format!(
                "{}// {what}: `{}` ({}) needs {}",
                tabs(indent),
                r.name,
                r.site,
                r.needs.join(" && ")
            ));
            if !r.options.is_empty() {
                out.push_str(&format!("; here {}", r.options.join(", ")));
            }
            out.push('\n');
        }
        out
    }

    /// `class_member__fprintf`: one member line (with the cacheline marker before it).
    fn member(&mut self, m: &Member, union_member: bool, conf: &Conf) -> String {
        let offset = m.byte_offset() + conf.base_offset;
        let mut sconf = conf.clone();
        if !union_member {
            sconf.base_offset = offset;
        }
        let mut out = self.cacheline_boundary(conf.indent, offset);
        let name = m.name.as_deref().unwrap_or("");
        let inline = matches!(m.pty, PTy::Record(..) | PTy::Enum(..));
        if inline {
            let tconf = Conf { emit_stats: false, suffix: None, ..sconf.clone() };
            let anonymous = match &m.pty {
                PTy::Record(kind, None) => {
                    match &m.inline {
                        Some(view) => {
                            let view = (**view).clone();
                            let s = match kind {
                                RecordKind::Struct => self.class(&view, &tconf),
                                RecordKind::Union => self.union(&view, &tconf),
                            };
                            out.push_str(&s);
                        }
                        None => out.push_str(&format!("{} ", kind.keyword())),
                    }
                    true
                }
                PTy::Record(kind, Some(tag)) => {
                    out.push_str(&format!("{} {tag} ", kind.keyword()));
                    false
                }
                PTy::Enum(None) => {
                    match &m.inline_enum {
                        Some(def) => out.push_str(&enum_inline(def, conf.indent)),
                        None => out.push_str("enum "),
                    }
                    true
                }
                PTy::Enum(Some(tag)) => {
                    out.push_str(&format!("enum {tag} "));
                    false
                }
                _ => false,
            };
            if m.name.is_some() {
                if anonymous {
                    out.push(' ');
                }
                out.push_str(name);
            }
        } else {
            let inline = m.inline.as_deref().cloned();
            out.push_str(&self.type_fprintf(&m.pty, name, &sconf, inline.as_ref()));
        }
        if let Some(w) = m.bit_width {
            out.push_str(&format!(":{w}"));
        }
        if let Some(a) = m.alignment {
            out.push_str(&format!(" __attribute__((__aligned__({a})))"));
        }
        out.push(';');
        let bitfield = m.bit_width.map(|_| m.bitfield_offset());
        let comment = match bitfield {
            Some(b) => format!("/* {offset:5}:{b:2} {:2} */", m.byte_size),
            None => format!("/* {offset:5} {:5} */", m.byte_size),
        };
        // pahole pads to its name column; one space is what survives collapsing anyway.
        let width = out.rsplit('\n').next().map_or(0, |l| l.chars().count());
        let pad = (26 + 23 + 8 * conf.indent).saturating_sub(width).max(1);
        out.push_str(&" ".repeat(pad));
        out.push_str(&comment);
        if let Some((why, body)) = &self.why {
            let note = why.member_note(m, Some(body));
            if !note.is_empty() {
                out.push_str(" // ");
                out.push_str(&note);
            }
        }
        out
    }

    /// `type__fprintf` for a type that is not printed inline by the member printer; `inline`
    /// is the view of the anonymous record it may contain (behind `const` or in an array).
    fn type_fprintf(
        &mut self,
        t: &PTy,
        name: &str,
        conf: &Conf,
        inline: Option<&RecordView>,
    ) -> String {
        match t {
            PTy::Pointer(inner) => match &**inner {
                PTy::Function { ret, params, variadic } => {
                    self.ftype(ret, params, *variadic, Some(name), true)
                }
                _ => format!("{:<26} {name}", self.tag_name(t)),
            },
            PTy::Function { ret, params, variadic } => {
                self.ftype(ret, params, *variadic, Some(name), false)
            }
            PTy::Const(inner) => format!("const {}", self.type_fprintf(inner, name, conf, inline)),
            PTy::Array(..) => self.array(t, name, conf, inline),
            // An anonymous record reached through `const`: pahole prints it with the member's
            // conf (stats included); through an array: with the name as its suffix, no stats.
            PTy::Record(kind, None) if inline.is_some() => {
                let view = inline.cloned().unwrap_or_else(|| unreachable!());
                let c = match conf.suffix_for_array {
                    true => Conf {
                        emit_stats: false,
                        suffix: Some(name.to_owned()),
                        suffix_for_array: false,
                        ..conf.clone()
                    },
                    false => Conf { suffix: None, ..conf.clone() },
                };
                match kind {
                    RecordKind::Struct => self.class(&view, &c),
                    RecordKind::Union => self.union(&view, &c),
                }
            }
            PTy::Record(kind, Some(tag)) => format!("{} {tag} {name}", kind.keyword()),
            PTy::Enum(Some(tag)) => format!("enum {tag} {name}"),
            _ => format!("{:<26} {name}", self.tag_name(t)),
        }
    }

    /// `array_type__fprintf`.
    fn array(&mut self, t: &PTy, name: &str, conf: &Conf, inline: Option<&RecordView>) -> String {
        let mut dims = Vec::new();
        let mut elem = t;
        while let PTy::Array(inner, n) = elem {
            dims.push(n.unwrap_or(0));
            elem = inner;
        }
        if dims.first() == Some(&0) {
            if let PTy::Const(inner) = elem {
                elem = inner;
            }
        }
        let c = Conf { suffix_for_array: true, ..conf.clone() };
        let mut out = self.type_fprintf(&elem.clone(), name, &c, inline);
        let single = conf.last_member && conf.first_member;
        for n in dims {
            if n != 0 || !conf.last_member || single || conf.union_member {
                out.push_str(&format!("[{n}]"));
            } else {
                out.push_str("[]");
            }
        }
        out
    }

    /// `ftype__fprintf`: `RET (*name)(PARAMS)`.
    fn ftype(
        &mut self,
        ret: &PTy,
        params: &[PTy],
        variadic: bool,
        name: Option<&str>,
        is_pointer: bool,
    ) -> String {
        let mut out = format!(
            "{:<26} ({}{})",
            self.tag_name(ret),
            if is_pointer { "*" } else { "" },
            name.unwrap_or("")
        );
        out.push('(');
        for (i, p) in params.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            match p {
                PTy::Pointer(inner) if matches!(**inner, PTy::Function { .. }) => {
                    if let PTy::Function { ret, params, variadic } = &**inner {
                        let s = self.ftype(ret, params, *variadic, None, true);
                        out.push_str(&s);
                    }
                }
                _ => {
                    let s = self.tag_name(p);
                    out.push_str(&s);
                }
            }
        }
        if params.is_empty() {
            out.push_str("void)");
        } else if variadic {
            out.push_str(", ...)");
        } else {
            out.push(')');
        }
        out
    }

    /// `tag__name`: how pahole names a type inside other types.
    fn tag_name(&mut self, t: &PTy) -> String {
        match t {
            PTy::Void => "void".into(),
            PTy::Base(b) => b.gcc_name().into(),
            PTy::Pointer(inner) => match &**inner {
                PTy::Void => "void *".into(),
                PTy::Const(c) if matches!(**c, PTy::Pointer(_)) => {
                    format!("{} const *", self.tag_name(c))
                }
                _ => format!("{} *", self.tag_name(inner)),
            },
            PTy::Const(inner) => format!("const {} ", self.tag_name(inner)),
            PTy::Volatile(inner) => format!("volatile {} ", self.tag_name(inner)),
            PTy::Restrict(inner) => format!("{} restrict ", self.tag_name(inner)),
            PTy::Array(inner, _) => self.tag_name(inner),
            PTy::Function { ret, params, variadic } => {
                self.ftype(ret, params, *variadic, None, false)
            }
            PTy::Record(kind, tag) => {
                format!("{} {}", kind.keyword(), tag.as_deref().unwrap_or(""))
            }
            PTy::Enum(tag) => format!("enum {}", tag.as_deref().unwrap_or("")),
            PTy::Typedef(name) => name.to_string(),
        }
    }
}

/// The names of a record's members, those of inline anonymous records included.
pub fn member_names(v: &RecordView) -> rustc_hash::FxHashSet<String> {
    let mut out = rustc_hash::FxHashSet::default();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        for m in &v.members {
            if let Some(n) = &m.name {
                out.insert(n.to_string());
            }
            if let Some(inner) = &m.inline {
                stack.push(inner);
            }
        }
    }
    out
}

/// `enumeration__fprintf` for an anonymous enum printed inline.
fn enum_inline(def: &EnumTy, indent: usize) -> String {
    let width = def.constants.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut out = String::from("enum {\n");
    let (size_bits, signed) = match layout::enum_layout(def) {
        Ok((l, base)) => (l.size_bits, base.is_signed()),
        Err(_) => (32, true),
    };
    for (name, value) in &def.constants {
        let v = if signed { format!("{}", *value as i64) } else { format!("{}", *value as u64) };
        out.push_str(&format!("{}\t{name:<width$} = {v},\n", tabs(indent)));
    }
    out.push_str(&tabs(indent));
    out.push('}');
    if size_bits != 32 {
        out.push_str(" __attribute__((__packed__))");
    }
    out
}
