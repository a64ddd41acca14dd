//! The compiler's predefined macros for kbuild's x86-64 C flags, and the kbuild flags that depend
//! on the configuration, as data (the target machine has no compiler).
//!
//! The compiler is part of the target's configuration: [`choose`] picks the table from
//! `CONFIG_CC_IS_CLANG`, `CONFIG_GCC_VERSION` and `CONFIG_CC_VERSION_TEXT` at `make-profile` time
//! (the tables are compiled in; the pre-AST holds none). One table per GCC major release; another
//! release of the same major takes its version macros from the config.
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
//! - `-std=gnu89` (every configuration before Linux 5.18, read from the tree's top `Makefile`):
//!   `__GNUC_GNU_INLINE__` instead of `__GNUC_STDC_INLINE__`, no `__STDC_VERSION__`.
//! - `-funsigned-char` (every configuration, from Linux 6.2 on; the rule has no condition and is
//!   present when the tree's top `Makefile` passes the flag): `__CHAR_UNSIGNED__ 1`.
//!
//! - `-DCONFIG_X86_X32_ABI` (`CONFIG_X86_X32`, Linux before 5.18): `arch/x86/Makefile`
//!   (`arch_flag_rules`).
//!
//! Flags checked to define no macro (so not modelled): retpoline and return-thunk flags,
//! `-mharden-sls`, `-ftrivial-auto-var-init`, `-fzero-call-used-regs`, frame-pointer flags,
//! `-fsanitize=undefined`, `-fsanitize-coverage`, gcov's `-fprofile-arcs`. Not modelled:
//! `-D__KCSAN_INSTRUMENT_BARRIERS__` (KCSAN with barrier instrumentation) and clang.
//! The default-suite test `gcc_table_is_current` regenerates the table and every rule with
//! `gcc-12 -dM -E` and compares.

/// The preprocessing-relevant flags kbuild passes for every x86-64 configuration (the ones
/// that change a predefined macro, and their neighbours that might), from
/// `data/kbuild-base-flags.txt`, which `cargo xtask compiler-tables` also reads.
pub static BASE_FLAGS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    include_str!("data/kbuild-base-flags.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// One compiler's table: what `gcc -dM -E` prints under `BASE_FLAGS` for one GCC major release.
/// The exact version it was generated from is in its own `__GNUC__`/`__GNUC_MINOR__`/
/// `__GNUC_PATCHLEVEL__` lines.
#[derive(Debug, PartialEq, Eq)]
pub struct CompilerTable {
    /// The GCC major release (`__GNUC__`).
    pub major: u32,
    pub macros: &'static str,
    /// Its answers to `__has_attribute`/`__has_builtin` for the names of `data/gcc-queries.txt`:
    /// `operator NAME present|absent` lines, then `attribute NAME VALUE` / `builtin NAME VALUE`.
    pub answers: &'static str,
}

impl CompilerTable {
    /// `CONFIG_GCC_VERSION` of the compiler the table was generated from (e.g. 120200).
    pub fn gcc_version(&self) -> u32 {
        gcc_version_of(self.macros)
    }

    /// The table's answer to `__has_attribute(name)` (`kind` = `attribute`) or
    /// `__has_builtin(name)` (`builtin`), or `None` when the name is not in the query list.
    pub fn answer(&self, kind: &str, name: &str) -> Option<u32> {
        self.answers.lines().find_map(|l| {
            let mut w = l.split(' ');
            (w.next() == Some(kind) && w.next() == Some(name)).then(|| w.next()?.parse().ok())?
        })
    }

    /// Whether the query operator `op` (`__has_builtin`, `__has_c_attribute`, `__has_feature`,
    /// `__has_extension`) exists in this release (an absent one is an ordinary identifier).
    pub fn has_operator(&self, op: &str) -> bool {
        self.answers.lines().any(|l| l == format!("operator {op} present"))
    }

    /// `gcc 12.2.0`.
    pub fn name(&self) -> String {
        let v = self.gcc_version();
        format!("gcc {}.{}.{}", v / 10000, v / 100 % 100, v % 100)
    }
}

macro_rules! table {
    ($major:literal) => {
        CompilerTable {
            major: $major,
            macros: include_str!(concat!("data/gcc-", $major, "-x86_64-kbuild.macros")),
            answers: include_str!(concat!("data/gcc-", $major, ".answers")),
        }
    };
}

/// The tables we ship, one per GCC major release, in increasing order. Each was written by
/// `cargo xtask compiler-tables` from the real compiler (`data/compilers.txt` says which
/// package); `shipped_tables_match_their_compilers` regenerates and compares them.
pub const TABLES: &[CompilerTable] = &[
    table!(9),
    table!(10),
    table!(11),
    table!(12),
    table!(13),
    table!(14),
    table!(15),
    table!(16),
];

/// Which Debian package each table was generated from (`MAJOR SUITE cpp-MAJOR=VERSION` lines).
pub const PROVENANCE: &str = include_str!("data/compilers.txt");

/// `CONFIG_GCC_VERSION` of a `-dM` listing (`__GNUC__`, `__GNUC_MINOR__`, `__GNUC_PATCHLEVEL__`).
pub fn gcc_version_of(macros: &str) -> u32 {
    let num = |name: &str| -> u32 {
        macros
            .lines()
            .find_map(|l| l.strip_prefix("#define ")?.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    num("__GNUC__") * 10000 + num("__GNUC_MINOR__") * 100 + num("__GNUC_PATCHLEVEL__")
}

/// The compiler a kernel configuration names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompilerId {
    /// `CONFIG_CC_IS_GCC` (or no `CONFIG_CC_IS_*` but a `CONFIG_GCC_VERSION`).
    Gcc { version: u32 },
    /// `CONFIG_CC_IS_CLANG=y`.
    Clang { version: u32 },
    /// The configuration names no compiler (no `CONFIG_GCC_VERSION`: kernels before 4.18, or a
    /// hand-written config).
    Unnamed,
}

/// Why the configuration's compiler has no exact data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompilerProblem {
    /// A clang-built kernel: clang's predefined macros, attribute answers and (in corners)
    /// layouts differ from GCC's, and we ship no clang data.
    Clang,
    /// A GCC major release we ship no table for.
    NoTable,
    /// No compiler in the configuration.
    Unnamed,
}

/// The compiler data chosen for a configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompilerChoice {
    pub compiler: CompilerId,
    /// `CONFIG_CC_VERSION_TEXT`, unquoted (empty when absent).
    pub version_text: String,
    /// The table used: the compiler's major release, or the nearest we have.
    pub table: &'static CompilerTable,
    /// Set when the table is not the configuration's compiler's.
    pub problem: Option<CompilerProblem>,
}

