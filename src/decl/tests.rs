//! Declaration fixtures, each confirmed by the real gcc-12.
//!
//! A fixture is C source. The test preprocesses it with `gcc-12 -E` (so macros such as the
//! kernel's `__is_constexpr` are written as the kernel writes them), parses and resolves the
//! roots with our code, lays them out, and compares the listing (sizes, alignments, every field's
//! offset and size, bitfields found at run time) with what the same source compiled by gcc-12
//! prints. No expected number is written here.

use std::{fmt::Write as _, process::Command};

use crate::{
    decl::{tokens_from_gcc_e, DeclErrorKind, DeclIndex, Resolver},
    layout::{
        layout_of_record,
        tests::{list_fields, run_gcc},
    },
    ty::{RecordKind, RecordTy, Ty},
};

#[test]
fn attributes_in_every_position() {
    check(
        r#"
struct __attribute__((packed)) before_tag { char c; int i; };
struct after_brace { char c; int i; } __attribute__((__packed__));
struct aligned_record { char c; } __attribute__((aligned(8)));
struct bare_aligned { char c; } __attribute__((__aligned__));
struct fields {
    char a;
    int prefix_aligned __attribute__((aligned(16)));
    char b;
    long packed_member __attribute__((packed));
    char c;
    __attribute__((aligned(8))) char spec_position;
    _Alignas(4) char alignas_value;
    _Alignas(long) char alignas_type;
    char d __attribute__((unused, aligned(2))) ;
    int e __attribute__((deprecated));
} __attribute__((no_randomize_layout, designated_init));
typedef unsigned long u64a __attribute__((aligned(4)));
typedef __attribute__((aligned(16))) int spec_aligned_int;
struct typedefs { int i; u64a x; char c; spec_aligned_int y; };
struct packed_typedefs { char c; spec_aligned_int y; } __attribute__((packed));
typedef struct { char c; int i; } packed_ignored_t __attribute__((packed));
typedef int packed_int_ignored_t __attribute__((packed));
struct ignored_packing { char c; packed_int_ignored_t x; packed_ignored_t y; };
"#,
        &[
            "struct before_tag",
            "struct after_brace",
            "struct aligned_record",
            "struct bare_aligned",
            "struct fields",
            "struct typedefs",
            "struct packed_typedefs",
            "struct ignored_packing",
            "packed_ignored_t",
        ],
    );
}

