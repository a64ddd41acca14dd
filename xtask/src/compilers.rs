//! The real GCC releases behind the shipped compiler tables, unpacked from Debian's archive
//! without installing anything, and the task that regenerates the tables from them.
//!
//! Each GCC major release comes from the Debian suite that has it (`SUITES`). apt is pointed at
//! that suite with a sources file, package lists and a cache of our own under
//! `target/compilers/<suite>/` (the machine's apt state is not touched; the archive's address is
//! the one the machine's own apt sources use). `cpp-N` (and, from trixie on, the
//! `cpp-N-x86-64-linux-gnu` package that holds the binaries), its shared libraries and the suite's
//! own `libc6` are fetched with `apt-get download` at whatever version the suite has now (a pinned
//! version would disappear from sid within weeks; the versions used are recorded in
//! `src/pre_ast/data/compilers.txt`) and unpacked with `dpkg-deb -x`. The driver and `cc1` are run
//! through the suite's own dynamic loader (`ld.so --library-path …`, and GCC's `-wrapper` for the
//! subprocesses), so a compiler that needs a newer glibc than the machine's still runs.
//!
//! `compiler-tables` writes, per major release, `gcc-N-x86_64-kbuild.macros` (`-dM -E` under
//! kbuild's base flags, `src/pre_ast/data/kbuild-base-flags.txt`, sorted) and `gcc-N.answers`
//! (`__has_attribute`/`__has_builtin` for every name of `src/pre_ast/data/gcc-queries.txt`).
//! The library's test `shipped_tables_match_their_compilers` runs the same generation and
//! compares.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use crate::util::{self, Result};
use crate::{bail, format_err};

/// The Debian suite of each GCC major release we ship a table for. GCC 8 was last in buster,
/// which has left the archive; 9 and 10 are bullseye's, 11 and 12 bookworm's, 13 and 14
/// trixie's, 15 and 16 sid's.
pub const SUITES: &[(&str, &[u32])] =
    &[("bullseye", &[9, 10]), ("bookworm", &[11, 12]), ("trixie", &[13, 14]), ("sid", &[15, 16])];

/// Every major release with a suite.
pub fn majors() -> Vec<u32> {
    SUITES.iter().flat_map(|(_, m)| m.iter().copied()).collect()
}

/// The suite that has `major`.
pub fn suite_of(major: u32) -> Option<&'static str> {
    SUITES.iter().find(|(_, m)| m.contains(&major)).map(|(s, _)| *s)
}

/// One fetch at a time in this process (tests run in parallel threads, and apt locks its lists);
/// the unpacked roots are renamed into place, so other processes see whole ones only.
static FETCH: Mutex<()> = Mutex::new(());

fn fetch_lock() -> std::sync::MutexGuard<'static, ()> {
    FETCH.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Where the suites' apt state and the unpacked compilers live.
pub fn cache_dir() -> PathBuf {
    util::target_dir().join("compilers")
}

/// One unpacked compiler.
#[derive(Clone, Debug)]
pub struct Compiler {
    pub major: u32,
    pub suite: &'static str,
    /// The unpacked root (`usr/bin/cpp-N`, `usr/libexec/gcc/…`, the suite's libc).
    pub root: PathBuf,
    /// `(package, version)` of every package unpacked there.
    pub packages: Vec<(String, String)>,
}

/// The archive address the machine's own apt sources use for Debian (not its security archive).
fn mirror() -> Result<String> {
    if let Ok(m) = std::env::var("LAYOUT_EXPERT_DEBIAN_MIRROR") {
        return Ok(m);
    }
    let mut texts = Vec::new();
    if let Ok(t) = std::fs::read_to_string("/etc/apt/sources.list") {
        texts.push(t);
    }
    if let Ok(dir) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut paths: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            let name = p.to_string_lossy();
            if name.ends_with(".sources") || name.ends_with(".list") {
                if let Ok(t) = std::fs::read_to_string(&p) {
                    texts.push(t);
                }
            }
        }
    }
    for text in &texts {
        for line in text.lines().map(str::trim) {
            let uri = if let Some(rest) = line.strip_prefix("URIs:") {
                rest.split_whitespace().next()
            } else if let Some(rest) = line.strip_prefix("deb ") {
                rest.split_whitespace().find(|w| w.contains("://"))
            } else {
                None
            };
            if let Some(uri) = uri {
                let uri = uri.trim_end_matches('/');
                if uri.ends_with("/debian") {
                    return Ok(uri.to_string());
                }
            }
        }
    }
    bail!("no Debian archive in the machine's apt sources; set LAYOUT_EXPERT_DEBIAN_MIRROR")
}

