//! `layout-expert make-profile`: a pre-AST and a kernel config in, a Rekall profile or a
//! Volatility 3 symbol table out. Also live mode, where everything is found on the running system.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use layout_expert::{
    config::ConfigFile,
    db::RootDatabase,
    pipeline,
    pre_ast::{format, PreAst},
    profile::{banner, live, system_map::SystemMap, Format, WriteOptions},
};

use crate::cli::{
    atomic::{write_atomically, write_profile},
    progress::Progress,
    MakeProfileArgs,
};

/// Runs the command; the error is the message to print.
pub fn run(args: &MakeProfileArgs, quiet: bool) -> Result<(), String> {
    let progress = Progress::new(quiet);
    let mut warnings = Vec::new();
    // Where each input comes from: the command line, or the running system in live mode.
    let (pre_ast_path, config_path, mut symbol_map, mut banner_text) = if args.live {
        let root = args.root.clone().unwrap_or_else(|| PathBuf::from("/"));
        let dir = args.pre_ast_dir.as_ref().ok_or(
            "--live needs --pre-ast-dir DIR, the directory holding one pre-AST per kernel version",
        )?;
        let found = live::discover(&root, dir).map_err(|e| e.to_string())?;
        warnings.extend(found.warnings);
        let config = args.config_file.clone().unwrap_or(found.config);
        (found.pre_ast, config, Some(found.symbol_map), found.banner)
    } else {
        if args.paths.len() != 2 {
            return Err(
                "give the pre-AST file and the OUTPUT file (or use --live with only OUTPUT)".into(),
            );
        }
        let pre_ast = args.paths[0].clone();
        let config = args.config_file.clone().ok_or(
            "give the kernel configuration with --config-file (a .config or /proc/config.gz)",
        )?;
        (pre_ast, config, None, None)
    };
    let output = match (args.live, args.paths.as_slice()) {
        (true, [output]) | (false, [_, output]) => output.clone(),
        (true, _) => {
            return Err(
                "with --live, give only the OUTPUT file (the pre-AST comes from --pre-ast-dir)"
                    .into(),
            )
        }
        (false, _) => return Err("give the pre-AST file and the OUTPUT file".into()),
    };
    let format = match &args.format {
        Some(f) => Format::parse(f).map_err(|e| e.to_string())?,
        None if output.to_string_lossy().ends_with(".json.xz") => Format::Isf,
        None => Format::Rekall,
    };

    let pre_ast: Arc<PreAst> =
        progress.stage("LOADING PRE-AST", || load_pre_ast(&pre_ast_path))?.into();
    let config = read_config(&config_path)?;
    check_version(&pre_ast, &config, args.force)?;
    if let Some(text) = &args.banner {
        banner_text = Some(text.clone());
    }
    if let Some(image) = &args.banner_from_image {
        let found = progress.stage("SCANNING IMAGE FOR BANNER", || {
            banner::scan_image(image, &pre_ast.meta.kernel_release)
        });
        banner_text = Some(found.map_err(|e| e.to_string())?);
    }

    let db = RootDatabase::default();
    // The symbol map (~100k lines) is read and sorted on a second thread while the engine runs;
    // the engine asks for it only once the layouts are done.
    let out = std::thread::scope(|scope| {
        let reading = args.system_map.as_ref().map(|path| {
            scope.spawn(move || {
                let map = SystemMap::read(path).map_err(|e| e.to_string())?;
                // Sorting by name is the costly part of what both writers need; do it here.
                let _ = map.sorted_unique().len();
                Ok::<_, String>(map)
            })
        });
        pipeline::run(&db, &pre_ast, &config, || match reading {
            Some(handle) => {
                handle.join().map_err(|_| "reading the symbol map failed".to_owned())?.map(Some)
            }
            None => Ok(symbol_map.take()),
        })
    })?;
    for (stage, secs) in &out.stages {
        progress.note(&format!("{stage} ... done in {secs:.2} s"));
    }
    if let Some(path) = &args.layouts_json {
        let text = layout_expert::profile::layout_json::to_json_text(&out.layouts);
        write_atomically(path, text.as_bytes())?;
    }
    let mut model = out.model;
    model.banner = banner_text.clone();
    let summary = progress.stage("GENERATING", || {
        write_profile(&model, &output, &WriteOptions { format, banner: banner_text })
    });
    let summary = summary?;
    warnings.extend(summary.warnings.iter().cloned());
    progress.note(&format!(
        "{} tokens; exported {} types, {} symbols; {} types in error; {} problems; {} bytes written to {} in {:.2} s",
        out.tokens,
        summary.types,
        summary.symbols,
        summary.type_errors,
        out.problems.len(),
        summary.bytes,
        output.display(),
        progress.total_secs()
    ));
    for error in &model.errors {
        progress.note(&format!("type in error: {}: {}", error.name, error.reason));
    }
    for problem in out.problems.iter().take(20) {
        progress.note(&format!("problem: {problem}"));
    }
    if out.problems.len() > 20 {
        progress.note(&format!("… and {} more problems", out.problems.len() - 20));
    }
    for warning in &warnings {
        progress.note(&format!("warning: {warning}"));
    }
    // The process ends here: freeing the memoized translation unit, the model and the pre-AST
    // piece by piece (a few hundred MB of small allocations) would only delay the exit.
    std::mem::forget((db, pre_ast, model, out.layouts));
    Ok(())
}

/// Reads a pre-AST file.
pub(crate) fn load_pre_ast(path: &Path) -> Result<PreAst, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    format::decode(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a `.config` or `/proc/config.gz`.
pub(crate) fn read_config(path: &Path) -> Result<ConfigFile, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    ConfigFile::parse_bytes(&path.display().to_string(), &bytes).map_err(|e| e.to_string())
}

/// Refuses a config of another kernel version than the pre-AST's (unless forced, then warns), and
/// a config whose compiler we have no data for (`CompilerChoice::check`: clang always, another GCC
/// major unless forced, then warns; `pipeline::run_input` records the warning in the profile's
/// metadata).
pub(crate) fn check_version(
    pre_ast: &PreAst,
    config: &ConfigFile,
    force: bool,
) -> Result<(), String> {
    if !pre_ast.compiler_in_predefined {
        let choice = layout_expert::pre_ast::predefined::choose_for_options(&config.options);
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

#[cfg(test)]
mod tests {
    use layout_expert::{
        config::ConfigFile,
        pre_ast::{Metadata, PreAst},
    };

    #[test]
    fn a_config_of_another_version_is_refused_unless_forced() {
        let mut pre_ast = PreAst::new(Metadata::default(), Vec::new(), Vec::new());
        pre_ast.meta.kernel_version = "6.1.192".into();
        let other = ConfigFile::parse(
            "my.config",
            "# Linux/x86 6.12.117 Kernel Configuration\nCONFIG_X=y\nCONFIG_GCC_VERSION=120200\n",
        )
        .unwrap();
        let err = super::check_version(&pre_ast, &other, false).unwrap_err();
        assert_eq!(
            err,
            "my.config: the configuration is for Linux 6.12.117, the pre-AST for Linux 6.1.192 (use --force to go on anyway)"
        );
        assert!(super::check_version(&pre_ast, &other, true).is_ok());
    }
}