/// `aligned` on a typedef sets its alignment (lowering it too) and the last one GCC applies wins;
/// GCC applies the attributes after the declarator first, then the specifiers' runs of attribute
/// specifiers from the last to the first; a later `mode` replaces the type and drops an earlier
/// `aligned`; a typedef of a typedef inherits its alignment until its own `aligned` sets another.
/// Each typedef is measured as a member between two chars.
#[test]
fn typedef_attributes_by_position() {
    check(
        r#"
typedef long t_two_post __attribute__((aligned(16), aligned(4)));
typedef long t_two_post_rev __attribute__((aligned(4), aligned(16)));
typedef long t_two_groups __attribute__((aligned(16))) __attribute__((aligned(4)));
typedef __attribute__((aligned(16))) long t_pre16_post4 __attribute__((aligned(4)));
typedef __attribute__((aligned(4))) long t_pre4_post16 __attribute__((aligned(16)));
typedef long __attribute__((aligned(16))) t_mid16_post4 __attribute__((aligned(4)));
typedef __attribute__((aligned(16))) long __attribute__((aligned(4))) t_pre16_mid4;
typedef __attribute__((aligned(4))) long __attribute__((aligned(16))) t_pre4_mid16;
typedef __attribute__((aligned(16))) __attribute__((aligned(4))) long t_spec_run;
typedef __attribute__((aligned(16), aligned(4))) long t_spec_group;
__attribute__((aligned(16))) typedef long __attribute__((aligned(2))) t_before_typedef;
typedef long t_bare_then4 __attribute__((aligned, aligned(4)));
typedef long t_4_then_bare __attribute__((aligned(4), aligned));
typedef t_two_post t_chain;
typedef t_two_post t_chain8 __attribute__((aligned(8)));
typedef t_chain8 t_chain2 __attribute__((aligned(2)));
typedef int t_mode_then_al __attribute__((mode(DI), aligned(4)));
typedef int t_al_then_mode __attribute__((aligned(4), mode(DI)));
typedef __attribute__((aligned(4))) int t_pre_al_post_mode __attribute__((mode(DI)));
typedef __attribute__((mode(DI))) int t_pre_mode_post_al __attribute__((aligned(4)));
typedef t_two_post t_mode_of_low __attribute__((mode(SI)));
typedef long t_arr4[2] __attribute__((aligned(4)));
typedef __attribute__((aligned(16))) long t_arr16[2];
typedef long *t_ptr4 __attribute__((aligned(4)));
typedef __attribute__((aligned(16))) long t_m1 __attribute__((aligned(4))), t_m2, t_m3 __attribute__((aligned(32)));
typedef int t_warn __attribute__((warn_if_not_aligned(16)));
typedef struct { char c; } ts_post_typedef __attribute__((aligned(16), aligned(2)));
typedef struct { char c; } __attribute__((aligned(16))) ts_brace16_td2 __attribute__((aligned(2)));
typedef struct { char c; } __attribute__((aligned(2))) ts_brace2_td16 __attribute__((aligned(16)));
typedef struct { long c; } ts_long_td2 __attribute__((aligned(2)));
typedef enum { E6A } t_e6 __attribute__((aligned(2)));
struct w_t_two_post { char c; t_two_post v; char d; };
struct w_t_two_post_rev { char c; t_two_post_rev v; char d; };
struct w_t_two_groups { char c; t_two_groups v; char d; };
struct w_t_pre16_post4 { char c; t_pre16_post4 v; char d; };
struct w_t_pre4_post16 { char c; t_pre4_post16 v; char d; };
struct w_t_mid16_post4 { char c; t_mid16_post4 v; char d; };
struct w_t_pre16_mid4 { char c; t_pre16_mid4 v; char d; };
struct w_t_pre4_mid16 { char c; t_pre4_mid16 v; char d; };
struct w_t_spec_run { char c; t_spec_run v; char d; };
struct w_t_spec_group { char c; t_spec_group v; char d; };
struct w_t_before_typedef { char c; t_before_typedef v; char d; };
struct w_t_bare_then4 { char c; t_bare_then4 v; char d; };
struct w_t_4_then_bare { char c; t_4_then_bare v; char d; };
struct w_t_chain { char c; t_chain v; char d; };
struct w_t_chain8 { char c; t_chain8 v; char d; };
struct w_t_chain2 { char c; t_chain2 v; char d; };
struct w_t_mode_then_al { char c; t_mode_then_al v; char d; };
struct w_t_al_then_mode { char c; t_al_then_mode v; char d; };
struct w_t_pre_al_post_mode { char c; t_pre_al_post_mode v; char d; };
struct w_t_pre_mode_post_al { char c; t_pre_mode_post_al v; char d; };
struct w_t_mode_of_low { char c; t_mode_of_low v; char d; };
struct w_t_arr4 { char c; t_arr4 v; char d; };
struct w_t_arr16 { char c; t_arr16 v; char d; };
struct w_t_ptr4 { char c; t_ptr4 v; char d; };
struct w_t_m1 { char c; t_m1 v; char d; };
struct w_t_m2 { char c; t_m2 v; char d; };
struct w_t_m3 { char c; t_m3 v; char d; };
struct w_t_warn { char c; t_warn v; char d; };
struct w_ts_post_typedef { char c; ts_post_typedef v; char d; };
struct w_ts_brace16_td2 { char c; ts_brace16_td2 v; char d; };
struct w_ts_brace2_td16 { char c; ts_brace2_td16 v; char d; };
struct w_ts_long_td2 { char c; ts_long_td2 v; char d; };
struct w_t_e6 { char c; t_e6 v; char d; };
"#,
        &[
            "struct w_t_two_post",
            "struct w_t_two_post_rev",
            "struct w_t_two_groups",
            "struct w_t_pre16_post4",
            "struct w_t_pre4_post16",
            "struct w_t_mid16_post4",
            "struct w_t_pre16_mid4",
            "struct w_t_pre4_mid16",
            "struct w_t_spec_run",
            "struct w_t_spec_group",
            "struct w_t_before_typedef",
            "struct w_t_bare_then4",
            "struct w_t_4_then_bare",
            "struct w_t_chain",
            "struct w_t_chain8",
            "struct w_t_chain2",
            "struct w_t_mode_then_al",
            "struct w_t_al_then_mode",
            "struct w_t_pre_al_post_mode",
            "struct w_t_pre_mode_post_al",
            "struct w_t_mode_of_low",
            "struct w_t_arr4",
            "struct w_t_arr16",
            "struct w_t_ptr4",
            "struct w_t_m1",
            "struct w_t_m2",
            "struct w_t_m3",
            "struct w_t_warn",
            "struct w_ts_post_typedef",
            "struct w_ts_brace16_td2",
            "struct w_ts_brace2_td16",
            "struct w_ts_long_td2",
            "struct w_t_e6",
        ],
    );
}

/// On a struct or union the last `aligned` GCC applies sets the starting alignment (the members
/// still raise it): after the keyword first, then after the closing brace, each in text order.
/// `packed` and `aligned` combine in any order. On a member the strictest `aligned` wins,
/// `_Alignas` included, in whatever position; a member's `mode` keeps its `aligned`; a member's
/// `packed` applied while its type is still aligned to a byte (before a `mode` that widens it) is
/// ignored, except on a bitfield.
#[test]
fn record_and_member_attributes_by_position() {
    check(
        r#"
typedef long t_low __attribute__((aligned(4)));
struct s_two { char c; } __attribute__((aligned(16), aligned(2)));
struct s_two_rev { char c; } __attribute__((aligned(2), aligned(16)));
struct __attribute__((aligned(16))) s_pre16_post2 { char c; } __attribute__((aligned(2)));
struct __attribute__((aligned(2))) s_pre2_post16 { char c; } __attribute__((aligned(16)));
struct __attribute__((aligned(16))) __attribute__((aligned(2))) s_pre_two { char c; };
struct s_low_below_members { long l; } __attribute__((aligned(16), aligned(2)));
union __attribute__((aligned(16))) u_two { char c; } __attribute__((aligned(4)));
struct s_packed_then_aligned { char c; long l; } __attribute__((packed, aligned(4)));
struct __attribute__((aligned(4))) s_aligned_then_packed { char c; long l; } __attribute__((packed));
struct s_f { char a; long x __attribute__((aligned(16), aligned(2))); char b; long y __attribute__((aligned(2), aligned(4)));
   __attribute__((aligned(16))) char z __attribute__((aligned(2))); __attribute__((aligned(2))) char w __attribute__((aligned(16))); };
struct s_typedef_members { char c; t_low a; char d; __attribute__((aligned(2))) t_low b; char e; t_low f __attribute__((aligned(16))); };
struct s_packed_low { char c; t_low a; } __attribute__((packed));
struct s_mode { char c; int a __attribute__((mode(QI), aligned(2))); int b __attribute__((aligned(2), mode(HI))); char d; };
struct s_multi { char c; __attribute__((aligned(8))) char a, b __attribute__((aligned(16))); char d; };
struct s_alignas { char c; _Alignas(8) char a __attribute__((aligned(2))); _Alignas(8) int b; char d; };
struct s_warn { char c; int a __attribute__((warn_if_not_aligned(8))); char d; };
struct s_bits { char c; int a : 3 __attribute__((aligned(4), aligned(2))); __attribute__((aligned(8))) int b : 5; };
struct s_packed_mode { char c; unsigned char m __attribute__((packed, mode(DI))); char d;
    unsigned char n __attribute__((mode(DI), packed)); char e; __attribute__((packed)) __attribute__((mode(SI))) char o;
    char f; short q __attribute__((packed, mode(DI))); char g; char r : 3 __attribute__((packed, mode(DI))); };
"#,
        &[
            "struct s_two",
            "struct s_two_rev",
            "struct s_pre16_post2",
            "struct s_pre2_post16",
            "struct s_pre_two",
            "struct s_low_below_members",
            "union u_two",
            "struct s_packed_then_aligned",
            "struct s_aligned_then_packed",
            "struct s_f",
            "struct s_typedef_members",
            "struct s_packed_low",
            "struct s_mode",
            "struct s_multi",
            "struct s_alignas",
            "struct s_warn",
            "struct s_bits",
            "struct s_packed_mode",
        ],
    );
}