/// apt with its state under `dir`, reading only `dir/sources.sources`.
fn apt(tool: &str, dir: &Path) -> Command {
    let mut c = Command::new(tool);
    c.arg(format!("-oDir::Etc::SourceList={}", dir.join("sources.sources").display()))
        .arg("-oDir::Etc::SourceParts=/dev/null")
        .arg(format!("-oDir::State::Lists={}", dir.join("lists").display()))
        .arg(format!("-oDir::Cache={}", dir.join("cache").display()))
        .arg("-oDir::State::status=/dev/null")
        .arg("-oAPT::Sandbox::User=root")
        .arg("-q");
    c
}

/// The suite's apt state, updated once (`lists/.updated` marks it done).
fn ensure_suite(suite: &str) -> Result<PathBuf> {
    let dir = cache_dir().join(suite);
    let stamp = dir.join("lists/.updated");
    if stamp.is_file() {
        return Ok(dir);
    }
    for d in ["lists/partial", "cache/archives/partial", "debs"] {
        util::create_dir_all(&dir.join(d))?;
    }
    util::write(
        &dir.join("sources.sources"),
        format!(
            "Types: deb\nURIs: {}\nSuites: {suite}\nComponents: main\n\
             Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n",
            mirror()?
        ),
    )?;
    eprintln!("compilers: apt-get update for {suite}");
    util::run(apt("apt-get", &dir).arg("update"))?;
    util::write(&stamp, "")?;
    Ok(dir)
}

/// The packages `pkg` depends on directly (real packages only).
fn depends(dir: &Path, pkg: &str) -> Result<Vec<String>> {
    let out = util::run_stdout(
        apt("apt-cache", dir).args(["depends", "--no-recommends", "--no-suggests"]).arg(pkg),
    )?;
    Ok(out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Depends: "))
        .filter(|d| !d.starts_with('<'))
        .map(str::to_string)
        .collect())
}

/// Whether the suite has a real (not only virtual) package `pkg`.
fn has_package(dir: &Path, pkg: &str) -> bool {
    apt("apt-cache", dir)
        .args(["show", "--no-all-versions", pkg])
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| {
            o.status.success()
                && String::from_utf8_lossy(&o.stdout).contains(&format!("Package: {pkg}\n"))
        })
}

/// The unpacked `cpp-N` of its suite, fetched and unpacked the first time (`.unpacked` lists
/// the packages and versions; its presence means the root is complete).
pub fn ensure(major: u32) -> Result<Compiler> {
    let _guard = fetch_lock();
    ensure_locked(major)
}

fn ensure_locked(major: u32) -> Result<Compiler> {
    let Some(suite) = suite_of(major) else {
        bail!("no Debian suite has gcc-{major} (known: {:?})", majors())
    };
    let root = cache_dir().join(suite).join(format!("gcc-{major}"));
    // The stamp's name changes when the package set does (2: libgcc-N-dev for the headers).
    let stamp = root.join(".unpacked-2");
    if let Ok(text) = std::fs::read_to_string(&stamp) {
        let packages = text
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(p, v)| (p.to_string(), v.to_string()))
            .collect();
        return Ok(Compiler { major, suite, root, packages });
    }
    let dir = ensure_suite(suite)?;
    let cpp = format!("cpp-{major}");
    let mut wanted = vec![cpp.clone()];
    let arch = format!("cpp-{major}-x86-64-linux-gnu");
    if has_package(&dir, &arch) {
        wanted.push(arch);
    }
    let mut deps: Vec<String> = Vec::new();
    for p in &wanted {
        deps.extend(depends(&dir, p)?);
    }
    deps.push("libc6".into());
    // The compiler's own headers (`-print-file-name=include`: stdarg.h and friends).
    deps.push(format!("libgcc-{major}-dev"));
    for d in deps {
        if !d.starts_with("cpp-") && !wanted.contains(&d) {
            wanted.push(d);
        }
    }
    let debs = dir.join("debs").join(format!("gcc-{major}"));
    let tmp = root.with_extension("tmp");
    let packages = download_and_unpack(&dir, suite, "compilers", &wanted, &debs, &tmp)?;
    for p in &wanted {
        if !packages.iter().any(|(name, _)| name == p) {
            bail!("apt-get download {p} ({suite}) produced no package in {}", debs.display());
        }
    }
    util::remove_dir_all_if_exists(&root)?;
    std::fs::rename(&tmp, &root).map_err(|e| format_err!("{}: {e}", root.display()))?;
    let listing: String = packages.iter().map(|(p, v)| format!("{p} {v}\n")).collect();
    util::write(&stamp, listing)?;
    // The unpacked root is what is kept; the packages can be fetched again.
    util::remove_dir_all_if_exists(&debs)?;
    Ok(Compiler { major, suite, root, packages })
}

