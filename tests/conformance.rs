//! Conformance: layout-expert's layouts against GCC's, field by field, on the real Debian trees.
//!
//! The pre-AST is built ONCE per kernel version (6.1 and 6.12 from their amd64 flavour; the
//! PREEMPT_RT kernel from its own `-common-rt` headers), and each flavour's `.config` is the only
//! thing taken from the flavour being checked. GCC's side is the DWARF of the same target
//! (`targets/forensics.c`) compiled by kbuild against that flavour's tree (`xtask oracle`,
//! cached under `target/oracle/`). Any difference (a record missing or extra, a size, a field's
//! name, order, bit offset or bit size) fails the test with the differences listed; there is no
//! tolerance and no allow-list.
//!
//! Our side is the built-in target as `build-pre-ast` stores it: `targets/forensics.c` plus the
//! private symbols' `extern` declarations, which add no debug info to GCC's side.
//!
//! `LAYOUT_EXPERT_CUSTOM_CONFIGS=1` adds the 6.1 custom configurations (tinyconfig, defconfig,
//! allnoconfig, randconfig 1–3), built from the full linux-source package by
//! `xtask custom-config` (slow the first time: several minutes per tree).

#[path = "support/kernels.rs"]
mod kernels;
#[path = "common/vol3.rs"]
mod vol3;

use std::{path::Path, sync::Arc};

use layout_expert::{
    config::ConfigFile,
    db::RootDatabase,
    pipeline,
    pre_ast::{
        build::{self, BuildInput, BUILTIN_TARGET, BUILTIN_TARGET_NAME},
        tree, PreAst,
    },
    profile::layout_json::to_json_text,
};
use xtask::{conformance, layout_json::Layouts, oracle};

fn pre_ast_of(flavour: &Path) -> Arc<PreAst> {
    let tree = tree::discover(flavour).unwrap_or_else(|e| panic!("{}: {e}", flavour.display()));
    let input = BuildInput {
        tree,
        target_name: BUILTIN_TARGET_NAME.to_owned(),
        target_text: layout_expert::profile::private_symbols::builtin_target_text(BUILTIN_TARGET),
        target_dir: None,
        force: false,
    };
    let (pre_ast, _, _) =
        build::build(&input).unwrap_or_else(|e| panic!("{}: {e}", flavour.display()));
    Arc::new(pre_ast)
}

/// Our layouts for `flavour`'s configuration, from `pre_ast`, in the oracle's schema.
fn ours(pre_ast: &Arc<PreAst>, flavour: &Path) -> Layouts {
    let config_path = flavour.join(".config");
    let bytes = std::fs::read(&config_path).unwrap();
    let config = ConfigFile::parse_bytes(&config_path.display().to_string(), &bytes).unwrap();
    let db = RootDatabase::default();
    let out = pipeline::run(&db, pre_ast, &config, || Ok(None))
        .unwrap_or_else(|e| panic!("{}: {e}", flavour.display()));
    assert!(out.problems.is_empty(), "{}: {:#?}", flavour.display(), out.problems);
    assert!(out.model.errors.is_empty(), "{}: {:#?}", flavour.display(), out.model.errors);
    Layouts::from_json(&to_json_text(&out.layouts), "layout-expert").unwrap()
}

/// GCC's layouts for `source` (by default the forensics target) built against `flavour`.
fn gcc_of(flavour: &Path, source: &Path) -> Layouts {
    let request = oracle::Request {
        tree: flavour.to_path_buf(),
        source: source.to_path_buf(),
        extra_cflags: Vec::new(),
    };
    oracle::run(&request).unwrap_or_else(|e| panic!("{}: {e}", flavour.display())).layouts
}

fn gcc(flavour: &Path) -> Layouts {
    gcc_of(flavour, &kernels::repo_root().join("targets/forensics.c"))
}

fn check(cases: &[(&str, &Arc<PreAst>, &Path)]) {
    check_source(cases, &kernels::repo_root().join("targets/forensics.c"), 5000);
}

/// Compares our layouts with GCC's for each case (the pre-AST's target is `source`), field for
/// field, and requires more than `min_fields` fields compared per case.
fn check_source(cases: &[(&str, &Arc<PreAst>, &Path)], source: &Path, min_fields: usize) {
    let mut reports = Vec::new();
    for (name, pre_ast, flavour) in cases {
        let report = conformance::compare(&ours(pre_ast, flavour), &gcc_of(flavour, source));
        reports.push(conformance::TreeReport { tree: (*name).to_owned(), report });
    }
    let table = conformance::render(&reports, 40);
    println!("{table}");
    for r in &reports {
        assert!(r.report.is_clean(), "{table}");
        assert!(r.report.fields_compared > min_fields, "{table}");
    }
}