/// Attributes between `struct` and a tag without a body are ignored by GCC (on a forward
/// declaration and on a use alike); after the tag they are declaration specifiers; attributes
/// before the `struct` keyword of a declaration without declarators apply to nothing.
#[test]
fn tag_attributes_by_position() {
    check(
        r#"
struct __attribute__((aligned(8))) fwd;
struct fwd { char c; };
struct s_ref { char c; struct __attribute__((aligned(16))) fwd f; };
struct s_after_tag { char c; struct fwd __attribute__((aligned(8))) f; };
struct s_inner_def { char c; struct __attribute__((packed)) inner { char c; int i; } f; };
__attribute__((packed)) struct s_declspec_packed { char c; int i; };
struct s_var { char c; int i; } __attribute__((packed)) var1;
"#,
        &[
            "struct fwd",
            "struct s_ref",
            "struct s_after_tag",
            "struct s_inner_def",
            "struct s_declspec_packed",
            "struct s_var",
        ],
    );
}

/// GCC 12 lays an enum out from its values, `packed` and `mode` only: `aligned` on the
/// definition changes nothing, yet a `packed` after it is ignored (and an `aligned` after
/// `packed`); a typedef of an enum takes `aligned` like any typedef.
#[test]
fn enum_attributes() {
    check(
        r#"
enum e1 { E1A } __attribute__((aligned(16)));
enum __attribute__((aligned(16))) e2 { E2A };
enum e3 { E3A = 3 } __attribute__((aligned(8), packed));
enum e4 { E4A } __attribute__((mode(QI), aligned(8)));
enum e5 { E5A } __attribute__((aligned(8), mode(HI)));
enum __attribute__((packed)) e6 { E6A } __attribute__((mode(SI)));
enum __attribute__((aligned(8))) e7 { E7A = 3 } __attribute__((packed));
enum __attribute__((packed)) e8 { E8A = 3 } __attribute__((aligned(8)));
enum e9 { E9A = 3 } __attribute__((packed, mode(DI)));
typedef enum e1 te1 __attribute__((aligned(8)));
struct enums { char c0; enum e1 a; char c1; enum e2 b; char c2; enum e3 c; char c3; enum e4 d;
    char c4; enum e5 e; char c5; enum e6 f; char c6; enum e7 g; char c7; enum e8 h; char c8; enum e9 i;
    char c9; te1 j; };
"#,
        &["struct enums"],
    );
}

#[test]
fn declarators() {
    check(
        r#"
struct s;
typedef int (*handler_t)(struct s *, int);
typedef void fn_t(void);
struct decls {
    int (*fp)(int);
    int *ap[3];
    int (*pa)[3];
    void (*fa[4])(void);
    char m[2][3];
    int (nested);
    fn_t *fnp;
    handler_t h;
    const volatile unsigned long int *const restrict cp;
    long unsigned int lu;
    __signed__ char sc;
    unsigned __int128 u128;
    __int128 s128;
    long double ld;
    _Bool b;
    double d;
    float f;
    short unsigned su;
    long long ll;
    int zero[0];
    char flex[];
};
"#,
        &["struct decls"],
    );
}