/// [`ensure`] plus the `gcc-N` driver (and, from trixie on, `gcc-N-x86-64-linux-gnu`), for
/// building kernel modules with that release (`oracle`).
pub fn ensure_gcc(major: u32) -> Result<Compiler> {
    let _guard = fetch_lock();
    let mut c = ensure_locked(major)?;
    let stamp = c.root.join(".gcc-unpacked");
    if let Ok(text) = std::fs::read_to_string(&stamp) {
        c.packages.extend(
            text.lines()
                .filter_map(|l| l.split_once(' '))
                .map(|(p, v)| (p.to_string(), v.to_string())),
        );
        return Ok(c);
    }
    let dir = ensure_suite(c.suite)?;
    let mut wanted = vec![format!("gcc-{major}")];
    let arch = format!("gcc-{major}-x86-64-linux-gnu");
    if has_package(&dir, &arch) {
        wanted.push(arch);
    }
    let debs = dir.join("debs").join(format!("gcc-{major}-driver"));
    util::remove_dir_all_if_exists(&debs)?;
    util::create_dir_all(&debs)?;
    eprintln!("compilers: apt-get download {} ({})", wanted.join(" "), c.suite);
    util::run(apt("apt-get", &dir).arg("download").args(&wanted).current_dir(&debs))?;
    let mut listing = String::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&debs)
        .map_err(|e| format_err!("{}: {e}", debs.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for deb in &files {
        let field = |f: &str| {
            util::run_stdout(Command::new("dpkg-deb").args(["-f"]).arg(deb).arg(f))
                .map(|s| s.trim().to_string())
        };
        let (p, v) = (field("Package")?, field("Version")?);
        listing.push_str(&format!("{p} {v}\n"));
        c.packages.push((p, v));
        util::run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&c.root))?;
    }
    util::remove_dir_all_if_exists(&debs)?;
    util::write(&stamp, listing)?;
    Ok(c)
}

