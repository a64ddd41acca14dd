//! The pre-AST file format: one file, a fixed header, then a deflate-compressed payload in a
//! hand-written length-prefixed binary encoding.
//!
//! Header (little-endian): magic `LXPREAST` (8 bytes), format version (u32), flags (u32, 0),
//! chunk count N (u32, 1 to 64), reserved (u32, 0), then per chunk its uncompressed length
//! (u64), compressed length (u64) and the CRC-32 of its compressed bytes (u32), then the CRC-32
//! of all preceding header bytes (u32). The chunks follow, each raw deflate; they are the
//! payload cut into N nearly equal pieces, so they compress and decompress in parallel.
//! Inside the payload, integers are LEB128 varints, strings are a varint length then UTF-8
//! bytes, lists are a varint count then the items. Decoding never panics: every read is
//! bounds-checked and every failure is a `FormatError` saying what is wrong.
//!
//! Version history: 1, the first.

use std::fmt;
use std::io::{Read, Write};

use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;

use crate::pre_ast::predefined::FlagRule;
use crate::pre_ast::{
    FileId, FileKind, GeneratedHeader, Metadata, PreAst, PreAstFile, UnresolvedInclude,
};

pub const MAGIC: &[u8; 8] = b"LXPREAST";
/// 2: `predefined` holds only kbuild's `-D` flags; the compiler's macros are chosen from the
/// target's config at `make-profile` time (version-1 files carried the preparation tree's); the
/// kernel source given to `build-pre-ast --kernel-source` and the files taken from it are recorded.
pub const FORMAT_VERSION: u32 = 2;
/// Refuse payloads claiming more than this (a corrupt length must not allocate gigabytes).
const MAX_PAYLOAD: u64 = 1 << 32;

/// Why a pre-AST file cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    NotPreAst,
    Newer { version: u32 },
    Older { version: u32 },
    Truncated { expected: u64, actual: u64 },
    HeaderChecksum,
    PayloadChecksum,
    Corrupt(String),
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::NotPreAst => write!(f, "not a pre-AST file (wrong magic number; expected a file written by `layout-expert build-pre-ast`)"),
            FormatError::Newer { version } => write!(f, "pre-AST format version {version} is newer than this layout-expert reads (version {FORMAT_VERSION}); upgrade layout-expert"),
            FormatError::Older { version } => write!(f, "pre-AST format version {version} is no longer supported (this layout-expert reads version {FORMAT_VERSION}); rebuild it with `layout-expert build-pre-ast`"),
            FormatError::Truncated { expected, actual } => write!(f, "pre-AST file is truncated ({actual} bytes, expected {expected})"),
            FormatError::HeaderChecksum => write!(f, "pre-AST file header is corrupt (checksum mismatch)"),
            FormatError::PayloadChecksum => write!(f, "pre-AST file is corrupt (payload checksum mismatch)"),
            FormatError::Corrupt(what) => write!(f, "pre-AST file is corrupt: {what}"),
        }
    }
}

impl std::error::Error for FormatError {}

