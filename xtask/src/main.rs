//! `cargo xtask <task>`: the command-line front end of the xtask library (the cargo-xtask
//! convention). Arguments are parsed by hand to keep xtask cheap to compile.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match xtask::cli::run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
