//! The compiler's predefined macros for kbuild's x86-64 C flags, and the kbuild flags that depend
//! on the configuration, as data the pre-AST carries (the target machine has no compiler).
//!
//! The table is what `gcc -dM -E` prints under `BASE_FLAGS`: the preprocessing-relevant flags
//! kbuild passes whatever the configuration (from the top `Makefile`'s `KBUILD_CFLAGS` and
//! `arch/x86/Makefile`'s x86-64 branch). Flags that kbuild passes only under some options are
//! `FlagRule`s: each names the options, the flags and the macros they add. Modelled, with where
//! they come from (Linux 6.1 and 6.12 read alike):
//! - `-O2` (`CONFIG_CC_OPTIMIZE_FOR_PERFORMANCE`) or `-Os` (`CONFIG_CC_OPTIMIZE_FOR_SIZE`): top
//!   `Makefile`; `__OPTIMIZE__` (and `__OPTIMIZE_SIZE__`) replace `__NO_INLINE__`.
//! - `-fstack-protector` / `-fstack-protector-strong` (`CONFIG_STACKPROTECTOR[_STRONG]`): top
//!   `Makefile` `stackp-flags-*`; `__SSP__ 1` / `__SSP_STRONG__ 3`.
//! - `-fcf-protection=branch` (`CONFIG_X86_KERNEL_IBT`, else `=none`): `arch/x86/Makefile`;
//!   `__CET__ 1`.
//! - `-g` (`CONFIG_DEBUG_INFO`, through `scripts/Makefile.debug`): `__GCC_HAVE_DWARF2_CFI_ASM 1`.
//! - `-pg -mfentry -DCC_USING_FENTRY` (`CONFIG_FUNCTION_TRACER` and `CONFIG_HAVE_FENTRY`) and
//!   `-DCC_USING_NOP_MCOUNT` (`CONFIG_FTRACE_MCOUNT_USE_OBJTOOL`, from 6.2 on also
//!   `CONFIG_HAVE_OBJTOOL_NOP_MCOUNT`; or `CONFIG_FTRACE_MCOUNT_USE_CC` with
//!   `CONFIG_HAVE_NOP_MCOUNT`): top `Makefile` `CC_FLAGS_USING`.
//! - `-fsanitize=kernel-address` (`CONFIG_KASAN`, not `CONFIG_KASAN_HW_TAGS`):
//!   `scripts/Makefile.kasan` and `scripts/Makefile.lib`; `__SANITIZE_ADDRESS__ 1`.
//! - `-fsanitize=thread` (`CONFIG_KCSAN`): `scripts/Makefile.kcsan`; `__SANITIZE_THREAD__ 1`.
//! - `-DRANDSTRUCT` (`CONFIG_RANDSTRUCT`): `scripts/Makefile.randstruct`; `-DLATENT_ENTROPY_PLUGIN`,
//!   `-DSTRUCTLEAK_PLUGIN`, `-DSTACKLEAK_PLUGIN` (`CONFIG_GCC_PLUGIN_*`):
//!   `scripts/Makefile.gcc-plugins`.
//! - `-funsigned-char` (every configuration, from Linux 6.2 on; the rule has no condition and is
//!   present when the tree's top `Makefile` passes the flag): `__CHAR_UNSIGNED__ 1`.
//!
//! Flags checked to define no macro (so not modelled): retpoline and return-thunk flags,
//! `-mharden-sls`, `-ftrivial-auto-var-init`, `-fzero-call-used-regs`, frame-pointer flags,
//! `-fsanitize=undefined`, `-fsanitize-coverage`, gcov's `-fprofile-arcs`. Not modelled:
//! `-D__KCSAN_INSTRUMENT_BARRIERS__` (KCSAN with barrier instrumentation) and clang.
//! The default-suite test `gcc_table_is_current` regenerates the table and every rule with
//! `gcc-12 -dM -E` and compares.

use std::fmt;

/// The preprocessing-relevant flags kbuild passes for every x86-64 configuration (the ones
/// that change a predefined macro, and their neighbours that might).
pub const BASE_FLAGS: &[&str] = &[
    "-nostdinc",
    "-std=gnu11",
    "-m64",
    "-mno-sse",
    "-mno-mmx",
    "-mno-sse2",
    "-mno-3dnow",
    "-mno-avx",
    "-mno-80387",
    "-mno-fp-ret-in-387",
    "-mno-red-zone",
    "-mcmodel=kernel",
    "-fno-PIE",
    "-fshort-wchar",
    "-fno-strict-aliasing",
    "-fno-common",
    "-fno-asynchronous-unwind-tables",
    "-fno-delete-null-pointer-checks",
    "-fno-strict-overflow",
    "-fcf-protection=none",
    "-fno-stack-protector",
];