/// Encodes a pre-AST into the file format.
pub fn encode(pre: &PreAst) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(
        pre.files.iter().map(|f| f.text.len() + f.path.len() + 8).sum::<usize>() + 4096,
    ));
    let m = &pre.meta;
    for s in [&m.kernel_release, &m.kernel_version, &m.arch, &m.compiler] {
        w.str(s);
    }
    w.u64(pre.gcc_version as u64);
    w.strs(&pre.search_dirs);
    w.u64(pre.forced_includes.len() as u64);
    for id in &pre.forced_includes {
        w.u64(id.0 as u64);
    }
    w.u64(pre.target.map_or(0, |t| t.0 as u64 + 1));
    w.str(&pre.predefined);
    w.str(&pre.src_file_prefix);
    w.strs(&pre.kbuild_flags);
    w.u64(pre.flag_rules.len() as u64);
    for r in &pre.flag_rules {
        w.strs(&r.all_of);
        w.strs(&r.none_of);
        w.strs(&r.flags);
        w.u64(r.defines.len() as u64);
        for (n, v) in &r.defines {
            w.str(n);
            w.str(v);
        }
        w.strs(&r.undefines);
        w.str(&r.origin);
    }
    w.u64(pre.unresolved.len() as u64);
    for u in &pre.unresolved {
        w.str(&u.from);
        w.u64(u.line as u64);
        w.str(&u.spelled);
        w.str(&u.reason);
    }
    w.strs(&pre.notes);
    w.str(&pre.srctree_name);
    w.str(&pre.kernel_source);
    w.strs(&pre.from_kernel_source);
    w.u64(pre.files.len() as u64);
    for f in &pre.files {
        w.str(&f.path);
        w.u64(kind_tag(&f.kind));
        w.str(&f.text);
    }
    let payload = w.0;
    // The chunk count depends only on the payload, so the same pre-AST gives the same bytes on
    // every machine.
    let n_chunks = (payload.len() / MIN_CHUNK).clamp(1, 4);
    let pieces: Vec<&[u8]> = split_even(&payload, n_chunks);
    let compressed: Vec<Vec<u8>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pieces[1..].iter().map(|p| scope.spawn(move || deflate(p))).collect();
        let mut out = vec![deflate(pieces[0])];
        out.extend(handles.into_iter().map(|h| h.join().expect("compression does not panic")));
        out
    });
    let mut out =
        Vec::with_capacity(header_len(n_chunks) + compressed.iter().map(Vec::len).sum::<usize>());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(n_chunks as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    for (piece, c) in pieces.iter().zip(&compressed) {
        out.extend_from_slice(&(piece.len() as u64).to_le_bytes());
        out.extend_from_slice(&(c.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(c).to_le_bytes());
    }
    let header_crc = crc32fast::hash(&out);
    out.extend_from_slice(&header_crc.to_le_bytes());
    for c in &compressed {
        out.extend_from_slice(c);
    }
    out
}

/// Payloads smaller than twice this are one chunk; from four times this on, four chunks.
const MIN_CHUNK: usize = 1 << 16;
const MAX_CHUNKS: usize = 64;
const FIXED_HEADER: usize = 24;
const CHUNK_ENTRY: usize = 20;

fn header_len(n_chunks: usize) -> usize {
    FIXED_HEADER + CHUNK_ENTRY * n_chunks + 4
}

fn split_even(b: &[u8], n: usize) -> Vec<&[u8]> {
    let size = b.len().div_ceil(n).max(1);
    let mut v: Vec<&[u8]> = b.chunks(size).collect();
    while v.len() < n {
        v.push(&[]);
    }
    v
}

fn deflate(b: &[u8]) -> Vec<u8> {
    let mut enc = DeflateEncoder::new(Vec::with_capacity(b.len() / 3), Compression::fast());
    enc.write_all(b).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}

/// Inflates `compressed` into exactly `out`.
fn inflate_into(compressed: &[u8], out: &mut [u8]) -> Result<(), FormatError> {
    let mut dec = DeflateDecoder::new(compressed);
    dec.read_exact(out).map_err(|e| FormatError::Corrupt(format!("cannot decompress: {e}")))?;
    let mut extra = [0u8; 1];
    match dec.read(&mut extra) {
        Ok(0) => Ok(()),
        Ok(_) => Err(FormatError::Corrupt("a chunk is longer than the header says".to_string())),
        Err(e) => Err(FormatError::Corrupt(format!("cannot decompress: {e}"))),
    }
}

/// Decodes a pre-AST file.
pub fn decode(bytes: &[u8]) -> Result<PreAst, FormatError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(FormatError::NotPreAst);
    }
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap_or([0; 4]));
    let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or([0; 8]));
    let truncated = |expected: usize| FormatError::Truncated {
        expected: expected as u64,
        actual: bytes.len() as u64,
    };
    if bytes.len() < FIXED_HEADER {
        return Err(truncated(FIXED_HEADER));
    }
    let n_chunks = u32_at(16) as usize;
    if n_chunks == 0 || n_chunks > MAX_CHUNKS {
        // The header checksum cannot be located; report what is checkable.
        let version = u32_at(8);
        if version > FORMAT_VERSION {
            return Err(FormatError::Newer { version });
        }
        return Err(FormatError::HeaderChecksum);
    }
    let hlen = header_len(n_chunks);
    if bytes.len() < hlen {
        return Err(truncated(hlen));
    }
    if crc32fast::hash(&bytes[..hlen - 4]) != u32_at(hlen - 4) {
        return Err(FormatError::HeaderChecksum);
    }
    let version = u32_at(8);
    if version > FORMAT_VERSION {
        return Err(FormatError::Newer { version });
    }
    if version < FORMAT_VERSION {
        return Err(FormatError::Older { version });
    }
    let mut chunks = Vec::with_capacity(n_chunks);
    let (mut raw_total, mut pos) = (0u64, hlen as u64);
    for k in 0..n_chunks {
        let e = FIXED_HEADER + k * CHUNK_ENTRY;
        let (raw, comp, crc) = (u64_at(e), u64_at(e + 8), u32_at(e + 16));
        raw_total = raw_total.saturating_add(raw);
        let end = pos.saturating_add(comp);
        chunks.push((raw as usize, pos as usize, end, crc));
        pos = end;
    }
    if (bytes.len() as u64) < pos {
        return Err(FormatError::Truncated { expected: pos, actual: bytes.len() as u64 });
    }
    if (bytes.len() as u64) > pos {
        return Err(FormatError::Corrupt(format!(
            "{} bytes of trailing data",
            bytes.len() as u64 - pos
        )));
    }
    if raw_total > MAX_PAYLOAD {
        return Err(FormatError::Corrupt(format!("payload length {raw_total} is implausible")));
    }
    for &(_, start, end, crc) in &chunks {
        if crc32fast::hash(&bytes[start..end as usize]) != crc {
            return Err(FormatError::PayloadChecksum);
        }
    }
    let mut payload = vec![0u8; raw_total as usize];
    let mut slices: Vec<&mut [u8]> = Vec::with_capacity(n_chunks);
    let mut rest: &mut [u8] = &mut payload;
    for &(raw, ..) in &chunks {
        let (head, tail) = rest.split_at_mut(raw);
        slices.push(head);
        rest = tail;
    }
    std::thread::scope(|scope| {
        let mut work = chunks.iter().zip(slices);
        let first = work.next();
        let handles: Vec<_> = work
            .map(|(&(_, start, end, _), out)| {
                scope.spawn(move || inflate_into(&bytes[start..end as usize], out))
            })
            .collect();
        let mut res = match first {
            Some((&(_, start, end, _), out)) => inflate_into(&bytes[start..end as usize], out),
            None => Ok(()),
        };
        for h in handles {
            let r = h
                .join()
                .unwrap_or_else(|_| Err(FormatError::Corrupt("decompression failed".to_string())));
            res = res.and(r);
        }
        res
    })?;
    decode_payload(&payload)
}

