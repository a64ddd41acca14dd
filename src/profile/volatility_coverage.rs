//! What Volatility 3's Linux plugins and symbol classes read from a symbol table: the coverage
//! list `targets/volatility3-linux.coverage`, as data.
//!
//! The list is built from a recording of what Volatility 3 2.28.2 read on a real memory image
//! (`../shared/volatility/plugin-reads.json`) and from the type names in its source; the tests
//! `volatility_coverage` (the list covers both, and holds nothing else) and `volatility_parity`
//! (our ISF equals dwarf2json's for everything listed) keep it honest. The file format is
//! described at the top of the file itself.

use std::fmt;

/// The list shipped with the program.
pub const COVERAGE_TEXT: &str = include_str!("../../targets/volatility3-linux.coverage");

/// A type Volatility reads, with the members it reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeNeed {
    pub name: String,
    /// Members read; `checked` members are only tested for existence (a missing one changes the
    /// plugin's code path, so it may be absent).
    pub members: Vec<MemberNeed>,
}

/// One member of a [`TypeNeed`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberNeed {
    pub name: String,
    pub checked: bool,
}

/// The parsed coverage list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    pub types: Vec<TypeNeed>,
    pub enums: Vec<String>,
    pub symbols: Vec<String>,
    /// Names Volatility asks for that dwarf2json's table of the kernel lacks, with why.
    pub absent: Vec<(String, String)>,
    /// Names Volatility asks for that are not the kernel's (its own tables, built-ins), with why.
    pub foreign: Vec<(String, String)>,
    /// Each plugin with the types it read members of.
    pub plugins: Vec<(String, Vec<String>)>,
    /// Types fetched only while building the templates of the above.
    pub template_types: Vec<String>,
    /// Enumerations fetched only while building templates.
    pub template_enums: Vec<String>,
}

/// A line of the list that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoverageError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for CoverageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "volatility3-linux.coverage:{}: {}", self.line, self.message)
    }
}

impl std::error::Error for CoverageError {}

impl Coverage {
    /// The list shipped with the program.
    pub fn builtin() -> Coverage {
        Coverage::parse(COVERAGE_TEXT).expect("the shipped coverage list parses (tested)")
    }

    /// Parses the list; a line it cannot read is an error naming the line.
    pub fn parse(text: &str) -> Result<Coverage, CoverageError> {
        let mut out = Coverage::default();
        for (idx, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: String| CoverageError { line: idx + 1, message };
            let (kind, rest) = line
                .split_once(' ')
                .ok_or_else(|| err(format!("`{line}`: an entry is `KIND NAME …`")))?;
            let rest = rest.trim();
            let name_and_reason = || -> Result<(String, String), CoverageError> {
                let (name, why) = rest.split_once(':').ok_or_else(|| {
                    err(format!("`{kind} {rest}`: give the reason after `NAME:`"))
                })?;
                Ok((one_name(name.trim()).map_err(err)?, why.trim().to_owned()))
            };
            match kind {
                "type" => {
                    let mut words = rest.split_whitespace();
                    let name = one_name(words.next().unwrap_or_default()).map_err(err)?;
                    let members = words
                        .map(|w| match w.strip_prefix('?') {
                            Some(m) => MemberNeed { name: m.to_owned(), checked: true },
                            None => MemberNeed { name: w.to_owned(), checked: false },
                        })
                        .collect();
                    out.types.push(TypeNeed { name, members });
                }
                "enum" => out.enums.push(one_name(rest).map_err(err)?),
                "symbol" => out.symbols.push(one_name(rest).map_err(err)?),
                "template" => out.template_types.push(one_name(rest).map_err(err)?),
                "template-enum" => out.template_enums.push(one_name(rest).map_err(err)?),
                "absent" => out.absent.push(name_and_reason()?),
                "foreign" => out.foreign.push(name_and_reason()?),
                "plugin" => {
                    let (name, types) = rest.split_once(':').ok_or_else(|| err(format!("`plugin {rest}`: write `plugin NAME: TYPE…`")))?;
                    out.plugins.push((one_name(name.trim()).map_err(err)?, types.split_whitespace().map(str::to_owned).collect()));
                }
                _ => return Err(err(format!("unknown entry kind `{kind}` (type, enum, symbol, absent, foreign, plugin, template, template-enum)"))),
            }
        }
        Ok(out)
    }

    /// The type entry named `name`.
    pub fn type_need(&self, name: &str) -> Option<&TypeNeed> {
        self.types.iter().find(|t| t.name == name)
    }

    /// Whether `name` is listed as anything (a type, enum, absent, foreign or template name).
    pub fn names_type(&self, name: &str) -> bool {
        self.type_need(name).is_some()
            || self.enums.iter().any(|e| e == name)
            || self.absent.iter().any(|(n, _)| n == name)
            || self.foreign.iter().any(|(n, _)| n == name)
            || self.template_types.iter().any(|t| t == name)
            || self.template_enums.iter().any(|t| t == name)
    }
}

fn one_name(text: &str) -> Result<String, String> {
    if !text.is_empty() && !text.contains(char::is_whitespace) {
        Ok(text.to_owned())
    } else {
        Err(format!("`{text}`: expected one name"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_list_parses() {
        let list = Coverage::parse(COVERAGE_TEXT).unwrap();
        let task = list.type_need("task_struct").unwrap();
        assert!(task.members.iter().any(|m| m.name == "comm" && !m.checked));
        assert!(task.members.iter().any(|m| m.name == "pids" && m.checked));
        assert!(list.symbols.iter().any(|s| s == "init_task"));
    }

    #[test]
    fn bad_lines_are_errors_with_their_line() {
        let e = Coverage::parse("# c\ntype a b\nbogus x\n").unwrap_err();
        assert_eq!((e.line, e.message.contains("unknown entry kind")), (3, true));
        let e = Coverage::parse("absent foo\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(Coverage::parse("enum two words\n").is_err());
    }
}
