//! `layout-expert preprocess --config-file CONFIG PRE_AST [OUTPUT]`: the preprocessed target as
//! `gcc -E` would write it. The lead wires `run` into main.rs's clap structure.

use std::path::{Path, PathBuf};


use crate::config::ConfigFile;
use crate::pre_ast::PreAst;
use crate::preprocess::{dev_tree, output, preprocess, skeleton_cache, TargetConfig, View};

/// The arguments of `preprocess`.
#[derive(Clone, Debug)]
pub struct PreprocessArgs {
    pub config_file: PathBuf,
    /// The pre-AST file; until its format exists, a kernel headers flavour directory.
    pub pre_ast: PathBuf,
    /// Where to write; standard output when absent.
    pub output: Option<PathBuf>,
    /// Accept a config of another kernel version than the pre-AST's.
    pub force: bool,
}

/// Runs the command; the error is the message to print.
pub fn run(args: &PreprocessArgs) -> Result<(), String> {
    let bytes = std::fs::read(&args.config_file)
        .map_err(|e| format!("{}: {e}", args.config_file.display()))?;
    let config = ConfigFile::parse_bytes(&args.config_file.display().to_string(), &bytes)
        .map_err(|e| e.to_string())?;
    let pre_ast = load_pre_ast(&args.pre_ast)?;
    check_version(&pre_ast, &config, args.force)?;
    let text = preprocess_to_text(&pre_ast, &config)?;
    match &args.output {
        Some(path) => write_atomically(path, &text),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(text.as_bytes())
                .map_err(|e| e.to_string())
        }
    }
}

/// Refuses a config of another kernel version (unless forced, then warns), and a config whose
/// compiler we have no data for (`CompilerChoice::check`: clang always, another GCC major unless
/// forced, then warns; `pipeline::run_input` records the warning in the profile's metadata).
pub fn check_version(pre_ast: &PreAst, config: &ConfigFile, force: bool) -> Result<(), String> {
    if !pre_ast.compiler_in_predefined {
        let choice = crate::pre_ast::predefined::choose_for_options(&config.options);
        if let Some(warning) = choice.check(force).map_err(|e| format!("{}: {e}", config.origin))? {
            eprintln!("warning: {}: {warning}", config.origin);
        }
    }
    let want = &pre_ast.meta.kernel_version;
    match &config.version {
        Some(v) if !want.is_empty() && v != want => {
            let msg = format!(
                "{}: the configuration is for Linux {v}, the pre-AST for Linux {want}",
                config.origin
            );
            if force {
                eprintln!("warning: {msg} (--force given, going on)");
                Ok(())
            } else {
                Err(format!("{msg} (use --force to go on anyway)"))
            }
        }
        _ => Ok(()),
    }
}

/// Preprocesses and prints as `gcc -E`.
pub fn preprocess_to_text(pre_ast: &PreAst, config: &ConfigFile) -> Result<String, String> {
    let target = TargetConfig {
        options: config.options.clone().into(),
    };
    let skel = skeleton_cache(pre_ast);
    let pp = preprocess(pre_ast, &target, &skel, View::Full).map_err(|e| e.to_string())?;
    Ok(output::write_gcc_e(&pp))
}

/// Loads a pre-AST. Until the pre-AST file format lands, PRE_AST may be a headers flavour
/// directory, with the built-in probe as target.
pub fn load_pre_ast(path: &Path) -> Result<PreAst, String> {
    if path.is_dir() {
        let predefined = dev_tree::gcc_predefined(dev_tree::kbuild_command(path)?)?;
        return dev_tree::pre_ast_from_flavour(path, "probe.c", PROBE_C, predefined);
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    crate::pre_ast::format::decode(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// The interim target: the headers forensic tools need most.
pub const PROBE_C: &str = "#include <linux/sched.h>\n#include <linux/fs.h>\n#include <linux/mm_types.h>\n#include <net/sock.h>\n#include <linux/module.h>\nstruct task_struct *probe_task;\n";

fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let tmp = path.with_extension("tmp~");
    std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}
