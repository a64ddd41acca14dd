//! Reading `System.map` and `/proc/kallsyms`: kernel symbol names and their addresses.
//!
//! Both files have one symbol a line, `ADDRESS TYPE NAME`, with the address in hexadecimal.
//! `/proc/kallsyms` adds a fourth token, `[module]`, for symbols of loaded modules; those are
//! skipped, as Rekall's converter skips every line that is not exactly three tokens. Any other
//! line shape is an error naming the file and the line (Rekall skipped such lines silently, which
//! hid truncated maps). A gzip-compressed map (`System.map-….gz`) is decompressed first.
//! When a name occurs twice, the later line wins, as in both Rekall's and dwarf2json's readers.

use std::io::Read;
use std::path::Path;

use std::sync::OnceLock;

use smol_str::SmolStr;

use crate::profile::ProfileError;

/// Rekall keeps kernel addresses masked to the low 48 bits (`0xffffffff81000000` becomes
/// `0xffff81000000`), the canonical-address width of x86-64 four-level paging.
pub const REKALL_ADDRESS_MASK: u64 = 0xFFFF_FFFF_FFFF;

/// One symbol line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// The symbol's name.
    pub name: SmolStr,
    /// Its address, unrelocated (as linked, before KASLR), exactly as the map gives it.
    pub address: u64,
    /// The `nm` type letter (`T`, `D`, `b`, `A`…).
    pub kind: char,
}

/// The symbols of one map file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SystemMap {
    /// The file's name without its directory (dwarf2json records it in the ISF metadata).
    pub file_name: String,
    /// The SHA-256 of the file's bytes as read (before decompression), lowercase hex.
    pub sha256: String,
    /// Every kernel symbol in file order, duplicates included.
    pub symbols: Vec<Symbol>,
    /// Indices in `symbols` of each name's last occurrence, sorted by name; built on first use.
    sorted: OnceLock<Vec<u32>>,
}

impl SystemMap {
    /// Reads a map file from disk.
    pub fn read(path: &Path) -> Result<SystemMap, ProfileError> {
        let bytes = std::fs::read(path).map_err(|err| {
            ProfileError::in_file(path, format!("cannot read the symbol map: {err}"))
        })?;
        let file_name =
            path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        SystemMap::parse(&file_name, &bytes).map_err(|err| err.with_file(path))
    }