/// One compiler's table: `CONFIG_GCC_VERSION`, the version it prints, and its `-dM` output.
pub struct CompilerTable {
    pub gcc_version: u32,
    pub name: &'static str,
    pub macros: &'static str,
}

/// The tables we ship.
pub const TABLES: &[CompilerTable] = &[CompilerTable {
    gcc_version: 120200,
    name: "gcc 12.2.0",
    macros: include_str!("data/gcc-12.2.0-x86_64-kbuild.macros"),
}];

/// No table for the tree's compiler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownCompiler {
    pub gcc_version: u32,
    pub cc_version_text: String,
}

impl fmt::Display for UnknownCompiler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        if self.gcc_version == 0 {
            write!(
                f,
                "the kernel was not built with GCC (CONFIG_CC_VERSION_TEXT=\"{}\")",
                self.cc_version_text
            )?;
        } else {
            write!(
                f,
                "no predefined-macro table for CONFIG_GCC_VERSION={} (\"{}\")",
                self.gcc_version, self.cc_version_text
            )?;
        }
        write!(f, "; known compilers: {}", known.join(", "))
    }
}

/// The table for `gcc_version`, or an error naming the known ones.
pub fn table_for(
    gcc_version: u32,
    cc_version_text: &str,
) -> Result<&'static CompilerTable, UnknownCompiler> {
    TABLES
        .iter()
        .find(|t| t.gcc_version == gcc_version)
        .ok_or_else(|| UnknownCompiler {
            gcc_version,
            cc_version_text: cc_version_text.to_string(),
        })
}

/// Flags kbuild passes only when the configuration says so, with their effect on macros.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagRule {
    /// Options that must be set (`y` or `m`).
    pub all_of: Vec<String>,
    /// Options that must not be set.
    pub none_of: Vec<String>,
    /// The flags kbuild passes.
    pub flags: Vec<String>,
    /// Macros the flags define, `(name, replacement)`.
    pub defines: Vec<(String, String)>,
    /// Predefined macros the flags remove.
    pub undefines: Vec<String>,
    /// Where kbuild decides it.
    pub origin: String,
}

impl FlagRule {
    pub fn applies(&self, is_set: &dyn Fn(&str) -> bool) -> bool {
        self.all_of.iter().all(|o| is_set(o)) && !self.none_of.iter().any(|o| is_set(o))
    }

    /// Applies the rule to `#define` lines: removes its undefined macros, appends its defines.
    pub fn write_defines(&self, out: &mut String) {
        if !self.undefines.is_empty() {
            let kept: String = out
                .lines()
                .filter(|l| {
                    !self
                        .undefines
                        .iter()
                        .any(|u| define_name(l) == Some(u.as_str()))
                })
                .flat_map(|l| [l, "\n"])
                .collect();
            *out = kept;
        }
        for (name, value) in &self.defines {
            out.push_str(&format!("#define {name} {value}\n"));
        }
    }
}