#[test]
fn constant_expressions() {
    check(
        r#"
#define __is_constexpr(x) (sizeof(int) == sizeof(*(8 ? ((void *)((long)(x) * 0l)) : (int *)8)))
#define BUILD_BUG_ON_ZERO(e) ((int)(sizeof(struct { int:(-!!(e)); })))
#define __same_type(a, b) __builtin_types_compatible_p(typeof(a), typeof(b))
#define __must_be_array(a) BUILD_BUG_ON_ZERO(__same_type((a), &(a)[0]))
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]) + __must_be_array(arr))
#define ilog2(n) (__builtin_constant_p(n) ? ((n) < 2 ? 0 : 63 - __builtin_clzll(n)) : 0)
enum e { A = 1 << 3, B, C = A | B, D = -2, E = 'a', F = 0x10UL >> 2 };
struct inner { char c; long l; short s[5]; };
extern int some_array[7];
int non_constant;
struct exprs {
    char by_enum[C];
    char by_sizeof[sizeof(struct inner) + sizeof(long double)];
    char by_member[sizeof(((struct inner *)0)->s) * 2];
    char by_offsetof[__builtin_offsetof(struct inner, s[2])];
    char by_alignof[__alignof__(long) + _Alignof(struct inner)];
    char by_ternary[sizeof(int) > 2 ? 3 : 5];
    char by_choose[__builtin_choose_expr(1, 6, non_constant)];
    char by_compat[__builtin_types_compatible_p(int, unsigned int) + 2 * __builtin_types_compatible_p(long, long) + 1];
    char by_constexpr[__is_constexpr(3) + 2 * __is_constexpr(non_constant) + 1];
    char by_array_size[ARRAY_SIZE(some_array)];
    char by_ilog2[ilog2(4096)];
    char by_casts[(unsigned char)300 + (signed char)-1 + (int)sizeof(char[3])];
    char by_unsigned[(-1U > 0) + (-1 < 0U) * 2 + 1];
    char by_string[sizeof("abc")];
    int by_typeof_expr[sizeof(typeof(((struct inner *)0)->l))];
    typeof(struct inner) by_typeof_type;
    __typeof__(non_constant) by_typeof_var;
    int width : sizeof(short) * 4 + E - 'a';
    _Static_assert(sizeof(struct inner) > sizeof(long), "inner holds a long");
};
struct uses_enum { enum e value; char tail[F]; };
"#,
        &["struct exprs", "struct uses_enum"],
    );
}

#[test]
fn enums_and_modes() {
    check(
        r#"
enum __attribute__((packed)) small { S0, S1 = 200 };
enum big { BIG = 0x100000000 };
enum negative { NEG = -1 };
typedef int di_int __attribute__((mode(DI)));
typedef unsigned int qi_uint __attribute__((__mode__(__QI__)));
struct holder {
    enum small s;
    char c;
    enum big b;
    enum negative n;
    di_int d;
    qi_uint q;
    enum small bits : 3;
};
"#,
        &["struct holder"],
    );
}

#[test]
fn anonymous_members_typedefs_and_bitfields() {
    check(
        r#"
typedef struct { int counter; } atomic_like_t;
struct outer {
    char a;
    union {
        int b;
        struct { short c; char d; };
    };
    struct { long e; } named;
    atomic_like_t t;
    unsigned int f : 3, : 0, g : 5;
    unsigned char : 4;
    unsigned long h : 40;
    struct { int i : 2; } __attribute__((packed)) packed_anon;
};
"#,
        &["struct outer", "atomic_like_t"],
    );
}

