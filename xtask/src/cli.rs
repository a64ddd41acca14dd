//! The `cargo xtask` command line: parses the few arguments by hand and calls the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use crate::layout_json::Layouts;
use crate::util::Result;
use crate::{bail, compilers, conformance, custom_config, demo, kernels, oracle, vol_image};

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  demo                    the main job on bundled defaults: unpack the pinned Debian 6.1 headers,
                          build the pre-AST, make Rekall and Volatility 3 profiles (target/demo/)
  kernels                 unpack the pinned Debian kernel header packages into target/kernels/
  suite-kernel SUITE SERIES FLAVOUR...
                          fetch the newest linux-headers-SERIES* of a Debian suite (e.g. bullseye
                          5.10 amd64 cloud-amd64) into target/kernels/SERIES-SUITE/
  compiler-tables [MAJOR]...
                          regenerate src/pre_ast/data/gcc-MAJOR* from the real cpp-MAJOR of its
                          Debian suite (fetched and unpacked under target/compilers/; default:
                          every major of compilers::SUITES)
  oracle --tree DIR [--source-file FILE] [--out FILE] [--gdwarf-4]
                          build FILE as a module against DIR with kbuild + gcc-12, write the
                          layouts from its DWARF as canonical JSON (cached under target/oracle/)
  oracle --preprocess --tree DIR [--source-file FILE] [--out FILE.i]
                          gcc -E of FILE with kbuild's exact flags for DIR
  conformance [--tree DIR]... [--ours FILE]... [--source-file FILE] [--max-differences N]
              [--custom-configs]
  conformance --ours FILE --gcc FILE
                          compare two layout JSON files (exit 1 on any difference)
                          compare layouts (one --ours JSON per --tree) with the oracle's; without
                          --ours, a clearly marked stand-in (the same target with -gdwarf-4) is
                          compared, which tests the harness and the reader, not the engine;
                          default trees: the five Debian trees; --custom-configs adds 6.1
                          tinyconfig, defconfig, allnoconfig, randconfig:1..3 (slow the first time)
  custom-config --config tinyconfig|defconfig|allnoconfig|randconfig:SEED [--version 6.1]
                          [--source-file FILE] [--no-oracle]
                          prepare target/custom-config/<version>-<config>/ from linux-source
                          (forcing on what a module build needs), then run the oracle on it

  vol-image [--kaslr] [--nokaslr]
                          boot Debian's 6.1.0-56-amd64 in QEMU (TCG) with a busybox guest and dump
                          its memory through QMP (cached under target/vol-image/ by content);
                          default: both KASLR modes
  vol-compare [--exe FILE] [--kernel-source SRC] [--label NAME] [--kaslr] [--nokaslr]
              [--plugin NAME]... [--out FILE]
                          run Volatility 3's Linux plugins on those images with dwarf2json's ISF
                          and with ours (FILE's build-pre-ast + make-profile, default
                          target/release/layout-expert) and print the plugin-by-plugin table;
                          exit 1 when a plugin that works with dwarf2json's differs

DIR may also be the name of an unpacked Debian tree: 6.1-amd64, 6.1-cloud-amd64, 6.1-rt-amd64,
6.12-amd64, 6.12-cloud-amd64. FILE defaults to targets/forensics.c when it exists.
";

