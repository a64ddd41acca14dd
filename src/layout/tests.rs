//! Fixture tests of the layout rules, each confirmed by the real gcc-12.
//!
//! Every test builds a record with the type model, prints it as C, compiles that C with gcc-12
//! together with a `main` that prints `sizeof`, `_Alignof`, and for every field its offset and
//! size (bitfields: the bit position and width found at run time by setting the field to all ones
//! in a zeroed object and scanning the bytes), runs it, and compares the listing with the one our
//! engine computes. No expected number is written in this file.

mod random_attrs;

use std::{fmt::Write as _, process::Command, sync::Arc};

use rustc_hash::FxHashSet;
use smol_str::SmolStr;

use crate::{
    layout::{layout_of, layout_of_record, LayoutError},
    ty::{BaseTy, EnumTy, FieldTy, RecordKind, RecordTy, Ty, TypedefTy},
};

fn base(b: BaseTy) -> Ty {
    Ty::Base(b)
}
fn int() -> Ty {
    base(BaseTy::Int)
}
fn char_() -> Ty {
    base(BaseTy::Char)
}
fn short() -> Ty {
    base(BaseTy::Short)
}
fn long() -> Ty {
    base(BaseTy::Long)
}
fn ulong() -> Ty {
    base(BaseTy::ULong)
}
fn field(name: &str, ty: Ty) -> FieldTy {
    FieldTy { name: Some(name.into()), ty, bit_width: None, packed: false, align_bits: None }
}
fn bits(name: &str, ty: Ty, width: u64) -> FieldTy {
    FieldTy { name: Some(name.into()), ty, bit_width: Some(width), packed: false, align_bits: None }
}
fn unnamed_bits(ty: Ty, width: u64) -> FieldTy {
    FieldTy { name: None, ty, bit_width: Some(width), packed: false, align_bits: None }
}
fn anon_member(rec: RecordTy) -> FieldTy {
    FieldTy {
        name: None,
        ty: Ty::Record(Arc::new(rec)),
        bit_width: None,
        packed: false,
        align_bits: None,
    }
}
fn packed_field(mut f: FieldTy) -> FieldTy {
    f.packed = true;
    f
}
fn aligned_field(mut f: FieldTy, bytes: u64) -> FieldTy {
    f.align_bits = Some(bytes * 8);
    f
}
fn record(kind: RecordKind, tag: Option<&str>, fields: Vec<FieldTy>) -> RecordTy {
    RecordTy {
        kind,
        tag: tag.map(SmolStr::from),
        fields,
        packed: false,
        align_bits: None,
        max_field_align_bits: None,
    }
}
fn strukt(fields: Vec<FieldTy>) -> RecordTy {
    record(RecordKind::Struct, Some("t"), fields)
}
fn union(fields: Vec<FieldTy>) -> RecordTy {
    record(RecordKind::Union, Some("t"), fields)
}
fn anon_struct(fields: Vec<FieldTy>) -> RecordTy {
    record(RecordKind::Struct, None, fields)
}
fn anon_union(fields: Vec<FieldTy>) -> RecordTy {
    record(RecordKind::Union, None, fields)
}
fn packed(mut rec: RecordTy) -> RecordTy {
    rec.packed = true;
    rec
}
fn aligned(mut rec: RecordTy, bytes: u64) -> RecordTy {
    rec.align_bits = Some(bytes * 8);
    rec
}
fn typedef(name: &str, ty: Ty, align_bytes: Option<u64>) -> Ty {
    Ty::Typedef(Arc::new(TypedefTy {
        name: name.into(),
        ty,
        align_bits: align_bytes.map(|it| it * 8),
    }))
}
fn array(elem: Ty, len: u64) -> Ty {
    Ty::Array(Arc::new(elem), Some(len))
}
fn flexible(elem: Ty) -> Ty {
    Ty::Array(Arc::new(elem), None)
}
fn named_struct(tag: &str, fields: Vec<FieldTy>) -> Ty {
    Ty::Record(Arc::new(record(RecordKind::Struct, Some(tag), fields)))
}
fn enum_ty(tag: &str, values: &[i128], packed: bool) -> Ty {
    Ty::Enum(Arc::new(EnumTy {
        tag: Some(tag.into()),
        constants: values
            .iter()
            .enumerate()
            .map(|(i, v)| (SmolStr::from(format!("{tag}_{i}")), *v))
            .collect(),
        packed,
        mode_bits: None,
        align_bits: None,
    }))
}

