//! The kernel's tricky macros, used from the real 6.1 headers: our expansion is snapshotted for
//! readability and checked token for token against gcc-12 with kbuild's command line (the
//! snapshot is never the truth; gcc is).

#[path = "support/dev_tree.rs"]
mod dev_tree;

use std::path::PathBuf;
use std::process::Command;

use expect_test::{expect, Expect};
use layout_expert::config::ConfigFile;
use layout_expert::preprocess::{output, preprocess, skeleton_cache, TargetConfig, View};

const FLAVOUR: &str = "6.1/usr/src/linux-headers-6.1.0-56-amd64";
const MARK: &str = "int snapshot_starts_here;";

fn flavour_dir() -> PathBuf {
    xtask::kernels::debian_trees().expect("the Debian kernel trees");
    xtask::kernels::cache_dir().join(FLAVOUR)
}

/// Tokens after the marker line, one output line per source line of the snippet (tokens joined
/// by single spaces).
fn after_mark(tokens: &[String]) -> Vec<String> {
    let mark: Vec<&str> = ["int", "snapshot_starts_here", ";"].to_vec();
    let pos = tokens
        .windows(3)
        .position(|w| w.iter().map(|s| s.as_str()).eq(mark.iter().copied()))
        .expect("marker");
    tokens[pos + 3..].to_vec()
}

/// Preprocesses `snippet` after the kernel headers `includes` with ours and with gcc-12, asserts
/// the tokens are equal, and snapshots ours.
fn check(includes: &str, snippet: &str, expect: Expect) {
    let dir = flavour_dir();
    let text = format!("{includes}\n{MARK}\n{snippet}\n");
    let predefined = dev_tree::gcc_predefined(dev_tree::kbuild_command(&dir).unwrap()).unwrap();
    let pre_ast = dev_tree::pre_ast_from_flavour(&dir, "snippet.c", &text, predefined).unwrap();
    let config =
        ConfigFile::parse_bytes(".config", &std::fs::read(dir.join(".config")).unwrap()).unwrap();
    let target = TargetConfig { options: config.options.clone().into() };
    let skel = skeleton_cache(&pre_ast);
    let pp = preprocess(&pre_ast, &target, &skel, View::Full)
        .unwrap_or_else(|e| panic!("ours failed: {e}"));
    let ours = after_mark(&output::our_tokens(&pp));

    let tmp =
        std::env::temp_dir().join(format!("le-pp-km-{}-{}", std::process::id(), snippet.len()));
    std::fs::create_dir_all(&tmp).unwrap();
    let (src, out) = (tmp.join("snippet.c"), tmp.join("snippet.i"));
    std::fs::write(&src, &text).unwrap();
    let words = dev_tree::command_words(
        dev_tree::kbuild_command(&dir).unwrap(),
        &dev_tree::source_tree(&dir).unwrap(),
        &src,
        &out,
    );
    let status = Command::new("gcc-12").args(&words[1..]).current_dir(&dir).status().unwrap();
    assert!(status.success());
    let gcc = after_mark(&output::gcc_tokens(&std::fs::read_to_string(&out).unwrap()));
    let _ = std::fs::remove_dir_all(&tmp);
    assert_eq!(ours, gcc, "ours (left) and gcc-12 (right) differ");
    expect.assert_eq(&ours.join(" "));
}

#[test]
fn is_enabled_placeholder_trick() {
    check(
        "",
        "int a = IS_ENABLED(CONFIG_SMP); int b = IS_ENABLED(CONFIG_NO_SUCH_OPTION); int c = IS_MODULE(CONFIG_EXT4_FS); int d = IS_REACHABLE(CONFIG_NF_CONNTRACK); int e = __is_defined(CONFIG_SMP);",
        expect!["int a = 1 ; int b = 0 ; int c = 1 ; int d = 1 ; int e = 1 ;"],
    );
}

#[test]
fn is_constexpr_and_count_args() {
    check(
        "#include <linux/const.h>\n#include <linux/kernel.h>",
        "int a = __is_constexpr(sizeof(long)); int n = COUNT_ARGS(); int m = COUNT_ARGS(a, b, c);",
        expect![[
            r#"int a = ( sizeof ( int ) == sizeof ( * ( 8 ? ( ( void * ) ( ( long ) ( sizeof ( long ) ) * 0l ) ) : ( int * ) 8 ) ) ) ; int n = 0 ; int m = 3 ;"#
        ]],
    );
}

#[test]
fn stringify() {
    check(
        "#include <linux/stringify.h>",
        "const char *s[] = { __stringify(CONFIG_NR_CPUS), __stringify(a  b,c), __stringify(), __stringify(\"q\" 'x') };",
        expect![[r#"const char * s [ ] = { "8192" , "a b,c" , "" , "\"q\" 'x'" } ;"#]],
    );
}

#[test]
fn static_assert_struct_group_flex_array() {
    check(
        "#include <linux/build_bug.h>\n#include <linux/stddef.h>",
        "static_assert(sizeof(int) == 4); static_assert(1, \"msg\");\nstruct s { struct_group(g, int x; int y;); DECLARE_FLEX_ARRAY(int, arr); };",
        expect![[r#"_Static_assert ( sizeof ( int ) == 4 , "sizeof(int) == 4" ) ; _Static_assert ( 1 , "msg" ) ; struct s { union { struct { int x ; int y ; } ; struct { int x ; int y ; } g ; } ; struct { struct { } __empty_arr ; int arr [ ] ; } ; } ;"#]],
    );
}
