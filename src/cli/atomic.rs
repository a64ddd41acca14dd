//! Writing an output file atomically: the bytes go to a temporary file in the same directory,
//! which is renamed over the destination only when complete, so a reader never sees a partial
//! file and a failed run leaves none behind. The one file writer of the program.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use layout_expert::profile::{self, model::ProfileModel, WriteOptions, WriteSummary};

/// Writes `bytes` to `path` atomically; on error nothing is left at `path` or beside it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    write_atomically_with(path, |w| w.write_all(bytes))
}

/// Writes the profile of `model` to `output` atomically, xz-compressed when the name ends in
/// `.xz`. On error no file is left at `output` or beside it.
pub fn write_profile(
    model: &ProfileModel,
    output: &Path,
    options: &WriteOptions,
) -> Result<WriteSummary, String> {
    let compress = output.extension().is_some_and(|ext| ext == "xz");
    let mut summary = None;
    write_atomically_with(output, |w| {
        summary = Some(profile::write_profile_to(model, options, compress, w)?);
        Ok(())
    })?;
    Ok(summary.expect("the writer ran"))
}

/// Writes what `write` produces to `path` atomically; on error nothing is left at `path` or
/// beside it.
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), String> {
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
        write(&mut f)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir()
            .join(format!("layout-expert-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn output_is_atomic_and_leaves_nothing_on_error() {
        let dir = scratch("atomic");
        let output = dir.join("profile.json");

        // A failing writer leaves neither the output nor a temporary file.
        let err = write_atomically_with(&output, |w| {
            w.write_all(b"{\"partial\": ")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(err.contains("disk full"), "{err}");
        assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));

        // An existing output is replaced only when the new one is complete.
        fs::write(&output, "old").unwrap();
        let _ = write_atomically_with(&output, |_| Err(io::Error::other("failed")));
        assert_eq!(fs::read_to_string(&output).unwrap(), "old");
        write_atomically(&output, b"new").unwrap();
        assert_eq!(fs::read_to_string(&output).unwrap(), "new");
        assert_eq!(leftovers(&dir), ["profile.json"]);

        // A directory in the output's place is refused before anything is written.
        let blocked = dir.join("blocked.json");
        fs::create_dir(&blocked).unwrap();
        let err = write_profile(&ProfileModel::default(), &blocked, &WriteOptions::default())
            .unwrap_err();
        assert!(err.starts_with(&blocked.display().to_string()), "{err}");
        assert_eq!(leftovers(&dir), ["blocked.json", "profile.json"]);

        // A missing directory is an error naming it.
        let err = write_profile(
            &ProfileModel::default(),
            &dir.join("no/such/dir/p.json"),
            &WriteOptions::default(),
        )
        .unwrap_err();
        assert!(err.contains("no/such/dir"), "{err}");
        fs::remove_dir_all(dir).unwrap();
    }
}
