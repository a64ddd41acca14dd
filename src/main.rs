//! The `layout-expert` command line: argument parsing, progress output, exit codes and atomic
//! writes. The engine itself does no I/O.

fn main() {
    eprintln!("layout-expert: not yet implemented");
    std::process::exit(2);
}
