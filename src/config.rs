//! Kernel configurations: reading a `.config` (or `/proc/config.gz`) and spelling it as kbuild's
//! `include/generated/autoconf.h` does.
//!
//! A configuration is a list of `CONFIG_*` macros exactly as autoconf.h defines them: `=y` is
//! `CONFIG_X 1`, `=m` is `CONFIG_X_MODULE 1` (and no `CONFIG_X`), strings keep their quotes and
//! escapes, numbers are copied as written. Lines that say `# CONFIG_X is not set`, other comments
//! and blank lines define nothing. Anything else is an error naming the file and line: nothing is
//! guessed. The header comment kconfig writes (`# Linux/x86 6.1.192 Kernel Configuration`) gives
//! the kernel version, which `make-profile` compares with the pre-AST's.

use std::fmt;
use std::io::Read;

use smol_str::SmolStr;

/// A parsed kernel configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigFile {
    /// Where it came from (a path), for messages.
    pub origin: String,
    /// The architecture and version from kconfig's header comment (`x86`, `6.1.192`), when present.
    pub arch: Option<String>,
    pub version: Option<String>,
    /// The autoconf.h macros in file order: name (with `_MODULE` for `=m`) and replacement text.
    pub options: Vec<(SmolStr, SmolStr)>,
}

/// A `.config` that could not be read or understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub origin: String,
    /// 1-based line number, 0 when the error is about the whole file.
    pub line: u32,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.origin, self.message)
        } else {
            write!(f, "{}:{}: {}", self.origin, self.line, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

impl ConfigFile {
    /// Parses the bytes of a `.config` or of a gzip-compressed one (`/proc/config.gz`), told apart
    /// by their content (the gzip magic number), not by the file name.
    pub fn parse_bytes(origin: &str, bytes: &[u8]) -> Result<ConfigFile, ConfigError> {
        let err =
            |line: u32, message: String| ConfigError { origin: origin.to_owned(), line, message };
        let text = if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(bytes)
                .read_to_end(&mut out)
                .map_err(|e| err(0, format!("cannot decompress gzip data: {e}")))?;
            String::from_utf8(out)
                .map_err(|_| err(0, "the decompressed config is not UTF-8".into()))?
        } else {
            String::from_utf8(bytes.to_vec())
                .map_err(|_| err(0, "the config is not UTF-8".into()))?
        };
        ConfigFile::parse(origin, &text)
    }

    /// Parses the text of a `.config`.
    pub fn parse(origin: &str, text: &str) -> Result<ConfigFile, ConfigError> {
        let mut res = ConfigFile { origin: origin.to_owned(), ..ConfigFile::default() };
        for (idx, raw) in text.lines().enumerate() {
            let line_no = idx as u32 + 1;
            let err =
                |message: String| ConfigError { origin: origin.to_owned(), line: line_no, message };
            let line = raw.trim_end_matches('\r');
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            if let Some(comment) = trimmed.strip_prefix('#') {
                if res.version.is_none() {
                    if let Some((arch, version)) = parse_header(comment.trim()) {
                        res.arch = Some(arch);
                        res.version = Some(version);
                    }
                }
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                return Err(err(format!("expected `CONFIG_NAME=value`, found `{trimmed}`")));
            };
            if !is_config_name(name) {
                return Err(err(format!("`{name}` is not a CONFIG_ option name")));
            }
            match value {
                "y" => res.options.push((name.into(), "1".into())),
                "m" => res.options.push((format!("{name}_MODULE").into(), "1".into())),
                _ if value.starts_with('"') => {
                    if !is_config_string(value) {
                        return Err(err(format!("malformed string value for {name}: {value}")));
                    }
                    res.options.push((name.into(), value.into()));
                }
                _ if is_config_number(value) => res.options.push((name.into(), value.into())),
                _ => {
                    return Err(err(format!(
                        "value `{value}` of {name} is neither y, m, a string, a decimal nor a hex number"
                    )))
                }
            }
        }
        Ok(res)
    }

    /// The value of one autoconf.h macro (`CONFIG_HZ` → `250`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.options.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether `CONFIG_X` is `y` or `m`.
    pub fn is_set(&self, name: &str) -> bool {
        options_is_set(&self.options, name)
    }

    /// The text of `include/generated/autoconf.h` for this configuration. kconfig writes the
    /// macros in its symbol-table order; ours are in `.config` order, which defines the same
    /// macro set with the same values.
    pub fn autoconf_h(&self) -> String {
        autoconf_h_text(self.version.as_deref(), self.arch.as_deref(), &self.options)
    }
}

/// Whether `CONFIG_X` is set (`y` or `m`) in an autoconf option list.
pub fn options_is_set(options: &[(SmolStr, SmolStr)], name: &str) -> bool {
    let module = format!("{name}_MODULE");
    options.iter().any(|(n, _)| n == name || *n == module)
}

/// Whether the build passes `-fms-extensions` (`CONFIG_CC_MS_EXTENSIONS="-fms-extensions"`, Linux
/// 6.19 on: kbuild's C dialect flag), under which a tagged struct or union declared inside a record
/// without a declarator is an anonymous member.
pub fn options_ms_extensions(options: &[(SmolStr, SmolStr)]) -> bool {
    options
        .iter()
        .any(|(name, value)| name == "CONFIG_CC_MS_EXTENSIONS" && value.contains("-fms-extensions"))
}

/// autoconf.h as kconfig writes it, from the option list.
pub fn autoconf_h_text(
    version: Option<&str>,
    arch: Option<&str>,
    options: &[(SmolStr, SmolStr)],
) -> String {
    let mut out = String::with_capacity(options.len() * 40 + 128);
    out.push_str("/*\n * Automatically generated file; DO NOT EDIT.\n");
    if let (Some(arch), Some(version)) = (arch, version) {
        out.push_str(&format!(" * Linux/{arch} {version} Kernel Configuration\n"));
    }
    out.push_str(" */\n");
    for (name, value) in options {
        out.push_str("#define ");
        out.push_str(name);
        out.push(' ');
        out.push_str(value);
        out.push('\n');
    }
    out
}

/// `Linux/x86 6.1.192 Kernel Configuration` → (`x86`, `6.1.192`).
fn parse_header(comment: &str) -> Option<(String, String)> {
    let rest = comment.strip_prefix("Linux/")?;
    let rest = rest.strip_suffix("Kernel Configuration")?.trim();
    let (arch, version) = rest.split_once(' ')?;
    Some((arch.to_owned(), version.trim().to_owned()))
}

fn is_config_name(name: &str) -> bool {
    name.len() > "CONFIG_".len()
        && name.starts_with("CONFIG_")
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A kconfig string: quoted, with `\"` and `\\` escapes, nothing after the closing quote.
fn is_config_string(value: &str) -> bool {
    let b = value.as_bytes();
    if b.len() < 2 || b[0] != b'"' {
        return false;
    }
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i == b.len() - 1,
            _ => i += 1,
        }
    }
    false
}

