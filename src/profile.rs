//! The output side of `make-profile`: the profile model, its two formats (Rekall and Volatility 3
//! ISF), the symbol map reader, the banner, live-system discovery; the CLI writes the file.
//!
//! The engine hands a [`model::ProfileModel`] to [`write_profile_to`], which serializes it in the
//! requested format into a writer; the CLI (`src/cli/atomic.rs`) owns the file and writes it
//! atomically. This module is the only place that serializes (serde); the model is plain data.
//!
//! How `make-profile` uses it: build the model from the engine's layouts, the config, and
//! [`system_map::SystemMap::read`] of `--system-map`; take the banner from `--banner`,
//! [`banner::scan_image`] (`--banner-from-image`, with the pre-AST's kernel release) or, in live
//! mode, [`live::discover`] (which also finds the config, the symbols and the pre-AST under
//! `--root`); then call [`write_profile_to`] and print its [`WriteSummary`] (warnings included) and
//! the model's types in error.

pub mod banner;
pub mod batch_index;
pub mod explain_json;
pub mod isf;
pub mod layout_json;
pub mod live;
pub mod model;
pub mod naming;
pub mod private_symbols;
pub mod rekall;
pub mod system_map;
pub mod volatility_coverage;

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// An error of the output side: a message, with the file (and line) at fault when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileError {
    /// The file the error is about.
    pub file: Option<PathBuf>,
    /// The 1-based line in `file`.
    pub line: Option<usize>,
    /// What went wrong and, where it helps, what to do instead.
    pub message: String,
}

impl ProfileError {
    /// An error not tied to a file.
    pub fn new(message: impl Into<String>) -> ProfileError {
        ProfileError { file: None, line: None, message: message.into() }
    }

    /// An error about a file.
    pub fn in_file(file: &Path, message: impl Into<String>) -> ProfileError {
        ProfileError { file: Some(file.to_owned()), line: None, message: message.into() }
    }

    /// An error about one line of a file.
    pub fn at_line(file: &Path, line: usize, message: impl Into<String>) -> ProfileError {
        ProfileError { file: Some(file.to_owned()), line: Some(line), message: message.into() }
    }

    /// The same error, naming `file` (a full path) instead of the name it was parsed under.
    pub fn with_file(mut self, file: &Path) -> ProfileError {
        self.file = Some(file.to_owned());
        self
    }
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{}:{line}: {}", file.display(), self.message),
            (Some(file), None) => write!(f, "{}: {}", file.display(), self.message),
            (None, _) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ProfileError {}

/// A JSON object written from entries already sorted by key (cheaper than a `BTreeMap` for the
/// ~100 000 symbols of a kernel).
pub(crate) struct SortedMap<K, V>(pub(crate) Vec<(K, V)>);

impl<K: serde::Serialize, V: serde::Serialize> serde::Serialize for SortedMap<K, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// The output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// A Rekall profile (the default, like the original Layout Expert).
    #[default]
    Rekall,
    /// A Volatility 3 symbol table (ISF 6.2.0).
    Isf,
}

impl Format {
    /// Parses `rekall` or `isf`.
    pub fn parse(text: &str) -> Result<Format, ProfileError> {
        match text {
            "rekall" => Ok(Format::Rekall),
            "isf" | "volatility3" | "vol3" => Ok(Format::Isf),
            other => Err(ProfileError::new(format!(
                "unknown profile format `{other}`: use `rekall` or `isf`"
            ))),
        }
    }
}

/// What [`write_profile_to`] needs besides the model.
#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    /// The format to write.
    pub format: Format,
    /// Overrides the model's banner (from `--banner` or `--banner-from-image`).
    pub banner: Option<String>,
}

/// What was written, for the run summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Bytes written to the output file (after compression).
    pub bytes: u64,
    /// Structs and unions exported.
    pub types: usize,
    /// Symbols exported.
    pub symbols: usize,
    /// Types the engine could not lay out (listed in the output's metadata).
    pub type_errors: usize,
    /// Things the user should know (no banner, no symbol map, …).
    pub warnings: Vec<String>,
}

/// Serializes `model` in `options.format` into `out`, xz-compressed when `compress` is set (the
/// CLI sets it for an output name ending in `.xz` and owns the file and its atomic rename). The
/// summary's `bytes` counts what reached `out`.
pub fn write_profile_to(
    model: &model::ProfileModel,
    options: &WriteOptions,
    compress: bool,
    out: &mut dyn Write,
) -> io::Result<WriteSummary> {
    let mut summary = WriteSummary { type_errors: model.errors.len(), ..WriteSummary::default() };
    enum Body<'a> {
        Rekall(rekall::RekallProfile<'a>),
        Isf(isf::IsfDocument<'a>),
    }
    let names = match options.format {
        Format::Rekall => rekall::names(model),
        Format::Isf => isf::names(model),
    };
    let body = match options.format {
        Format::Rekall => {
            summary.types = model.records.iter().filter(|r| r.fields.is_some()).count();
            summary.symbols = model.system_map.as_ref().map_or(0, |m| m.sorted_unique().len());
            if model.system_map.is_none() {
                summary.warnings.push("no symbol map was given: $CONSTANTS is empty".to_owned());
            }
            Body::Rekall(rekall::build(model, &names))
        }
        Format::Isf => {
            let (document, report) = isf::build(
                model,
                &names,
                &isf::IsfOptions { banner: options.banner.clone(), ..isf::IsfOptions::default() },
            );
            summary.types = report.user_types;
            summary.symbols = report.symbols;
            summary.warnings = report.warnings;
            Body::Isf(document)
        }
    };
    // serde_json writes many small pieces, so the Rekall profile is serialized into memory first
    // (about 6 MB for a kernel); the ISF writes itself in large chunks.
    let write_body = |w: &mut dyn Write| -> io::Result<()> {
        match &body {
            Body::Rekall(profile) => {
                let text = serde_json::to_vec_pretty(profile).map_err(io::Error::other)?;
                w.write_all(&text)
            }
            Body::Isf(document) => document.write_json(w),
        }
    };
    let mut file = CountingWriter { inner: out, bytes: 0 };
    if compress {
        // Independent blocks, compressed on every core (the output is one xz stream of several
        // blocks, which any xz reader, Python's lzma included, reads).
        let mut options = lzma_rust2::XzOptions::with_preset(XZ_PRESET);
        options.set_block_size(std::num::NonZeroU64::new(XZ_BLOCK_SIZE));
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8)) as u32;
        let mut xz = lzma_rust2::XzWriterMt::new(io::BufWriter::new(&mut file), options, workers)?;
        write_body(&mut xz)?;
        xz.finish()?.flush()?;
    } else {
        write_body(&mut file)?;
    }
    summary.bytes = file.bytes;
    Ok(summary)
}

/// The xz preset for `.json.xz` output. Preset 1 compresses a 33 MB ISF to 1.22 MB in about 2 s
/// here; preset 6 (xz's default) gains 17% for twelve times the time.
const XZ_PRESET: u32 = 1;

/// The uncompressed size of one xz block: a 6.1 ISF (15 MB) makes five, enough to keep two cores
/// busy, and each costs little in ratio.
const XZ_BLOCK_SIZE: u64 = 3 << 20;

/// Counts the bytes written through it.
struct CountingWriter<'a> {
    inner: &'a mut dyn Write,
    bytes: u64,
}

impl Write for CountingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