fn decode_payload(payload: &[u8]) -> Result<PreAst, FormatError> {
    let mut r = Reader { b: payload, pos: 0 };
    let meta = Metadata {
        kernel_release: r.str()?,
        kernel_version: r.str()?,
        arch: r.str()?,
        compiler: r.str()?,
    };
    let gcc_version = u32::try_from(r.u64()?).map_err(|_| r.corrupt("gcc version"))?;
    let search_dirs = r.strs()?;
    let n_forced = r.count()?;
    let mut forced_raw = Vec::with_capacity(n_forced);
    for _ in 0..n_forced {
        forced_raw.push(r.u64()?);
    }
    let target_raw = r.u64()?;
    let predefined = r.str()?;
    let src_file_prefix = r.str()?;
    let kbuild_flags = r.strs()?;
    let n_rules = r.count()?;
    let mut flag_rules = Vec::with_capacity(n_rules);
    for _ in 0..n_rules {
        let all_of = r.strs()?;
        let none_of = r.strs()?;
        let flags = r.strs()?;
        let n_defs = r.count()?;
        let mut defines = Vec::with_capacity(n_defs);
        for _ in 0..n_defs {
            defines.push((r.str()?, r.str()?));
        }
        flag_rules.push(FlagRule {
            all_of,
            none_of,
            flags,
            defines,
            undefines: r.strs()?,
            origin: r.str()?,
        });
    }
    let n_unresolved = r.count()?;
    let mut unresolved = Vec::with_capacity(n_unresolved);
    for _ in 0..n_unresolved {
        let from = r.str()?;
        let line = u32::try_from(r.u64()?).map_err(|_| r.corrupt("line number"))?;
        unresolved.push(UnresolvedInclude { from, line, spelled: r.str()?, reason: r.str()? });
    }
    let notes = r.strs()?;
    let srctree_name = r.str()?;
    let kernel_source = r.str()?;
    let from_kernel_source = r.strs()?;
    let n_files = r.count()?;
    let mut files = Vec::with_capacity(n_files);
    for _ in 0..n_files {
        let path = r.str()?;
        let kind = kind_from_tag(r.u64()?).ok_or_else(|| r.corrupt("file kind"))?;
        files.push(PreAstFile { path, text: r.str_ref()?.into(), kind });
    }
    if r.pos != payload.len() {
        return Err(r.corrupt("trailing bytes in the payload"));
    }
    let file_id = |raw: u64, what: &str| -> Result<FileId, FormatError> {
        if raw < files.len() as u64 {
            Ok(FileId(raw as u32))
        } else {
            Err(FormatError::Corrupt(format!("{what} refers to file {raw} of {}", files.len())))
        }
    };
    let forced_includes = forced_raw
        .iter()
        .map(|&i| file_id(i, "a forced include"))
        .collect::<Result<Vec<_>, _>>()?;
    let target = if target_raw == 0 { None } else { Some(file_id(target_raw - 1, "the target")?) };
    let mut pre = PreAst::new(meta, files, search_dirs);
    pre.forced_includes = forced_includes;
    pre.target = target;
    pre.predefined = predefined;
    pre.src_file_prefix = src_file_prefix;
    pre.gcc_version = gcc_version;
    pre.kbuild_flags = kbuild_flags;
    pre.flag_rules = flag_rules;
    pre.unresolved = unresolved;
    pre.notes = notes;
    pre.srctree_name = srctree_name;
    pre.kernel_source = kernel_source;
    pre.from_kernel_source = from_kernel_source;
    Ok(pre)
}

