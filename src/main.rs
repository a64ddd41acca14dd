//! The `layout-expert` command line: argument parsing, progress output, exit codes and atomic
//! writes. The engine itself does no I/O.

mod cli;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    let result = match &args.command {
        cli::Command::BuildPreAst(a) => cli::build_pre_ast::run(a, args.quiet),
        cli::Command::MakeProfile(a) => cli::make_profile::run(a, args.quiet),
        cli::Command::Preprocess(a) => preprocess(a),
        cli::Command::Batch(a) => cli::batch::run(a, args.quiet),
    };
    if let Err(message) = result {
        eprintln!("layout-expert: error: {message}");
        std::process::exit(1);
    }
}

/// `layout-expert preprocess`: the engine's own entry point for it lives in the preprocessor.
fn preprocess(args: &cli::PreprocessCliArgs) -> Result<(), String> {
    layout_expert::preprocess::cli::run(&layout_expert::preprocess::cli::PreprocessArgs {
        config_file: args.config_file.clone(),
        pre_ast: args.pre_ast.clone(),
        output: args.output.clone(),
        force: args.force,
    })
}