#[test]
fn debian_trees_match_gcc_field_for_field() {
    let t61 = kernels::debian_tree("6.1-amd64");
    let t61_cloud = kernels::debian_tree("6.1-cloud-amd64");
    let t61_rt = kernels::debian_tree("6.1-rt-amd64");
    let t612 = kernels::debian_tree("6.12-amd64");
    let t612_cloud = kernels::debian_tree("6.12-cloud-amd64");
    let p61 = pre_ast_of(&t61);
    let p61_rt = pre_ast_of(&t61_rt);
    let p612 = pre_ast_of(&t612);
    check(&[
        ("6.1-amd64", &p61, &t61),
        ("6.1-cloud-amd64", &p61, &t61_cloud),
        ("6.1-rt-amd64", &p61_rt, &t61_rt),
        ("6.12-amd64", &p612, &t612),
        ("6.12-cloud-amd64", &p612, &t612_cloud),
    ]);
}

#[test]
fn custom_configs_match_gcc_field_for_field() {
    if std::env::var_os("LAYOUT_EXPERT_CUSTOM_CONFIGS").is_none() {
        println!(
            "custom configurations not checked in this run: set LAYOUT_EXPERT_CUSTOM_CONFIGS=1 \
             (CI does when time allows)"
        );
        return;
    }
    let trees: Vec<(String, std::path::PathBuf)> = xtask::custom_config::SUITE
        .iter()
        .map(|config| {
            let prepared = xtask::custom_config::prepare("6.1", *config)
                .unwrap_or_else(|e| panic!("cannot prepare 6.1 {}: {e}", config.dir_name()));
            (format!("6.1-{}", config.dir_name()), prepared.dir)
        })
        .collect();
    // A custom configuration is its own build tree: its pre-AST is built from it.
    let pre_asts: Vec<Arc<PreAst>> = trees.iter().map(|(_, dir)| pre_ast_of(dir)).collect();
    let cases: Vec<(&str, &Arc<PreAst>, &Path)> = trees
        .iter()
        .zip(&pre_asts)
        .map(|((name, dir), p)| (name.as_str(), p, dir.as_path()))
        .collect();
    check(&cases);
}