// Rule: base type sizes and alignments of LP64.
#[test]
fn base_types() {
    let all = [
        BaseTy::Bool,
        BaseTy::Char,
        BaseTy::SChar,
        BaseTy::UChar,
        BaseTy::Short,
        BaseTy::UShort,
        BaseTy::Int,
        BaseTy::UInt,
        BaseTy::Long,
        BaseTy::ULong,
        BaseTy::LongLong,
        BaseTy::ULongLong,
        BaseTy::Int128,
        BaseTy::UInt128,
        BaseTy::Float,
        BaseTy::Double,
        BaseTy::LongDouble,
    ];
    let mut fields = Vec::new();
    for (i, b) in all.iter().enumerate() {
        fields.push(field(&format!("c{i}"), char_()));
        fields.push(field(&format!("f{i}"), base(*b)));
        fields.push(field(&format!("p{i}"), Ty::Pointer(Arc::new(base(*b)))));
    }
    check(&[strukt(fields)]);
}

#[test]
fn padding_and_tail_padding() {
    check(&[
        strukt(vec![field("a", char_()), field("b", long()), field("c", char_())]),
        record(RecordKind::Struct, Some("u"), vec![field("a", short()), field("b", char_())]),
    ]);
}

#[test]
fn union_of_mixed_members() {
    check(&[union(vec![field("a", char_()), field("b", array(char_(), 9)), field("c", int())])]);
}

#[test]
fn union_of_bitfields() {
    check(&[
        union(vec![bits("a", int(), 3), bits("b", char_(), 7)]),
        record(RecordKind::Union, Some("u"), vec![bits("a", long(), 17), unnamed_bits(long(), 40)]),
    ]);
}

#[test]
fn packed_struct_and_field() {
    check(&[
        packed(strukt(vec![field("a", char_()), field("b", long()), field("c", short())])),
        record(
            RecordKind::Struct,
            Some("u"),
            vec![field("a", char_()), packed_field(field("b", long())), field("c", char_())],
        ),
    ]);
}

#[test]
fn packed_field_with_aligned() {
    check(&[strukt(vec![field("c", char_()), aligned_field(packed_field(field("x", int())), 2)])]);
}

#[test]
fn packed_struct_with_aligned_members() {
    check(&[
        packed(strukt(vec![field("x", int()), aligned_field(field("y", int()), 64)])),
        aligned(
            packed(record(
                RecordKind::Struct,
                Some("u"),
                vec![field("c", char_()), field("l", long())],
            )),
            2,
        ),
    ]);
}

#[test]
fn struct_aligned_attribute_cannot_lower() {
    check(&[
        aligned(strukt(vec![field("a", long())]), 1),
        aligned(record(RecordKind::Struct, Some("u"), vec![field("a", char_())]), 16),
    ]);
}

#[test]
fn field_aligned_cannot_lower_but_raises() {
    check(&[strukt(vec![
        field("c", char_()),
        aligned_field(field("l", long()), 1),
        field("d", char_()),
        aligned_field(field("e", char_()), 32),
    ])]);
}

#[test]
fn typedef_aligned_lowers_and_raises() {
    let low = typedef("u64a", ulong(), Some(4));
    let high = typedef("i16", int(), Some(16));
    check(&[strukt(vec![
        field("c", int()),
        field("x", low.clone()),
        field("d", char_()),
        field("y", high),
    ])]);
}

#[test]
fn packed_struct_with_typedef_aligned_member() {
    let high = typedef("ai8", int(), Some(8));
    check(&[packed(strukt(vec![field("c", char_()), field("x", high)]))]);
}

#[test]
fn named_bitfield_aligns_record() {
    check(&[
        strukt(vec![bits("x", long(), 1), bits("y", short(), 16)]),
        record(RecordKind::Struct, Some("u"), vec![field("c", char_()), bits("x", int(), 2)]),
    ]);
}

#[test]
fn unnamed_bitfield_does_not_align_record() {
    check(&[strukt(vec![field("c", char_()), unnamed_bits(int(), 3), field("d", char_())])]);
}

