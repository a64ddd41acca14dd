//! `layout-expert preprocess --config-file CONFIG PRE_AST [OUTPUT]`: the pre-AST's target
//! preprocessed under the configuration, printed as `gcc -E` would (the `preprocessed_full` query).

use std::io::Write;

use layout_expert::{
    db::RootDatabase,
    input::{KernelConfig, PreAstInput},
    preprocess::{output::write_gcc_e, preprocessed_full},
};

use crate::cli::{
    atomic::write_atomically,
    make_profile::{check_version, load_pre_ast, read_config},
    PreprocessCliArgs,
};

/// Runs the command; the error is the message to print.
pub fn run(args: &PreprocessCliArgs) -> Result<(), String> {
    let config = read_config(&args.config_file)?;
    let pre_ast = load_pre_ast(&args.pre_ast)?;
    check_version(&pre_ast, &config, args.force)?;
    let db = RootDatabase::default();
    let input = PreAstInput::from_pre_ast(&db, pre_ast.into());
    let kconfig =
        KernelConfig::new(&db, config.origin.as_str().into(), config.options.clone().into());
    let pp = preprocessed_full(&db, input, kconfig).map_err(|e| e.to_string())?;
    let text = write_gcc_e(&pp);
    match &args.output {
        Some(path) => write_atomically(path, text.as_bytes()),
        None => std::io::stdout().write_all(text.as_bytes()).map_err(|e| e.to_string()),
    }
}
