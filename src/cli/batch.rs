//! `layout-expert batch`: one profile per kernel configuration, many configurations (and kernel
//! versions) in one run, on one salsa database so that the config-independent work is shared.
//!
//! Each profile is byte for byte what `make-profile` writes for the same inputs; a configuration
//! that fails does not stop the others (the exit status says something failed); every output is
//! written atomically; `DIR/index.json` and a final table summarise the run.

use std::{
    io::{IsTerminal, Write},
    panic::AssertUnwindSafe,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicUsize, Ordering},
        mpsc, Arc,
    },
    time::Instant,
};

use clap::Args;
use layout_expert::{
    db::{Db, RootDatabase},
    pipeline,
    pre_ast::PreAst,
    preprocess::{self, PreAstInput},
    profile::{
        batch_index::{BatchEntry, BatchIndex},
        system_map::SystemMap,
        Format, WriteOptions,
    },
};

use crate::cli::{
    atomic::write_atomically,
    make_profile::{check_version, load_pre_ast, read_config},
};

const BATCH_LONG_ABOUT: &str = "\
Make one profile per kernel configuration in one run. All configurations of one pre-AST share a
database, so what does not depend on the configuration (reading and lowering every header) is done
once. Each profile is byte for byte what make-profile writes for the same inputs, named after its
configuration file (without .gz and .config; a file named just .config takes its directory's
name) plus .json (Rekall), .isf.json (ISF) or .json.xz (ISF, --xz).

A configuration that fails is reported and the others are still written; the exit status is 1 if
any failed. DIR/index.json lists every configuration with its kernel release, types, types in
error, time and error.";

const BATCH_EXAMPLES: &str = "\
Examples:
  # Every flavour of one kernel version, two at a time, as Volatility 3 symbol tables:
  layout-expert batch --out-dir profiles --format isf --jobs 2 --system-map System.map \\
      linux-6.1.pre-ast /boot/config-6.1.0-56-amd64 /boot/config-6.1.0-56-cloud-amd64

  # Many kernel versions: one line per profile, `PRE_AST CONFIG [SYSTEM_MAP] [BANNER]`
  # (`-` for no map when a banner follows; relative paths are relative to the manifest;
  # blank lines and lines starting with # are skipped):
  layout-expert batch --out-dir profiles --manifest profiles.txt";

/// Arguments of `batch`.
#[derive(Debug, Args)]
#[command(
    about = "Make profiles for many kernel configurations in one run (shared work, parallel)",
    long_about = BATCH_LONG_ABOUT,
    after_long_help = BATCH_EXAMPLES
)]
pub struct BatchArgs {
    /// Where to write the profiles and index.json (created if missing).
    #[arg(short = 'o', long = "out-dir", value_name = "DIR")]
    pub out_dir: PathBuf,
    /// `rekall` (default) or `isf` (Volatility 3).
    #[arg(short = 'f', long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// ISF compressed with xz (`.json.xz`); implies --format isf.
    #[arg(long)]
    pub xz: bool,
    /// Configurations processed at the same time (default 1).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 1)]
    pub jobs: usize,
    /// A System.map or /proc/kallsyms for every configuration (a manifest line may name its own).
    #[arg(short = 'm', long = "system-map", value_name = "MAP")]
    pub system_map: Option<PathBuf>,
    /// The kernel banner for every configuration (a manifest line may give its own).
    #[arg(long, value_name = "TEXT")]
    pub banner: Option<String>,
    /// One profile per line: `PRE_AST CONFIG [SYSTEM_MAP] [BANNER]`.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Accept configurations of another kernel version than the pre-AST's (with a warning).
    #[arg(long)]
    pub force: bool,
    /// PRE_AST CONFIG... (without --manifest).
    #[arg(value_name = "PRE_AST CONFIG")]
    pub paths: Vec<PathBuf>,
}

/// Configurations per worker in one round (see `run`): large enough that the pause between
/// rounds costs little, small enough that a round's units fit the queries' `lru` limits.
const ROUND_PER_JOB: usize = 4;