impl CompilerChoice {
    /// The error to report when the choice is not exact, or `None` when it is. A clang
    /// configuration is refused even under `--force`.
    pub fn error(&self) -> Option<String> {
        let known: Vec<String> = TABLES.iter().map(CompilerTable::name).collect();
        let known = known.join(", ");
        let text = &self.version_text;
        Some(match (&self.problem?, &self.compiler) {
            (CompilerProblem::Clang, CompilerId::Clang { version }) => format!(
                "the kernel was built with clang (CONFIG_CC_IS_CLANG=y, CONFIG_CLANG_VERSION={version}, \
                 \"{text}\"): layout-expert knows only GCC-built kernels (clang's predefined macros, \
                 attribute answers and layout corners differ); known compilers: {known}"
            ),
            (CompilerProblem::NoTable, CompilerId::Gcc { version }) => format!(
                "no compiler data for CONFIG_GCC_VERSION={version} (\"{text}\"); known compilers: {known}"
            ),
            _ => format!(
                "the configuration names no compiler (no CONFIG_GCC_VERSION); known compilers: {known}"
            ),
        })
    }

    /// Under `--force`: `Err` for what `--force` cannot override (clang), else the warning to
    /// print and to record in the profile's metadata (`None` when the choice is exact).
    pub fn check(&self, force: bool) -> Result<Option<String>, String> {
        let Some(error) = self.error() else {
            return Ok(None);
        };
        match self.problem {
            Some(CompilerProblem::Clang) => Err(error),
            _ if force => Ok(Some(format!(
                "{error}; using the nearest, {} (--force): layouts may be wrong where the compilers differ",
                self.table.name()
            ))),
            _ => Err(format!("{error} (use --force to use the nearest table anyway)")),
        }
    }