#[test]
fn bitfield_does_not_straddle() {
    check(&[
        strukt(vec![bits("x", long(), 30), bits("y", int(), 15)]),
        record(RecordKind::Struct, Some("u"), vec![bits("x", short(), 10), bits("y", long(), 53)]),
        record(RecordKind::Struct, Some("v"), vec![bits("x", long(), 5), bits("y", char_(), 4)]),
        record(
            RecordKind::Struct,
            Some("w"),
            vec![
                bits("a", int(), 20),
                bits("b", int(), 20),
                bits("c", char_(), 7),
                bits("d", char_(), 2),
            ],
        ),
        record(
            RecordKind::Struct,
            Some("x"),
            vec![field("a", array(char_(), 3)), bits("b", int(), 16)],
        ),
    ]);
}

#[test]
fn bitfield_of_type_aligned_beyond_16_bytes() {
    let a32 = typedef("i128a32", base(BaseTy::Int128), Some(32));
    let l32 = typedef("la32", long(), Some(32));
    check(&[
        strukt(vec![
            field("a", array(char_(), 18)),
            bits("x", a32.clone(), 33),
            bits("y", a32.clone(), 100),
        ]),
        record(
            RecordKind::Struct,
            Some("u"),
            vec![
                field("a", array(char_(), 20)),
                bits("x", l32.clone(), 3),
                field("b", char_()),
                bits("y", l32, 60),
            ],
        ),
        record(
            RecordKind::Struct,
            Some("v"),
            vec![field("a", array(char_(), 40)), aligned_field(bits("x", a32.clone(), 9), 64)],
        ),
        // The record's own `aligned` widens the unit of the offset.
        aligned(
            record(
                RecordKind::Struct,
                Some("w"),
                vec![field("a", long()), aligned_field(bits("x", a32.clone(), 1), 16)],
            ),
            32,
        ),
        record(
            RecordKind::Struct,
            Some("x"),
            vec![field("a", long()), aligned_field(bits("x", a32, 1), 16)],
        ),
    ]);
}

#[test]
fn zero_width_bitfield() {
    check(&[
        strukt(vec![field("c", char_()), unnamed_bits(int(), 0), field("d", char_())]),
        record(
            RecordKind::Struct,
            Some("u"),
            vec![bits("a", int(), 3), unnamed_bits(long(), 0), bits("b", int(), 3)],
        ),
    ]);
}

#[test]
fn zero_width_bitfield_in_packed_struct() {
    check(&[packed(strukt(vec![
        field("c", char_()),
        unnamed_bits(int(), 0),
        field("d", char_()),
    ]))]);
}

#[test]
fn packed_bitfield_straddles() {
    check(&[
        packed(strukt(vec![field("c", char_()), bits("x", int(), 30), bits("y", char_(), 7)])),
        record(
            RecordKind::Struct,
            Some("u"),
            vec![bits("x", long(), 40), bits("y", long(), 40), packed_field(bits("z", long(), 40))],
        ),
        packed(record(
            RecordKind::Struct,
            Some("v"),
            vec![field("c", char_()), bits("i", int(), 4)],
        )),
    ]);
}

#[test]
fn bitfield_of_mode_width() {
    let low = typedef("i1", int(), Some(1));
    let wide = typedef("i8a", int(), Some(8));
    check(&[
        strukt(vec![bits("x", low.clone(), 16), field("c", char_())]),
        record(
            RecordKind::Struct,
            Some("u"),
            vec![field("c", char_()), bits("x", low, 8), bits("y", int(), 16)],
        ),
        record(
            RecordKind::Struct,
            Some("v"),
            vec![field("c", char_()), bits("x", wide, 3), field("d", char_())],
        ),
    ]);
}

#[test]
fn bool_and_enum_bitfields() {
    let e = enum_ty("e", &[0, 1, 2], false);
    check(&[strukt(vec![
        bits("a", base(BaseTy::Bool), 1),
        bits("b", e, 2),
        bits("c", base(BaseTy::ULongLong), 33),
    ])]);
}

#[test]
fn enum_sizes() {
    check(&[strukt(vec![
        field("a", enum_ty("small", &[0, 5], false)),
        field("b", enum_ty("neg", &[-1, 5], false)),
        field("c", enum_ty("big", &[0, 1 << 32], false)),
        field("d", enum_ty("bigneg", &[-(1 << 40), 0], false)),
        field("e", enum_ty("pbyte", &[0, 255], true)),
        field("f", enum_ty("pshort", &[0, 256], true)),
        field("g", enum_ty("psneg", &[-129, 0], true)),
        field("h", enum_ty("pint", &[0, 1 << 20], true)),
        field("j", enum_ty("umax", &[0xffff_ffff], false)),
    ])]);
}

