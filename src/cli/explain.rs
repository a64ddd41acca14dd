//! `layout-expert explain`: types of one kernel configuration in pahole's format.

use std::{path::PathBuf, sync::Arc};

use clap::Args;
use layout_expert::{
    db::RootDatabase,
    explain::{diff, Unit},
    preprocess::PreAstInput,
    profile::{explain_json, live},
};

use crate::cli::{
    make_profile::{check_version, load_pre_ast, read_config},
    progress::Progress,
};

const EXPLAIN_LONG_ABOUT: &str = "\
Show structs and unions laid out under a kernel configuration, in pahole's format (`pahole -C
TYPE` on an object GCC built with that configuration prints the same lines): each member's offset
and size, bit positions, holes, cacheline boundaries, forced alignments and the summary. TYPE is a
tag (task_struct), `struct NAME`, `union NAME` or a typedef name.";

/// Arguments of `explain`.
#[derive(Debug, Args)]
#[command(about = "Show types as pahole does, for a kernel config", long_about = EXPLAIN_LONG_ABOUT)]
pub struct ExplainArgs {
    /// The kernel configuration: a .config file or /proc/config.gz.
    #[arg(short = 'c', long = "config-file", value_name = "CONFIG")]
    pub config_file: Option<PathBuf>,
    /// Annotate with `//` comments: where each member is declared (file:line, macros), the
    /// `#if` chain that kept it, what each hole, padding and forced alignment is due to, and the
    /// members this configuration removed (with the options that would bring them back).
    #[arg(long)]
    pub why: bool,
    /// Compare each type with its layout under another configuration: members in one only (and
    /// the options deciding them), moved members, and the options behind the size change.
    #[arg(long, value_name = "OTHER")]
    pub diff_config: Option<PathBuf>,
    /// Write JSON (schema `layout-expert-explain/1`, see the README) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Accept a config of another kernel version than the pre-AST's, or one built by a GCC
    /// release we ship no data for (the nearest is used; warns).
    #[arg(long)]
    pub force: bool,
    /// Live mode: the running system's config and the pre-AST for its release.
    #[arg(long)]
    pub live: bool,
    /// Live mode: the directory with one pre-AST per kernel release.
    #[arg(long, value_name = "DIR")]
    pub pre_ast_dir: Option<PathBuf>,
    /// Live mode: the root of the system to read (default /).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// PRE_AST TYPE...; with --live only TYPE...
    #[arg(value_name = "PRE_AST TYPE", num_args = 1.., required = true)]
    pub args: Vec<String>,
}

/// Runs the command; the error is the message to print.
pub fn run(args: &ExplainArgs, quiet: bool) -> Result<(), String> {
    let progress = Progress::new(quiet);
    let (pre_ast_path, config_path, types) = if args.live {
        let root = args.root.clone().unwrap_or_else(|| PathBuf::from("/"));
        let dir = args.pre_ast_dir.as_ref().ok_or("--live needs --pre-ast-dir DIR")?;
        let found = live::discover(&root, dir).map_err(|e| e.to_string())?;
        let config = args.config_file.clone().unwrap_or(found.config);
        (found.pre_ast, config, &args.args[..])
    } else {
        let [pre_ast, types @ ..] = &args.args[..] else {
            unreachable!("clap requires one argument")
        };
        let config = args.config_file.clone().ok_or(
            "give the kernel configuration with --config-file (a .config or /proc/config.gz)",
        )?;
        (PathBuf::from(pre_ast), config, types)
    };
    if types.is_empty() {
        return Err("give at least one TYPE to explain (e.g. task_struct)".into());
    }
    let pre_ast: Arc<_> = progress.stage("LOADING PRE-AST", || load_pre_ast(&pre_ast_path))?.into();
    let config = read_config(&config_path)?;
    check_version(&pre_ast, &config, args.force)?;
    let db = RootDatabase::default();
    let input = PreAstInput::from_pre_ast(&db, Arc::clone(&pre_ast));
    let unit = progress.stage("PREPROCESSING", || Unit::new_in(&db, input, &config))?;
    let other = match &args.diff_config {
        Some(path) => {
            let other_config = read_config(path)?;
            check_version(&pre_ast, &other_config, args.force)?;
            Some(
                progress
                    .stage("PREPROCESSING OTHER", || Unit::new_in(&db, input, &other_config))?,
            )
        }
        None => None,
    };
    if args.json {
        let (mut docs, mut errors) = (Vec::new(), Vec::new());
        for name in types {
            let doc = match &other {
                Some(other) => diff::diff(&unit, other, name).map(|d| explain_json::diff_value(&d)),
                None => explain_json::type_value(&unit, name),
            };
            match doc {
                Ok(doc) => docs.push(doc),
                Err(e) => errors.push((name.clone(), e.to_string())),
            }
        }
        let label = config_path.display().to_string();
        let other_label = args.diff_config.as_ref().map(|p| p.display().to_string());
        let failed = !errors.is_empty();
        let messages: Vec<String> = errors.iter().map(|(_, e)| e.clone()).collect();
        print!("{}", explain_json::document(&label, other_label.as_deref(), docs, errors));
        std::mem::forget((db, pre_ast, unit, other));
        return match failed {
            false => Ok(()),
            true => Err(messages.join("\nlayout-expert: error: ")),
        };
    }
    let mut failed = Vec::new();
    let mut out = String::new();
    if let Some(path) = &args.diff_config {
        out.push_str(&format!(
            "CONFIG is {}, OTHER is {}\n\n",
            config_path.display(),
            path.display()
        ));
    }
    for name in types {
        let text = match &other {
            Some(other) => {
                diff::diff(&unit, other, name).map(|d| diff::render(&d, "CONFIG", "OTHER"))
            }
            None => unit.text(name, args.why),
        };
        match text {
            Ok(text) => {
                out.push_str(&text);
                out.push('\n');
            }
            Err(e) => failed.push(e.to_string()),
        }
    }
    print!("{out}");
    std::mem::forget((db, pre_ast, unit, other));
    match failed.len() {
        0 => Ok(()),
        _ => Err(failed.join("\nlayout-expert: error: ")),
    }
}