#[test]
fn errors_have_locations() {
    use DeclErrorKind as K;
    // The causes GCC reports for the same sources: "static assertion failed", "size of array is
    // negative", "negative width in bit-field", "'unknown_thing' undeclared", "variably modified
    // 't' at file scope"; and the ones GCC accepts but we refuse (vector_size, randomize_layout,
    // a statement expression in a bound).
    type Case = (&'static str, fn(&K) -> bool, u32);
    let cases: [Case; 9] = [
        (
            "struct t { int a; _Static_assert(sizeof(int) == 3, \"no\"); };",
            |k| matches!(k, K::StaticAssertFailed),
            1,
        ),
        (
            "struct t { int v __attribute__((vector_size(16))); };",
            |k| matches!(k, K::RefusedAttribute { name, position: "on a field or variable" } if name == "vector_size"),
            1,
        ),
        (
            "struct t {\n struct t inner;\n};",
            |k| matches!(k, K::ContainsItself { kind: RecordKind::Struct, tag } if tag == "t"),
            2,
        ),
        (
            "struct t {\n int a[unknown_thing];\n};",
            |k| matches!(k, K::UnknownConstant { name } if name == "unknown_thing"),
            2,
        ),
        (
            "extern int x;\nstruct t {\n int a[x];\n};",
            |k| matches!(k, K::NotAnIntegerConstant { spelling } if spelling == "x"),
            3,
        ),
        ("struct t {\n char c[({ 1; })];\n};", |k| matches!(k, K::StatementExpression), 2),
        (
            "struct t {\n int a;\n} __attribute__((randomize_layout));",
            |k| matches!(k, K::RandomizeLayout),
            3,
        ),
        (
            "struct t {\n int a;\n char c[2 - 5];\n};",
            |k| matches!(k, K::NegativeArraySize { size: -3 }),
            3,
        ),
        (
            "struct t {\n int a;\n\n unsigned b : 1 - 2;\n};",
            |k| matches!(k, K::NegativeBitfieldWidth { width: -1 }),
            4,
        ),
    ];
    for (src, is_cause, line) in cases {
        let (toks, locs) = tokens_from_gcc_e(src);
        let index = DeclIndex::build(&toks);
        assert!(index.errors.is_empty(), "{src}: {:?}", index.errors);
        let mut resolver = Resolver::new(&toks, &index);
        let err = resolver.record(RecordKind::Struct, "t").expect_err(src);
        assert!(is_cause(&err.kind), "{src}: {:?}", err.kind);
        let loc = locs.get(err.token).unwrap_or_else(|| panic!("{src}: no location"));
        assert_eq!((&*loc.file, loc.line), ("<gcc -E>", line), "{src}");
        // The text is the cause's, after the location.
        assert_eq!(err.render(&locs), format!("<gcc -E>:{line}: {}", err.kind), "{src}");
    }
}

/// What GCC's randstruct plugin reorders without being asked (`is_pure_ops_struct` and
/// `relayout_struct` in scripts/gcc-plugins/randomize_layout_plugin.c): structs of two or more
/// members that are all function pointers, arrays of them or structs/unions of them, unless marked
/// `no_randomize_layout`. Those are errors when the build runs the plugin; nothing else changes.
#[test]
fn randstruct_reordered_structs_are_errors() {
    let src = r#"
typedef void fn_t(int);
typedef int (*handler_t)(void);
struct ops { void (*open)(void); int (*read)(char *, long); };
struct ops_typedefs { fn_t *a; handler_t b; handler_t c[2]; };
struct ops_nested { union { void (*x)(void); void (*y)(int); } u; void (*z)(void); };
struct one_op { void (*only)(void); };
struct mixed { int count; void (*f)(void); };
struct pinned { void (*a)(void); void (*b)(void); } __attribute__((no_randomize_layout));
union ops_union { void (*a)(void); void (*b)(int); };
struct holds_ops { struct ops ops; int n; };
"#;
    let (toks, _) = tokens_from_gcc_e(src);
    let index = DeclIndex::build(&toks);
    let reordered = |randstruct: bool, kind: RecordKind, tag: &str| {
        let mut resolver = Resolver::new(&toks, &index).with_randstruct(randstruct);
        match resolver.record(kind, tag) {
            Ok(_) => false,
            Err(e) if matches!(e.kind, DeclErrorKind::RandstructFunctionPointers) => true,
            Err(e) => panic!("{tag}: {e}"),
        }
    };
    for tag in ["ops", "ops_typedefs", "ops_nested", "holds_ops"] {
        assert!(reordered(true, RecordKind::Struct, tag), "{tag}");
        assert!(!reordered(false, RecordKind::Struct, tag), "{tag}");
    }
    for tag in ["one_op", "mixed", "pinned"] {
        assert!(!reordered(true, RecordKind::Struct, tag), "{tag}");
    }
    assert!(!reordered(true, RecordKind::Union, "ops_union"));
}

#[test]
fn index_keeps_namespaces_apart_and_completes_forward_declarations() {
    let src = "struct x; typedef struct x x; struct x { x *self; int x_field; }; int x_var; enum k { K1 } kv;";
    let (toks, _) = tokens_from_gcc_e(src);
    let index = DeclIndex::build(&toks);
    assert!(index.errors.is_empty());
    assert!(index.is_typedef("x"));
    assert_eq!(index.variables(), &["x_var".into(), "kv".into()] as &[smol_str::SmolStr]);
    let mut resolver = Resolver::new(&toks, &index);
    let rec = resolver.record(RecordKind::Struct, "x").unwrap();
    assert_eq!(rec.fields[0].ty.to_string(), "x *");
    assert_eq!(resolver.variable("kv").unwrap().to_string(), "enum k");
}

/// `#pragma pack(N)`: GCC's maximum field alignment caps every member (an explicit `aligned`
/// too, a zero-width bitfield not), lets bitfields straddle, and nests with `push`/`pop`.
#[test]
fn pragma_pack() {
    check(
        r#"
struct inner { char c; long l; };
typedef int aligned16_int __attribute__((aligned(16)));
#pragma pack(1)
struct p1 { char c; int i; short s; long l; double d; };
struct p1_nested { char c; struct inner in; char t; };
#pragma pack(2)
struct p2 { char c; int i; char d; long l; };
struct p2_bits { char c; unsigned int a : 3, b : 30; unsigned long x : 40; char d; };
struct p2_zero { char c; int : 0; char d; long : 0; char e; };
#pragma pack(push, 4)
struct p4 { char c; long l; double d; char e; aligned16_int ai; int explicit_aligned __attribute__((aligned(8))); };
union u4 { char c; long l; short arr[3]; };
struct p4_packed_attr { char c; long l; } __attribute__((packed));
struct p4_record_aligned { char c; long l; } __attribute__((aligned(16)));
#pragma pack(push, 8)
struct p8 { char c; long double ld; __int128 big; };
#pragma pack(pop)
struct back_to_4 { char c; long l; };
#pragma pack(pop)
struct back_to_2 { char c; long l; };
#pragma pack()
struct unpacked { char c; long l; };
"#,
        &[
            "struct p1",
            "struct p1_nested",
            "struct p2",
            "struct p2_bits",
            "struct p2_zero",
            "struct p4",
            "union u4",
            "struct p4_packed_attr",
            "struct p4_record_aligned",
            "struct p8",
            "struct back_to_4",
            "struct back_to_2",
            "struct unpacked",
        ],
    );
}

/// `#pragma pack(pop)` without a matching `push` leaves the state as it is (GCC warns); a `pack(N)`
/// inside a `push` changes only that level, and the last `pop` restores the state from before the
/// first `push`. A typedef's alignment does not depend on the pack in effect where it is defined.
#[test]
fn pragma_pack_pop_without_push() {
    check(
        r#"
#pragma pack(2)
typedef long packed_region_typedef __attribute__((aligned(8)));
#pragma pack(pop)
struct stray_pop { char c; long l; };
#pragma pack(push, 4)
#pragma pack(1)
struct inside { char c; long l; };
#pragma pack(pop)
struct restored { char c; long l; };
#pragma pack()
struct reset { char c; long l; };
struct typedef_from_pack_region { char c; packed_region_typedef t; };
"#,
        &[
            "struct stray_pop",
            "struct inside",
            "struct restored",
            "struct reset",
            "struct typedef_from_pack_region",
        ],
    );
}

/// Layout pragmas we do not model refuse the records defined while they are in effect, and only
/// those: a big-endian `scalar_storage_order` region, a `pack` we cannot read (to the end).
#[test]
fn unmodelled_layout_pragmas_refuse_their_records() {
    let text = "struct a { int x; };\n#pragma scalar_storage_order big-endian\nstruct b { int x; };\n\
                #pragma scalar_storage_order default\nstruct c { int x; };\n#pragma pack(1)\nstruct d { char c; int x; };\n\
                #pragma pack(pop, nowhere)\nstruct e { int x; };\n";
    let (toks, locs) = tokens_from_gcc_e(text);
    let index = DeclIndex::build(&toks);
    assert!(index.errors.is_empty());
    let mut resolver = Resolver::new(&toks, &index);
    let refused: Vec<&str> = ["a", "b", "c", "d", "e"]
        .into_iter()
        .filter(|tag| resolver.record(RecordKind::Struct, tag).is_err())
        .collect();
    assert_eq!(refused, ["b", "e"]);
    let err = resolver.record(RecordKind::Struct, "b").unwrap_err().render(&locs);
    // (A `_Pragma` in `gcc -E` tokens is spelled back with spaces between its tokens.)
    assert!(
        err.starts_with("<gcc -E>:2: `#pragma scalar_storage_order big - endian` is in effect"),
        "{err}"
    );
    let err = resolver.record(RecordKind::Struct, "e").unwrap_err().render(&locs);
    assert!(err.contains("`#pragma pack ( pop , nowhere )` is in effect"), "{err}");
    // Pragmas that do not touch layouts change nothing.
    let text = "#pragma GCC diagnostic push\nstruct s { int a; };\n";
    let (toks, _) = tokens_from_gcc_e(text);
    let index = DeclIndex::build(&toks);
    assert!(Resolver::new(&toks, &index).record(RecordKind::Struct, "s").is_ok());
}

#[test]
fn gcc_e_linemarkers_give_locations() {
    let text = "# 1 \"a.h\"\nint a;\n# 10 \"b.h\" 1\n\nint b;\n#pragma once\nint c;\n";
    let (toks, locs) = tokens_from_gcc_e(text);
    let spelled: Vec<String> =
        toks.iter().zip(&locs).map(|(t, l)| format!("{}@{l}", t.text)).collect();
    assert_eq!(spelled[0], "int@a.h:1");
    assert_eq!(spelled[3], "int@b.h:11");
    assert_eq!(spelled[6], "int@b.h:13");
}

/// Preprocesses `src` with gcc-12, resolves `roots` with our code, and compares the layouts with
/// what gcc-12 computes for the same source.
#[track_caller]
fn check(src: &str, roots: &[&str]) {
    let preprocessed = gcc_e(src);
    let (toks, locs) = tokens_from_gcc_e(&preprocessed);
    let index = DeclIndex::build(&toks);
    let errors: Vec<String> = index.errors.iter().map(|e| e.render(&locs)).collect();
    assert!(errors.is_empty(), "index errors: {errors:?}");
    let mut resolver = Resolver::new(&toks, &index);
    let mut main = String::from("int main(void) {\n");
    let mut ours = String::new();
    for root in roots {
        let rec = resolve_root(&mut resolver, root)
            .unwrap_or_else(|e| panic!("{root}: {}", e.render(&locs)));
        let _ = writeln!(
            main,
            "  printf(\"{root} size %zu align %zu\\n\", sizeof({root}) * 8, _Alignof({root}) * 8);"
        );
        let layout =
            layout_of_record(&rec).unwrap_or_else(|e| panic!("our layout of {root} failed: {e}"));
        let _ = writeln!(ours, "{root} size {} align {}", layout.size_bits, layout.align_bits);
        list_fields(&rec, 0, root, &mut main, &mut ours);
    }
    main.push_str("  return 0;\n}\n");
    let program =
        format!("#include <stdio.h>\n#include <string.h>\n#include <stddef.h>\n{src}\n{main}");
    let gcc = run_gcc(&program);
    assert_eq!(ours, gcc, "our layout differs from gcc-12's for:\n{program}");
}

fn resolve_root(
    resolver: &mut Resolver<'_>,
    root: &str,
) -> Result<std::sync::Arc<RecordTy>, crate::decl::DeclError> {
    if let Some(tag) = root.strip_prefix("struct ") {
        return resolver.record(RecordKind::Struct, tag);
    }
    if let Some(tag) = root.strip_prefix("union ") {
        return resolver.record(RecordKind::Union, tag);
    }
    match resolver.typedef(root)? {
        Ty::Typedef(def) => match def.ty.strip_typedefs() {
            Ty::Record(rec) => Ok(rec.clone()),
            other => panic!("{root} is `{other}`, not a record"),
        },
        other => panic!("{root} is `{other}`"),
    }
}

fn gcc_e(src: &str) -> String {
    let out = Command::new("gcc-12")
        .args(["-E", "-std=gnu11", "-x", "c", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().expect("stdin is piped").write_all(src.as_bytes())?;
            child.wait_with_output()
        })
        .expect("gcc-12 runs");
    assert!(out.status.success(), "gcc-12 -E failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("gcc -E output is UTF-8")
}

#[test]
fn emitted_set_equals_gcc_dwarf() {
    let src = r#"
struct list_head { struct list_head *next, *prev; };
typedef struct { int counter; } atomic_like_t;
struct only_declared;
struct never_used { int x; };
struct only_in_sizeof { char c[3]; };
struct param { int p; };
struct ret { int r; };
union via_array { int i; char c; };
struct via_typedef_ptr { long l; };
typedef struct via_typedef_ptr *tp_t;
enum in_bound { IB0, IB1, IB_MAX };
enum in_function { IF0, IF1 };
enum in_assert { IA0, IA1 };
enum field_enum { FE0 };
enum { ANON_FIRST, ANON_COUNT };
struct holder {
    struct list_head list;
    atomic_like_t count;
    struct only_declared *opaque;
    struct ret *(*callback)(struct param *, int);
    union via_array arr[2];
    tp_t tp;
    enum field_enum fe;
    char by_enum[IB_MAX];
    char by_sizeof[sizeof(struct only_in_sizeof)];
    char anon[ANON_COUNT];
    struct { int nested_anon; } inline_anon;
};
static inline int uses_enum(void) { return IF1; }
_Static_assert(IA1 == 1, "file-scope assertion");
extern struct never_used ext;
static struct never_used unused_static;
enum late { L0, L_MAX };
struct late_holder { char b[L_MAX]; };
struct holder defined_holder;
"#;
    let (toks, locs) = tokens_from_gcc_e(&gcc_e(src));
    let index = DeclIndex::build(&toks);
    assert!(index.errors.is_empty());
    let mut resolver = Resolver::new(&toks, &index);
    let emitted = crate::decl::emitted_for_unit(&mut resolver);
    let errors: Vec<String> =
        emitted.errors.iter().map(|(w, e)| format!("{w}: {}", e.render(&locs))).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let mut ours: Vec<String> = emitted
        .records
        .iter()
        .map(|it| it.0.clone())
        .chain(emitted.enums.iter().map(|it| it.0.clone()))
        .collect();
    ours.sort();
    assert_eq!(ours, dwarf_type_keys(src));
}

/// The keys of the complete structs, unions and enums in gcc-12's DWARF for `src` (compiled
/// with `-g -O2`), read with `readelf`: `struct X`, a typedef name for a tagless record or enum a
/// typedef names, `enum <anonymous:FIRST>` for other tagless enums.
fn dwarf_type_keys(src: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("layout-expert-dwarf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let c = dir.join("unit.c");
    let o = dir.join("unit.o");
    std::fs::write(&c, src).unwrap();
    let out = Command::new("gcc-12")
        .args(["-std=gnu11", "-w", "-g", "-O2", "-c", "-o"])
        .arg(&o)
        .arg(&c)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dump = Command::new("readelf").arg("--debug-dump=info").arg(&o).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&dump.stdout);
    #[derive(Default, Clone)]
    struct Die {
        depth: u32,
        tag: String,
        name: Option<String>,
        declaration: bool,
        ty: Option<String>,
        first_child_name: Option<String>,
    }
    let mut dies: Vec<(String, Die)> = Vec::new();
    let mut parents: Vec<usize> = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix('<') {
            if let Some((depth, after)) = rest.split_once("><") {
                if let Some((offset, after)) = after.split_once(">: Abbrev Number: ") {
                    let Some(tag) =
                        after.split_once('(').map(|it| it.1.trim_end_matches(')').to_owned())
                    else {
                        continue;
                    };
                    let depth: u32 = depth.parse().unwrap_or(0);
                    parents.truncate(depth as usize);
                    dies.push((
                        format!("0x{}", offset.trim_start_matches('0')),
                        Die { depth, tag, ..Die::default() },
                    ));
                    parents.push(dies.len() - 1);
                    continue;
                }
            }
            let Some((_, attr)) = rest.split_once('>') else {
                continue;
            };
            let Some((name, value)) = attr.trim().split_once(':') else {
                continue;
            };
            let value = value.trim();
            let value = value.rsplit_once("): ").map_or(value, |it| it.1).trim().to_owned();
            let Some(last) = dies.last_mut() else {
                continue;
            };
            match name.trim() {
                "DW_AT_name" => last.1.name = Some(value),
                "DW_AT_declaration" => last.1.declaration = true,
                "DW_AT_type" => {
                    last.1.ty = Some(value.trim_matches(|c| c == '<' || c == '>').to_owned())
                }
                _ => {}
            }
        }
    }
    // First enumerator names, for tagless enums.
    for i in 0..dies.len() {
        if dies[i].1.tag == "DW_TAG_enumerator" && dies[i].1.depth == 2 {
            if let Some(parent) = (0..i).rev().find(|j| dies[*j].1.depth == 1) {
                if dies[parent].1.first_child_name.is_none() {
                    dies[parent].1.first_child_name = dies[i].1.name.clone();
                }
            }
        }
    }
    let kind = |tag: &str| match tag {
        "DW_TAG_structure_type" => Some("struct"),
        "DW_TAG_union_type" => Some("union"),
        "DW_TAG_enumeration_type" => Some("enum"),
        _ => None,
    };
    let mut typedef_named = std::collections::BTreeMap::new();
    for (_, die) in &dies {
        if die.tag == "DW_TAG_typedef" {
            if let (Some(name), Some(ty)) = (&die.name, &die.ty) {
                typedef_named.insert(ty.clone(), name.clone());
            }
        }
    }
    let mut keys = Vec::new();
    for (offset, die) in &dies {
        let Some(kw) = kind(&die.tag) else { continue };
        if die.declaration || die.depth != 1 {
            continue;
        }
        match (&die.name, typedef_named.get(offset)) {
            (Some(name), _) => keys.push(format!("{kw} {name}")),
            (None, Some(typedef)) => keys.push(typedef.clone()),
            (None, None) if kw == "enum" => keys.push(format!(
                "enum <anonymous:{}>",
                die.first_child_name.clone().unwrap_or_default()
            )),
            (None, None) => {}
        }
    }
    keys.sort();
    keys
}

#[test]
fn qualifiers_address_spaces_and_gnu_keywords() {
    check(
        r#"
const long cl;
struct quals {
    _Atomic int ai;
    _Atomic(long) al;
    int __seg_gs *gs_ptr;
    __extension__ unsigned long long ext;
    volatile const char vc;
    char * __restrict__ rp;
    __typeof__(cl) typeof_const;
    struct forward *p;
};
"#,
        &["struct quals"],
    );
}

#[test]
fn typeof_unqual_names_the_unqualified_type() {
    // GCC 12 predates `typeof_unqual`, so this checks the type strings only.
    let src = "const long x;\nstruct u { typeof_unqual(const int) a; __typeof_unqual__(x) b; typeof(x) *c; };";
    let (toks, _) = tokens_from_gcc_e(src);
    let index = DeclIndex::build(&toks);
    let mut resolver = Resolver::new(&toks, &index);
    let rec = resolver.record(RecordKind::Struct, "u").unwrap();
    let types: Vec<String> = rec.fields.iter().map(|f| f.ty.to_string()).collect();
    assert_eq!(types, ["int", "long int", "long int *"]);
}

#[test]
fn token_soup_never_panics() {
    // Fragments of declarations shuffled with a fixed seed: every result is a value or an error.
    let pieces = [
        "struct",
        "union",
        "enum",
        "typedef",
        "s",
        "t",
        "x",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ";",
        ",",
        "*",
        "int",
        "long",
        "unsigned",
        "char",
        ":",
        "=",
        "1",
        "0",
        "-",
        "<<",
        "?",
        "sizeof",
        "__attribute__",
        "((packed))",
        "((aligned(8)))",
        "typeof",
        "_Static_assert",
        "A",
        "B",
        "__builtin_offsetof",
        ".",
        "->",
        "0x7fffffffffffffffffffffffffffffff",
        "'\\x'",
        "\"s\"",
        "...",
        "_Atomic",
        "const",
        "__int128",
        "extern",
        "static",
    ];
    let mut state: u64 = 0x1234_5678;
    for _ in 0..3000 {
        let mut src = String::new();
        for _ in 0..40 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            src.push_str(pieces[(state >> 33) as usize % pieces.len()]);
            src.push(' ');
        }
        let (toks, _) = tokens_from_gcc_e(&src);
        let index = DeclIndex::build(&toks);
        let mut resolver = Resolver::new(&toks, &index);
        for (kind, tag) in index.record_tags().map(|(k, t)| (k, t.clone())).collect::<Vec<_>>() {
            if let Ok(rec) = resolver.record(kind, &tag) {
                let _ = resolver.record_layout(&rec);
            }
        }
        let _ = crate::decl::emitted_for_unit(&mut resolver);
    }
}