/// A kconfig int (optionally negative decimal) or hex (`0x...`) value.
fn is_config_number(value: &str) -> bool {
    if let Some(hex) = value.strip_prefix("0x").or_else(|| value.strip_prefix("0X")) {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    let digits = value.strip_prefix('-').unwrap_or(value);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_autoconf_spells_them() {
        let text = "#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 6.1.192 Kernel Configuration\n#\nCONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_S=\"a \\\"q\\\" b\"\nCONFIG_N=-1\nCONFIG_H=0xdead000000000000\n\n";
        let cfg = ConfigFile::parse(".config", text).unwrap();
        assert_eq!(cfg.version.as_deref(), Some("6.1.192"));
        assert_eq!(cfg.arch.as_deref(), Some("x86"));
        let got: Vec<String> = cfg.options.iter().map(|(n, v)| format!("{n} {v}")).collect();
        assert_eq!(
            got,
            [
                "CONFIG_A 1",
                "CONFIG_B_MODULE 1",
                "CONFIG_S \"a \\\"q\\\" b\"",
                "CONFIG_N -1",
                "CONFIG_H 0xdead000000000000"
            ]
        );
        assert!(cfg.is_set("CONFIG_B"));
        assert!(!cfg.is_set("CONFIG_C"));
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        for bad in [
            "CONFIG_A=n",
            "CONFIG_A=123f",
            "FOO=1",
            "CONFIG_A",
            "CONFIG_S=\"open",
            "CONFIG_S=\"a\"b",
        ] {
            let err = ConfigFile::parse("my.config", &format!("CONFIG_OK=y\n{bad}\n")).unwrap_err();
            assert_eq!(err.line, 2, "{bad}");
            assert!(err.to_string().starts_with("my.config:2: "), "{err}");
        }
    }

    #[test]
    fn gzip_is_detected_by_content() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"CONFIG_HZ=250\n").unwrap();
        let gz = enc.finish().unwrap();
        let cfg = ConfigFile::parse_bytes("config.gz", &gz).unwrap();
        assert_eq!(cfg.get("CONFIG_HZ"), Some("250"));
        let err = ConfigFile::parse_bytes("config.gz", &gz[..gz.len() / 2]).unwrap_err();
        assert!(err.message.contains("gzip"), "{err}");
    }
}