/// The macro name of a `#define NAME…` line.
pub fn define_name(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("#define ")?;
    let end = rest.find([' ', '(']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The flag rules for a tree whose top `Makefile` reads `src_makefile` (it tells which options
/// gate `-DCC_USING_NOP_MCOUNT`).
pub fn flag_rules(src_makefile: &str) -> Vec<FlagRule> {
    let rule = |all: &[&str],
                none: &[&str],
                flags: &[&str],
                defs: &[(&str, &str)],
                undefs: &[&str],
                origin: &str| FlagRule {
        all_of: all.iter().map(|s| s.to_string()).collect(),
        none_of: none.iter().map(|s| s.to_string()).collect(),
        flags: flags.iter().map(|s| s.to_string()).collect(),
        defines: defs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        undefines: undefs.iter().map(|s| s.to_string()).collect(),
        origin: origin.to_string(),
    };
    let objtool_nop: &[&str] = if src_makefile.contains("CONFIG_HAVE_OBJTOOL_NOP_MCOUNT") {
        &[
            "CONFIG_FUNCTION_TRACER",
            "CONFIG_FTRACE_MCOUNT_USE_OBJTOOL",
            "CONFIG_HAVE_OBJTOOL_NOP_MCOUNT",
        ]
    } else {
        &["CONFIG_FUNCTION_TRACER", "CONFIG_FTRACE_MCOUNT_USE_OBJTOOL"]
    };
    let mut rules = vec![
        rule(
            &["CONFIG_CC_OPTIMIZE_FOR_PERFORMANCE"],
            &[],
            &["-O2"],
            &[("__OPTIMIZE__", "1")],
            &["__NO_INLINE__"],
            "Makefile: KBUILD_CFLAGS += -O2",
        ),
        rule(
            &["CONFIG_CC_OPTIMIZE_FOR_SIZE"],
            &[],
            &["-Os"],
            &[("__OPTIMIZE_SIZE__", "1"), ("__OPTIMIZE__", "1")],
            &["__NO_INLINE__"],
            "Makefile: KBUILD_CFLAGS += -Os",
        ),
        rule(
            &["CONFIG_STACKPROTECTOR"],
            &["CONFIG_STACKPROTECTOR_STRONG"],
            &["-fstack-protector"],
            &[("__SSP__", "1")],
            &[],
            "Makefile: stackp-flags-$(CONFIG_STACKPROTECTOR)",
        ),
        rule(
            &["CONFIG_STACKPROTECTOR_STRONG"],
            &[],
            &["-fstack-protector-strong"],
            &[("__SSP_STRONG__", "3")],
            &[],
            "Makefile: stackp-flags-$(CONFIG_STACKPROTECTOR_STRONG)",
        ),
        rule(
            &["CONFIG_X86_KERNEL_IBT"],
            &[],
            &["-fcf-protection=branch", "-fno-jump-tables"],
            &[("__CET__", "1")],
            &[],
            "arch/x86/Makefile: ifeq ($(CONFIG_X86_KERNEL_IBT),y)",
        ),
        rule(
            &["CONFIG_DEBUG_INFO"],
            &[],
            &["-g"],
            &[("__GCC_HAVE_DWARF2_CFI_ASM", "1")],
            &[],
            "Makefile: include-$(CONFIG_DEBUG_INFO) += scripts/Makefile.debug",
        ),
        rule(
            &["CONFIG_FUNCTION_TRACER", "CONFIG_HAVE_FENTRY"],
            &[],
            &["-pg", "-mfentry", "-DCC_USING_FENTRY"],
            &[("CC_USING_FENTRY", "1")],
            &[],
            "Makefile: CC_FLAGS_USING += -DCC_USING_FENTRY",
        ),
        rule(
            objtool_nop,
            &[],
            &["-DCC_USING_NOP_MCOUNT"],
            &[("CC_USING_NOP_MCOUNT", "1")],
            &[],
            "Makefile: CONFIG_FTRACE_MCOUNT_USE_OBJTOOL: CC_FLAGS_USING += -DCC_USING_NOP_MCOUNT",
        ),
        rule(
            &[
                "CONFIG_FUNCTION_TRACER",
                "CONFIG_FTRACE_MCOUNT_USE_CC",
                "CONFIG_HAVE_NOP_MCOUNT",
            ],
            &[],
            &["-mnop-mcount", "-DCC_USING_NOP_MCOUNT"],
            &[("CC_USING_NOP_MCOUNT", "1")],
            &[],
            "Makefile: CONFIG_FTRACE_MCOUNT_USE_CC: CC_FLAGS_USING += -DCC_USING_NOP_MCOUNT",
        ),
        rule(
            &["CONFIG_KASAN"],
            &["CONFIG_KASAN_HW_TAGS"],
            &["-fsanitize=kernel-address"],
            &[("__SANITIZE_ADDRESS__", "1")],
            &[],
            "scripts/Makefile.lib: _c_flags += $(CFLAGS_KASAN)",
        ),
        rule(
            &["CONFIG_KCSAN"],
            &[],
            &["-fsanitize=thread"],
            &[("__SANITIZE_THREAD__", "1")],
            &[],
            "scripts/Makefile.lib: _c_flags += $(CFLAGS_KCSAN)",
        ),
        rule(
            &["CONFIG_RANDSTRUCT"],
            &[],
            &["-DRANDSTRUCT"],
            &[("RANDSTRUCT", "1")],
            &[],
            "scripts/Makefile.randstruct",
        ),
        rule(
            &["CONFIG_GCC_PLUGINS", "CONFIG_GCC_PLUGIN_LATENT_ENTROPY"],
            &[],
            &["-DLATENT_ENTROPY_PLUGIN"],
            &[("LATENT_ENTROPY_PLUGIN", "1")],
            &[],
            "scripts/Makefile.gcc-plugins",
        ),
        rule(
            &["CONFIG_GCC_PLUGINS", "CONFIG_GCC_PLUGIN_STRUCTLEAK"],
            &[],
            &["-DSTRUCTLEAK_PLUGIN"],
            &[("STRUCTLEAK_PLUGIN", "1")],
            &[],
            "scripts/Makefile.gcc-plugins",
        ),
        rule(
            &["CONFIG_GCC_PLUGINS", "CONFIG_GCC_PLUGIN_STACKLEAK"],
            &[],
            &["-DSTACKLEAK_PLUGIN"],
            &[("STACKLEAK_PLUGIN", "1")],
            &[],
            "scripts/Makefile.gcc-plugins",
        ),
    ];
    if src_makefile.contains("-funsigned-char") {
        // Not config-dependent but version-dependent: kbuild passes it from Linux 6.2 on.
        rules.push(rule(
            &[],
            &[],
            &["-funsigned-char"],
            &[("__CHAR_UNSIGNED__", "1")],
            &[],
            "Makefile: KBUILD_CFLAGS += -funsigned-char (Linux 6.2 and later)",
        ));
    }
    rules
}

/// kbuild's `-D` flags for a module built from `target_stem` (`scripts/Makefile.lib`:
/// `KBUILD_CPPFLAGS := -D__KERNEL__` in the top `Makefile`, `KBUILD_CFLAGS_MODULE := -DMODULE`,
/// `basename_flags`, `modname_flags` with `name-fix`), as `#define` lines.
pub fn kbuild_defines(target_stem: &str) -> String {
    let name: String = target_stem
        .chars()
        .map(|c| if c == '-' || c == ',' { '_' } else { c })
        .collect();
    format!(
        "#define __KERNEL__ 1\n#define MODULE 1\n#define KBUILD_BASENAME \"{name}\"\n\
         #define KBUILD_MODNAME \"{name}\"\n#define __KBUILD_MODNAME kmod_{name}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Runs `gcc-12 -dM -E` on an empty file with `flags` and returns the sorted lines.
    fn gcc_macros(flags: &[&str]) -> Vec<String> {
        let out = Command::new("gcc-12")
            .args(flags)
            .args(["-dM", "-E", "-x", "c", "/dev/null"])
            .output()
            .expect("gcc-12 must be installed for this test (apt-get install gcc-12)");
        assert!(
            out.status.success(),
            "gcc-12 failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        lines.sort();
        lines
    }

    fn sorted(text: &str) -> Vec<String> {
        let mut v: Vec<String> = text.lines().map(str::to_string).collect();
        v.sort();
        v
    }

    fn assert_same(ours: &[String], gcc: &[String], what: &str) {
        let missing: Vec<&String> = gcc.iter().filter(|l| !ours.contains(l)).collect();
        let extra: Vec<&String> = ours.iter().filter(|l| !gcc.contains(l)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{what}: the shipped table differs from gcc-12 -dM -E\nonly in gcc: {missing:#?}\nonly in ours: {extra:#?}"
        );
    }

    #[test]
    fn gcc_table_is_current() {
        let table = table_for(120200, "").unwrap();
        let version = Command::new("gcc-12")
            .arg("-dumpfullversion")
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), "12.2.0");
        let base = gcc_macros(BASE_FLAGS);
        assert_same(&sorted(table.macros), &base, "base table");
        // Every rule: the base table with the rule applied equals gcc with the rule's flags.
        for rule in flag_rules("CONFIG_HAVE_OBJTOOL_NOP_MCOUNT -funsigned-char") {
            let mut flags: Vec<&str> = BASE_FLAGS.to_vec();
            flags.extend(
                rule.flags
                    .iter()
                    .map(String::as_str)
                    .filter(|f| *f != "-mnop-mcount"),
            );
            let mut ours = table.macros.to_string();
            rule.write_defines(&mut ours);
            assert_same(&sorted(&ours), &gcc_macros(&flags), &rule.flags.join(" "));
        }
    }

    #[test]
    fn rules_follow_the_config() {
        let rules = flag_rules("");
        let debian = |o: &str| {
            matches!(
                o,
                "CONFIG_CC_OPTIMIZE_FOR_PERFORMANCE"
                    | "CONFIG_STACKPROTECTOR"
                    | "CONFIG_STACKPROTECTOR_STRONG"
                    | "CONFIG_DEBUG_INFO"
                    | "CONFIG_FUNCTION_TRACER"
                    | "CONFIG_HAVE_FENTRY"
            )
        };
        let applied: Vec<&str> = rules
            .iter()
            .filter(|r| r.applies(&debian))
            .map(|r| r.flags[0].as_str())
            .collect();
        assert_eq!(applied, ["-O2", "-fstack-protector-strong", "-g", "-pg"]);
        assert_eq!(
            define_name("#define __INT64_C(c) c ## L"),
            Some("__INT64_C")
        );
    }
}