/// One profile to make.
#[derive(Clone, Debug)]
struct Job {
    /// Index into the distinct pre-ASTs.
    pre_ast: usize,
    config: PathBuf,
    /// Index into the distinct symbol maps.
    system_map: Option<usize>,
    banner: Option<String>,
    /// The output file's name inside the output directory.
    output: String,
}

/// What one configuration gave.
struct Outcome {
    kernel_release: Option<String>,
    types: usize,
    types_in_error: usize,
    seconds: f64,
    error: Option<String>,
}

/// Runs the command; the error is the message to print.
pub fn run(args: &BatchArgs, quiet: bool) -> Result<(), String> {
    let format = match (&args.format, args.xz) {
        (Some(f), _) => Format::parse(f).map_err(|e| e.to_string())?,
        (None, true) => Format::Isf,
        (None, false) => Format::Rekall,
    };
    if args.xz && format != Format::Isf {
        return Err(
            "--xz writes Volatility 3 symbol tables: use it with --format isf (or alone)".into()
        );
    }
    if args.jobs == 0 {
        return Err("--jobs must be at least 1".into());
    }
    let extension = match (format, args.xz) {
        (Format::Rekall, _) => ".json",
        (Format::Isf, false) => ".isf.json",
        (Format::Isf, true) => ".json.xz",
    };
    let (pre_ast_paths, map_paths, jobs) = plan(args, extension)?;
    std::fs::create_dir_all(&args.out_dir).map_err(|e| {
        format!("{}: cannot create the output directory: {e}", args.out_dir.display())
    })?;

    // Distinct pre-ASTs, each loaded once and made one salsa input; distinct symbol maps, each
    // read and sorted once. A failure fails only the configurations that use it.
    let db = RootDatabase::default();
    let pre_asts: Vec<Result<(Arc<PreAst>, PreAstInput), String>> = pre_ast_paths
        .iter()
        .map(|path| {
            let pre_ast: Arc<PreAst> = load_pre_ast(path)?.into();
            let input = PreAstInput::from_pre_ast(&db, Arc::clone(&pre_ast));
            Ok((pre_ast, input))
        })
        .collect();
    let maps: Vec<Result<SystemMap, String>> = map_paths
        .iter()
        .map(|path| {
            let map = SystemMap::read(path).map_err(|e| e.to_string())?;
            let _ = map.sorted_unique().len();
            Ok(map)
        })
        .collect();

    let total = jobs.len();
    let progress = BatchProgress::new(quiet, total);
    let mut outcomes: Vec<Option<Outcome>> = (0..total).map(|_| None).collect();
    // Configurations run in rounds; between rounds the workers' database handles are dropped and
    // the database evicts what its queries' `lru` limits allow (whole preprocessed units, autoconf.h
    // skeletons), so memory stays bounded however many configurations there are.
    // The first configuration runs alone: its run fills the file skeletons (on two threads
    // already) and the memo table, so the next ones, in parallel, find them.
    let mut db = db;
    let round = ROUND_PER_JOB * args.jobs;
    let mut bounds = vec![0, 1.min(total)];
    while *bounds.last().unwrap() < total {
        bounds.push((bounds.last().unwrap() + round).min(total));
    }
    for range in bounds.windows(2) {
        let (start, end) = (range[0], range[1]);
        let next = AtomicUsize::new(start);
        let (send, receive) = mpsc::channel::<(usize, Outcome)>();
        std::thread::scope(|scope| {
            for _ in 0..args.jobs.min(end - start) {
                let worker_db = db.fork();
                let send = send.clone();
                let (next, jobs, pre_asts, maps) = (&next, &jobs[..end], &pre_asts, &maps);
                let out_dir = &args.out_dir;
                scope.spawn(move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let t = Instant::now();
                    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        make_one(
                            &*worker_db,
                            job,
                            &pre_asts[job.pre_ast],
                            maps,
                            out_dir,
                            format,
                            args.force,
                        )
                    }));
                    let result = result.unwrap_or_else(|panic| {
                        let what = panic
                            .downcast_ref::<String>()
                            .map(String::as_str)
                            .or_else(|| panic.downcast_ref::<&str>().copied())
                            .unwrap_or("unknown");
                        Err(format!("internal error (please report it): {what}"))
                    });
                    let seconds = t.elapsed().as_secs_f64();
                    let outcome = match result {
                        Ok((kernel_release, types, types_in_error)) => {
                            Outcome { kernel_release, types, types_in_error, seconds, error: None }
                        }
                        Err(error) => Outcome {
                            kernel_release: None,
                            types: 0,
                            types_in_error: 0,
                            seconds,
                            error: Some(error),
                        },
                    };
                    if send.send((i, outcome)).is_err() {
                        break;
                    }
                });
            }
            drop(send);
            for (i, outcome) in receive {
                progress.finished(&jobs[i].output, &outcome);
                outcomes[i] = Some(outcome);
            }
        });
        salsa::Database::trigger_lru_eviction(&mut db);
    }
    progress.clear();

    let entries: Vec<BatchEntry> = jobs
        .iter()
        .zip(outcomes)
        .map(|(job, outcome)| {
            let outcome = outcome.unwrap_or(Outcome {
                kernel_release: None,
                types: 0,
                types_in_error: 0,
                seconds: 0.0,
                error: Some("not run".into()),
            });
            BatchEntry {
                config: job.config.display().to_string(),
                pre_ast: pre_ast_paths[job.pre_ast].display().to_string(),
                output: job.output.clone(),
                kernel_release: outcome.kernel_release.or_else(|| {
                    pre_asts[job.pre_ast]
                        .as_ref()
                        .ok()
                        .map(|(p, _)| p.meta.kernel_release.clone())
                        .filter(|r| !r.is_empty())
                }),
                types: outcome.types,
                types_in_error: outcome.types_in_error,
                seconds: outcome.seconds,
                error: outcome.error,
            }
        })
        .collect();
    let mut index = BatchIndex {
        format: match format {
            Format::Rekall => "rekall".into(),
            Format::Isf => "isf".into(),
        },
        profiles: entries,
        units_run: 0,
        units_replayed: 0,
    };
    for (_, input) in pre_asts.iter().flatten() {
        let (replayed, run) = preprocess::memo::memo_counts(&db, *input);
        index.units_run += run;
        index.units_replayed += replayed;
    }
    write_atomically(&args.out_dir.join("index.json"), index.to_json_text().as_bytes())?;
    if !quiet {
        print_table(&index, progress.start.elapsed().as_secs_f64());
    }
    let failed: Vec<&BatchEntry> = index.profiles.iter().filter(|e| e.error.is_some()).collect();
    for entry in &failed {
        eprintln!(
            "layout-expert: {}: {}",
            entry.config,
            entry.error.as_deref().unwrap_or_default()
        );
    }
    // As in make-profile: the process ends here, freeing the memos piece by piece would only
    // delay the exit.
    std::mem::forget((db, pre_asts, maps));
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("{} of {total} configurations failed (see above and index.json)", failed.len()))
    }
}

