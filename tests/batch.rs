//! `layout-expert batch` as users run it: every profile byte for byte what `make-profile` writes
//! for the same inputs (Debian 6.1 amd64 and cloud configs, ISF and Rekall, `--jobs 2`, a
//! manifest), output names from the config files, failing configurations that do not stop the
//! others, atomic outputs, `index.json` and clear errors before any work.

#[path = "support/kernels.rs"]
mod kernels;
#[path = "support/run_cli.rs"]
mod run_cli;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, OnceLock};

use run_cli::{entries, layout_expert, scratch, stderr};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The real System.map of the Debian 6.1 amd64 kernel.
fn system_map() -> PathBuf {
    xtask::kernels::shared_kernels_dir()
        .expect("the project's shared/kernels directory is missing (it holds the System.map)")
        .join("System.map-6.1.0-56-amd64.gz")
}

/// The pre-AST of the Debian 6.1 amd64 headers, built once for this test binary.
fn pre_ast_6_1() -> &'static Path {
    static PRE_AST: OnceLock<PathBuf> = OnceLock::new();
    PRE_AST.get_or_init(|| {
        let dir = scratch("batch-pre-ast");
        let out = dir.join("6.1.pre-ast");
        let tree = kernels::debian_tree("6.1-amd64");
        let o = layout_expert(&["-q", "build-pre-ast", "-l", s(&tree), s(&out)]);
        assert!(o.status.success(), "{}", stderr(&o));
        out
    })
}

const BANNER: &str = "Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)";

