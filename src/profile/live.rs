//! Live mode: finding, on the machine under analysis, everything `make-profile` needs.
//!
//! Given a root directory (`/` on a real system; a directory laid out like one in tests), this
//! finds the running kernel's release (`proc/sys/kernel/osrelease`, what `uname -r` prints), its
//! configuration (`proc/config.gz`, else `boot/config-RELEASE`), its symbols (`proc/kallsyms`,
//! else `boot/System.map-RELEASE`; kallsyms read without privilege shows only zero addresses, in
//! which case System.map is used if present), its banner (`proc/version`), and the pre-AST of
//! its kernel version in the pre-AST directory. Each missing piece is an error saying which files
//! were looked for and which option supplies it instead; only a missing banner is a warning.

use std::path::{Path, PathBuf};

use crate::profile::system_map::SystemMap;
use crate::profile::ProfileError;

/// File name endings a pre-AST may carry; stripped before matching a name against the release.
const PRE_AST_SUFFIXES: &[&str] =
    &[".pre-ast", ".preast", ".pre_ast", ".json", ".bin", ".gz", ".xz", ".zst"];

/// What live mode found.
#[derive(Clone, Debug)]
pub struct LiveInputs {
    /// The running kernel's release (`6.1.0-56-amd64`).
    pub release: String,
    /// The kernel config file (`/proc/config.gz` or `/boot/config-RELEASE`).
    pub config: PathBuf,
    /// The symbols, already read.
    pub symbol_map: SystemMap,
    /// The banner from `/proc/version`, if readable.
    pub banner: Option<String>,
    /// The pre-AST file for the release.
    pub pre_ast: PathBuf,
    /// Warnings for the run summary.
    pub warnings: Vec<String>,
}

/// Finds the live inputs under `root`, with pre-ASTs in `pre_ast_dir`.
pub fn discover(root: &Path, pre_ast_dir: &Path) -> Result<LiveInputs, ProfileError> {
    let mut warnings = Vec::new();
    let release = running_release(root)?;

    let config = [root.join("proc/config.gz"), root.join(format!("boot/config-{release}"))]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| {
            ProfileError::new(format!(
                "no kernel config: neither {} (needs CONFIG_IKCONFIG_PROC) nor {} exists; give the config with --config-file",
                root.join("proc/config.gz").display(),
                root.join(format!("boot/config-{release}")).display()
            ))
        })?;

    let kallsyms = root.join("proc/kallsyms");
    let system_map_path = root.join(format!("boot/System.map-{release}"));
    let symbol_map = match SystemMap::read(&kallsyms) {
        Ok(map) => map,
        Err(kallsyms_error) if system_map_path.is_file() => {
            if kallsyms.exists() {
                warnings
                    .push(format!("{kallsyms_error}; using {} instead", system_map_path.display()));
            }
            SystemMap::read(&system_map_path)?
        }
        Err(kallsyms_error) if kallsyms.exists() => {
            return Err(ProfileError::new(format!(
                "{kallsyms_error}, and {} does not exist; give the symbols with --system-map",
                system_map_path.display()
            )))
        }
        Err(_) => {
            return Err(ProfileError::new(format!(
                "no kernel symbols: neither {} nor {} exists; give the symbols with --system-map",
                kallsyms.display(),
                system_map_path.display()
            )))
        }
    };

    let version = root.join("proc/version");
    let banner = match std::fs::read_to_string(&version) {
        Ok(text) if text.starts_with("Linux version ") => Some(text),
        _ => {
            warnings.push(format!(
                "cannot read the banner from {}: Volatility 3 will not select the symbol table automatically; \
                 give it with --banner or --banner-from-image",
                version.display()
            ));
            None
        }
    };

    let pre_ast = find_pre_ast(pre_ast_dir, &release)?;
    Ok(LiveInputs { release, config, symbol_map, banner, pre_ast, warnings })
}

/// The running kernel's release, as `uname -r` prints it.
pub fn running_release(root: &Path) -> Result<String, ProfileError> {
    let osrelease = root.join("proc/sys/kernel/osrelease");
    if let Ok(text) = std::fs::read_to_string(&osrelease) {
        let release = text.trim();
        if !release.is_empty() {
            return Ok(release.to_owned());
        }
    }
    if let Ok(text) = std::fs::read_to_string(root.join("proc/version")) {
        if let Some(release) = crate::profile::banner::release_of(&text) {
            return Ok(release.to_owned());
        }
    }
    Err(ProfileError::new(format!(
        "cannot tell the running kernel's release: {} and {} are missing or unreadable; run on the machine \
         under analysis, or give --config-file, --system-map and the pre-AST explicitly",
        osrelease.display(),
        root.join("proc/version").display()
    )))
}

/// The pre-AST in `dir` for `release`: a file whose name, without the pre-AST suffixes, is the
/// release, or the release's version without its flavour (`6.1.0-56` for `6.1.0-56-amd64`), the
/// longest such name winning.
pub fn find_pre_ast(dir: &Path, release: &str) -> Result<PathBuf, ProfileError> {
    let entries = std::fs::read_dir(dir).map_err(|err| {
        ProfileError::in_file(
            dir,
            format!("cannot read the pre-AST directory: {err}; give it with --pre-ast-dir"),
        )
    })?;
    let mut best: Option<(usize, PathBuf)> = None;
    let mut seen = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let mut stem = name.as_str();
        while let Some(suffix) = PRE_AST_SUFFIXES.iter().find(|s| stem.ends_with(**s)) {
            stem = &stem[..stem.len() - suffix.len()];
        }
        let stem = stem.strip_prefix("linux-").unwrap_or(stem);
        seen.push(name.clone());
        let matches =
            release == stem || release.strip_prefix(stem).is_some_and(|rest| rest.starts_with('-'));
        if matches && best.as_ref().is_none_or(|(len, _)| stem.len() > *len) {
            best = Some((stem.len(), path));
        }
    }
    best.map(|(_, path)| path).ok_or_else(|| {
        seen.sort();
        ProfileError::in_file(
            dir,
            format!(
                "no pre-AST for kernel {release} here (found: {}); build one with `layout-expert build-pre-ast` \
                 from this kernel version's headers and put it in this directory",
                if seen.is_empty() { "nothing".to_owned() } else { seen.join(", ") }
            ),
        )
    })
}