    /// The predefined macros: the table, with the version macros (`__GNUC_MINOR__`,
    /// `__GNUC_PATCHLEVEL__`, `__VERSION__`) taken from the configuration when it names another
    /// release of the same major (a table is the same for a whole major release but for them).
    pub fn macros(&self) -> String {
        let CompilerId::Gcc { version } = self.compiler else {
            return self.table.macros.to_string();
        };
        if self.problem.is_some() || version == self.table.gcc_version() {
            return self.table.macros.to_string();
        }
        let version_string = gcc_version_string(&self.version_text);
        let mut out = String::with_capacity(self.table.macros.len());
        for line in self.table.macros.lines() {
            match define_name(line) {
                Some("__GNUC_MINOR__") => {
                    out.push_str(&format!("#define __GNUC_MINOR__ {}", version / 100 % 100))
                }
                Some("__GNUC_PATCHLEVEL__") => {
                    out.push_str(&format!("#define __GNUC_PATCHLEVEL__ {}", version % 100))
                }
                Some("__VERSION__") if version_string.is_some() => out.push_str(&format!(
                    "#define __VERSION__ \"{}\"",
                    version_string.unwrap_or_default()
                )),
                _ => out.push_str(line),
            }
            out.push('\n');
        }
        out
    }
}

/// GCC's `__VERSION__` from its `--version` line (`CONFIG_CC_VERSION_TEXT`): what follows the
/// parenthesised package version, e.g. `10.2.1 20210110` in `gcc-10 (Debian 10.2.1-6) 10.2.1
/// 20210110`.
pub fn gcc_version_string(version_text: &str) -> Option<&str> {
    let rest = version_text.split_once(") ")?.1.trim();
    rest.starts_with(|c: char| c.is_ascii_digit()).then_some(rest)
}

/// Chooses the compiler data for a configuration; `value("CONFIG_X")` is autoconf.h's
/// replacement text (strings quoted). Never fails: a configuration without exact data gets the
/// nearest table and a `problem` (see [`CompilerChoice::check`]).
pub fn choose(value: &dyn Fn(&str) -> Option<String>) -> CompilerChoice {
    let num = |name: &str| value(name).and_then(|v| v.trim().parse::<u32>().ok());
    let version_text = value("CONFIG_CC_VERSION_TEXT")
        .map(|t| {
            let t = t.trim();
            t.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(t).replace("\\\"", "\"")
        })
        .unwrap_or_default();
    let compiler = if value("CONFIG_CC_IS_CLANG").is_some() {
        CompilerId::Clang { version: num("CONFIG_CLANG_VERSION").unwrap_or(0) }
    } else {
        match num("CONFIG_GCC_VERSION") {
            Some(v) if v > 0 => CompilerId::Gcc { version: v },
            _ => CompilerId::Unnamed,
        }
    };
    let default = default_table();
    let (table, problem) = match compiler {
        CompilerId::Gcc { version } => {
            let major = version / 10000;
            match TABLES.iter().find(|t| t.major == major) {
                Some(t) => (t, None),
                // The nearest major; between two equally near, the newer.
                None => (
                    TABLES
                        .iter()
                        .min_by_key(|t| (t.major.abs_diff(major), std::cmp::Reverse(t.major)))
                        .unwrap_or(default),
                    Some(CompilerProblem::NoTable),
                ),
            }
        }
        CompilerId::Clang { .. } => (default, Some(CompilerProblem::Clang)),
        CompilerId::Unnamed => (default, Some(CompilerProblem::Unnamed)),
    };
    CompilerChoice { compiler, version_text, table, problem }
}

/// [`choose`] on an autoconf option list.
pub fn choose_for_options(options: &[(smol_str::SmolStr, smol_str::SmolStr)]) -> CompilerChoice {
    choose(&|name| options.iter().find(|(n, _)| n == name).map(|(_, v)| v.to_string()))
}

/// The table used when a configuration names no usable GCC (Debian 12's compiler).
const DEFAULT_MAJOR: u32 = 12;

