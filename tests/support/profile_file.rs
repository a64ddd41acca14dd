//! Writing a profile file in tests: the engine serializes into a writer, the CLI owns atomic
//! writing, so tests open the file themselves (xz-compressed when the name ends in `.xz`, as the
//! CLI does).

use std::path::Path;

use layout_expert::profile::{model::ProfileModel, write_profile_to, WriteOptions, WriteSummary};

/// Writes the profile of `model` to `path` and returns the engine's summary.
pub fn write_profile(
    model: &ProfileModel,
    path: &Path,
    options: &WriteOptions,
) -> std::io::Result<WriteSummary> {
    let compress = path.extension().is_some_and(|ext| ext == "xz");
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let summary = write_profile_to(model, options, compress, &mut file)?;
    std::io::Write::flush(&mut file)?;
    Ok(summary)
}
