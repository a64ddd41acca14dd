//! Development tasks, run as `cargo xtask <task>` (the cargo-xtask convention).

fn main() {
    eprintln!("cargo xtask: no tasks yet");
    std::process::exit(2);
}
