//! Progress and timing on stderr, one line per stage, as the original tool logged them
//! (`LOADING AND PARSING HEADERS ... done in 0.41 s`); silent with `-q`.

use std::io::Write;
use std::time::Instant;

/// Logs stages and notes to stderr unless quiet.
pub struct Progress {
    pub quiet: bool,
    start: Instant,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        Progress { quiet, start: Instant::now() }
    }

    /// Runs one stage, printing its name before and its duration after.
    pub fn stage<T>(&self, name: &str, f: impl FnOnce() -> T) -> T {
        if !self.quiet {
            eprint!("{name} ...");
            let _ = std::io::stderr().flush();
        }
        let t = Instant::now();
        let res = f();
        if !self.quiet {
            eprintln!(" done in {:.2} s", t.elapsed().as_secs_f64());
        }
        res
    }

    /// A line of the summary.
    pub fn note(&self, line: &str) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    /// Seconds since the command started.
    pub fn total_secs(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

/// Bytes as a short human figure (`4.1 MB`).
pub fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KB", n as f64 / (1u64 << 10) as f64),
        n => format!("{n} B"),
    }
}