/// Makes one profile: (kernel release, types, types in error).
fn make_one(
    db: &dyn Db,
    job: &Job,
    pre_ast: &Result<(Arc<PreAst>, PreAstInput), String>,
    maps: &[Result<SystemMap, String>],
    out_dir: &Path,
    format: Format,
    force: bool,
) -> Result<(Option<String>, usize, usize), String> {
    let (pre_ast, input) = pre_ast.as_ref().map_err(Clone::clone)?;
    let config = read_config(&job.config)?;
    check_version(pre_ast, &config, force)?;
    let map = match job.system_map {
        Some(i) => Some(maps[i].clone()?),
        None => None,
    };
    let out = pipeline::run_input(db, *input, &config, || Ok(map))?;
    let mut model = out.model;
    model.banner = job.banner.clone();
    let options = WriteOptions { format, banner: job.banner.clone() };
    let summary = crate::cli::atomic::write_profile(&model, &out_dir.join(&job.output), &options)
        .map_err(|e| e.to_string())?;
    Ok((model.kernel_release.clone(), summary.types, summary.type_errors))
}

/// The distinct pre-ASTs, the distinct symbol maps and the jobs, from the command line or the
/// manifest; two configurations that would write the same file are an error before any work.
#[allow(clippy::type_complexity)]
fn plan(
    args: &BatchArgs,
    extension: &str,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>, Vec<Job>), String> {
    let mut lines: Vec<(PathBuf, PathBuf, Option<PathBuf>, Option<String>)> = Vec::new();
    match &args.manifest {
        Some(manifest) => {
            if !args.paths.is_empty() {
                return Err("give either --manifest FILE or PRE_AST CONFIG..., not both".into());
            }
            let text = std::fs::read_to_string(manifest)
                .map_err(|e| format!("{}: cannot read the manifest: {e}", manifest.display()))?;
            let base = manifest.parent().unwrap_or(Path::new("")).to_path_buf();
            let at = |p: &str| {
                if Path::new(p).is_absolute() {
                    PathBuf::from(p)
                } else {
                    base.join(p)
                }
            };
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let mut rest = line;
                let mut field = || {
                    let s = rest.trim_start();
                    let end = s.find(char::is_whitespace).unwrap_or(s.len());
                    rest = &s[end..];
                    Some(&s[..end]).filter(|f| !f.is_empty())
                };
                let (Some(pre_ast), Some(config)) = (field(), field()) else {
                    return Err(format!(
                        "{}:{}: expected `PRE_AST CONFIG [SYSTEM_MAP] [BANNER]`",
                        manifest.display(),
                        n + 1
                    ));
                };
                let map = match field() {
                    Some("-") | None => args.system_map.clone(),
                    Some(map) => Some(at(map)),
                };
                let banner = Some(rest.trim().to_owned())
                    .filter(|b| !b.is_empty())
                    .or_else(|| args.banner.clone());
                lines.push((at(pre_ast), at(config), map, banner));
            }
            if lines.is_empty() {
                return Err(format!("{}: the manifest lists no configuration", manifest.display()));
            }
        }
        None => {
            let [pre_ast, configs @ ..] = args.paths.as_slice() else {
                return Err(
                    "give the pre-AST file and one or more CONFIG files (or --manifest FILE)"
                        .into(),
                );
            };
            if configs.is_empty() {
                return Err("give one or more CONFIG files after the pre-AST".into());
            }
            for config in configs {
                lines.push((
                    pre_ast.clone(),
                    config.clone(),
                    args.system_map.clone(),
                    args.banner.clone(),
                ));
            }
        }
    }
    let mut pre_asts: Vec<PathBuf> = Vec::new();
    let mut maps: Vec<PathBuf> = Vec::new();
    let mut jobs: Vec<Job> = Vec::new();
    let index_of = |list: &mut Vec<PathBuf>, p: PathBuf| match list.iter().position(|q| *q == p) {
        Some(i) => i,
        None => {
            list.push(p);
            list.len() - 1
        }
    };
    for (pre_ast, config, map, banner) in lines {
        let output = format!("{}{extension}", output_stem(&config)?);
        if let Some(other) = jobs.iter().find(|j| j.output == output) {
            return Err(format!(
                "{} and {} would both be written to {output}: rename one of the configuration files",
                other.config.display(),
                config.display()
            ));
        }
        jobs.push(Job {
            pre_ast: index_of(&mut pre_asts, pre_ast),
            config,
            system_map: map.map(|m| index_of(&mut maps, m)),
            banner,
            output,
        });
    }
    Ok((pre_asts, maps, jobs))
}

