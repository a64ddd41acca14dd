//! The `layout-expert` binary as users run it: exit codes, clear errors (a directory that is not
//! a kernel tree, a missing source file, an unwritable output), atomic output, the original
//! tool's spelling, and the pre-AST of the real Debian 6.1 and 6.12 amd64 trees checked against
//! the headers GCC itself opens for the same target with kbuild's include order.

#[path = "support/kernels.rs"]
mod kernels;
#[path = "support/run_cli.rs"]
mod run_cli;

use std::path::Path;
use std::process::Command;

use run_cli::{entries, layout_expert, scratch, stderr};

use layout_expert::pre_ast::{format, FileKind, GeneratedHeader, PreAst};

#[test]
fn help_teaches_and_lists_only_implemented_commands() {
    let o = layout_expert(&["--help"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("build-pre-ast")
            && out.contains("make-profile")
            && out.contains("preprocess")
            && out.contains("explain")
            && out.contains("batch")
            && out.contains("Examples:"),
        "{out}"
    );
    let o = layout_expert(&["make-profile", "--help"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("--config-file") && out.contains("--live") && out.contains("make_profile"),
        "{out}"
    );
    let o = layout_expert(&["build-pre-ast", "--help"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("--linux-repository-path") && out.contains("make O=DIR"), "{out}");
    let o = layout_expert(&["explain", "task_struct"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("--config-file"), "{}", stderr(&o));
    let o = layout_expert(&["make-profile", "x"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("give the pre-AST file and the OUTPUT file"), "{}", stderr(&o));
    let o = layout_expert(&[]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn not_a_kernel_tree_is_a_clear_error_and_writes_nothing() {
    let dir = scratch("not-kernel");
    std::fs::write(dir.join("README"), "hello").unwrap();
    let out = dir.join("out.pre-ast");
    let o = layout_expert(&[
        "build-pre-ast",
        "--linux-repository-path",
        dir.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("layout-expert: error:") && e.contains("no Makefile here, so not a kernel tree"),
        "{e}"
    );
    assert_eq!(entries(&dir), ["README"]);
}

#[test]
fn missing_source_file_is_a_clear_error() {
    let dir = scratch("missing-source");
    let tree = kernels::debian_tree("6.1-amd64");
    let out = dir.join("out.pre-ast");
    let missing = dir.join("nope.c");
    let o = layout_expert(&[
        "build-pre-ast",
        "-l",
        tree.to_str().unwrap(),
        "--source-file",
        missing.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nope.c: cannot read the source file"), "{}", stderr(&o));
    assert!(entries(&dir).is_empty());
}

#[test]
fn unwritable_output_fails_and_keeps_the_old_file() {
    let dir = scratch("unwritable");
    let tree = kernels::debian_tree("6.1-amd64");
    let t = tree.to_str().unwrap();
    // The output's directory does not exist.
    let o = layout_expert(&[
        "build-pre-ast",
        "-q",
        "-l",
        t,
        dir.join("no/such/dir/x.pre-ast").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("the output directory does not exist"), "{}", stderr(&o));
    // The output is a directory.
    std::fs::create_dir(dir.join("adir")).unwrap();
    let o = layout_expert(&["build-pre-ast", "-q", "-l", t, dir.join("adir").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is a directory"), "{}", stderr(&o));
    // A failed run leaves an existing output untouched and no temporary file behind.
    let out = dir.join("old.pre-ast");
    std::fs::write(&out, "old").unwrap();
    let o =
        layout_expert(&["build-pre-ast", "-q", "-l", dir.to_str().unwrap(), out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old");
    assert_eq!(entries(&dir), ["adir", "old.pre-ast"]);
}

/// The headers GCC opens for the built-in target with kbuild's flags (`-M`), as virtual paths.
fn gcc_dependencies(flavour_tree: &Path, target: &Path) -> Vec<String> {
    let src = kernels::common_dir(flavour_tree);
    let obj = flavour_tree.to_path_buf();
    let s = |p: &str| format!("{}/{p}", src.display());
    let o = |p: &str| format!("{}/{p}", obj.display());
    // The order of kbuild's real command line (see src/pre_ast/vfs.rs).
    let mut args = vec![
        "-M".to_string(),
        "-nostdinc".into(),
        format!("-I{}", s("arch/x86/include")),
        format!("-I{}", o("arch/x86/include/generated")),
        format!("-I{}", s("include")),
        format!("-I{}", o("include")),
        format!("-I{}", s("arch/x86/include/uapi")),
        format!("-I{}", o("arch/x86/include/generated/uapi")),
        format!("-I{}", s("include/uapi")),
        format!("-I{}", o("include/generated/uapi")),
    ];
    for f in ["compiler-version.h", "kconfig.h", "compiler_types.h"] {
        args.push("-include".into());
        args.push(s(&format!("include/linux/{f}")));
    }
    args.extend(
        layout_expert::pre_ast::predefined::BASE_FLAGS.iter().map(|f| f.to_string()).chain(
            [
                "-D__KERNEL__",
                "-O2",
                "-fstack-protector-strong",
                "-pg",
                "-mfentry",
                "-DCC_USING_FENTRY",
                "-DMODULE",
            ]
            .map(String::from),
        ),
    );
    args.extend(
        [
            "-DKBUILD_BASENAME=\"forensics\"",
            "-DKBUILD_MODNAME=\"forensics\"",
            "-D__KBUILD_MODNAME=kmod_forensics",
        ]
        .map(String::from),
    );
    args.push(target.to_str().unwrap().to_string());
    let out = Command::new("gcc-12")
        .args(&args)
        .current_dir(&obj)
        .output()
        .expect("gcc-12 is needed for this test");
    assert!(out.status.success(), "gcc-12 -M failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).replace("\\\n", " ");
    let (src_c, obj_c) = (src.canonicalize().unwrap(), obj.canonicalize().unwrap());
    let mut deps: Vec<String> = text
        .split_whitespace()
        .filter(|w| w.ends_with(".h"))
        .map(|w| {
            let p = Path::new(w).canonicalize().unwrap();
            if let Ok(r) = p.strip_prefix(&obj_c) {
                format!("obj/{}", r.display())
            } else if let Ok(r) = p.strip_prefix(&src_c) {
                format!("src/{}", r.display())
            } else {
                panic!("gcc opened {w}, outside the tree")
            }
        })
        .collect();
    deps.sort();
    deps.dedup();
    deps
}

fn check_real_tree(name: &str, release: &str, version: &str) -> PreAst {
    let tree = kernels::debian_tree(name);
    let dir = scratch(&format!("real-{name}"));
    let out = dir.join("forensics.pre-ast");
    let o = layout_expert(&[
        "build-pre-ast",
        "--linux-repository-path",
        tree.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    for stage in [
        "FINDING KERNEL TREE ... done in",
        "LOADING AND PARSING HEADERS ... done in",
        "ENCODING PRE-AST ... done in",
    ] {
        assert!(e.contains(stage), "missing progress line {stage:?}:\n{e}");
    }
    assert!(e.contains("unresolved include(s)") && e.contains(" files, "), "{e}");
    let pre = format::decode(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(pre.meta.kernel_release, release);
    assert_eq!(pre.meta.kernel_version, version);
    assert!(
        pre.meta.compiler.ends_with("gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0"),
        "{}",
        pre.meta.compiler
    );
    assert_eq!(pre.gcc_version, 120200);
    // Every header GCC opens for this target under the tree's own config is in the pre-AST.
    std::fs::write(dir.join("forensics.c"), layout_expert::pre_ast::build::BUILTIN_TARGET).unwrap();
    let deps = gcc_dependencies(&tree, &dir.join("forensics.c"));
    let missing: Vec<&String> = deps.iter().filter(|d| pre.lookup(d).is_none()).collect();
    assert!(missing.is_empty(), "headers gcc opened but the pre-AST lacks: {missing:#?}");
    assert!(
        deps.len() > 500 && pre.files.len() >= deps.len(),
        "{} gcc deps, {} files",
        deps.len(),
        pre.files.len()
    );
    // The config-derived headers the target reaches are marked.
    for (path, kind) in [
        ("obj/include/generated/autoconf.h", GeneratedHeader::Autoconf),
        ("obj/include/generated/bounds.h", GeneratedHeader::Bounds),
        ("obj/include/generated/timeconst.h", GeneratedHeader::Timeconst),
        ("obj/include/generated/asm-offsets.h", GeneratedHeader::AsmOffsets),
    ] {
        let id = pre.lookup(path).unwrap_or_else(|| panic!("{path} not reached"));
        assert_eq!(pre.file(id).kind, FileKind::ConfigDerived(kind));
    }
    // Types outside the public headers are listed as unavailable, not faked.
    assert!(
        pre.notes.iter().any(|n| n.starts_with("struct mount, struct mnt_namespace: fs/mount.h")),
        "{:?}",
        pre.notes
    );
    assert!(pre.lookup("src/fs/mount.h").is_none());
    pre
}

#[test]
fn real_debian_6_1_amd64_tree() {
    let pre = check_real_tree("6.1-amd64", "6.1.0-56-amd64", "6.1.192");
    // The real file, damaged: truncations and bit flips across it are clear errors, no panics.
    let bytes = format::encode(&pre);
    assert_eq!(format::decode(&bytes).unwrap(), pre);
    let step = bytes.len() / 300 + 1;
    for i in (0..bytes.len()).filter(|i| *i < 128 || i % step == 0) {
        assert!(format::decode(&bytes[..i]).is_err(), "truncated to {i} bytes was accepted");
        let mut b = bytes.clone();
        b[i] ^= 1 << (i % 8);
        let e = format::decode(&b).expect_err("a flipped bit was accepted");
        assert!(!e.to_string().is_empty());
    }
}

/// A pre-AST is built once per kernel version: the one built from the amd64 flavour holds every
/// header GCC opens for the target under another flavour's configuration (the cloud flavour
/// shares the amd64 flavour's `-common` headers; only its config and generated headers differ).
#[test]
fn one_pre_ast_serves_every_flavour_of_a_version() {
    for (built_from, other) in
        [("6.1-amd64", "6.1-cloud-amd64"), ("6.12-amd64", "6.12-cloud-amd64")]
    {
        let tree = kernels::debian_tree(built_from);
        let other_tree = kernels::debian_tree(other);
        let dir = scratch(&format!("flavours-{other}"));
        let out = dir.join("forensics.pre-ast");
        let o = layout_expert(&[
            "build-pre-ast",
            "-q",
            "-l",
            tree.to_str().unwrap(),
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let pre = format::decode(&std::fs::read(&out).unwrap()).unwrap();
        std::fs::write(dir.join("forensics.c"), layout_expert::pre_ast::build::BUILTIN_TARGET)
            .unwrap();
        let deps = gcc_dependencies(&other_tree, &dir.join("forensics.c"));
        let missing: Vec<&String> = deps.iter().filter(|d| pre.lookup(d).is_none()).collect();
        assert!(
            missing.is_empty(),
            "{other} needs headers the {built_from} pre-AST lacks: {missing:#?}"
        );
    }
}

#[test]
fn real_debian_other_trees() {
    for (name, release, version) in [
        ("6.1-cloud-amd64", "6.1.0-56-cloud-amd64", "6.1.192"),
        ("6.1-rt-amd64", "6.1.0-56-rt-amd64", "6.1.192"),
        ("6.12-amd64", "6.12.117+deb12-amd64", "6.12.117"),
        ("6.12-cloud-amd64", "6.12.117+deb12-cloud-amd64", "6.12.117"),
    ] {
        check_real_tree(name, release, version);
    }
    assert_eq!(kernels::all_tree_names().len(), 5);
}

#[test]
fn original_spelling_and_quiet() {
    let tree = kernels::debian_tree("6.1-amd64");
    let dir = scratch("original-spelling");
    let src = dir.join("mine.c");
    std::fs::write(&src, "#include <linux/list.h>\n#include \"local.h\"\nstruct list_head l;\n")
        .unwrap();
    std::fs::write(dir.join("local.h"), "#include <linux/types.h>\n").unwrap();
    let out = dir.join("o.pre-ast");
    let o = layout_expert(&[
        "-q",
        "build_pre_ast",
        "--source_file_path",
        src.to_str().unwrap(),
        "--linux_repository_path",
        tree.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let pre = format::decode(&std::fs::read(&out).unwrap()).unwrap();
    assert!(pre.lookup("target/mine.c").is_some() && pre.lookup("target/local.h").is_some());
    assert!(pre.predefined.contains("#define KBUILD_MODNAME \"mine\"\n"));
}

/// The predefined macros the pre-AST gives for a tree's own config equal what GCC defines under
/// kbuild's real command line for the built-in target compiled as a module of that tree (taken
/// from kbuild's `.forensics.o.cmd`, with `-dM -E` on an empty file instead of `-c`, and without
/// the forced includes, so only the compiler's and the command line's macros are printed).
fn check_predefined_against_kbuild(name: &str) {
    let tree = kernels::debian_tree(name);
    let dir = scratch(&format!("kbuild-{name}"));
    std::fs::write(dir.join("forensics.c"), layout_expert::pre_ast::build::BUILTIN_TARGET).unwrap();
    std::fs::write(dir.join("Kbuild"), "obj-m += forensics.o\n").unwrap();
    let make = Command::new("make")
        .arg("-C")
        .arg(&tree)
        .arg(format!("M={}", dir.display()))
        // BTF for the .ko needs pahole and changes nothing in the compile.
        .arg("CONFIG_DEBUG_INFO_BTF_MODULES=")
        .arg("modules")
        .output()
        .expect("make is needed for this test");
    assert!(
        make.status.success(),
        "kbuild failed:\n{}\n{}",
        String::from_utf8_lossy(&make.stdout),
        stderr(&make)
    );
    let cmd = std::fs::read_to_string(dir.join(".forensics.o.cmd")).unwrap();
    let compile =
        cmd.lines().next().unwrap().split_once(":=").unwrap().1.split(';').next().unwrap();
    // Shell words are kept as written (the -D flags carry shell quoting); drop the dependency
    // output, the forced includes, and the object and source, and print the macros instead.
    let words: Vec<&str> = compile.split_whitespace().collect();
    let mut kept: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if w == "-include" || w == "-o" {
            i += 2;
            continue;
        }
        if !(w.starts_with("-Wp,") || w == "-c" || w.ends_with("forensics.c")) {
            kept.push(w);
        }
        i += 1;
    }
    let shell = format!("{} -dM -E -x c /dev/null | LC_ALL=C sort", kept.join(" "));
    let gcc = Command::new("sh").arg("-c").arg(&shell).current_dir(&tree).output().unwrap();
    assert!(gcc.status.success(), "{shell}: {}", stderr(&gcc));
    let gcc_lines: Vec<String> =
        String::from_utf8_lossy(&gcc.stdout).lines().map(String::from).collect();

    let out = dir.join("forensics.pre-ast");
    let o = layout_expert(&[
        "build-pre-ast",
        "-q",
        "-l",
        tree.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pre = format::decode(&std::fs::read(&out).unwrap()).unwrap();
    let config = std::fs::read_to_string(tree.join(".config")).unwrap();
    let config = layout_expert::config::ConfigFile::parse(".config", &config).unwrap();
    let mut ours: Vec<String> =
        pre.predefined_for(&config.options).lines().map(String::from).collect();
    ours.sort();
    let only_gcc: Vec<&String> = gcc_lines.iter().filter(|l| !ours.contains(l)).collect();
    let only_ours: Vec<&String> = ours.iter().filter(|l| !gcc_lines.contains(l)).collect();
    assert!(
        only_gcc.is_empty() && only_ours.is_empty(),
        "predefined macros differ from kbuild's compile\nonly in gcc: {only_gcc:#?}\nonly in the pre-AST: {only_ours:#?}"
    );
}

#[test]
fn predefined_macros_match_kbuild_6_1_amd64() {
    check_predefined_against_kbuild("6.1-amd64");
}

#[test]
fn predefined_macros_match_kbuild_6_12_amd64() {
    check_predefined_against_kbuild("6.12-amd64");
}

/// `make-profile --live` on a system laid out under a fake root: the release, config, kallsyms
/// and banner come from `proc/` and `boot/`, the pre-AST from `--pre-ast-dir` by release; a
/// missing piece is a clear error naming what to supply instead.
#[test]
fn live_mode_reads_the_running_system() {
    let flavour = kernels::debian_tree("6.1-amd64");
    let dir = scratch("live");
    let root = dir.join("root");
    let pre_asts = dir.join("pre-asts");
    for d in [root.join("proc/sys/kernel"), root.join("boot"), pre_asts.clone()] {
        std::fs::create_dir_all(d).unwrap();
    }
    let release = "6.1.0-56-amd64";
    std::fs::write(root.join("proc/sys/kernel/osrelease"), format!("{release}\n")).unwrap();
    let banner = format!("Linux version {release} (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)");
    std::fs::write(root.join("proc/version"), format!("{banner}\n")).unwrap();
    std::fs::write(
        root.join("proc/kallsyms"),
        "ffffffff81000000 T _text\nffffffff82000100 D linux_banner\nffffffff82a1aa40 D init_task\nffffffffc0000000 t foo\t[mod]\n",
    )
    .unwrap();
    let o = layout_expert(&[
        "-q",
        "build-pre-ast",
        "-l",
        flavour.to_str().unwrap(),
        pre_asts.join(format!("{release}.pre-ast")).to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.join("live.json");
    let live = |out: &Path| {
        layout_expert(&[
            "make-profile",
            "--live",
            "--root",
            root.to_str().unwrap(),
            "--pre-ast-dir",
            pre_asts.to_str().unwrap(),
            "--format",
            "isf",
            out.to_str().unwrap(),
        ])
    };
    // No config on the system yet: a clear error, no output.
    let o = live(&out);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--config-file"), "{}", stderr(&o));
    assert!(!out.exists());
    std::fs::copy(flavour.join(".config"), root.join(format!("boot/config-{release}"))).unwrap();
    let o = live(&out);
    assert!(o.status.success(), "{}", stderr(&o));
    let isf: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(isf["symbols"]["init_task"]["address"].as_u64(), Some(0xffffffff82a1aa40));
    assert_eq!(isf["symbols"]["init_task"]["type"]["name"], "task_struct");
    assert!(isf["symbols"].get("foo").is_none(), "module symbols are skipped");
    // The banner of proc/version, as Volatility 3 matches it in memory.
    let data = isf["symbols"]["linux_banner"]["constant_data"].as_str().unwrap();
    use layout_expert::profile::isf::{banner_bytes, base64};
    assert_eq!(data, base64(&banner_bytes(&banner)));
    assert!(isf["user_types"].get("task_struct").is_some());
}

/// The compiler is the target config's: a clang config is refused naming clang (even under
/// `--force`), a GCC release we ship no data for is refused listing what we have, and under
/// `--force` the nearest table is used and the profile's metadata says so.
#[test]
fn make_profile_chooses_the_compiler_from_the_target_config() {
    let flavour = kernels::debian_tree("6.1-amd64");
    let dir = scratch("compiler-choice");
    let target = dir.join("small.c");
    std::fs::write(&target, "#include <linux/types.h>\nstruct small { u8 a; u64 b; } small;\n")
        .unwrap();
    let pre = dir.join("small.pre-ast");
    let o = layout_expert(&[
        "-q",
        "build-pre-ast",
        "-l",
        flavour.to_str().unwrap(),
        "-s",
        target.to_str().unwrap(),
        pre.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let config = std::fs::read_to_string(flavour.join(".config")).unwrap();
    let variant = |name: &str, edit: &dyn Fn(&str) -> String| {
        let text: String = config.lines().map(|l| edit(l) + "\n").collect();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let clang = variant("clang.config", &|l| match l {
        l if l.starts_with("CONFIG_CC_VERSION_TEXT=") => {
            "CONFIG_CC_VERSION_TEXT=\"Debian clang version 16.0.6 (15)\"".into()
        }
        "CONFIG_CC_IS_GCC=y" => "CONFIG_CC_IS_CLANG=y\nCONFIG_CLANG_VERSION=160006".into(),
        l if l.starts_with("CONFIG_GCC_VERSION=") => "CONFIG_GCC_VERSION=0".into(),
        l => l.into(),
    });
    let old_gcc = variant("gcc7.config", &|l| match l {
        l if l.starts_with("CONFIG_CC_VERSION_TEXT=") => {
            "CONFIG_CC_VERSION_TEXT=\"gcc-7 (Debian 7.4.0-6) 7.4.0\"".into()
        }
        l if l.starts_with("CONFIG_GCC_VERSION=") => "CONFIG_GCC_VERSION=70400".into(),
        l => l.into(),
    });
    let out = dir.join("out.json");
    let run = |config: &Path, force: bool| {
        let mut args =
            vec!["make-profile", "-q", "-f", "isf", "--config-file", config.to_str().unwrap()];
        if force {
            args.push("--force");
        }
        args.extend([pre.to_str().unwrap(), out.to_str().unwrap()]);
        layout_expert(&args)
    };
    for force in [false, true] {
        let o = run(&clang, force);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("built with clang") && stderr(&o).contains("known compilers: gcc"),
            "{}",
            stderr(&o)
        );
        assert!(!out.exists());
    }
    let o = run(&old_gcc, false);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("CONFIG_GCC_VERSION=70400")
            && stderr(&o).contains("known compilers: gcc"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
    let o = run(&old_gcc, true);
    assert!(o.status.success(), "{}", stderr(&o));
    let isf: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let warnings = isf["metadata"]["producer"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].as_str().unwrap().contains("CONFIG_GCC_VERSION=70400"), "{warnings:?}");
    assert!(isf["user_types"].get("small").is_some());
    // The config's own compiler: no warning.
    std::fs::remove_file(&out).unwrap();
    let o = run(&flavour.join(".config"), false);
    assert!(o.status.success(), "{}", stderr(&o));
    let isf: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert!(isf["metadata"]["producer"].get("warnings").is_none());
}
