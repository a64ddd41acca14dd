//! The compiler's answers to `__has_attribute` and `__has_builtin` for the names kernel headers
//! ask (and the common attributes and builtins around them), from the shipped table of the
//! compiler the target's config names (`CompilerTable::answers`). A name outside the query list
//! (`src/pre_ast/data/gcc-queries.txt`) is an error, never a guess: add it there and rerun
//! `cargo xtask compiler-tables`.

use crate::pre_ast::predefined::CompilerTable;

/// The value the compiler gives `__has_attribute(name)` (a leading and trailing `__` are
/// ignored, as GCC ignores them), or `None` when the table does not know the name.
pub fn has_attribute(compiler: &CompilerTable, name: &str) -> Option<u32> {
    let bare = name.strip_prefix("__").and_then(|n| n.strip_suffix("__")).unwrap_or(name);
    compiler.answer("attribute", bare)
}

/// The value the compiler gives `__has_builtin(name)`, or `None` when the table does not know it.
pub fn has_builtin(compiler: &CompilerTable, name: &str) -> Option<u32> {
    compiler.answer("builtin", name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pre_ast::predefined::TABLES;

    /// The machine's gcc-12 (the oracle of every other test) answers as the shipped gcc-12
    /// table does under kbuild's C dialect flags, for every name of the query list.
    #[test]
    fn has_attribute_matches_gcc() {
        let table = TABLES.iter().find(|t| t.major == 12).unwrap();
        let mut src = String::new();
        let queries: Vec<&str> =
            table.answers.lines().filter(|l| !l.starts_with("operator ")).collect();
        assert!(table.has_operator("__has_builtin"));
        for line in &queries {
            let mut w = line.split(' ');
            let (kind, name) = (w.next().unwrap(), w.next().unwrap());
            let op = if kind == "attribute" { "__has_attribute" } else { "__has_builtin" };
            src.push_str(&format!("{kind} {name} {op}({name})\n"));
        }
        let out = crate::preprocess::test_gcc::gcc_e(&src, &["-P"]);
        let mut n_checked = 0;
        for line in out.lines().filter(|l| !l.trim().is_empty()) {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let [kind, name, value] = parts[..] else {
                panic!("unexpected gcc output line {line:?}")
            };
            let ours = if kind == "attribute" {
                has_attribute(table, name)
            } else {
                has_builtin(table, name)
            };
            assert_eq!(ours, Some(value.parse().unwrap()), "{kind} {name}");
            n_checked += 1;
        }
        assert_eq!(n_checked, queries.len());
        assert!(n_checked > 100);
        assert_eq!(has_attribute(table, "__packed__"), Some(1));
        assert_eq!(has_attribute(table, "no_such_attribute_anywhere"), None);
    }
}