/// A profile's name from its configuration file: without `.gz` and `.config`; a file named just
/// `.config` (a kernel tree's) takes its directory's name.
fn output_stem(config: &Path) -> Result<String, String> {
    let name = config.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let name = name.strip_suffix(".config").unwrap_or(name);
    if !name.is_empty() && name != "." && name != ".." {
        return Ok(name.to_owned());
    }
    let dir = std::path::absolute(config).ok().and_then(|p| {
        p.parent().and_then(|d| d.file_name()).map(|n| n.to_string_lossy().into_owned())
    });
    dir.filter(|d| !d.is_empty()).ok_or_else(|| {
        format!("{}: cannot name a profile after this configuration file", config.display())
    })
}

/// Progress on stderr: a bar on a terminal, one line per configuration otherwise.
struct BatchProgress {
    quiet: bool,
    terminal: bool,
    total: usize,
    done: std::cell::Cell<usize>,
    start: Instant,
}

impl BatchProgress {
    fn new(quiet: bool, total: usize) -> BatchProgress {
        let progress = BatchProgress {
            quiet,
            terminal: std::io::stderr().is_terminal(),
            total,
            done: std::cell::Cell::new(0),
            start: Instant::now(),
        };
        progress.bar();
        progress
    }

    fn finished(&self, output: &str, outcome: &Outcome) {
        self.done.set(self.done.get() + 1);
        if self.quiet {
            return;
        }
        if self.terminal {
            if let Some(error) = &outcome.error {
                eprintln!("\r\x1b[K{output}: failed: {}", error.lines().next().unwrap_or_default());
            }
            self.bar();
        } else {
            let what = match &outcome.error {
                None => format!("{} types, {} in error", outcome.types, outcome.types_in_error),
                Some(error) => format!("failed: {}", error.lines().next().unwrap_or_default()),
            };
            eprintln!(
                "[{}/{}] {output}: {what} ({:.2} s)",
                self.done.get(),
                self.total,
                outcome.seconds
            );
        }
    }