/// `-fms-extensions` (kbuild from Linux 6.19, `CONFIG_CC_MS_EXTENSIONS`): a tagged struct or
/// union declared in a record without a declarator, defined there or before, is an anonymous
/// member (7.x's `socket_lock_t`, `struct ns_common`); without the flag it declares nothing.
/// Both checked against gcc-12 with and without the flag.
#[test]
fn ms_extensions_make_tagged_members_anonymous() {
    let src = "struct inner { int a; long b; };\n\
               struct outer { char c; struct inner; union { struct named { short s; }; long combined; }; int tail; };\n";
    let (toks, _) = tokens_from_gcc_e(src);
    let index = DeclIndex::build(&toks);
    let ours = |ms: bool| {
        let mut resolver = Resolver::new(&toks, &index).with_ms_extensions(ms);
        let rec = resolver.record(RecordKind::Struct, "outer").unwrap();
        let layout = crate::layout::layout_of_record(&rec).unwrap();
        let offsets: Vec<u64> = layout.fields.iter().map(|f| f.offset_bits / 8).collect();
        format!("{} {offsets:?}\n", layout.size_bits / 8)
    };
    let gcc = |flags: &[&str], fields: &str| {
        let dir = std::env::temp_dir().join(format!(
            "layout-expert-ms-{}-{}",
            std::process::id(),
            flags.len()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let (c, exe) = (dir.join("ms.c"), dir.join("ms"));
        std::fs::write(
            &c,
            format!("#include <stdio.h>\n#include <stddef.h>\n{src}\nint main(void) {{ printf(\"%zu [\", sizeof(struct outer)); {fields} printf(\"]\\n\"); return 0; }}\n"),
        )
        .unwrap();
        let out = Command::new("gcc-12")
            .args(flags)
            .arg("-w")
            .arg("-o")
            .arg(&exe)
            .arg(&c)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let run = Command::new(&exe).output().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        String::from_utf8(run.stdout).unwrap()
    };
    // The members in order: c, the anonymous `struct inner` (at a), the anonymous union (at
    // combined), tail; without the flag: c, the union, tail.
    let ms_fields =
        "printf(\"%zu, %zu, %zu, %zu\", offsetof(struct outer, c), offsetof(struct outer, a), \
                     offsetof(struct outer, combined), offsetof(struct outer, tail));";
    let plain_fields =
        "printf(\"%zu, %zu, %zu\", offsetof(struct outer, c), offsetof(struct outer, combined), \
                        offsetof(struct outer, tail));";
    assert_eq!(ours(true), gcc(&["-fms-extensions"], ms_fields));
    assert_eq!(ours(false), gcc(&[], plain_fields));
    assert_ne!(ours(true), ours(false));
}
