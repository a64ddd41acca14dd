//! Finding the kernel's banner (`Linux version 6.1.0-56-amd64 (…) … #1 SMP … \n`) in a memory image.
//!
//! Volatility 3 selects a symbol table by finding the table's `linux_banner` text, byte for byte,
//! in the image. An analyst who has only the image can let us take the banner from it:
//! [`scan_image`] reads the file (raw, ELF core or LiME; their headers are not interpreted, as a
//! banner never crosses a page and pages are stored whole in all three) for `Linux version `
//! strings, and keeps the one whose release (the word after `Linux version`) is the pre-AST's
//! kernel release. The kernel's own `linux_banner` array ends with a newline and a NUL; copies in
//! the kernel log buffer or in page cache may not, so candidates followed by `\n\0` are
//! preferred, then the most frequent one.

use std::io::Read;
use std::path::Path;

use rustc_hash::FxHashMap;

use crate::profile::ProfileError;

const NEEDLE: &[u8] = b"Linux version ";
/// The longest banner we accept (the kernel's is well under 300 bytes).
const MAX_BANNER: usize = 512;
const CHUNK: usize = 8 << 20;

/// A banner found in an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The banner text, ending with its newline when the image has one.
    pub text: String,
    /// Its release (`6.1.0-56-amd64`).
    pub release: String,
    /// How many times it occurs.
    pub count: usize,
    /// How many of those are followed by `\n\0`, as the kernel's `linux_banner` array is.
    pub nul_terminated: usize,
}

/// The release in a banner: the word after `Linux version `.
pub fn release_of(banner: &str) -> Option<&str> {
    banner.strip_prefix("Linux version ")?.split_whitespace().next()
}

/// Scans the image at `path` and returns the banner of `release`.
pub fn scan_image(path: &Path, release: &str) -> Result<String, ProfileError> {
    let candidates = scan_candidates(path)?;
    choose(&candidates, release).map_err(|message| ProfileError::in_file(path, message))
}

/// Chooses the banner of `release` among `candidates`.
pub fn choose(candidates: &[Candidate], release: &str) -> Result<String, String> {
    let best = candidates
        .iter()
        .filter(|c| c.release == release)
        .max_by_key(|c| (c.nul_terminated > 0, c.count, std::cmp::Reverse(c.text.clone())));
    match best {
        Some(candidate) => Ok(candidate.text.clone()),
        None if candidates.is_empty() => {
            Err("no `Linux version` banner in the image; give the banner with --banner".to_owned())
        }
        None => {
            let mut releases: Vec<&str> = candidates.iter().map(|c| c.release.as_str()).collect();
            releases.sort_unstable();
            releases.dedup();
            Err(format!(
                "the image has no banner of kernel {release} (the pre-AST's release); it has banners of: {}. \
                 Use the pre-AST of the image's kernel, or give the banner with --banner",
                releases.join(", ")
            ))
        }
    }
}

/// Every distinct `Linux version …` string in the image at `path`.
pub fn scan_candidates(path: &Path) -> Result<Vec<Candidate>, ProfileError> {
    let mut file = std::fs::File::open(path).map_err(|err| {
        ProfileError::in_file(path, format!("cannot open the memory image: {err}"))
    })?;
    let mut found: FxHashMap<Vec<u8>, (usize, usize)> = FxHashMap::default();
    // `buffer` holds the carried-over tail of the previous chunk, then the new chunk.
    let mut buffer: Vec<u8> = Vec::with_capacity(CHUNK + MAX_BANNER + NEEDLE.len());
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let read = file.read(&mut chunk).map_err(|err| {
            ProfileError::in_file(path, format!("cannot read the memory image: {err}"))
        })?;
        let at_end = read == 0;
        buffer.extend_from_slice(&chunk[..read]);
        // A match starting at or after `limit` might be cut off; it is handled with the next chunk.
        let limit = if at_end { buffer.len() } else { buffer.len().saturating_sub(MAX_BANNER + 2) };
        let mut position = 0;
        while let Some(start) = find(&buffer[position..], NEEDLE).map(|i| i + position) {
            if start >= limit {
                break;
            }
            if let Some((text, nul_terminated)) = banner_at(&buffer[start..]) {
                let entry = found.entry(text.to_vec()).or_insert((0, 0));
                entry.0 += 1;
                entry.1 += usize::from(nul_terminated);
            }
            position = start + 1;
        }
        if at_end {
            break;
        }
        buffer.drain(..limit);
    }
    let mut candidates: Vec<Candidate> = found
        .into_iter()
        .filter_map(|(bytes, (count, nul_terminated))| {
            let text = String::from_utf8(bytes).ok()?;
            let release = release_of(&text)?.to_owned();
            Some(Candidate { text, release, count, nul_terminated })
        })
        .collect();
    candidates.sort_by(|a, b| a.text.cmp(&b.text));
    Ok(candidates)
}

/// The banner starting at `bytes` (which start with [`NEEDLE`]): printable ASCII up to and
/// including a newline, or up to a NUL. Returns it and whether `\n\0` ends it.
fn banner_at(bytes: &[u8]) -> Option<(&[u8], bool)> {
    let window = &bytes[..bytes.len().min(MAX_BANNER)];
    let mut end = NEEDLE.len();
    while end < window.len() {
        match window[end] {
            b'\n' => {
                let nul_terminated = window.get(end + 1) == Some(&0);
                return Some((&window[..=end], nul_terminated));
            }
            0 => return (end > NEEDLE.len()).then_some((&window[..end], false)),
            b' '..=b'~' => end += 1,
            _ => return None,
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    let mut offset = 0;
    while let Some(i) = haystack[offset..].iter().position(|&b| b == first) {
        let start = offset + i;
        if haystack.len() - start < needle.len() {
            return None;
        }
        if &haystack[start..start + needle.len()] == needle {
            return Some(start);
        }
        offset = start + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_text_ends_at_newline_or_nul() {
        assert_eq!(
            banner_at(b"Linux version 6.1 (x) #1\n\0rest"),
            Some((&b"Linux version 6.1 (x) #1\n"[..], true))
        );
        assert_eq!(
            banner_at(b"Linux version 6.1 (x)\0"),
            Some((&b"Linux version 6.1 (x)"[..], false))
        );
        assert_eq!(banner_at(b"Linux version 6.1\x01"), None);
    }

    #[test]
    fn release_is_the_word_after_linux_version() {
        assert_eq!(
            release_of("Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) #1"),
            Some("6.1.0-56-amd64")
        );
        assert_eq!(release_of("Linux 6.1"), None);
    }
}