impl Compiler {
    /// The `CC` for kbuild: the unpacked `gcc-N` driver, run directly when this machine's glibc
    /// can run it, else through the suite's loader (with `-wrapper` for `cc1`).
    pub fn cc(&self) -> Result<String> {
        let n = self.major;
        let driver = [format!("usr/bin/x86_64-linux-gnu-gcc-{n}"), format!("usr/bin/gcc-{n}")]
            .iter()
            .map(|p| self.root.join(p))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                format_err!("{}: no gcc-{n} driver unpacked (ensure_gcc)", self.root.display())
            })?;
        let direct =
            Command::new(&driver).arg("--version").output().is_ok_and(|o| o.status.success());
        if direct {
            return Ok(driver.display().to_string());
        }
        let ld_so = self.ld_so()?;
        let libs =
            format!("{0}/lib/x86_64-linux-gnu:{0}/usr/lib/x86_64-linux-gnu", self.root.display());
        Ok(format!(
            "{} --library-path {libs} {} -wrapper {},--library-path,{libs}",
            ld_so.display(),
            driver.display(),
            ld_so.display()
        ))
    }

    /// The version of the `cpp-N` package.
    pub fn package_version(&self) -> &str {
        self.packages
            .iter()
            .find(|(p, _)| *p == format!("cpp-{}", self.major))
            .map_or("", |(_, v)| v.as_str())
    }

    /// The compiler's own header directory (`-print-file-name=include`), from `libgcc-N-dev`.
    pub fn include_dir(&self) -> PathBuf {
        self.root.join(format!("usr/lib/gcc/x86_64-linux-gnu/{}/include", self.major))
    }

    fn ld_so(&self) -> Result<PathBuf> {
        [
            "usr/lib64/ld-linux-x86-64.so.2",
            "lib64/ld-linux-x86-64.so.2",
            "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        ]
        .iter()
        .map(|p| self.root.join(p))
        .find(|p| p.exists())
        .ok_or_else(|| format_err!("{}: no ld-linux-x86-64.so.2 unpacked", self.root.display()))
    }

    fn driver(&self) -> Result<PathBuf> {
        let n = self.major;
        [format!("usr/bin/x86_64-linux-gnu-cpp-{n}"), format!("usr/bin/cpp-{n}")]
            .iter()
            .map(|p| self.root.join(p))
            .find(|p| p.is_file())
            .ok_or_else(|| format_err!("{}: no cpp-{n} driver unpacked", self.root.display()))
    }

    /// Runs the preprocessor driver with `args` on `input` (C on standard input) and returns its
    /// standard output. Everything runs under the suite's own loader and libraries.
    pub fn cpp(&self, args: &[&str], input: &str) -> Result<String> {
        let ld_so = self.ld_so()?;
        let libs =
            format!("{0}/lib/x86_64-linux-gnu:{0}/usr/lib/x86_64-linux-gnu", self.root.display());
        let mut cmd = Command::new(&ld_so);
        cmd.arg("--library-path")
            .arg(&libs)
            .arg(self.driver()?)
            .arg("-wrapper")
            .arg(format!("{},--library-path,{libs}", ld_so.display()))
            .args(args)
            .args(["-x", "c", "-"])
            .env("LC_ALL", "C")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let shown = util::show_command(&cmd);
        let mut child = cmd.spawn().map_err(|e| format_err!("{shown}: {e}"))?;
        child
            .stdin
            .take()
            .ok_or_else(|| format_err!("{shown}: no stdin"))?
            .write_all(input.as_bytes())
            .map_err(|e| format_err!("{shown}: {e}"))?;
        let out = child.wait_with_output().map_err(|e| format_err!("{shown}: {e}"))?;
        if !out.status.success() {
            bail!("{shown}: {}", String::from_utf8_lossy(&out.stderr));
        }
        String::from_utf8(out.stdout).map_err(|_| format_err!("{shown}: output is not UTF-8"))
    }

    /// `-dM -E` under `flags`, lines sorted bytewise.
    pub fn macros(&self, flags: &[&str]) -> Result<String> {
        let mut args = flags.to_vec();
        args.extend(["-dM", "-E"]);
        let out = self.cpp(&args, "")?;
        let mut lines: Vec<&str> = out.lines().collect();
        lines.sort();
        Ok(lines.iter().map(|l| format!("{l}\n")).collect())
    }

    /// The compiler's answers to `queries` (`attribute NAME` / `builtin NAME` lines) under
    /// `flags`, as `operator NAME present|absent` lines, then `attribute NAME VALUE` lines in the same order
    /// (no `builtin` lines when `__has_builtin` is absent).
    pub fn answers(&self, queries: &str, flags: &[&str]) -> Result<String> {
        let mut args = flags.to_vec();
        args.extend(["-E", "-P"]);
        // Which query operators exist (`OPERATORS`): an absent one is an ordinary identifier,
        // and its queries are not asked.
        let mut out_text = String::new();
        let mut absent = Vec::new();
        for op in OPERATORS {
            let probe =
                self.cpp(&args, &format!("#ifdef {op}\npresent\n#else\nabsent\n#endif\n"))?;
            let state = probe.trim();
            if state == "absent" {
                absent.push(*op);
            }
            out_text.push_str(&format!("operator {op} {state}\n"));
        }
        let mut src = String::new();
        let list: Vec<(&str, &str)> = parse_queries(queries)
            .into_iter()
            .filter(|(kind, _)| !(*kind == "builtin" && absent.contains(&"__has_builtin")))
            .collect();
        for (kind, name) in &list {
            let op = if *kind == "attribute" { "__has_attribute" } else { "__has_builtin" };
            src.push_str(&format!("{kind} {name} {op}({name})\n"));
        }
        let out = self.cpp(&args, &src)?;
        let got: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
        if got.len() != list.len() {
            bail!("gcc-{}: {} answers for {} queries", self.major, got.len(), list.len());
        }
        for l in got {
            let words: Vec<&str> = l.split_whitespace().collect();
            if words.len() != 3 || words[2].parse::<u32>().is_err() {
                bail!("gcc-{}: unexpected answer line {l:?}", self.major);
            }
            out_text.push_str(&format!("{}\n", words.join(" ")));
        }
        Ok(out_text)
    }
}