    fn bar(&self) {
        if self.quiet || !self.terminal {
            return;
        }
        const WIDTH: usize = 30;
        let done = self.done.get();
        let filled = WIDTH * done / self.total.max(1);
        let elapsed = self.start.elapsed().as_secs_f64();
        let left = if done == 0 {
            "time left unknown".to_owned()
        } else {
            format!("{:.0} s left", elapsed / done as f64 * (self.total - done) as f64)
        };
        eprint!(
            "\r\x1b[K[{}{}] {done}/{} configs, {left}",
            "=".repeat(filled),
            " ".repeat(WIDTH - filled),
            self.total
        );
        let _ = std::io::stderr().flush();
    }

    fn clear(&self) {
        if !self.quiet && self.terminal {
            eprint!("\r\x1b[K");
        }
    }
}

/// The final table: config, kernel release, types, types in error, time.
fn print_table(index: &BatchIndex, total_secs: f64) {
    let header = ["CONFIG", "KERNEL RELEASE", "TYPES", "IN ERROR", "TIME"];
    let rows: Vec<[String; 5]> = index
        .profiles
        .iter()
        .map(|e| {
            let ok = e.error.is_none();
            [
                e.config.clone(),
                e.kernel_release.clone().unwrap_or_else(|| "-".into()),
                if ok { e.types.to_string() } else { "FAILED".into() },
                if ok { e.types_in_error.to_string() } else { "-".into() },
                format!("{:.2} s", e.seconds),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 5]| {
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let pad = w - cell.chars().count();
            // Text left-aligned, numbers right-aligned.
            if i < 2 {
                out.push_str(cell);
                out.push_str(&" ".repeat(pad));
            } else {
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            }
            out.push_str(if i + 1 < cells.len() { "  " } else { "\n" });
        }
    };
    line(header);
    for row in &rows {
        line([&row[0], &row[1], &row[2], &row[3], &row[4]]);
    }
    let ok = index.profiles.iter().filter(|e| e.error.is_none()).count();
    out.push_str(&format!(
        "preprocessing: {} units run, {} replayed from an earlier configuration that read the same options\n",
        index.units_run, index.units_replayed
    ));
    out.push_str(&format!(
        "{ok} of {} profiles written in {total_secs:.2} s\n",
        index.profiles.len()
    ));
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
}
