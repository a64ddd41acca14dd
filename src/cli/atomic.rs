//! Writing an output file atomically: the bytes go to a temporary file in the same directory,
//! which is renamed over the destination only when complete, so a reader never sees a partial
//! file and a failed run leaves none behind.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically; on error nothing is left at `path` or beside it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(format!("{}: the output directory does not exist", dir.display()));
    }
    if path.is_dir() {
        return Err(format!("{}: is a directory, expected an output file name", path.display()));
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        // No fsync: the rename makes the file appear whole to every reader and a failed run
        // leaves nothing; surviving a power cut is not promised (it would cost 0.2 s here).
        drop(f);
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("{}: cannot write: {e}", path.display())
    })
}