    /// Parses a map from its bytes (gzip-compressed or not). `file_name` names it in errors and
    /// in the ISF metadata.
    pub fn parse(file_name: &str, bytes: &[u8]) -> Result<SystemMap, ProfileError> {
        let sha256 = sha256_hex(bytes);
        let text = if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut text = String::new();
            flate2::read::GzDecoder::new(bytes).read_to_string(&mut text).map_err(|err| {
                ProfileError::in_file(
                    Path::new(file_name),
                    format!("cannot decompress the symbol map: {err}"),
                )
            })?;
            text
        } else {
            String::from_utf8(bytes.to_vec()).map_err(|_| {
                ProfileError::in_file(
                    Path::new(file_name),
                    "the symbol map is not text (invalid UTF-8)",
                )
            })?
        };
        // About 30 bytes a line.
        let lines = text.len() / 30;
        let mut map = SystemMap {
            file_name: file_name.to_owned(),
            sha256,
            symbols: Vec::with_capacity(lines),
            sorted: OnceLock::new(),
        };
        for (line_index, line) in text.lines().enumerate() {
            let line_number = line_index + 1;
            let mut fields = line.split_ascii_whitespace();
            let mut tokens = [""; 4];
            let mut n = 0;
            for field in fields.by_ref().take(4) {
                tokens[n] = field;
                n += 1;
            }
            let malformed = |what: &str| {
                ProfileError::at_line(
                    Path::new(file_name),
                    line_number,
                    format!("{what}: `{line}` (expected `ADDRESS TYPE NAME`)"),
                )
            };
            match n {
                0 => continue,
                3 => {}
                4 if fields.next().is_none()
                    && tokens[3].starts_with('[')
                    && tokens[3].ends_with(']') =>
                {
                    continue
                }
                _ => return Err(malformed("malformed symbol line")),
            }
            let address = u64::from_str_radix(tokens[0], 16)
                .map_err(|_| malformed("the address is not hexadecimal"))?;
            let mut kind_chars = tokens[1].chars();
            let kind = match (kind_chars.next(), kind_chars.next()) {
                (Some(c), None) if c.is_ascii_alphabetic() || c == '?' || c == '-' => c,
                _ => return Err(malformed("the symbol type is not one letter")),
            };
            map.symbols.push(Symbol { name: SmolStr::from(tokens[2]), address, kind });
        }
        if map.symbols.is_empty() {
            return Err(ProfileError::in_file(
                Path::new(file_name),
                "the symbol map has no kernel symbols",
            ));
        }
        if map.symbols.iter().all(|s| s.address == 0) {
            return Err(ProfileError::in_file(
                Path::new(file_name),
                "every address in the symbol map is 0: /proc/kallsyms hides addresses from unprivileged \
                 readers (kernel.kptr_restrict); read it as root, or give the kernel's System.map",
            ));
        }
        Ok(map)
    }

    /// The address of `name` (its last occurrence), unrelocated.
    pub fn address(&self, name: &str) -> Option<u64> {
        let sorted = self.sorted();
        let at =
            sorted.binary_search_by(|&i| self.symbols[i as usize].name.as_str().cmp(name)).ok()?;
        Some(self.symbols[sorted[at] as usize].address)
    }

    /// Each distinct name once (its last occurrence), sorted by name: the order both output
    /// formats list symbols in.
    pub fn sorted_unique(&self) -> impl ExactSizeIterator<Item = &Symbol> + '_ {
        self.sorted().iter().map(|&i| &self.symbols[i as usize])
    }

    /// Indices of each name's last occurrence, sorted by name.
    fn sorted(&self) -> &[u32] {
        self.sorted.get_or_init(|| {
            // The first 16 bytes as a big-endian integer order names like their bytes do (a
            // shorter name is padded with zeros, which sort first), so most comparisons are one
            // integer comparison; kernel names share long prefixes (`__ksymtab_`, `__pfx_`).
            let prefix = |name: &str| {
                let mut bytes = [0u8; 16];
                let n = name.len().min(16);
                bytes[..n].copy_from_slice(&name.as_bytes()[..n]);
                u128::from_be_bytes(bytes)
            };
            let mut keyed: Vec<(u128, &str, u32)> = self
                .symbols
                .iter()
                .enumerate()
                .map(|(i, s)| (prefix(&s.name), s.name.as_str(), i as u32))
                .collect();
            // Ties (a name listed twice) are ordered by position, and the last one of each run wins.
            keyed.sort_unstable();
            let keyed = keyed.into_iter().map(|(_, name, i)| (name, i));
            let mut unique: Vec<u32> = Vec::with_capacity(keyed.len());
            let mut last_name = None;
            for (name, i) in keyed {
                if last_name == Some(name) {
                    *unique.last_mut().expect("a previous name") = i;
                } else {
                    unique.push(i);
                    last_name = Some(name);
                }
            }
            unique
        })
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_system_map_and_kallsyms_lines() {
        let text = "ffffffff81000000 T _text\n\
                    ffffffff82a1aa40 D init_task\n\
                    ffffffffc0a01000 t helper\t[nf_tables]\n\
                    \n\
                    ffffffff82a1aa48 D init_task\n";
        let map = SystemMap::parse("kallsyms", text.as_bytes()).unwrap();
        assert_eq!(map.symbols.len(), 3);
        assert_eq!(map.address("_text"), Some(0xffffffff81000000));
        assert_eq!(map.address("init_task"), Some(0xffffffff82a1aa48));
        assert_eq!(map.address("helper"), None);
        assert_eq!(map.sorted_unique().count(), 2);
    }

    #[test]
    fn sorted_unique_orders_by_bytes_and_keeps_the_last_address() {
        let names = [
            "__ksymtab_vfs_read_iter",
            "__ksymtab_vfs_read",
            "__ksymtab_vfs_rea",
            "__ksymtab_vfs_readv",
            "a",
            "__ksymtab_vfs_read",
            "_",
            "__ksymtab_vfs_read_",
        ];
        let text: String =
            names.iter().enumerate().map(|(i, n)| format!("ffffffff8100{i:04x} T {n}\n")).collect();
        let map = SystemMap::parse("System.map", text.as_bytes()).unwrap();
        let got: Vec<(&str, u64)> =
            map.sorted_unique().map(|s| (s.name.as_str(), s.address)).collect();
        let mut want: Vec<&str> = names.to_vec();
        want.sort();
        want.dedup();
        assert_eq!(got.iter().map(|(n, _)| *n).collect::<Vec<_>>(), want);
        assert_eq!(map.address("__ksymtab_vfs_read"), Some(0xffffffff81000005));
        assert_eq!(map.address("__ksymtab_vfs_re"), None);
    }

    #[test]
    fn malformed_line_names_file_and_line() {
        let err =
            SystemMap::parse("System.map", b"ffffffff81000000 T _text\nnot-hex T x\n").unwrap_err();
        assert_eq!(err.to_string(), "System.map:2: the address is not hexadecimal: `not-hex T x` (expected `ADDRESS TYPE NAME`)");
        let err = SystemMap::parse("System.map", b"ffffffff81000000 T\n").unwrap_err();
        assert_eq!(err.line, Some(1));
    }

    #[test]
    fn hidden_kallsyms_addresses_are_an_error() {
        let err = SystemMap::parse(
            "kallsyms",
            b"0000000000000000 T _text\n0000000000000000 D init_task\n",
        )
        .unwrap_err();
        assert!(err.message.contains("kptr_restrict"), "{err}");
    }
}