/// The profiles `make-profile` writes from our layouts carry GCC's numbers: for every tagged
/// struct and union in GCC's DWARF of the 6.1 amd64 target, the Rekall profile and the ISF give
/// its size and the byte offset of each named, non-bitfield member as GCC does; the 23 types
/// Volatility 3 requires are there, and the symbols its Linux plugins read have their types.
#[test]
fn profiles_from_our_layouts_carry_gccs_offsets() {
    use layout_expert::profile::{write_profile_to, Format, WriteOptions};

    let flavour = kernels::debian_tree("6.1-amd64");
    let pre_ast = pre_ast_of(&flavour);
    let config_path = flavour.join(".config");
    let config = ConfigFile::parse_bytes("config", &std::fs::read(&config_path).unwrap()).unwrap();
    let db = RootDatabase::default();
    let symbols = ["init_task", "init_files", "init_mm", "modules", "tk_core", "idt_table"];
    // Symbols appear in the ISF with the addresses of a symbol map; these are made up.
    let map: String =
        symbols.iter().enumerate().map(|(i, s)| format!("ffffffff8200{i:04x} D {s}\n")).collect();
    let map =
        layout_expert::profile::system_map::SystemMap::parse("test map", map.as_bytes()).unwrap();
    let out = pipeline::run(&db, &pre_ast, &config, || Ok(Some(map))).unwrap();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("conformance_profiles");
    std::fs::create_dir_all(&dir).unwrap();
    let read = |format: Format, name: &str| -> serde_json::Value {
        let path = dir.join(name);
        let mut file = std::fs::File::create(&path).unwrap();
        write_profile_to(&out.model, &WriteOptions { format, banner: None }, false, &mut file)
            .unwrap();
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
    };
    let rekall = read(Format::Rekall, "rekall.json");
    let isf = read(Format::Isf, "isf.json");
    let gcc = gcc(&flavour);
    let mut checked = 0;
    for (key, record) in &gcc.records {
        let Some(tag) = key.strip_prefix("struct ").or_else(|| key.strip_prefix("union ")) else {
            continue;
        };
        let size = record.size_bits / 8;
        let r = &rekall["$STRUCTS"][tag];
        assert_eq!(r[0].as_u64(), Some(size), "Rekall size of {key}");
        let u = &isf["user_types"][tag];
        assert_eq!(u["size"].as_u64(), Some(size), "ISF size of {key}");
        for field in &record.fields {
            let (Some(name), false) = (&field.name, field.bitfield) else {
                continue;
            };
            let offset = field.offset_bits / 8;
            assert_eq!(r[1][name][0].as_u64(), Some(offset), "Rekall {key}.{name}");
            assert_eq!(u["fields"][name]["offset"].as_u64(), Some(offset), "ISF {key}.{name}");
            checked += 1;
        }
    }
    assert!(checked > 5000, "only {checked} fields checked");
    for t in [
        "file",
        "list_head",
        "hlist_head",
        "mm_struct",
        "super_block",
        "task_struct",
        "vm_area_struct",
        "qstr",
        "dentry",
        "fs_struct",
        "files_struct",
        "kobject",
        "cred",
        "inode",
        "idr",
        "address_space",
        "page",
        "vfsmount",
        "net",
        "socket",
        "sock",
        "inet_sock",
        "unix_sock",
    ] {
        assert!(isf["user_types"].get(t).is_some(), "ISF lacks {t}");
        assert!(rekall["$STRUCTS"].get(t).is_some(), "Rekall lacks {t}");
    }
    let symbol_type = |name: &str| isf["symbols"][name]["type"].clone();
    assert_eq!(symbol_type("init_task")["name"], "task_struct");
    assert_eq!(symbol_type("init_files")["name"], "files_struct");
    assert_eq!(symbol_type("init_mm")["name"], "mm_struct");
    assert_eq!(symbol_type("modules")["name"], "list_head");
    assert_eq!(symbol_type("idt_table")["kind"], "array");
    // tk_core is an anonymous struct holding a struct timekeeper (kernel/time/timekeeping.c).
    let tk = symbol_type("tk_core")["name"].as_str().unwrap().to_owned();
    assert!(tk.starts_with("unnamed_"), "{tk}");
    let tk_fields = &isf["user_types"][&tk]["fields"];
    assert_eq!(tk_fields["timekeeper"]["type"]["name"], "timekeeper");

    // Volatility 3 validates the ISF against its schema and loads it as a Linux kernel table
    // (which fails if one of its mandatory types is missing), and sees GCC's task_struct.
    let output = std::process::Command::new(vol3::python())
        .arg(vol3::check_script())
        .arg("--types=task_struct")
        .arg(dir.join("isf.json"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "Volatility 3 rejected our ISF:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let seen = &seen[dir.join("isf.json").to_str().unwrap()]["types"]["task_struct"];
    let task = &gcc.records["struct task_struct"];
    assert_eq!(seen["size"].as_u64(), Some(task.size_bits / 8));
    for name in ["comm", "pid", "tgid", "tasks", "mm", "files", "real_parent"] {
        let f = task.fields.iter().find(|f| f.name.as_deref() == Some(name)).unwrap();
        assert_eq!(seen["members"][name]["offset"].as_u64(), Some(f.offset_bits / 8), "{name}");
    }
}

/// A build with GCC's randstruct plugin reorders some structs with a secret seed: those, and
/// every struct holding one by value, are reported as types in error, never laid out; the rest
/// of the profile is unchanged.
#[test]
fn randstruct_builds_refuse_the_reordered_structs() {
    let flavour = kernels::debian_tree("6.1-amd64");
    let pre_ast = pre_ast_of(&flavour);
    let mut text = std::fs::read_to_string(flavour.join(".config")).unwrap();
    text.push_str("CONFIG_GCC_PLUGINS=y\nCONFIG_RANDSTRUCT_FULL=y\nCONFIG_RANDSTRUCT=y\nCONFIG_GCC_PLUGIN_RANDSTRUCT=y\n");
    let randstruct = ConfigFile::parse_bytes("randstruct.config", text.as_bytes()).unwrap();
    let plain = ConfigFile::parse_bytes("config", &std::fs::read(flavour.join(".config")).unwrap())
        .unwrap();
    let run = |config: &ConfigFile| {
        pipeline::run(&RootDatabase::default(), &pre_ast, config, || Ok(None)).unwrap()
    };
    let (with, without) = (run(&randstruct), run(&plain));
    assert!(without.model.errors.is_empty(), "{:?}", without.model.errors);
    let error =
        |name: &str| with.model.errors.iter().find(|e| e.name == name).map(|e| e.reason.clone());
    // Marked `__randomize_layout` (task_struct through `randomized_struct_fields_start`) …
    for name in ["struct task_struct", "struct cred", "struct file"] {
        let reason = error(name).unwrap_or_else(|| {
            panic!(
                "{name} not in error: {:?} {:?}",
                with.model.errors,
                &with.problems[..with.problems.len().min(5)]
            )
        });
        assert!(
            reason.contains("randomize_layout") || reason.contains("randstruct"),
            "{name}: {reason}"
        );
    }
    // … or made only of function pointers.
    let reason = error("struct seq_operations").expect("seq_operations in error");
    assert!(reason.contains("function pointers"), "{reason}");
    // What the plugin leaves alone keeps GCC's layout (the plain build's, checked against GCC).
    let laid_out = |out: &pipeline::EngineOutput, name: &str| {
        out.model
            .records
            .iter()
            .find(|r| r.name.as_deref() == Some(name) && r.fields.is_some())
            .map(|r| r.size_bits)
    };
    for name in ["list_head", "qstr", "rb_node"] {
        assert_eq!(laid_out(&with, name), laid_out(&without, name), "{name}");
        assert!(laid_out(&with, name).is_some(), "{name}");
    }
    assert_eq!(laid_out(&with, "task_struct"), None);
}

/// The pipeline computes file skeletons and config-derived headers on a helper thread ahead of
/// the preprocessor; which thread computes what varies from run to run, the output must not.
#[test]
fn pipeline_output_does_not_depend_on_thread_timing() {
    let flavour = kernels::debian_tree("6.1-amd64");
    let pre_ast = pre_ast_of(&flavour);
    let config =
        ConfigFile::parse_bytes("config", &std::fs::read(flavour.join(".config")).unwrap())
            .unwrap();
    let runs: Vec<(String, usize, usize)> = (0..3)
        .map(|_| {
            let out =
                pipeline::run(&RootDatabase::default(), &pre_ast, &config, || Ok(None)).unwrap();
            (to_json_text(&out.layouts), out.tokens, out.model.records.len())
        })
        .collect();
    assert!(runs[0].1 > 100_000, "{} tokens", runs[0].1);
    assert!(runs.iter().all(|run| *run == runs[0]));
}

/// Builds a pre-AST for `tests/data/conformance/NAME` on the 6.1 amd64 tree and compares our
/// layouts with GCC's DWARF of the same file, field for field.
fn check_target(name: &str, min_fields: usize) {
    let flavour = kernels::debian_tree("6.1-amd64");
    let source = kernels::repo_root().join("tests/data/conformance").join(name);
    let input = BuildInput {
        tree: tree::discover(&flavour).unwrap(),
        target_name: name.to_owned(),
        target_text: std::fs::read_to_string(&source).unwrap(),
        target_dir: source.parent().map(Path::to_path_buf),
        force: false,
    };
    let pre_ast = Arc::new(build::build(&input).unwrap().0);
    check_source(&[(&format!("6.1-amd64 {name}"), &pre_ast, &flavour)], &source, min_fields);
}

/// Kernel headers define some types under `#pragma pack` (ACPI, CPER, Hyper-V, bonding): a target
/// using them gets GCC's layouts field for field.
#[test]
fn pragma_pack_types_match_gcc_field_for_field() {
    check_target("packed_target.c", 150);
}

/// A target far wider than the forensics one (see the file): every record GCC emits, and no
/// other, with every field.
#[test]
fn wide_target_matches_gcc_field_for_field() {
    check_target("wide_target.c", 11_000);
}

/// The other kernel series users run, each built by its own GCC release: Debian 11's 5.10
/// (bullseye, gcc-10) and the newest 7.x of sid (gcc-16), amd64 and cloud, fetched from their
/// suites (`xtask suite-kernel`) with the compilers unpacked from the same suites
/// (`xtask::compilers`, run through the suite's loader when this machine's glibc is older). One
/// pre-AST per version (from its amd64 tree), each flavour's `.config` applied: every field equal
/// to GCC's DWARF, no type in error, and `gcc -E` of the target equal to ours token for token.
/// Needs the package archive the first time: `LAYOUT_EXPERT_OTHER_KERNELS=1` (CI sets it when
/// time allows).
#[test]
fn other_series_match_their_gcc_field_for_field() {
    use layout_expert::preprocess::{output, preprocess, skeleton_cache, TargetConfig, View};
    if std::env::var_os("LAYOUT_EXPERT_OTHER_KERNELS").is_none() {
        println!(
            "5.10 and 7.x trees not checked in this run: set LAYOUT_EXPERT_OTHER_KERNELS=1 \
             (CI does when time allows)"
        );
        return;
    }
    let mut trees = Vec::new();
    for (suite, series) in [("bullseye", "5.10"), ("sid", "7")] {
        let k = xtask::compilers::ensure_suite_kernel(suite, series, &["amd64", "cloud-amd64"])
            .unwrap_or_else(|e| panic!("{suite} {series}: {e}"));
        println!("{suite} {series}:\n{}", k.packages);
        let pre_ast = pre_ast_of(&k.flavours[0].1);
        for (flavour, dir) in &k.flavours {
            trees.push((
                format!("{series}-{flavour} ({suite})"),
                Arc::clone(&pre_ast),
                dir.clone(),
            ));
        }
    }
    let cases: Vec<(&str, &Arc<PreAst>, &Path)> =
        trees.iter().map(|(name, p, dir)| (name.as_str(), p, dir.as_path())).collect();
    check(&cases);
    // Token for token: our preprocessor against the tree's own GCC with kbuild's command.
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("other_series_pp");
    std::fs::create_dir_all(&tmp).unwrap();
    let source = tmp.join(BUILTIN_TARGET_NAME);
    std::fs::write(
        &source,
        layout_expert::profile::private_symbols::builtin_target_text(BUILTIN_TARGET),
    )
    .unwrap();
    for (name, pre_ast, dir) in &trees {
        let out = tmp.join("gcc.i");
        oracle::preprocess(dir, &source, &out).unwrap_or_else(|e| panic!("{name}: {e}"));
        let gcc = output::gcc_tokens(&std::fs::read_to_string(&out).unwrap());
        let config =
            ConfigFile::parse_bytes(".config", &std::fs::read(dir.join(".config")).unwrap())
                .unwrap();
        let target = TargetConfig { options: config.options.clone().into() };
        let skel = skeleton_cache(pre_ast);
        let pp = preprocess(pre_ast, &target, &skel, View::Full)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let ours = output::our_tokens(&pp);
        let first = ours.iter().zip(&gcc).position(|(a, b)| a != b);
        assert!(
            first.is_none() && ours.len() == gcc.len(),
            "{name}: ours {} tokens, gcc {}; first difference at {first:?}: {:?} vs {:?}",
            ours.len(),
            gcc.len(),
            first.map(|i| &ours[i.saturating_sub(5)..(i + 5).min(ours.len())]),
            first.map(|i| &gcc[i.saturating_sub(5)..(i + 5).min(gcc.len())]),
        );
        println!("{name}: gcc -E equal token for token ({} tokens)", ours.len());
        // Generated headers new in these series, regenerated from the config: the same macros
        // as kbuild's, whitespace aside.
        let rel = "arch/x86/include/generated/asm/cpufeaturemasks.h";
        if let Some(id) = pre_ast.lookup(&format!("obj/{rel}")) {
            let files = layout_expert::preprocess::PreAstFiles::new(
                pre_ast,
                &target,
                &skel,
                &layout_expert::decl::sizes::EngineSizes,
            );
            let ours = files
                .generated_text(id, layout_expert::pre_ast::GeneratedHeader::CpuFeatureMasks)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let defines = |text: &str| -> Vec<String> {
                let joined = text.replace("\\\n", " ");
                joined
                    .lines()
                    .filter(|l| l.starts_with("#define "))
                    .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                    .collect()
            };
            let shipped = std::fs::read_to_string(dir.join(rel)).unwrap();
            assert_eq!(defines(&ours), defines(&shipped), "{name}: {rel}");
            println!(
                "{name}: {rel} regenerated: {} macros equal kbuild's",
                defines(&shipped).len()
            );
        }
        // Every asm-offsets.h value, from the expressions the pre-AST's unit keeps (from the
        // amd64 tree's copy), under this flavour's config.
        {
            use layout_expert::preprocess::engine::FileProvider;
            let files = layout_expert::preprocess::PreAstFiles::new(
                pre_ast,
                &target,
                &skel,
                &layout_expert::decl::sizes::EngineSizes,
            );
            let shipped =
                std::fs::read_to_string(dir.join("include/generated/asm-offsets.h")).unwrap();
            let entries = layout_expert::preprocess::generated::parse_bounds_h(&shipped);
            assert!(entries.len() > 50, "{name}: {} asm-offsets.h constants", entries.len());
            for e in &entries {
                assert_eq!(
                    files.asm_offset(&e.name).map(i128::from),
                    Ok(e.value),
                    "{name}: {} /* {} */",
                    e.name,
                    e.expr
                );
            }
            println!("{name}: asm-offsets.h: {} values equal kbuild's", entries.len());
        }
    }
}