#[test]
fn arrays_of_arrays_and_records() {
    let inner = named_struct("in", vec![field("a", int()), field("b", char_())]);
    check(&[strukt(vec![
        field("c", char_()),
        field("m", array(array(short(), 3), 2)),
        field("s", array(inner, 3)),
        field("z", array(long(), 0)),
        field("d", char_()),
    ])]);
}

#[test]
fn flexible_array_member() {
    check(&[
        strukt(vec![field("n", char_()), field("data", flexible(long()))]),
        record(
            RecordKind::Struct,
            Some("u"),
            vec![field("n", int()), field("c", char_()), field("data", flexible(char_()))],
        ),
    ]);
}

#[test]
fn empty_structs_and_arrays_of_them() {
    let empty = named_struct("e", vec![]);
    check(&[
        strukt(vec![field("a", empty.clone())]),
        record(
            RecordKind::Struct,
            Some("u"),
            vec![field("c", char_()), field("arr", array(empty, 10)), field("d", int())],
        ),
    ]);
}

#[test]
fn anonymous_members() {
    check(&[strukt(vec![
        field("a", char_()),
        anon_member(anon_union(vec![field("b", int()), field("c", long())])),
        anon_member(anon_struct(vec![
            field("d", char_()),
            anon_member(anon_union(vec![field("e", short()), bits("f", int(), 3)])),
        ])),
        field("g", char_()),
        field(
            "h",
            Ty::Record(Arc::new(anon_struct(vec![field("i", char_()), field("j", short())]))),
        ),
    ])]);
}

#[test]
fn randomised_records_match_gcc() {
    // A fixed-seed generator of records mixing every rule, one compile for all of them.
    let mut rng = Lcg(0x5eed_1234_abcd, 0);
    let mut recs = Vec::new();
    for n in 0..200 {
        let mut rec = random_record(&mut rng, 0);
        rec.tag = Some(format!("r{n}").into());
        recs.push(rec);
    }
    check(&recs);
}

#[test]
fn errors_are_values() {
    let incomplete = strukt(vec![field("a", Ty::RecordRef(RecordKind::Struct, "nowhere".into()))]);
    assert_eq!(
        layout_of_record(&incomplete),
        Err(LayoutError::Incomplete("struct nowhere".into()))
    );
    let void = strukt(vec![field("a", Ty::Void)]);
    assert!(matches!(layout_of_record(&void), Err(LayoutError::NotAnObject(_))));
    let too_wide = strukt(vec![bits("a", char_(), 9)]);
    assert!(matches!(layout_of_record(&too_wide), Err(LayoutError::BadBitfield(_))));
    let overflow = array(array(long(), u64::MAX / 2), 4);
    assert_eq!(layout_of(&overflow), Err(LayoutError::Overflow));
    let flex_not_last = strukt(vec![field("a", flexible(int())), field("b", int())]);
    assert!(matches!(layout_of_record(&flex_not_last), Err(LayoutError::Uncertain(_))));
}