/// The query operators whose presence depends on the GCC release (`__has_builtin` from GCC 10,
/// `__has_c_attribute` from 11, `__has_feature`/`__has_extension` from 14).
pub const OPERATORS: &[&str] =
    &["__has_builtin", "__has_c_attribute", "__has_feature", "__has_extension"];

/// The query list: `(kind, name)` of each non-comment line.
pub fn parse_queries(text: &str) -> Vec<(&str, &str)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
        .collect()
}

/// The data directory of the compiler tables.
pub fn data_dir() -> PathBuf {
    util::repo_root().join("src/pre_ast/data")
}

/// kbuild's base flags, from the data file the library also reads.
pub fn base_flags() -> Result<Vec<String>> {
    let text = util::read_to_string(&data_dir().join("kbuild-base-flags.txt"))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect())
}

/// One generated table.
pub struct Table {
    pub major: u32,
    pub macros: String,
    pub answers: String,
    /// `N suite cpp-N=VERSION`, the line of `compilers.txt`.
    pub provenance: String,
}

/// Generates the table of `major` from its real compiler.
pub fn generate(major: u32) -> Result<Table> {
    let c = ensure(major)?;
    let flags = base_flags()?;
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let queries = util::read_to_string(&data_dir().join("gcc-queries.txt"))?;
    Ok(Table {
        major,
        macros: c.macros(&flags)?,
        answers: c.answers(&queries, &flags)?,
        provenance: format!("{major} {} cpp-{major}={}\n", c.suite, c.package_version()),
    })
}