/// ISF, two configurations in parallel: each file equals make-profile's, byte for byte; the
/// names come from the config files (a tree's `.config` takes the tree's name); index.json and
/// the table report what the files hold.
#[test]
fn isf_profiles_equal_make_profile_byte_for_byte() {
    let pre_ast = pre_ast_6_1();
    let dir = scratch("batch-isf");
    let amd64 = dir.join("config-6.1.0-56-amd64");
    std::fs::copy(kernels::debian_tree("6.1-amd64").join(".config"), &amd64).unwrap();
    let cloud = kernels::debian_tree("6.1-cloud-amd64").join(".config");
    let out = dir.join("out");
    let o = layout_expert(&[
        "batch",
        "--out-dir",
        s(&out),
        "--format",
        "isf",
        "--jobs",
        "2",
        "--system-map",
        s(&system_map()),
        "--banner",
        BANNER,
        s(pre_ast),
        s(&amd64),
        s(&cloud),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        entries(&out),
        [
            "config-6.1.0-56-amd64.isf.json",
            "index.json",
            "linux-headers-6.1.0-56-cloud-amd64.isf.json"
        ]
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
    let profiles = index["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 2);
    for (config, name, entry) in [
        (&amd64, "config-6.1.0-56-amd64.isf.json", &profiles[0]),
        (&cloud, "linux-headers-6.1.0-56-cloud-amd64.isf.json", &profiles[1]),
    ] {
        let expected = dir.join(format!("make-profile-{name}"));
        let o = layout_expert(&[
            "-q",
            "make-profile",
            "--config-file",
            s(config),
            "--system-map",
            s(&system_map()),
            "--banner",
            BANNER,
            "--format",
            "isf",
            s(pre_ast),
            s(&expected),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let ours = std::fs::read(out.join(name)).unwrap();
        assert!(
            ours == std::fs::read(&expected).unwrap(),
            "{name} differs from make-profile's output"
        );
        let isf: serde_json::Value = serde_json::from_slice(&ours).unwrap();
        assert_eq!(entry["config"], s(config));
        assert_eq!(entry["output"], name);
        assert_eq!(entry["ok"], true);
        assert_eq!(entry["kernel_release"], "6.1.0-56-amd64");
        let user_types = isf["user_types"].as_object().unwrap().len();
        assert_eq!(entry["types"].as_u64(), Some(user_types as u64));
        assert!(user_types > 1000, "{user_types}");
        assert!(stdout(&o).is_empty());
    }
    assert_eq!(index["format"], "isf");
    // The two flavours differ in options the headers read: two units preprocessed.
    assert_eq!((index["units_run"].as_u64(), index["units_replayed"].as_u64()), (Some(2), Some(0)));
    let table = stdout(&o);
    assert!(table.starts_with("CONFIG"), "{table}");
    assert!(table.contains("KERNEL RELEASE") && table.contains("IN ERROR"), "{table}");
    assert!(table.contains("2 of 2 profiles written"), "{table}");
    // Not a terminal: one plain line per configuration.
    assert!(stderr(&o).contains("[2/2] "), "{}", stderr(&o));
}

/// A manifest (comments, relative paths, `-` for no map before a banner), Rekall output equal to
/// make-profile's; a configuration that fails does not stop the others, leaves no file, and is
/// reported in index.json, on stderr and in the exit status.
#[test]
fn manifest_and_failing_configurations() {
    let pre_ast = pre_ast_6_1();
    let dir = scratch("batch-manifest");
    std::fs::copy(pre_ast, dir.join("6.1.pre-ast")).unwrap();
    std::fs::copy(
        kernels::debian_tree("6.1-cloud-amd64").join(".config"),
        dir.join("cloud.config"),
    )
    .unwrap();
    std::fs::write(dir.join("broken.config"), "CONFIG_X=y\nthis is not a config line\n").unwrap();
    std::fs::copy(
        kernels::debian_tree("6.12-amd64").join(".config"),
        dir.join("other-version.config"),
    )
    .unwrap();
    std::fs::write(
        dir.join("profiles.txt"),
        format!(
            "# 6.1 flavours\n\n6.1.pre-ast cloud.config {} {BANNER}\n6.1.pre-ast broken.config - {BANNER}\n\
             6.1.pre-ast missing.config\n6.1.pre-ast other-version.config\n",
            s(&system_map())
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let o =
        layout_expert(&["batch", "--out-dir", s(&out), "--manifest", s(&dir.join("profiles.txt"))]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("3 of 4 configurations failed"), "{err}");
    assert!(err.contains("broken.config:2"), "{err}");
    assert!(err.contains("missing.config"), "{err}");
    assert!(err.contains("the configuration is for Linux 6.12"), "{err}");
    // Only the good profile, no temporary files.
    assert_eq!(entries(&out), ["cloud.json", "index.json"]);
    let expected = dir.join("make-profile.json");
    let o = layout_expert(&[
        "-q",
        "make-profile",
        "--config-file",
        s(&dir.join("cloud.config")),
        "--system-map",
        s(&system_map()),
        "--banner",
        BANNER,
        s(pre_ast),
        s(&expected),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read(out.join("cloud.json")).unwrap() == std::fs::read(&expected).unwrap());
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
    let profiles = index["profiles"].as_array().unwrap();
    let oks: Vec<bool> = profiles.iter().map(|p| p["ok"].as_bool().unwrap()).collect();
    assert_eq!(oks, [true, false, false, false]);
    assert!(profiles[1]["error"].as_str().unwrap().contains("broken.config:2"));
    assert!(profiles[1]["output"].is_null());
    assert_eq!(index["format"], "rekall");
}

/// Mistakes found before any work: two configurations that would write one file, options that
/// contradict each other, nothing to do.
#[test]
fn clear_errors_before_any_work() {
    let dir = scratch("batch-errors");
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::create_dir_all(dir.join("b")).unwrap();
    std::fs::write(dir.join("a/config"), "").unwrap();
    std::fs::write(dir.join("b/config.gz"), "").unwrap();
    let out = dir.join("out");
    let o = layout_expert(&[
        "batch",
        "--out-dir",
        s(&out),
        "x.pre-ast",
        s(&dir.join("a/config")),
        s(&dir.join("b/config.gz")),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("would both be written to config.json"), "{}", stderr(&o));
    assert!(!out.exists());
    let o = layout_expert(&[
        "batch",
        "--out-dir",
        s(&out),
        "--xz",
        "--format",
        "rekall",
        "x.pre-ast",
        "c",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--xz"), "{}", stderr(&o));
    let o = layout_expert(&["batch", "--out-dir", s(&out), "x.pre-ast"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("CONFIG"), "{}", stderr(&o));
    std::fs::write(dir.join("empty.txt"), "# nothing\n").unwrap();
    let o =
        layout_expert(&["batch", "--out-dir", s(&out), "--manifest", s(&dir.join("empty.txt"))]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("lists no configuration"), "{}", stderr(&o));
    assert!(!out.exists());
}

/// Preprocessing shared across configurations on the real 6.1 tree, seen in salsa's query log:
/// a configuration that differs from the first only in options no reachable header reads
/// (a driver built in instead of as a module, an option no file names, placed first so that
/// every autoconf.h line moves) runs no unit and gives exactly what a real run gives; one that
/// differs in an option the headers read (`CONFIG_NR_CPUS`) runs the unit again and lowers no
/// file again.
#[test]
fn preprocessing_is_shared_by_the_options_read() {
    use layout_expert::{
        config::ConfigFile,
        db::LoggingDatabase,
        input::KernelConfig,
        pre_ast::{format, FileKind},
        preprocess::{preprocess, preprocessed, skeleton_cache, PreAstInput, TargetConfig, View},
    };
    use smol_str::SmolStr;
    let pre_ast = Arc::new(format::decode(&std::fs::read(pre_ast_6_1()).unwrap()).unwrap());
    let config_path = kernels::debian_tree("6.1-amd64").join(".config");
    let config = ConfigFile::parse_bytes("amd64", &std::fs::read(&config_path).unwrap()).unwrap();
    // Stored files other than the config-derived ones (whose stored copies name every option).
    let mentioned = |name: &str| {
        pre_ast.files.iter().any(|f| f.kind == FileKind::Source && f.text.contains(name))
    };
    // A driver built as a module that no file of the pre-AST names, built in instead.
    let module = config
        .options
        .iter()
        .position(|(n, _)| n.ends_with("_MODULE") && !mentioned(n.strip_suffix("_MODULE").unwrap()))
        .expect("the amd64 config builds drivers no header names as modules");
    let unread = "CONFIG_LAYOUT_EXPERT_TEST_UNREAD";
    assert!(!mentioned(unread));
    let mut other: Vec<(SmolStr, SmolStr)> = config.options.clone();
    let name = other[module].0.strip_suffix("_MODULE").unwrap().into();
    other[module] = (name, "1".into());
    other.insert(0, (unread.into(), "1".into()));
    let mut fewer_cpus: Vec<(SmolStr, SmolStr)> = config.options.clone();
    let nr_cpus = fewer_cpus.iter().position(|(n, _)| n == "CONFIG_NR_CPUS").unwrap();
    assert_ne!(fewer_cpus[nr_cpus].1, "64");
    fewer_cpus[nr_cpus].1 = "64".into();

    let db = LoggingDatabase::default();
    let input = PreAstInput::from_pre_ast(&db, Arc::clone(&pre_ast));
    let units = |log: &[String]| log.iter().filter(|l| l.contains("unit_run")).count();
    let lowered = |log: &[String]| log.iter().filter(|l| l.contains("file_skeleton")).count();
    let first = preprocessed(
        &db,
        input,
        KernelConfig::new(&db, "amd64".into(), config.options.clone().into()),
    )
    .unwrap();
    let log = db.take_log();
    assert_eq!(units(&log), 1);
    assert!(lowered(&log) > 500, "{}", lowered(&log));

    let pp = preprocessed(&db, input, KernelConfig::new(&db, "other".into(), other.clone().into()))
        .unwrap();
    let log = db.take_log();
    assert_eq!((units(&log), lowered(&log)), (0, 0), "{log:?}");
    assert_eq!(pp.tokens, first.tokens);
    let real = preprocess(
        &pre_ast,
        &TargetConfig { options: other.into() },
        &skeleton_cache(&pre_ast),
        View::Declarations,
    )
    .unwrap();
    assert!(*pp == real, "the shared unit differs from a real run under the second config");
    assert_ne!(
        pp.expansions, first.expansions,
        "autoconf.h's lines moved, so must the definition sites"
    );

    let pp =
        preprocessed(&db, input, KernelConfig::new(&db, "fewer cpus".into(), fewer_cpus.into()))
            .unwrap();
    let log = db.take_log();
    assert_eq!((units(&log), lowered(&log)), (1, 0), "{log:?}");
    assert_ne!(pp.tokens, first.tokens);
}

/// More configurations than one round of workers (4 per job): the database evicts between
/// rounds, and a profile made after the eviction, from a replayed unit, is still make-profile's.
/// The variants build in drivers no header names, so their units are all replayed.
#[test]
fn profiles_after_eviction_rounds_equal_make_profile() {
    use layout_expert::pre_ast::{format, FileKind};
    let pre_ast = pre_ast_6_1();
    let files = format::decode(&std::fs::read(pre_ast).unwrap()).unwrap().files;
    let mentioned =
        |name: &str| files.iter().any(|f| f.kind == FileKind::Source && f.text.contains(name));
    let dir = scratch("batch-rounds");
    let amd64 = std::fs::read_to_string(kernels::debian_tree("6.1-amd64").join(".config")).unwrap();
    let unread: Vec<usize> = amd64
        .lines()
        .enumerate()
        .filter(|(_, l)| l.ends_with("=m") && !mentioned(l.split('=').next().unwrap()))
        .map(|(i, _)| i)
        .take(29)
        .collect();
    let mut configs = Vec::new();
    for k in 0..5 {
        let text: Vec<String> = amd64
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if k > 0 && i == unread[k * 7] {
                    format!("{}y", &l[..l.len() - 1])
                } else {
                    l.to_owned()
                }
            })
            .collect();
        let path = dir.join(format!("config-{k}"));
        std::fs::write(&path, text.join("\n") + "\n").unwrap();
        configs.push(path);
    }
    let out = dir.join("out");
    let mut args = vec!["batch", "--out-dir", s(&out), "--jobs", "1", s(pre_ast)];
    args.extend(configs.iter().map(|p| s(p)));
    let o = layout_expert(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("preprocessing: 1 units run, 4 replayed"), "{}", stdout(&o));
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
    assert_eq!((index["units_run"].as_u64(), index["units_replayed"].as_u64()), (Some(1), Some(4)));
    let expected = dir.join("make-profile.json");
    let o = layout_expert(&[
        "-q",
        "make-profile",
        "--config-file",
        s(&configs[4]),
        s(pre_ast),
        s(&expected),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read(out.join("config-4.json")).unwrap() == std::fs::read(&expected).unwrap());
}