struct Lcg(u64, u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn random_record(rng: &mut Lcg, depth: u32) -> RecordTy {
    let kind = if rng.next(4) == 0 { RecordKind::Union } else { RecordKind::Struct };
    let ints = [
        BaseTy::Char,
        BaseTy::UChar,
        BaseTy::Short,
        BaseTy::UShort,
        BaseTy::Int,
        BaseTy::UInt,
        BaseTy::Long,
        BaseTy::ULong,
        BaseTy::Bool,
    ];
    let n_fields = 1 + rng.next(7);
    let mut fields = Vec::new();
    for i in 0..n_fields {
        rng.1 += 1;
        let name = format!("m{depth}_{i}_{}", rng.1);
        let mut f = match rng.next(10) {
            0..=3 => {
                let b = ints[rng.next(ints.len() as u64) as usize];
                let max = crate::layout::base_layout(b).size_bits;
                let max = if b == BaseTy::Bool { 1 } else { max };
                let width = rng.next(max + 1);
                if width == 0 || rng.next(6) == 0 {
                    unnamed_bits(base(b), width)
                } else {
                    bits(&name, base(b), width)
                }
            }
            4..=6 => field(&name, base(ints[rng.next(ints.len() as u64) as usize])),
            7 => field(&name, array(base(ints[rng.next(ints.len() as u64) as usize]), rng.next(4))),
            8 if depth < 2 => {
                let inner = random_record(rng, depth + 1);
                if rng.next(2) == 0 {
                    anon_member(inner)
                } else {
                    field(&name, Ty::Record(Arc::new(inner)))
                }
            }
            _ => field(&name, typedef("lowlong", long(), Some(4))),
        };
        // GCC ignores member attributes on an anonymous member (before the type they apply to
        // nothing; after the `}` they apply to the type), so the model never has them there.
        let anonymous_member = f.name.is_none() && f.bit_width.is_none();
        if rng.next(8) == 0 && !anonymous_member {
            f.packed = true;
        }
        if rng.next(10) == 0 && f.bit_width != Some(0) && !anonymous_member {
            f.align_bits = Some(8 << rng.next(4));
        }
        fields.push(f);
    }
    let mut rec = record(kind, None, fields);
    if rng.next(4) == 0 {
        rec.packed = true;
    }
    if rng.next(6) == 0 {
        rec.align_bits = Some(8 << rng.next(5));
    }
    rec
}

/// Compiles `recs` with gcc-12, runs the program and compares its listing with ours.
#[track_caller]
fn check(recs: &[RecordTy]) {
    let mut gen = CGen::default();
    for rec in recs {
        gen.define_record(rec);
    }
    let mut main = String::from("int main(void) {\n");
    let mut ours = String::new();
    for rec in recs {
        let tag = rec.tag.as_deref().expect("fixture roots are tagged");
        let c_ty = format!("{} {tag}", rec.kind.keyword());
        let _ = writeln!(
            main,
            "  printf(\"{c_ty} size %zu align %zu\\n\", sizeof({c_ty}) * 8, _Alignof({c_ty}) * 8);"
        );
        let layout =
            layout_of_record(rec).unwrap_or_else(|e| panic!("our layout of {c_ty} failed: {e}"));
        let _ = writeln!(ours, "{c_ty} size {} align {}", layout.size_bits, layout.align_bits);
        list_fields(rec, 0, &c_ty, &mut main, &mut ours);
    }
    main.push_str("  return 0;\n}\n");
    let program = format!(
        "#include <stdio.h>\n#include <string.h>\n#include <stddef.h>\n{}\n{main}",
        gen.defs
    );
    let gcc = run_gcc(&program);
    assert_eq!(ours, gcc, "our layout differs from gcc-12's for:\n{program}");
}

/// Writes the listing lines for every accessible field of `rec`, which sits at `base_bits` in
/// the root record `root` (anonymous members are flattened, as C lets them be accessed).
pub(crate) fn list_fields(
    rec: &RecordTy,
    base_bits: u64,
    root: &str,
    main: &mut String,
    ours: &mut String,
) {
    let layout = layout_of_record(rec).unwrap();
    for (f, fl) in rec.fields.iter().zip(&layout.fields) {
        let offset_bits = base_bits + fl.offset_bits;
        match (&f.name, &f.ty) {
            (None, Ty::Record(inner)) => list_fields(inner, offset_bits, root, main, ours),
            (None, _) => {}
            (Some(name), _) if f.bit_width.is_some() => {
                let _ = writeln!(ours, "{name} {offset_bits} {}", fl.size_bits);
                let _ = writeln!(
                    main,
                    "  {{ static {root} s; unsigned char *p = (unsigned char *)&s; long first = -1, n = 0;\n    \
                     memset(&s, 0, sizeof s); s.{name} = -1;\n    \
                     for (size_t i = 0; i < sizeof s * 8; i++) if ((p[i / 8] >> (i % 8)) & 1) {{ if (first < 0) first = i; n++; }}\n    \
                     printf(\"{name} %ld %ld\\n\", first, n); }}"
                );
            }
            (Some(name), ty) => {
                let _ = writeln!(ours, "{name} {offset_bits} {}", fl.size_bits);
                let size = if matches!(ty, Ty::Array(_, None)) {
                    "0".to_owned()
                } else {
                    format!("sizeof((({root} *)0)->{name}) * 8")
                };
                let _ = writeln!(main, "  printf(\"{name} %zu %zu\\n\", offsetof({root}, {name}) * 8, (size_t)({size}));");
            }
        }
    }
}

pub(crate) fn run_gcc(program: &str) -> String {
    let dir = std::env::temp_dir().join(format!(
        "layout-expert-layout-{}-{}",
        std::process::id(),
        std::thread::current().name().unwrap_or("t").replace("::", "_")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("fixture.c");
    let exe = dir.join("fixture");
    std::fs::write(&src, program).unwrap();
    let out = Command::new("gcc-12")
        .args(["-std=gnu11", "-w", "-O0", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gcc-12 failed:\n{}\n{program}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe).output().unwrap();
    assert!(run.status.success());
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8(run.stdout).unwrap()
}

/// Prints type-model values as C declarations.
#[derive(Default)]
struct CGen {
    defs: String,
    done: FxHashSet<String>,
}

impl CGen {
    fn define_record(&mut self, rec: &RecordTy) {
        let text = self.record_text(rec);
        let _ = writeln!(self.defs, "{text};");
    }

    /// `struct tag { ... } attrs`, defining what the fields need first.
    fn record_text(&mut self, rec: &RecordTy) -> String {
        let mut body = String::new();
        for f in &rec.fields {
            let (spec, dims) = self.declarator_parts(&f.ty);
            let mut attrs = Vec::new();
            if f.packed {
                attrs.push("packed".to_owned());
            }
            if let Some(a) = f.align_bits {
                attrs.push(format!("aligned({})", a / 8));
            }
            let attrs = if attrs.is_empty() {
                String::new()
            } else {
                format!(" __attribute__(({}))", attrs.join(", "))
            };
            let name = f.name.as_deref().unwrap_or("");
            let width = f.bit_width.map(|w| format!(" : {w}")).unwrap_or_default();
            let _ = writeln!(body, "  {spec} {name}{dims}{width}{attrs};");
        }
        let mut attrs = Vec::new();
        if rec.packed {
            attrs.push("packed".to_owned());
        }
        if let Some(a) = rec.align_bits {
            attrs.push(format!("aligned({})", a / 8));
        }
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            format!(" __attribute__(({}))", attrs.join(", "))
        };
        let tag = rec.tag.as_deref().unwrap_or("");
        format!("{} {tag} {{\n{body}}}{attrs}", rec.kind.keyword())
    }

    /// The type specifier and array suffix to declare a name of type `ty`.
    fn declarator_parts(&mut self, ty: &Ty) -> (String, String) {
        let mut dims = String::new();
        let mut elem = ty;
        while let Ty::Array(inner, len) = elem {
            match len {
                Some(n) => dims.push_str(&format!("[{n}]")),
                None => dims.push_str("[]"),
            }
            elem = inner;
        }
        (self.specifier(elem), dims)
    }

    fn specifier(&mut self, ty: &Ty) -> String {
        match ty {
            Ty::Void => "void".into(),
            Ty::Base(b) => b.c_spelling().into(),
            Ty::Pointer(_) => "void *".into(),
            Ty::Function(_) => unreachable!("fixtures have no function types by value"),
            Ty::Array(..) => {
                let (spec, dims) = self.declarator_parts(ty);
                let name = format!("arr_{}", self.done.len());
                let _ = writeln!(self.defs, "typedef {spec} {name}{dims};");
                self.done.insert(name.clone());
                name
            }
            Ty::Record(rec) => match &rec.tag {
                Some(tag) => {
                    let key = format!("{} {tag}", rec.kind.keyword());
                    if self.done.insert(key.clone()) {
                        self.define_record(rec);
                    }
                    key
                }
                None => self.record_text(rec),
            },
            Ty::RecordRef(kind, tag) => format!("{} {tag}", kind.keyword()),
            Ty::Enum(def) => {
                let tag = def.tag.as_deref().expect("fixture enums are tagged");
                let key = format!("enum {tag}");
                if self.done.insert(key.clone()) {
                    let constants: Vec<String> = def
                        .constants
                        .iter()
                        .map(|(n, v)| {
                            if *v < 0 {
                                format!("{n} = ({v}LL)")
                            } else {
                                format!("{n} = {v}ULL")
                            }
                        })
                        .collect();
                    let attrs = if def.packed { " __attribute__((packed))" } else { "" };
                    let _ =
                        writeln!(self.defs, "enum {tag} {{ {} }}{attrs};", constants.join(", "));
                }
                key
            }
            Ty::EnumRef(tag) => format!("enum {tag}"),
            Ty::Typedef(def) => {
                if self.done.insert(def.name.to_string()) {
                    let (spec, dims) = self.declarator_parts(&def.ty);
                    let attrs = def
                        .align_bits
                        .map(|a| format!(" __attribute__((aligned({})))", a / 8))
                        .unwrap_or_default();
                    let _ = writeln!(self.defs, "typedef {spec} {}{dims}{attrs};", def.name);
                }
                def.name.to_string()
            }
            Ty::TypedefRef(name) => name.to_string(),
        }
    }
}
