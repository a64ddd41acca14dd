//! Shared plumbing for the xtask modules: the error type, where the repository and its `target/`
//! directory are, running external commands (with their output in the error), and SHA-256 through
//! the system's `sha256sum`, so that xtask needs no hashing crate.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// An xtask error: a message that names the file or command involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// The result type of every fallible xtask function.
pub type Result<T> = std::result::Result<T, Error>;

/// Builds an [`Error`] from a format string.
#[macro_export]
macro_rules! format_err {
    ($($arg:tt)*) => { $crate::util::Error(format!($($arg)*)) };
}

/// Returns early with an [`Error`] built from a format string.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => { return Err($crate::format_err!($($arg)*)) };
}

/// The workspace root (the parent of the xtask crate).
pub fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` when set, else `<repo>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                repo_root().join(dir)
            }
        }
        _ => repo_root().join("target"),
    }
}

/// Runs a command to completion, capturing its output; a non-zero exit is an error that shows the
/// command and the end of its standard error.
pub fn run(cmd: &mut Command) -> Result<Output> {
    let shown = show_command(cmd);
    let output =
        cmd.stdin(Stdio::null()).output().map_err(|e| format_err!("cannot run `{shown}`: {e}"))?;
    if !output.status.success() {
        bail!(
            "`{shown}` failed ({}):\n{}{}",
            output.status,
            tail(&String::from_utf8_lossy(&output.stdout), 20),
            tail(&String::from_utf8_lossy(&output.stderr), 40)
        );
    }
    Ok(output)
}

/// Runs a command and returns its standard output as text.
pub fn run_stdout(cmd: &mut Command) -> Result<String> {
    let output = run(cmd)?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The command line of `cmd`, for messages.
pub fn show_command(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().into_owned()];
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

/// The SHA-256 digests (lowercase hex) of the given files, in order.
pub fn sha256_files(paths: &[PathBuf]) -> Result<Vec<String>> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let text = run_stdout(Command::new("sha256sum").args(paths))?;
    let digests: Vec<String> =
        text.lines().filter_map(|l| l.split_whitespace().next()).map(str::to_owned).collect();
    if digests.len() != paths.len() {
        bail!("sha256sum printed {} digests for {} files", digests.len(), paths.len());
    }
    Ok(digests)
}

/// The SHA-256 digest (lowercase hex) of `data`.
pub fn sha256_bytes(data: &[u8]) -> Result<String> {
    use std::io::Write;
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format_err!("cannot run sha256sum: {e}"))?;
    let mut stdin = child.stdin.take().ok_or_else(|| format_err!("sha256sum has no stdin"))?;
    // Write from a thread so that a large input cannot deadlock against the output pipe.
    let data = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let output = child.wait_with_output().map_err(|e| format_err!("sha256sum: {e}"))?;
    writer
        .join()
        .map_err(|_| format_err!("sha256sum writer thread panicked"))?
        .map_err(|e| format_err!("writing to sha256sum: {e}"))?;
    if !output.status.success() {
        bail!("sha256sum failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace()
        .next()
        .map(str::to_owned)
        .ok_or_else(|| format_err!("sha256sum printed nothing"))
}

/// The first line of `gcc-12 --version`, e.g. `gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0`.
pub fn gcc_version() -> Result<String> {
    let text = run_stdout(Command::new("gcc-12").arg("--version"))?;
    Ok(text.lines().next().unwrap_or_default().trim().to_owned())
}

/// Reads a file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| format_err!("cannot read {}: {e}", path.display()))
}

/// Reads a UTF-8 text file, naming it in the error.
pub fn read_to_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format_err!("cannot read {}: {e}", path.display()))
}

/// Writes a file (creating its parent directories), naming it in the error.
pub fn write(path: &Path, data: impl AsRef<[u8]>) -> Result<()> {
    if let Some(parent) = path.parent() {
        create_dir_all(parent)?;
    }
    std::fs::write(path, data).map_err(|e| format_err!("cannot write {}: {e}", path.display()))
}

/// Creates a directory and its parents, naming it in the error.
pub fn create_dir_all(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|e| format_err!("cannot create {}: {e}", path.display()))
}

/// Removes a directory tree if it exists.
pub fn remove_dir_all_if_exists(path: &Path) -> Result<()> {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format_err!("cannot remove {}: {e}", path.display())),
    }
}

/// A fresh, empty scratch directory under the system temp dir; removed when dropped.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `<tmp>/layout-expert-<label>-<pid>-<n>`.
    pub fn new(label: &str) -> Result<TempDir> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("layout-expert-{label}-{}-{n}", std::process::id()));
        remove_dir_all_if_exists(&path)?;
        create_dir_all(&path)?;
        Ok(TempDir { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn tail(text: &str, n_lines: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n_lines);
    let mut res = lines[start..].join("\n");
    if !res.is_empty() {
        res.push('\n');
    }
    res
}