/// gcc-12's table: the default, and the oracle's compiler in tests.
pub fn default_table() -> &'static CompilerTable {
    TABLES.iter().find(|t| t.major == DEFAULT_MAJOR).unwrap_or(&TABLES[0])
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
                .filter(|l| !self.undefines.iter().any(|u| define_name(l) == Some(u.as_str())))
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
        defines: defs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
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
            &["CONFIG_FUNCTION_TRACER", "CONFIG_FTRACE_MCOUNT_USE_CC", "CONFIG_HAVE_NOP_MCOUNT"],
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
    if uses_gnu89(src_makefile) {
        // Version-dependent: kbuild passes -std=gnu89 before Linux 5.18 (after the base
        // table's -std=gnu11, so it wins).
        rules.push(rule(
            &[],
            &[],
            &["-std=gnu89"],
            &[("__GNUC_GNU_INLINE__", "1")],
            &["__GNUC_STDC_INLINE__", "__STDC_UTF_16__", "__STDC_UTF_32__", "__STDC_VERSION__"],
            "Makefile: KBUILD_CFLAGS += -std=gnu89 (Linux before 5.18)",
        ));
    }
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

/// The flag rules `arch/x86/Makefile` (text `arch_makefile`) adds: `-DCONFIG_X86_X32_ABI` under
/// `CONFIG_X86_X32` (Linux before 5.18, when binutils can link x32, as Debian's can).
pub fn arch_flag_rules(arch_makefile: &str) -> Vec<FlagRule> {
    let mut rules = Vec::new();
    if arch_makefile.contains("KBUILD_CFLAGS += -DCONFIG_X86_X32_ABI") {
        rules.push(FlagRule {
            all_of: vec!["CONFIG_X86_X32".into()],
            none_of: Vec::new(),
            flags: vec!["-DCONFIG_X86_X32_ABI".into()],
            defines: vec![("CONFIG_X86_X32_ABI".into(), "1".into())],
            undefines: Vec::new(),
            origin:
                "arch/x86/Makefile: ifdef CONFIG_X86_X32 … KBUILD_CFLAGS += -DCONFIG_X86_X32_ABI"
                    .into(),
        });
    }
    rules
}

/// Whether the tree's top `Makefile` compiles C as gnu89 (Linux before 5.18; from 5.18 on it
/// says `-std=gnu11`).
pub fn uses_gnu89(src_makefile: &str) -> bool {
    src_makefile.contains("-std=gnu89")
}

/// kbuild's `-D` flags for a module built from `target_stem` (`scripts/Makefile.lib`:
/// `KBUILD_CPPFLAGS := -D__KERNEL__` in the top `Makefile`, `KBUILD_CFLAGS_MODULE := -DMODULE`,
/// `basename_flags`, `modname_flags` with `name-fix`), as `#define` lines.
pub fn kbuild_defines(target_stem: &str) -> String {
    let name: String =
        target_stem.chars().map(|c| if c == '-' || c == ',' { '_' } else { c }).collect();
    format!(
        "#define __KERNEL__ 1\n#define MODULE 1\n#define KBUILD_BASENAME \"{name}\"\n\
         #define KBUILD_MODNAME \"{name}\"\n#define __KBUILD_MODNAME kmod_{name}\n"
    )
}