/// The `compiler-tables` task: regenerates the tables of `majors` into `src/pre_ast/data/` and
/// the provenance list, and prints what it wrote.
pub fn write_tables(majors: &[u32]) -> Result<()> {
    let dir = data_dir();
    let list_path = dir.join("compilers.txt");
    let mut lines: Vec<String> = std::fs::read_to_string(&list_path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(String::from)
        .collect();
    for &major in majors {
        let t = generate(major)?;
        util::write(&dir.join(format!("gcc-{major}-x86_64-kbuild.macros")), &t.macros)?;
        util::write(&dir.join(format!("gcc-{major}.answers")), &t.answers)?;
        lines.retain(|l| l.split(' ').next() != Some(&major.to_string()));
        lines.push(t.provenance.trim_end().to_string());
        println!("compiler-tables: gcc-{major}: {}", t.provenance.trim_end());
    }
    lines.sort_by_key(|l| l.split(' ').next().and_then(|m| m.parse::<u32>().ok()));
    let mut text = String::from(
        "# Written by `cargo xtask compiler-tables`: GCC major, Debian suite, the cpp package it ran.\n",
    );
    for l in lines {
        text.push_str(&l);
        text.push('\n');
    }
    util::write(&list_path, text)
}

/// A kernel series fetched from a Debian suite (not pinned: the suite's newest ABI of the
/// series, recorded in the stamp), unpacked as `kernels` unpacks the pinned ones.
#[derive(Clone, Debug)]
pub struct SuiteKernel {
    /// `target/kernels/<series>-<suite>`.
    pub prefix_dir: PathBuf,
    /// `(flavour, tree directory)`, e.g. `("amd64", …/usr/src/linux-headers-5.10.0-32-amd64)`.
    pub flavours: Vec<(String, PathBuf)>,
    /// `package version` lines.
    pub packages: String,
}

/// The headers of `series` (e.g. `5.10`) for `flavours` (`amd64`, `cloud-amd64`) from `suite`,
/// with their `-common` headers and `linux-kbuild-<series>`, unpacked under
/// `target/kernels/<series>-<suite>/` the first time.
pub fn ensure_suite_kernel(suite: &str, series: &str, flavours: &[&str]) -> Result<SuiteKernel> {
    let _guard = fetch_lock();
    let prefix_dir = crate::kernels::cache_dir().join(format!("{series}-{suite}"));
    let stamp = prefix_dir.join(".layout-expert-suite-stamp");
    let find_flavours = |packages: &str| -> Result<Vec<(String, PathBuf)>> {
        flavours
            .iter()
            .map(|f| {
                let pkg = packages
                    .lines()
                    .filter_map(|l| l.split(' ').next())
                    .find(|p| p.starts_with("linux-headers-") && p.ends_with(&format!("-{f}")))
                    .ok_or_else(|| {
                        format_err!("no linux-headers-{series}*-{f} among {packages}")
                    })?;
                Ok((f.to_string(), prefix_dir.join("usr/src").join(pkg)))
            })
            .collect()
    };
    if let Ok(packages) = std::fs::read_to_string(&stamp) {
        return Ok(SuiteKernel { flavours: find_flavours(&packages)?, prefix_dir, packages });
    }
    let dir = ensure_suite(suite)?;
    let names = util::run_stdout(
        apt("apt-cache", &dir).arg("pkgnames").arg(format!("linux-headers-{series}")),
    )?;
    // The newest ABI that has every flavour: `linux-headers-5.10.0-32-amd64` → `5.10.0-32`.
    let mut abis: Vec<String> = names
        .lines()
        .filter_map(|n| {
            n.strip_prefix("linux-headers-")?.strip_suffix(&format!("-{}", flavours[0]))
        })
        .filter(|abi| !abi.contains("-rt") && !abi.contains("-cloud"))
        .filter(|abi| {
            flavours.iter().all(|f| names.lines().any(|n| n == format!("linux-headers-{abi}-{f}")))
        })
        .map(String::from)
        .collect();
    abis.sort_by_key(|a| {
        a.split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse::<u32>().ok())
            .collect::<Vec<u32>>()
    });
    let Some(abi) = abis.last() else {
        bail!("{suite} has no linux-headers-{series}* for {flavours:?}")
    };
    let mut wanted: Vec<String> =
        flavours.iter().map(|f| format!("linux-headers-{abi}-{f}")).collect();
    wanted.push(format!("linux-headers-{abi}-common"));
    // 5.10's kbuild package is named by series, 6.12's and 7.x's by ABI.
    let kbuild_abi = format!("linux-kbuild-{abi}");
    wanted.push(if has_package(&dir, &kbuild_abi) {
        kbuild_abi
    } else {
        format!("linux-kbuild-{series}")
    });
    let debs = dir.join("debs").join(format!("linux-{series}"));
    let tmp = prefix_dir.with_extension("tmp");
    let packages: String = download_and_unpack(&dir, suite, "kernels", &wanted, &debs, &tmp)?
        .iter()
        .map(|(p, v)| format!("{p} {v}\n"))
        .collect();
    for f in flavours {
        let flavour = tmp.join("usr/src").join(format!("linux-headers-{abi}-{f}"));
        crate::kernels::rewrite_flavour_makefile(&flavour, &prefix_dir)?;
        // 7.x flavour Makefiles also set `KBUILD_OUTPUT=/usr/src/<flavour>`.
        let makefile = flavour.join("Makefile");
        let text = util::read_to_string(&makefile)?;
        let text = text.replace(
            "KBUILD_OUTPUT=/usr/src/",
            &format!("KBUILD_OUTPUT={}/usr/src/", prefix_dir.display()),
        );
        util::write(&makefile, text)?;
    }
    util::remove_dir_all_if_exists(&prefix_dir)?;
    std::fs::rename(&tmp, &prefix_dir).map_err(|e| format_err!("{}: {e}", prefix_dir.display()))?;
    util::write(&stamp, &packages)?;
    util::remove_dir_all_if_exists(&debs)?;
    Ok(SuiteKernel { flavours: find_flavours(&packages)?, prefix_dir, packages })
}

/// Downloads `wanted` from `suite` (apt state under `dir`) into a fresh `debs` directory and unpacks
/// every downloaded package into a fresh `tmp`; returns each package's name and version, in file
/// order. `what` prefixes the progress line.
fn download_and_unpack(
    dir: &Path,
    suite: &str,
    what: &str,
    wanted: &[String],
    debs: &Path,
    tmp: &Path,
) -> Result<Vec<(String, String)>> {
    util::remove_dir_all_if_exists(debs)?;
    util::create_dir_all(debs)?;
    eprintln!("{what}: apt-get download {} ({suite})", wanted.join(" "));
    util::run(apt("apt-get", dir).arg("download").args(wanted).current_dir(debs))?;
    util::remove_dir_all_if_exists(tmp)?;
    util::create_dir_all(tmp)?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(debs)
        .map_err(|e| format_err!("{}: {e}", debs.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    files.sort();
    let mut packages = Vec::new();
    for deb in &files {
        let field = |f: &str| {
            util::run_stdout(Command::new("dpkg-deb").args(["-f"]).arg(deb).arg(f))
                .map(|s| s.trim().to_string())
        };
        packages.push((field("Package")?, field("Version")?));
        util::run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(tmp))?;
    }
    Ok(packages)
}