fn kind_tag(kind: &FileKind) -> u64 {
    match kind {
        FileKind::Source => 0,
        FileKind::ConfigDerived(GeneratedHeader::Autoconf) => 1,
        FileKind::ConfigDerived(GeneratedHeader::Bounds) => 2,
        FileKind::ConfigDerived(GeneratedHeader::Timeconst) => 3,
        FileKind::ConfigDerived(GeneratedHeader::AsmOffsets) => 4,
        FileKind::ConfigDerived(GeneratedHeader::Other) => 5,
        FileKind::ConfigDerived(GeneratedHeader::CpuFeatureMasks) => 6,
    }
}

fn kind_from_tag(tag: u64) -> Option<FileKind> {
    Some(match tag {
        0 => FileKind::Source,
        1 => FileKind::ConfigDerived(GeneratedHeader::Autoconf),
        2 => FileKind::ConfigDerived(GeneratedHeader::Bounds),
        3 => FileKind::ConfigDerived(GeneratedHeader::Timeconst),
        4 => FileKind::ConfigDerived(GeneratedHeader::AsmOffsets),
        5 => FileKind::ConfigDerived(GeneratedHeader::Other),
        6 => FileKind::ConfigDerived(GeneratedHeader::CpuFeatureMasks),
        _ => return None,
    })
}

struct Writer(Vec<u8>);

