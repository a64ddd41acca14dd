//! The `cargo xtask` command line: parses the few arguments by hand and calls the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use crate::util::Result;
use crate::{bail, kernels};

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  kernels                 unpack the pinned Debian kernel header packages into target/kernels/
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
        kernels::Action::UpToDate => println!("kernels: {} up to date (stamp matches)", kernel.prefix),
        kernels::Action::Unpacked { from } => println!(
            "kernels: {} unpacked {} packages from {} (SHA-256 checked)",
            kernel.prefix,
            kernel.packages.len(),
            from.display()
        ),
    })?;
    for tree in kernels::trees_in(&kernels::cache_dir()) {
        println!("{:<18} {}", tree.name, tree.path.display());
    }
    println!("kernels: done in {:.2} s", start.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

#[allow(dead_code)]
fn path_arg(value: Option<&String>, flag: &str) -> Result<PathBuf> {
    match value {
        Some(v) => Ok(PathBuf::from(v)),
        None => bail!("{flag} needs a value"),
    }
}
