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
        cli::Command::Preprocess(a) => cli::preprocess::run(a),
        cli::Command::Explain(a) => cli::explain::run(a, args.quiet),
        cli::Command::Batch(a) => cli::batch::run(a, args.quiet),
    };
    if let Err(message) = result {
        eprintln!("layout-expert: error: {message}");
        std::process::exit(1);
    }
}