impl Writer {
    fn u64(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(byte);
                return;
            }
            self.0.push(byte | 0x80);
        }
    }

    fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }

    fn strs(&mut self, v: &[String]) {
        self.u64(v.len() as u64);
        for s in v {
            self.str(s);
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn corrupt(&self, what: &str) -> FormatError {
        FormatError::Corrupt(format!("bad {what} at payload offset {}", self.pos))
    }

    fn u64(&mut self) -> Result<u64, FormatError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.b.get(self.pos).ok_or_else(|| self.corrupt("varint (end of data)"))?;
            self.pos += 1;
            v |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.corrupt("varint (too long)"))
    }

    /// A count of items that each take at least one byte (so it cannot exceed what is left).
    fn count(&mut self) -> Result<usize, FormatError> {
        let n = self.u64()?;
        if n > (self.b.len() - self.pos) as u64 {
            return Err(self.corrupt("count"));
        }
        Ok(n as usize)
    }

    fn str(&mut self) -> Result<String, FormatError> {
        self.str_ref().map(str::to_owned)
    }

    fn str_ref(&mut self) -> Result<&'a str, FormatError> {
        let n = self.count()?;
        let b: &'a [u8] = self.b;
        let bytes = &b[self.pos..self.pos + n];
        let s = std::str::from_utf8(bytes).map_err(|_| self.corrupt("string (not UTF-8)"))?;
        self.pos += n;
        Ok(s)
    }

    fn strs(&mut self) -> Result<Vec<String>, FormatError> {
        let n = self.count()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.str()?);
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pre_ast::predefined;

    fn sample() -> PreAst {
        let files = vec![
            PreAstFile {
                path: "src/include/linux/kconfig.h".into(),
                text: "#define IS_ENABLED(x) 1\n".into(),
                kind: FileKind::Source,
            },
            PreAstFile {
                path: "obj/include/generated/autoconf.h".into(),
                text: "#define CONFIG_X 1\n".into(),
                kind: FileKind::ConfigDerived(GeneratedHeader::Autoconf),
            },
            PreAstFile {
                path: "target/t.c".into(),
                text: "#include <linux/kconfig.h>\nint x; /* é */\n".into(),
                kind: FileKind::Source,
            },
        ];
        let meta = Metadata {
            kernel_release: "6.1.0-56-amd64".into(),
            kernel_version: "6.1.192".into(),
            arch: "x86_64".into(),
            compiler: "gcc-12".into(),
        };
        let mut pre = PreAst::new(meta, files, vec!["src/include".into(), "obj/include".into()]);
        pre.forced_includes = vec![FileId(0)];
        pre.target = Some(FileId(2));
        pre.predefined = "#define __GNUC__ 12\n".into();
        pre.gcc_version = 120200;
        pre.kbuild_flags = vec!["-nostdinc".into()];
        pre.flag_rules = predefined::flag_rules("");
        pre.unresolved = vec![UnresolvedInclude {
            from: "target/t.c".into(),
            line: 3,
            spelled: "<nope.h>".into(),
            reason: "not found".into(),
        }];
        pre.notes = vec!["struct mount: fs/mount.h is not in a headers package".into()];
        pre.kernel_source = "linux-source-6.1.tar.xz (6.1.192)".into();
        pre.from_kernel_source =
            vec!["src/fs/mount.h".into(), "src/kernel/kthread.c: struct kthread".into()];
        pre.srctree_name = "linux-headers-6.1.0-56-common".into();
        pre
    }

    #[test]
    fn round_trip() {
        let pre = sample();
        let bytes = encode(&pre);
        assert_eq!(&bytes[..8], MAGIC);
        let back = decode(&bytes).unwrap();
        assert_eq!(back, pre);
        assert_eq!(back.lookup("obj/include/generated/autoconf.h"), Some(FileId(1)));
    }

    #[test]
    fn rejects_bad_input_without_panicking() {
        let bytes = encode(&sample());
        assert_eq!(
            decode(b"hello world, not a pre-AST at all........"),
            Err(FormatError::NotPreAst)
        );
        assert_eq!(decode(b""), Err(FormatError::NotPreAst));
        // Every truncation is an error.
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err(), "truncated to {n} bytes was accepted");
        }
        // Every single-bit flip is an error (both checksums cover the whole file).
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                assert!(decode(&b).is_err(), "bit {bit} of byte {i} flipped was accepted");
            }
        }
        // A newer format version with a valid header checksum.
        let mut newer = bytes.clone();
        newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        let hlen = header_len(1);
        let crc = crc32fast::hash(&newer[..hlen - 4]);
        newer[hlen - 4..hlen].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(decode(&newer), Err(FormatError::Newer { version: FORMAT_VERSION + 1 }));
        assert!(decode(&newer).unwrap_err().to_string().contains("newer"));
    }

    #[test]
    fn several_chunks() {
        let small = sample();
        let big: String = (0..40_000u32)
            .map(|i| format!("#define M{i} {}\n", i.wrapping_mul(2_654_435_761)))
            .collect();
        let mut files = small.files.clone();
        files.push(PreAstFile {
            path: "src/include/big.h".into(),
            text: big.into(),
            kind: FileKind::Source,
        });
        let mut pre = PreAst::new(small.meta.clone(), files, small.search_dirs.clone());
        pre.target = small.target;
        let bytes = encode(&pre);
        let n_chunks = u32::from_le_bytes(bytes[16..20].try_into().unwrap()) as usize;
        let expected = 4;
        assert_eq!(n_chunks, expected);
        assert_eq!(decode(&bytes).unwrap(), pre);
        // Truncations and bit flips across the header and every chunk.
        let step = bytes.len() / 500 + 1;
        for i in (0..bytes.len()).filter(|i| *i < header_len(n_chunks) || i % step == 0) {
            assert!(decode(&bytes[..i]).is_err(), "truncated to {i} bytes was accepted");
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            assert!(decode(&b).is_err(), "byte {i} flipped was accepted");
        }
    }

    #[test]
    fn corrupt_payload_behind_valid_checksums_is_an_error() {
        // Garbage that compresses and checksums correctly must still be rejected cleanly.
        for garbage in [vec![0xffu8; 64], vec![0x05, 0x01, 0x02], (0..=255u8).collect()] {
            let compressed = deflate(&garbage);
            let mut out = Vec::new();
            out.extend_from_slice(MAGIC);
            out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&(garbage.len() as u64).to_le_bytes());
            out.extend_from_slice(&(compressed.len() as u64).to_le_bytes());
            out.extend_from_slice(&crc32fast::hash(&compressed).to_le_bytes());
            let h = crc32fast::hash(&out);
            out.extend_from_slice(&h.to_le_bytes());
            out.extend_from_slice(&compressed);
            assert!(matches!(decode(&out), Err(FormatError::Corrupt(_))));
        }
    }
}