/// The predefined macros of a unit kbuild compiles as part of the kernel image rather than a
/// module (arch/x86/kernel/asm-offsets.c): `predefined` (for the target module) without `MODULE`
/// and with the object's own `KBUILD_BASENAME`/`KBUILD_MODNAME`.
pub fn builtin_object_defines(predefined: &str, stem: &str) -> String {
    let drop = ["MODULE", "KBUILD_BASENAME", "KBUILD_MODNAME", "__KBUILD_MODNAME"];
    let mut out: String = predefined
        .lines()
        .filter(|l| !define_name(l).is_some_and(|n| drop.contains(&n)))
        .flat_map(|l| [l, "\n"])
        .collect();
    out.push_str(&format!(
        "#define KBUILD_BASENAME \"{stem}\"\n#define KBUILD_MODNAME \"{stem}\"\n#define __KBUILD_MODNAME kmod_{stem}\n"
    ));
    out
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
        assert!(out.status.success(), "gcc-12 failed: {}", String::from_utf8_lossy(&out.stderr));
        let mut lines: Vec<String> =
            String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
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
            "{what}: the shipped table differs from the compiler's -dM -E\nonly in gcc: {missing:#?}\nonly in ours: {extra:#?}"
        );
    }

    #[test]
    fn gcc_table_is_current() {
        let table = TABLES.iter().find(|t| t.major == 12).unwrap();
        let version = Command::new("gcc-12").arg("-dumpfullversion").output().unwrap();
        assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), "12.2.0");
        let base = gcc_macros(&BASE_FLAGS);
        assert_same(&sorted(table.macros), &base, "base table");
        // Every rule: the base table with the rule applied equals gcc with the rule's flags.
        for rule in flag_rules("CONFIG_HAVE_OBJTOOL_NOP_MCOUNT -funsigned-char -std=gnu89") {
            let mut flags: Vec<&str> = BASE_FLAGS.to_vec();
            flags.extend(rule.flags.iter().map(String::as_str).filter(|f| *f != "-mnop-mcount"));
            let mut ours = table.macros.to_string();
            rule.write_defines(&mut ours);
            assert_same(&sorted(&ours), &gcc_macros(&flags), &rule.flags.join(" "));
        }
    }

    /// Every shipped table against its real compiler: the test runs `cargo xtask
    /// compiler-tables`' own generation (`xtask::compilers::generate`, which fetches and
    /// unpacks the suite's cpp-N under target/compilers/ when the cache lacks it, so it needs the
    /// package archive the first time, and fails, never passes, without it). The macros must be
    /// equal; when the suite has moved on to another release of the major, equal after the
    /// version macros are taken from that release (the claim `CompilerChoice::macros` makes),
    /// and the note says to regenerate. The attribute answers must be equal, and every flag rule
    /// applied to the table must equal the compiler run with the rule's flags.
    #[test]
    fn shipped_tables_match_their_compilers() {
        let majors: Vec<u32> = TABLES.iter().map(|t| t.major).collect();
        assert_eq!(majors, xtask::compilers::majors(), "a table for every suite's compiler");
        let mut checked = Vec::new();
        for table in TABLES {
            let generated = xtask::compilers::generate(table.major).unwrap_or_else(|e| {
                panic!("gcc-{}: cannot run the real compiler (the package archive is needed the first time): {e}", table.major)
            });
            let c = xtask::compilers::ensure(table.major).unwrap();
            let real_version = gcc_version_of(&generated.macros);
            if real_version == table.gcc_version() {
                assert_same(
                    &sorted(table.macros),
                    &sorted(&generated.macros),
                    &format!("gcc-{}", table.major),
                );
            } else {
                let version_line = generated
                    .macros
                    .lines()
                    .find_map(|l| l.strip_prefix("#define __VERSION__ "))
                    .unwrap()
                    .trim_matches('"')
                    .to_string();
                let choice = CompilerChoice {
                    compiler: CompilerId::Gcc { version: real_version },
                    version_text: format!(
                        "cpp-{} (Debian {}) {version_line}",
                        table.major,
                        c.package_version()
                    ),
                    table,
                    problem: None,
                };
                assert_same(
                    &sorted(&choice.macros()),
                    &sorted(&generated.macros),
                    &format!("gcc-{}", table.major),
                );
                eprintln!(
                    "note: gcc-{}: the suite now has {} (the table is from {}): equal but for the version; \
                     run `cargo xtask compiler-tables {}`",
                    table.major, real_version, table.gcc_version(), table.major
                );
            }
            assert_eq!(
                table.answers, generated.answers,
                "gcc-{}: __has_attribute answers",
                table.major
            );
            for rule in flag_rules("CONFIG_HAVE_OBJTOOL_NOP_MCOUNT -funsigned-char -std=gnu89") {
                let mut flags: Vec<&str> = BASE_FLAGS.to_vec();
                flags
                    .extend(rule.flags.iter().map(String::as_str).filter(|f| *f != "-mnop-mcount"));
                let mut ours = generated.macros.clone();
                rule.write_defines(&mut ours);
                let theirs = c.macros(&flags).unwrap();
                assert_same(
                    &sorted(&ours),
                    &sorted(&theirs),
                    &format!("gcc-{} {}", table.major, rule.flags.join(" ")),
                );
            }
            assert!(
                PROVENANCE
                    .lines()
                    .any(|l| l
                        .starts_with(&format!("{} {} cpp-{}=", table.major, c.suite, table.major))),
                "gcc-{}: not in data/compilers.txt",
                table.major
            );
            checked.push(format!(
                "gcc-{} ({} cpp-{}={})",
                table.major,
                c.suite,
                table.major,
                c.package_version()
            ));
        }
        eprintln!("checked against the real compilers: {}", checked.join(", "));
    }

    fn config(lines: &str) -> crate::config::ConfigFile {
        crate::config::ConfigFile::parse("test.config", lines).unwrap()
    }

    #[test]
    fn a_clang_config_is_refused_naming_clang_even_forced() {
        // What Android and ChromeOS configs say (they also carry a CONFIG_GCC_VERSION=0).
        let c = config(
            "CONFIG_CC_VERSION_TEXT=\"Debian clang version 16.0.6 (15)\"\nCONFIG_CC_IS_CLANG=y\n\
             CONFIG_CLANG_VERSION=160006\nCONFIG_GCC_VERSION=0\n",
        );
        let choice = choose_for_options(&c.options);
        assert_eq!(choice.compiler, CompilerId::Clang { version: 160006 });
        for force in [false, true] {
            let e = choice.check(force).unwrap_err();
            assert!(e.contains("clang") && e.contains("CONFIG_CC_IS_CLANG=y"), "{e}");
            assert!(e.contains("known compilers: gcc 9.") && e.contains("gcc 12.2.0"), "{e}");
        }
    }

    #[test]
    fn a_gcc_without_data_is_refused_unless_forced_then_the_nearest_with_a_warning() {
        let c = config("CONFIG_CC_VERSION_TEXT=\"gcc (GCC) 4.9.4\"\nCONFIG_CC_IS_GCC=y\nCONFIG_GCC_VERSION=40904\n");
        let choice = choose_for_options(&c.options);
        assert_eq!(choice.problem, Some(CompilerProblem::NoTable));
        let e = choice.check(false).unwrap_err();
        assert!(e.contains("CONFIG_GCC_VERSION=40904") && e.contains("gcc (GCC) 4.9.4"), "{e}");
        assert!(e.contains("known compilers:") && e.contains("--force"), "{e}");
        let nearest = TABLES.iter().min_by_key(|t| t.major).unwrap();
        assert_eq!(choice.table.major, nearest.major);
        let w = choice.check(true).unwrap().unwrap();
        assert!(w.contains("40904") && w.contains(&nearest.name()), "{w}");
        // The forced table is used as it is (its own version macros).
        assert_eq!(choice.macros(), nearest.macros);
        // No compiler at all (a config before 4.18): the same route.
        let none = choose_for_options(&config("CONFIG_X=y\n").options);
        assert_eq!(none.compiler, CompilerId::Unnamed);
        assert!(none.check(false).unwrap_err().contains("names no compiler"));
        assert!(none.check(true).unwrap().is_some());
    }

    #[test]
    fn another_release_of_a_shipped_major_takes_its_version_from_the_config() {
        let t = TABLES.iter().find(|t| t.major == 12).unwrap();
        let exact = format!(
            "CONFIG_CC_VERSION_TEXT=\"gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0\"\nCONFIG_CC_IS_GCC=y\nCONFIG_GCC_VERSION={}\n",
            t.gcc_version()
        );
        let choice = choose_for_options(&config(&exact).options);
        assert_eq!((choice.problem, choice.check(false)), (None, Ok(None)));
        assert_eq!(choice.macros(), t.macros);
        let other = "CONFIG_CC_VERSION_TEXT=\"gcc-12 (Ubuntu 12.3.0-1ubuntu1~22.04) 12.3.0\"\n\
                     CONFIG_CC_IS_GCC=y\nCONFIG_GCC_VERSION=120300\n";
        let choice = choose_for_options(&config(other).options);
        assert_eq!(choice.check(false), Ok(None));
        let macros = choice.macros();
        assert!(macros.contains("#define __GNUC_MINOR__ 3\n"), "{macros}");
        assert!(macros.contains("#define __GNUC_PATCHLEVEL__ 0\n"));
        assert!(macros.contains("#define __VERSION__ \"12.3.0\"\n"));
        assert_eq!(macros.lines().count(), t.macros.lines().count());
        assert_eq!(
            gcc_version_string("gcc-10 (Debian 10.2.1-6) 10.2.1 20210110"),
            Some("10.2.1 20210110")
        );
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
        let applied: Vec<&str> =
            rules.iter().filter(|r| r.applies(&debian)).map(|r| r.flags[0].as_str()).collect();
        assert_eq!(applied, ["-O2", "-fstack-protector-strong", "-g", "-pg"]);
        assert_eq!(define_name("#define __INT64_C(c) c ## L"), Some("__INT64_C"));
    }
}