/// Runs the task named by `args[0]`.
pub fn run(args: &[String]) -> Result<ExitCode> {
    let Some((task, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return Ok(ExitCode::from(2));
    };
    match task.as_str() {
        "kernels" => {
            no_args(rest)?;
            kernels_task()
        }
        "oracle" => oracle_task(rest),
        "suite-kernel" => {
            let [suite, series, flavours @ ..] = rest else {
                bail!("usage: cargo xtask suite-kernel SUITE SERIES FLAVOUR...\n{USAGE}");
            };
            let flavours: Vec<&str> = flavours.iter().map(String::as_str).collect();
            let k = compilers::ensure_suite_kernel(suite, series, &flavours)?;
            for (f, dir) in &k.flavours {
                println!("{f}: {}", dir.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        "compiler-tables" => {
            let majors: Vec<u32> = if rest.is_empty() {
                compilers::majors()
            } else {
                rest.iter()
                    .map(|m| {
                        m.parse()
                            .map_err(|_| crate::format_err!("`{m}` is not a GCC major release"))
                    })
                    .collect::<Result<_>>()?
            };
            compilers::write_tables(&majors)?;
            Ok(ExitCode::SUCCESS)
        }
        "conformance" => conformance_task(rest),
        "custom-config" => custom_config_task(rest),
        "vol-image" => vol_image_task(rest),
        "vol-compare" => vol_compare_task(rest),
        "demo" => {
            no_args(rest)?;
            demo::run()?;
            Ok(ExitCode::SUCCESS)
        }
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => bail!("unknown task `{other}`\n{USAGE}"),
    }
}

fn no_args(rest: &[String]) -> Result<()> {
    if let Some(arg) = rest.first() {
        bail!("unexpected argument `{arg}`");
    }
    Ok(())
}

fn kernels_task() -> Result<ExitCode> {
    let start = Instant::now();
    kernels::ensure_kernels(&mut |kernel, action| match action {
        kernels::Action::UpToDate => {
            println!("kernels: {} up to date (stamp matches)", kernel.prefix)
        }
        kernels::Action::Unpacked { from } => println!(
            "kernels: {} unpacked {} packages from {} (SHA-256 checked)",
            kernel.prefix,
            kernel.packages.len(),
            from.display()
        ),
        kernels::Action::Substituted { used } => {
            println!(
                "kernels: {} unpacked the archive's current packages instead of the pins:",
                kernel.prefix
            );
            for u in used {
                println!("  {}={} for {} (SHA-256 {})", u.name, u.version, u.pinned, u.sha256);
            }
        }
    })?;
    for tree in kernels::trees_in(&kernels::cache_dir()) {
        println!("{:<18} {}", tree.name, tree.path.display());
    }
    println!("kernels: done in {:.2} s", start.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

/// Parsed `--flag value` and `--switch` arguments.
struct Args {
    values: Vec<(String, String)>,
    switches: Vec<String>,
}

impl Args {
    /// Parses `rest`, accepting the given value flags and switches only.
    fn parse(rest: &[String], value_flags: &[&str], switch_flags: &[&str]) -> Result<Args> {
        let mut args = Args { values: Vec::new(), switches: Vec::new() };
        let mut it = rest.iter();
        while let Some(arg) = it.next() {
            let (flag, inline_value) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
                _ => (arg.as_str(), None),
            };
            if value_flags.contains(&flag) {
                let value = match inline_value {
                    Some(v) => v,
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| crate::format_err!("{flag} needs a value"))?,
                };
                args.values.push((flag.to_owned(), value));
            } else if switch_flags.contains(&flag) && inline_value.is_none() {
                args.switches.push(flag.to_owned());
            } else {
                bail!("unexpected argument `{arg}`\n{USAGE}");
            }
        }
        Ok(args)
    }

    fn all(&self, flag: &str) -> Vec<&str> {
        self.values.iter().filter(|(f, _)| f == flag).map(|(_, v)| v.as_str()).collect()
    }

    fn one(&self, flag: &str) -> Result<Option<&str>> {
        let all = self.all(flag);
        if all.len() > 1 {
            bail!("{flag} given more than once");
        }
        Ok(all.first().copied())
    }

    fn switch(&self, flag: &str) -> bool {
        self.switches.iter().any(|s| s == flag)
    }
}

/// A `--tree` value: a directory, or the name of an unpacked Debian tree (unpacking it if needed).
fn resolve_tree(value: &str) -> Result<PathBuf> {
    let path = PathBuf::from(value);
    if path.is_dir() {
        return Ok(path);
    }
    if let Some(tree) =
        kernels::trees_in(&kernels::cache_dir()).into_iter().find(|t| t.name == value)
    {
        kernels::ensure_kernels(&mut |_, _| {})?;
        return Ok(tree.path);
    }
    bail!("--tree {value}: no such directory, and not one of the Debian tree names")
}

fn source_arg(args: &Args) -> Result<PathBuf> {
    match args.one("--source-file")? {
        Some(file) => Ok(PathBuf::from(file)),
        None => oracle::default_source().ok_or_else(|| {
            crate::format_err!(
                "--source-file is required until the built-in target targets/forensics.c exists"
            )
        }),
    }
}

fn oracle_task(rest: &[String]) -> Result<ExitCode> {
    let args =
        Args::parse(rest, &["--tree", "--source-file", "--out"], &["--preprocess", "--gdwarf-4"])?;
    let tree =
        resolve_tree(args.one("--tree")?.ok_or_else(|| crate::format_err!("--tree is required"))?)?;
    let source = source_arg(&args)?;
    let out = args.one("--out")?.map(PathBuf::from);
    if args.switch("--preprocess") {
        let start = Instant::now();
        let out = match out {
            Some(out) => out,
            None => {
                let stem = source
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                crate::util::target_dir().join("oracle").join(format!("{stem}.i"))
            }
        };
        let command = oracle::preprocess(&tree, &source, &out)?;
        println!("oracle: preprocessed {} against {}", source.display(), tree.display());
        println!("oracle: command (run in the tree directory): {command}");
        println!("oracle: wrote {} in {:.2} s", out.display(), start.elapsed().as_secs_f64());
        return Ok(ExitCode::SUCCESS);
    }
    let extra_cflags =
        if args.switch("--gdwarf-4") { vec!["-gdwarf-4".to_owned()] } else { Vec::new() };
    let outcome = oracle::run(&oracle::Request { tree, source, extra_cflags })?;
    let layouts = &outcome.layouts;
    if let Some(out) = &out {
        crate::util::write(out, layouts.to_json())?;
    }
    println!("oracle: tree     {}", layouts.tree);
    println!("oracle: source   {}", layouts.source);
    println!("oracle: gcc      {}", layouts.gcc_version);
    println!("oracle: command  {}", layouts.command);
    println!(
        "oracle: {} records, {} fields, {} enums, {} typedefs (DWARF {})",
        layouts.records.len(),
        layouts.field_count(),
        layouts.enums.len(),
        layouts.typedefs.len(),
        layouts.dwarf_version.unwrap_or(0)
    );
    println!("oracle: json     {}", out.as_ref().unwrap_or(&outcome.cache_file).display());
    if outcome.cached {
        println!("oracle: from cache in {:.3} s (delete the file to recompile)", outcome.seconds);
    } else {
        println!(
            "oracle: compiled and read in {:.2} s (kbuild compile {:.2} s, DWARF read {:.3} s)",
            outcome.seconds, outcome.compile_seconds, outcome.read_seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn conformance_task(rest: &[String]) -> Result<ExitCode> {
    let args = Args::parse(
        rest,
        &["--tree", "--ours", "--gcc", "--source-file", "--max-differences"],
        &["--custom-configs"],
    )?;
    let max_differences = match args.one("--max-differences")? {
        Some(n) => {
            n.parse().map_err(|_| crate::format_err!("--max-differences {n}: not a number"))?
        }
        None => 20,
    };
    // Two files: compare them without building anything.
    if let Some(gcc_file) = args.one("--gcc")? {
        let ours_file =
            args.one("--ours")?.ok_or_else(|| crate::format_err!("--gcc needs --ours"))?;
        if !args.all("--tree").is_empty() || args.switch("--custom-configs") {
            bail!("--gcc compares two files; it takes no --tree or --custom-configs");
        }
        let ours = Layouts::from_json(
            &crate::util::read_to_string(std::path::Path::new(ours_file))?,
            ours_file,
        )?;
        let gcc = Layouts::from_json(
            &crate::util::read_to_string(std::path::Path::new(gcc_file))?,
            gcc_file,
        )?;
        // The tree's directory name (e.g. `linux-headers-6.1.0-56-amd64`), else the file name.
        let shown = if gcc.tree.is_empty() { gcc_file } else { gcc.tree.as_str() };
        let name = std::path::Path::new(shown)
            .file_name()
            .map_or_else(|| shown.to_owned(), |n| n.to_string_lossy().into_owned());
        let reports =
            [conformance::TreeReport { tree: name, report: conformance::compare(&ours, &gcc) }];
        print!("{}", conformance::render(&reports, max_differences));
        return Ok(if reports[0].report.is_clean() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let mut trees: Vec<(String, PathBuf)> = if args.all("--tree").is_empty() {
        kernels::debian_trees()?.into_iter().map(|t| (t.name, t.path)).collect()
    } else {
        args.all("--tree")
            .into_iter()
            .map(|t| Ok((t.to_owned(), resolve_tree(t)?)))
            .collect::<Result<_>>()?
    };
    if args.switch("--custom-configs") {
        for config in custom_config::SUITE {
            let prepared = custom_config::prepare("6.1", *config)?;
            trees.push((format!("6.1-{}", config.dir_name()), prepared.dir));
        }
    }
    let ours_files = args.all("--ours");
    if !ours_files.is_empty() && ours_files.len() != trees.len() {
        bail!("give one --ours per tree ({} trees, {} --ours)", trees.len(), ours_files.len());
    }
    let source = match args.one("--source-file")? {
        Some(file) => PathBuf::from(file),
        None => match oracle::default_source() {
            Some(path) => path,
            None => {
                let probe = crate::util::repo_root().join("xtask/fixtures/probe.c");
                println!(
                    "conformance: targets/forensics.c does not exist yet; using {}",
                    probe.display()
                );
                probe
            }
        },
    };
    if ours_files.is_empty() {
        println!("conformance: STAND-IN MODE: \"ours\" is the same target compiled with -gdwarf-4, not layout-expert");
    }
    let start = Instant::now();
    let mut reports = Vec::new();
    for (i, (name, path)) in trees.iter().enumerate() {
        let (ours, gcc) = match ours_files.get(i) {
            Some(file) => {
                let text = crate::util::read_to_string(std::path::Path::new(file))?;
                let ours = Layouts::from_json(&text, file)?;
                let gcc = oracle::run(&oracle::Request {
                    tree: path.clone(),
                    source: source.clone(),
                    extra_cflags: Vec::new(),
                })?;
                (ours, gcc.layouts)
            }
            None => conformance::stand_in(path, &source)?,
        };
        reports.push(conformance::TreeReport {
            tree: name.clone(),
            report: conformance::compare(&ours, &gcc),
        });
    }
    print!("{}", conformance::render(&reports, max_differences));
    println!("conformance: {} trees in {:.2} s", reports.len(), start.elapsed().as_secs_f64());
    if reports.iter().all(|r| r.report.is_clean()) {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::FAILURE)
    }
}

fn custom_config_task(rest: &[String]) -> Result<ExitCode> {
    let args = Args::parse(rest, &["--config", "--version", "--source-file"], &["--no-oracle"])?;
    let configs = args.all("--config");
    if configs.is_empty() {
        bail!("--config is required");
    }
    let version = args.one("--version")?.unwrap_or("6.1");
    for text in configs {
        let config = custom_config::Config::parse(text)?;
        let start = Instant::now();
        let prepared = custom_config::prepare(version, config)?;
        println!("custom-config: {version} {text}: tree {}", prepared.dir.display());
        println!("custom-config:   source {}", prepared.source_dir.display());
        for (step, seconds) in &prepared.timings {
            println!("custom-config:   {step}: {seconds:.1} s");
        }
        if prepared.up_to_date {
            println!("custom-config:   already prepared (stamp matches)");
        }
        if prepared.changes.is_empty() {
            println!(
                "custom-config:   forced options ({}) were already on",
                custom_config::FORCED_OPTIONS.join(", ")
            );
        }
        for change in &prepared.changes {
            println!("custom-config:   forced {change}");
        }
        println!("custom-config:   prepared in {:.1} s", start.elapsed().as_secs_f64());
        if args.switch("--no-oracle") {
            continue;
        }
        let source = match args.one("--source-file")? {
            Some(file) => PathBuf::from(file),
            None => oracle::default_source()
                .unwrap_or_else(|| crate::util::repo_root().join("xtask/fixtures/probe.c")),
        };
        let outcome = oracle::run(&oracle::Request {
            tree: prepared.dir.clone(),
            source,
            extra_cflags: Vec::new(),
        })?;
        println!(
            "custom-config:   oracle: {} records, {} fields, {} enums in {:.2} s{} ({})",
            outcome.layouts.records.len(),
            outcome.layouts.field_count(),
            outcome.layouts.enums.len(),
            outcome.seconds,
            if outcome.cached { " (cached)" } else { "" },
            outcome.cache_file.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The KASLR modes asked for (`--kaslr`, `--nokaslr`; neither: both, nokaslr first).
fn kaslr_modes(args: &Args) -> Vec<bool> {
    match (args.switch("--nokaslr"), args.switch("--kaslr")) {
        (true, false) => vec![false],
        (false, true) => vec![true],
        _ => vec![false, true],
    }
}

fn vol_image_task(rest: &[String]) -> Result<ExitCode> {
    let args = Args::parse(rest, &[], &["--kaslr", "--nokaslr"])?;
    for kaslr in kaslr_modes(&args) {
        let start = Instant::now();
        let dump = vol_image::ensure_dump(kaslr)?;
        println!(
            "vol-image: {} {} ({:.1} s)",
            if kaslr { "KASLR" } else { "nokaslr" },
            dump.image.display(),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn vol_compare_task(rest: &[String]) -> Result<ExitCode> {
    let args = Args::parse(
        rest,
        &["--exe", "--kernel-source", "--label", "--plugin", "--out"],
        &["--kaslr", "--nokaslr"],
    )?;
    let exe = args
        .one("--exe")?
        .map_or_else(|| crate::util::target_dir().join("release/layout-expert"), PathBuf::from);
    let ours = vol_image::OurIsf {
        exe,
        kernel_source: args.one("--kernel-source")?.map(PathBuf::from),
        label: args.one("--label")?.unwrap_or("own").to_owned(),
    };
    let only: Vec<String> = args.all("--plugin").into_iter().map(str::to_owned).collect();
    let mut comparisons = Vec::new();
    for kaslr in kaslr_modes(&args) {
        let dump = vol_image::ensure_dump(kaslr)?;
        comparisons.push(vol_image::compare(&dump, &ours, &only, &mut |line| eprintln!("{line}"))?);
    }
    let mut report = String::new();
    if let Some(first) = comparisons.first() {
        report.push_str(&format!("banner: {:?}\nour ISF:\n", first.banner));
        for command in &first.commands {
            report.push_str(&format!("  {command}\n"));
        }
    }
    report.push_str(&vol_image::table(&comparisons));
    print!("{report}");
    if let Some(out) = args.one("--out")? {
        crate::util::write(std::path::Path::new(out), &report)?;
    }
    let all_same = comparisons.iter().all(|c| {
        let (same, working) = c.score();
        same == working
    });
    Ok(if all_same { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
