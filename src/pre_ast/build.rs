//! Building the pre-AST from a kernel tree and a target file: the include graph under every
//! configuration at once.
//!
//! Starting from kbuild's forced includes and the target, every `#include` and `#include_next`
//! of every branch is followed, and every `__has_include`/`__has_include_next` probe is resolved
//! (a file that exists is stored, so later existence answers are right: a path absent from the
//! pre-AST does not exist). Computed includes (`#include MACRO`) are resolved by collecting every
//! `#define` of the macro in all files seen (all branches) and resolving each candidate, until
//! nothing new is found. Whatever cannot be resolved is recorded with the including file and
//! line, as a warning: in a branch no configuration activates it is harmless.
//!
//! The result is exactly the set of files a preprocessor can open for this target under any
//! configuration, given the same resolution rule (`pre_ast::resolve_in`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::pre_ast::directives::{self, Directive, IncludeTarget};
use crate::pre_ast::kernel_source::{self, Excerpt, KernelSource};
use crate::pre_ast::tree::KernelTree;
use crate::pre_ast::vfs::{self, DiskMap};
use crate::pre_ast::{
    predefined, resolve_in, FileId, FileKind, GeneratedHeader, Metadata, PreAst, PreAstFile,
    UnresolvedInclude,
};

/// What to build from.
#[derive(Clone, Debug)]
pub struct BuildInput {
    pub tree: KernelTree,
    /// The target's file name (its virtual path is `target/<name>`), e.g. `forensics.c`.
    pub target_name: String,
    pub target_text: String,
    /// The target's directory on disk, for its quoted includes (`None` for the built-in target).
    pub target_dir: Option<PathBuf>,
    /// Kept for callers; the compiler is no longer checked here (`make-profile` chooses the
    /// compiler data from the target's config), so nothing is forced today.
    pub force: bool,
}

/// Where private types come from besides the tree (`build-pre-ast --kernel-source`).
#[derive(Clone, Debug, Default)]
pub struct PrivateSources {
    /// The same kernel's full source, for the private files the headers package lacks.
    pub kernel_source: Option<Arc<KernelSource>>,
    /// The `.c` files whose declarations may be taken (from the kernel source or the tree), and
    /// which: a `.c` file is never stored whole.
    pub excerpts: Vec<Excerpt>,
}

/// Counts for the summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildStats {
    pub files: usize,
    pub bytes_in: u64,
    pub computed_includes_resolved: usize,
}

/// A build that could not be done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildError {
    Read { path: PathBuf, message: String },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Read { path, message } => write!(f, "{}: {message}", path.display()),
        }
    }
}

impl std::error::Error for BuildError {}

/// Builds the pre-AST; also returns warnings (besides the unresolved includes it records).
pub fn build(input: &BuildInput) -> Result<(PreAst, BuildStats, Vec<String>), BuildError> {
    build_with(input, &PrivateSources::default())
}

/// [`build`] with the private files of a kernel source and the `.c` excerpts to take.
pub fn build_with(
    input: &BuildInput,
    private: &PrivateSources,
) -> Result<(PreAst, BuildStats, Vec<String>), BuildError> {
    let tree = &input.tree;
    let mut warnings = Vec::new();
    let separate = tree.srctree != tree.objtree;
    let order = vfs::kbuild_search_order(separate, &tree.src_makefile);
    if let Some(source) = &private.kernel_source {
        if source.version != tree.kernel_version {
            let e = format!(
                "the kernel source is Linux {}, the tree is Linux {}: give the same kernel's source",
                source.version, tree.kernel_version
            );
            if !input.force {
                return Err(BuildError::Read { path: PathBuf::from(&source.origin), message: e });
            }
            warnings.push(format!("{e} (built anyway because of --force)"));
        }
    }
    let mut map = DiskMap::new(tree, input.target_dir.clone());
    if vfs::uses_compiler_include(&tree.src_makefile) {
        match compiler_include_dir(tree.gcc_version / 10000) {
            Some((dir, cc)) => {
                if cc != format!("gcc-{}", tree.gcc_version / 10000) {
                    warnings.push(format!(
                        "the tree's kbuild reaches the compiler's own headers (<stdarg.h>); they are \
                         {cc}'s ({}), not the tree's gcc-{}'s",
                        dir.display(),
                        tree.gcc_version / 10000
                    ));
                }
                map.compiler_include = Some(dir);
            }
            None => warnings.push(
                "the tree's kbuild reaches the compiler's own headers (<stdarg.h>), but no gcc on this \
                 machine says where they are (`gcc -print-file-name=include`): they are not stored"
                    .to_string(),
            ),
        }
    }
    let mut g = Graph {
        map: &map,
        kernel_source: private.kernel_source.as_deref(),
        excerpts: &private.excerpts,
        from_kernel_source: Vec::new(),
        excerpt_warnings: Vec::new(),
        dirs: &order.dirs,
        files: Vec::new(),
        seen: FxHashMap::default(),
        queue: Vec::new(),
        defines: FxHashMap::default(),
        unresolved: Vec::new(),
        failed_probes: Vec::new(),
        bytes_in: 0,
        not_utf8: Vec::new(),
    };
    let mut forced = Vec::new();
    for path in &order.forced_includes {
        match g.open(path)? {
            Some(id) => forced.push(id),
            None => g.unresolved.push(UnresolvedInclude {
                from: "<command line>".to_string(),
                line: 0,
                spelled: path.clone(),
                reason: "forced include (-include) not found in the tree".to_string(),
            }),
        }
    }
    let target_path = format!("{}/{}", vfs::TARGET, input.target_name);
    let target = g.add(target_path.clone(), input.target_text.clone(), input.target_text.len());
    // The unit behind asm-offsets.h (its expressions, from the tree's copy), a second root so
    // that every header it reaches is stored (`generated::asm_offsets_unit`).
    let asm_offsets_vpath =
        format!("{}/include/generated/asm-offsets.h", if separate { vfs::OBJ } else { vfs::SRC });
    if let Some(real) = map.real_path(&asm_offsets_vpath) {
        if let Ok(stored) = std::fs::read_to_string(&real) {
            let unit = crate::pre_ast::asm_offsets::asm_offsets_unit(&stored);
            let n = unit.len();
            g.add(crate::pre_ast::asm_offsets::ASM_OFFSETS_UNIT_PATH.to_string(), unit, n);
        }
    }
    let mut computed: Vec<(FileId, u32, bool, String)> = Vec::new();
    let mut tried: FxHashSet<(FileId, u32, String)> = FxHashSet::default();
    let mut resolved: FxHashSet<(FileId, u32)> = FxHashSet::default();
    loop {
        // Breadth-first, one level at a time: the files of a level are scanned in parallel
        // (scanning is pure), then their includes are resolved in order, which reads the next
        // level from disk. The order, and so the output, does not depend on the threads.
        while !g.queue.is_empty() {
            let level = std::mem::take(&mut g.queue);
            let scanned = scan_parallel(&g.files, &level);
            for (id, found) in level.into_iter().zip(scanned) {
                g.process(id, found, &mut computed)?;
            }
        }
        // Computed includes: try every definition of the macro seen so far; a newly opened file
        // can bring new definitions, so repeat until nothing new is tried.
        let mut progressed = false;
        for (from, line, next, text) in &computed {
            for candidate in candidates(text, &g.defines) {
                if !tried.insert((*from, *line, candidate.spelled())) {
                    continue;
                }
                progressed = true;
                if g.include(*from, &candidate, *next)?.is_some() {
                    resolved.insert((*from, *line));
                }
            }
        }
        if !progressed && g.queue.is_empty() {
            break;
        }
    }
    for (from, line, _, text) in &computed {
        if resolved.contains(&(*from, *line)) {
            continue;
        }
        let name = macro_name(text);
        let tried_here: Vec<String> =
            candidates(text, &g.defines).iter().map(IncludeTarget::spelled).collect();
        let reason = if !tried_here.is_empty() {
            format!("computed include: no candidate exists ({})", tried_here.join(", "))
        } else {
            match g.defines.get(name) {
                Some(defs) if defs.iter().all(|d| d.0) => format!(
                    "computed include: `{name}` is function-like, its expansion depends on its arguments"
                ),
                Some(_) => format!("computed include: no definition of `{name}` names a header"),
                None => format!("computed include: `{name}` is defined in no file of the graph"),
            }
        };
        let from_path = g.files[from.0 as usize].path.clone();
        g.unresolved.push(UnresolvedInclude {
            from: from_path,
            line: *line,
            spelled: text.clone(),
            reason,
        });
    }
    let resolved_computed = resolved.len();
    for path in &g.not_utf8 {
        warnings.push(format!("{path}: not valid UTF-8; invalid bytes were replaced by U+FFFD"));
    }
    warnings.append(&mut g.excerpt_warnings);
    let from_kernel_source = std::mem::take(&mut g.from_kernel_source);
    let g_failed = g.failed_probes;
    let mut files = g.files;
    for f in &mut files {
        if let Some(rel) = map.obj_relative(&f.path) {
            if let Some(h) = generated_kind(rel) {
                f.kind = FileKind::ConfigDerived(h);
            }
        }
    }
    let mut unresolved = g.unresolved;
    unresolved.sort_by(|a, b| (&a.from, a.line, &a.spelled).cmp(&(&b.from, b.line, &b.spelled)));
    let stats = BuildStats {
        files: files.len(),
        bytes_in: g.bytes_in,
        computed_includes_resolved: resolved_computed,
    };
    let meta = Metadata {
        kernel_release: tree.kernel_release.clone(),
        kernel_version: tree.kernel_version.clone(),
        arch: "x86_64".to_string(),
        compiler: tree.cc_version_text.clone(),
    };
    let mut pre = PreAst::new(meta, files, order.dirs.clone());
    pre.forced_includes = forced;
    pre.target = Some(target);
    let stem =
        Path::new(&input.target_name).file_stem().and_then(|s| s.to_str()).unwrap_or("target");
    // The compiler's own macros are chosen by `make-profile` from the target's config.
    pre.predefined = predefined::kbuild_defines(stem);
    pre.gcc_version = tree.gcc_version;
    pre.kbuild_flags = kbuild_flags(&tree.src_makefile);
    if tree.src_makefile.contains("-fmacro-prefix-map=$(srcroot)/=") {
        // Linux 6.13 on maps only `$(srcroot)`, the module's directory: the headers keep the
        // source tree's absolute path in `__FILE__`.
        let root = tree.srctree.canonicalize().unwrap_or_else(|_| tree.srctree.clone());
        pre.src_file_prefix = format!("{}/", root.display());
    }
    pre.flag_rules = predefined::flag_rules(&tree.src_makefile);
    // Linux before 5.18 (arch/x86/Makefile): with CONFIG_X86_X32 and a binutils that links x32
    // (Debian's does), kbuild adds -DCONFIG_X86_X32_ABI, which autoconf.h lacks.
    let arch_makefile =
        std::fs::read_to_string(tree.srctree.join("arch/x86/Makefile")).unwrap_or_default();
    pre.flag_rules.extend(predefined::arch_flag_rules(&arch_makefile));
    pre.unresolved = unresolved;
    pre.srctree_name =
        tree.srctree.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if let Some(source) = &private.kernel_source {
        pre.kernel_source = format!("{} ({})", source.origin, source.version);
    }
    pre.from_kernel_source = from_kernel_source;
    pre.notes = target_notes(
        &input.target_text,
        g_failed.iter().filter(|(f, _)| *f == target).map(|(_, l)| *l),
    );
    Ok((pre, stats, warnings))
}

/// The compiler's own header directory on this machine (`gcc-N -print-file-name=include` for the
/// tree's major release `N`, else `gcc`'s), with the compiler's name. GCC's freestanding headers
/// the kernel reaches (`stdarg.h`) define the same macros under kbuild's flags in every release
/// we ship (see `compiler_headers_are_the_same_in_every_release`).
pub fn compiler_include_dir(major: u32) -> Option<(PathBuf, String)> {
    for cc in [format!("gcc-{major}"), "gcc".to_string()] {
        let Ok(out) = std::process::Command::new(&cc).arg("-print-file-name=include").output()
        else {
            continue;
        };
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && dir.join("stdarg.h").is_file() {
            return Some((dir, cc));
        }
    }
    None
}

/// The kind of a generated header, by its path relative to the object tree. The four named
/// kinds are regenerated by `make-profile`; the others differ between flavours of one kernel
/// (found by diffing the Debian 6.1 amd64, cloud and rt trees and 6.12 amd64 and cloud): the
/// release string, the build stamp and the x32 syscall table (present only with
/// `CONFIG_X86_X32_ABI`).
pub fn generated_kind(obj_relative: &str) -> Option<GeneratedHeader> {
    Some(match obj_relative {
        "include/generated/autoconf.h" => GeneratedHeader::Autoconf,
        "include/generated/bounds.h" => GeneratedHeader::Bounds,
        "include/generated/timeconst.h" => GeneratedHeader::Timeconst,
        "include/generated/asm-offsets.h" => GeneratedHeader::AsmOffsets,
        "arch/x86/include/generated/asm/cpufeaturemasks.h" => GeneratedHeader::CpuFeatureMasks,
        "include/generated/utsrelease.h"
        | "include/generated/utsversion.h"
        | "include/generated/compile.h"
        | "arch/x86/include/generated/asm/syscalls_x32.h" => GeneratedHeader::Other,
        _ => return None,
    })
}

/// The config-independent kbuild flags that matter to preprocessing, with virtual paths.
fn kbuild_flags(src_makefile: &str) -> Vec<String> {
    let mut flags: Vec<String> = predefined::BASE_FLAGS.iter().map(|s| s.to_string()).collect();
    if predefined::uses_gnu89(src_makefile) {
        flags.push("-std=gnu89".to_string());
    }
    if src_makefile.contains("-funsigned-char") {
        flags.push("-funsigned-char".to_string());
    }
    if !src_makefile.contains("-fmacro-prefix-map=$(srcroot)/=") {
        flags.push(format!("-fmacro-prefix-map={}/=", vfs::SRC));
    }
    flags.extend(["-D__KERNEL__", "-DMODULE"].map(String::from));
    flags
}

/// What the target wanted but this tree lacks: for each `__has_include` probe of the target
/// that found nothing, the target's own explanation, a `// unavailable-without-source: …`
/// comment on the line before the probe (or the probe line itself when there is none).
fn target_notes(text: &str, failed_lines: impl Iterator<Item = u32>) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut notes: Vec<String> = failed_lines
        .filter_map(|line| {
            let idx = line as usize;
            let probe = lines.get(idx.checked_sub(1)?)?.trim();
            // `!__has_include(…)` guards a fallback: its failing is the fallback being used.
            if probe.contains("!__has_include") {
                return None;
            }
            let before = idx
                .checked_sub(2)
                .and_then(|i| lines.get(i))
                .map(|l| l.trim());
            match before.and_then(|l| l.strip_prefix("// unavailable-without-source:")) {
                Some(why) => Some(format!(
                    "{}; `build-pre-ast --kernel-source SRC` (the same kernel's source tree or tarball) brings it",
                    why.trim()
                )),
                None => Some(format!("line {line}: `{probe}` found nothing in this tree")),
            }
        })
        .collect();
    notes.dedup();
    notes
}

/// The candidates of a computed include `text` (a macro name, possibly with arguments): every
/// object-like definition of the macro that is a header name, following macro-to-macro
/// definitions.
fn candidates(text: &str, defines: &FxHashMap<String, Vec<(bool, String)>>) -> Vec<IncludeTarget> {
    let mut out = Vec::new();
    let mut stack = vec![macro_name(text).to_string()];
    let mut visited: FxHashSet<String> = FxHashSet::default();
    while let Some(name) = stack.pop() {
        if !visited.insert(name.clone()) {
            continue;
        }
        for (function_like, body) in defines.get(&name).map(Vec::as_slice).unwrap_or(&[]) {
            if *function_like {
                continue;
            }
            match IncludeTarget::parse(body) {
                IncludeTarget::Computed(t) => {
                    let n = macro_name(&t);
                    if !n.is_empty() && n.len() == t.trim().len() {
                        stack.push(n.to_string());
                    }
                }
                t => {
                    if !out.contains(&t) {
                        out.push(t);
                    }
                }
            }
        }
    }
    out
}

fn macro_name(text: &str) -> &str {
    let t = text.trim();
    let end =
        t.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$')).unwrap_or(t.len());
    &t[..end]
}

/// The directives of each file of `ids`, on up to `available_parallelism` threads.
fn scan_parallel(files: &[PreAstFile], ids: &[FileId]) -> Vec<Vec<Directive>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let total: usize = ids.iter().map(|id| files[id.0 as usize].text.len()).sum();
    if threads < 2 || total < 1 << 16 {
        return ids.iter().map(|id| directives::scan(&files[id.0 as usize].text)).collect();
    }
    // Contiguous groups of about equal size, so the results stay in order.
    let per_thread = total / threads + 1;
    let mut groups: Vec<&[FileId]> = Vec::new();
    let (mut start, mut acc) = (0, 0);
    for (i, id) in ids.iter().enumerate() {
        acc += files[id.0 as usize].text.len();
        if acc >= per_thread {
            groups.push(&ids[start..=i]);
            start = i + 1;
            acc = 0;
        }
    }
    groups.push(&ids[start..]);
    std::thread::scope(|scope| {
        let handles: Vec<_> = groups
            .iter()
            .map(|g| {
                scope.spawn(move || {
                    g.iter()
                        .map(|id| directives::scan(&files[id.0 as usize].text))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("scanning does not panic")).collect()
    })
}

struct Graph<'a> {
    map: &'a DiskMap,
    kernel_source: Option<&'a KernelSource>,
    excerpts: &'a [Excerpt],
    /// What was taken from the kernel source (virtual paths; excerpts with what they kept).
    from_kernel_source: Vec<String>,
    /// Names an excerpt asked for that its file does not declare.
    excerpt_warnings: Vec<String>,
    dirs: &'a [String],
    files: Vec<PreAstFile>,
    /// Every virtual path probed, with the file when it exists.
    seen: FxHashMap<String, Option<FileId>>,
    queue: Vec<FileId>,
    /// Every `#define` seen in any file: name → (function-like, body).
    defines: FxHashMap<String, Vec<(bool, String)>>,
    unresolved: Vec<UnresolvedInclude>,
    /// `__has_include` probes that found nothing: (file, line).
    failed_probes: Vec<(FileId, u32)>,
    bytes_in: u64,
    /// Files that were not valid UTF-8 (their invalid bytes were replaced).
    not_utf8: Vec<String>,
}

impl Graph<'_> {
    fn add(&mut self, path: String, text: String, n_bytes: usize) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.bytes_in += n_bytes as u64;
        self.seen.insert(path.clone(), Some(id));
        self.files.push(PreAstFile { path, text: text.into(), kind: FileKind::Source });
        self.queue.push(id);
        id
    }

    /// The file at a normalised virtual path, read from disk the first time: from the tree, else
    /// (a private path under `src/`) from the kernel source. A `.c` file is stored only as the
    /// excerpt an [`Excerpt`] asks for.
    fn open(&mut self, vpath: &str) -> Result<Option<FileId>, BuildError> {
        if let Some(r) = self.seen.get(vpath) {
            return Ok(*r);
        }
        let src_rel = vpath.strip_prefix("src/");
        let excerpt = src_rel
            .filter(|rel| rel.ends_with(".c"))
            .map(|rel| self.excerpts.iter().find(|e| e.file == rel));
        if excerpt == Some(None) {
            // A `.c` file nobody asked an excerpt of is not an include file of the pre-AST.
            self.seen.insert(vpath.to_string(), None);
            return Ok(None);
        }
        let mut bytes = self.read_tree(vpath)?;
        let mut from_source = false;
        if bytes.is_none() {
            if let (Some(source), Some(rel)) = (self.kernel_source, src_rel) {
                bytes = source.read(rel).map_err(|message| BuildError::Read {
                    path: PathBuf::from(&source.origin),
                    message,
                })?;
                from_source = bytes.is_some();
            }
        }
        let Some(bytes) = bytes else {
            self.seen.insert(vpath.to_string(), None);
            return Ok(None);
        };
        let n = bytes.len();
        let mut text = match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                self.not_utf8.push(vpath.to_string());
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
        };
        let mut record = vpath.to_string();
        if let Some(Some(ex)) = excerpt {
            let (kept, missing) = kernel_source::excerpt(&text, &ex.names);
            for name in missing {
                self.excerpt_warnings
                    .push(format!("{vpath}: no file-scope declaration of `{name}` to take"));
            }
            text = kept;
            record = format!("{vpath}: {}", ex.names.join(", "));
        }
        if from_source {
            self.from_kernel_source.push(record);
        }
        Ok(Some(self.add(vpath.to_string(), text, n)))
    }

    /// A file of the tree itself (`None` when it is not there).
    fn read_tree(&mut self, vpath: &str) -> Result<Option<Vec<u8>>, BuildError> {
        let Some(real) = self.map.real_path(vpath) else {
            return Ok(None);
        };
        match std::fs::read(&real) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(None)
            }
            // A directory of that name is not a file to include (GCC skips it too).
            Err(_) if real.is_dir() => Ok(None),
            Err(e) => Err(BuildError::Read { path: real, message: e.to_string() }),
        }
    }

    fn include(
        &mut self,
        from: FileId,
        target: &IncludeTarget,
        next: bool,
    ) -> Result<Option<FileId>, BuildError> {
        let (name, angled) = match target {
            IncludeTarget::Angled(n) => (n, true),
            IncludeTarget::Quoted(n) => (n, false),
            IncludeTarget::Computed(_) => return Ok(None),
        };
        let from_path = self.files[from.0 as usize].path.clone();
        let mut err = None;
        let dirs = self.dirs;
        let found = resolve_in(dirs, &from_path, name, angled, next, &mut |p| match self.open(p) {
            Ok(r) => r,
            Err(e) => {
                err.get_or_insert(e);
                None
            }
        });
        match err {
            Some(e) => Err(e),
            None => Ok(found),
        }
    }

    fn process(
        &mut self,
        id: FileId,
        found: Vec<Directive>,
        computed: &mut Vec<(FileId, u32, bool, String)>,
    ) -> Result<(), BuildError> {
        for d in found {
            match d {
                Directive::Define { name, function_like, body, .. } => {
                    let defs = self.defines.entry(name).or_default();
                    if !defs.iter().any(|(f, b)| *f == function_like && *b == body) {
                        defs.push((function_like, body));
                    }
                }
                Directive::Include { line, next, target } => {
                    if let IncludeTarget::Computed(text) = &target {
                        computed.push((id, line, next, text.clone()));
                    } else if self.include(id, &target, next)?.is_none() {
                        self.unresolved.push(UnresolvedInclude {
                            from: self.files[id.0 as usize].path.clone(),
                            line,
                            spelled: target.spelled(),
                            reason: "not found in any include directory".to_string(),
                        });
                    }
                }
                Directive::HasInclude { line, next, target } => {
                    // A probe that finds nothing is an answer (0), not a problem; the file's
                    // absence from the pre-AST records it. Only a computed probe is reported.
                    if let IncludeTarget::Computed(text) = &target {
                        self.unresolved.push(UnresolvedInclude {
                            from: self.files[id.0 as usize].path.clone(),
                            line,
                            spelled: text.clone(),
                            reason: "computed __has_include probe is not resolved".to_string(),
                        });
                    } else if self.include(id, &target, next)?.is_none() {
                        self.failed_probes.push((id, line));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The built-in target: the headers forensics tools read, one declaration per type they need.
pub const BUILTIN_TARGET: &str = include_str!("../../targets/forensics.c");
/// Its file name (its virtual path is `target/forensics.c`).
pub const BUILTIN_TARGET_NAME: &str = "forensics.c";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pre_ast::tree;

    /// Writes a fixture (`//- /path` markers, rust-analyzer style) into a fresh temporary
    /// directory and returns it.
    pub(crate) fn fixture(name: &str, text: &str) -> PathBuf {
        let root =
            std::env::temp_dir().join(format!("layout-expert-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for chunk in text.split("//- /").skip(1) {
            let (path, body) = chunk.split_once('\n').unwrap_or((chunk, ""));
            let p = root.join(path.trim());
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, body).unwrap();
        }
        root
    }

    const DEBIAN_TREE: &str = r#"
//- /usr/src/headers-common/Makefile
VERSION = 6
PATCHLEVEL = 1
SUBLEVEL = 192
USERINCLUDE := -include $(srctree)/include/linux/compiler-version.h
//- /usr/src/headers-common/include/linux/compiler-version.h
//- /usr/src/headers-common/include/linux/kconfig.h
#include <generated/autoconf.h>
//- /usr/src/headers-common/include/linux/compiler_types.h
#ifdef __CHECKER__
#include <linux/checker.h>
#endif
//- /usr/src/headers-common/include/linux/types.h
#include "local.h"
#ifdef CONFIG_A
#include <linux/a.h>
#else
#include <linux/b.h>
#endif
#include <asm/foo.h>
#if __has_include(<linux/probed.h>) || __has_include(<linux/absent.h>)
#endif
#define HDR <linux/c.h>
#define HDR_ALIAS HDR
#define TRACE_INCLUDE(x) <trace/x.h>
//- /usr/src/headers-common/include/linux/local.h
//- /usr/src/headers-common/include/linux/a.h
#include <generated/bounds.h>
//- /usr/src/headers-common/include/linux/b.h
#include <linux/missing.h>
//- /usr/src/headers-common/include/linux/c.h
//- /usr/src/headers-common/include/linux/checker.h
//- /usr/src/headers-common/include/linux/probed.h
//- /usr/src/headers-common/include/linux/computed.h
#include HDR_ALIAS
#include TRACE_INCLUDE(foo)
//- /usr/src/headers-common/include/linux/unused.h
//- /usr/src/headers-common/arch/x86/include/asm/foo.h
#include_next <asm/foo.h>
//- /usr/src/headers-amd64/arch/x86/include/generated/asm/foo.h
#include <asm-generic/foo.h>
//- /usr/src/headers-common/include/asm-generic/foo.h
//- /usr/src/headers-amd64/Makefile
include /nonexistent/usr/src/headers-common/Makefile
//- /usr/src/headers-amd64/.config
#
# Linux/x86 6.1.192 Kernel Configuration
#
CONFIG_CC_VERSION_TEXT="gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0"
CONFIG_GCC_VERSION=120200
//- /usr/src/headers-amd64/include/generated/autoconf.h
#define CONFIG_A 1
//- /usr/src/headers-amd64/include/generated/bounds.h
//- /usr/src/headers-amd64/include/generated/utsrelease.h
#define UTS_RELEASE "6.1.0-56-amd64"
"#;

    const TARGET: &str = "#include <linux/types.h>\n#include <linux/computed.h>\n\
        // unavailable-without-source: struct mount: fs/mount.h is not public\n\
        #if __has_include(<../fs/mount.h>)\n#include <../fs/mount.h>\n#endif\n";

    fn build_fixture(name: &str) -> (PreAst, tree::KernelTree) {
        let root = fixture(name, DEBIAN_TREE);
        let tree = tree::discover(&root.join("usr/src/headers-amd64")).unwrap();
        let input = BuildInput {
            tree: tree.clone(),
            target_name: "t.c".into(),
            target_text: TARGET.into(),
            target_dir: None,
            force: false,
        };
        let (pre, stats, warnings) = build(&input).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(stats.files, pre.files.len());
        std::fs::remove_dir_all(root).unwrap();
        (pre, tree)
    }

    #[test]
    fn debian_tree_with_relocated_common_dir() {
        let (pre, tree) = build_fixture("debian");
        assert_eq!(tree.layout, tree::TreeLayout::SeparateObjtree);
        assert!(tree.srctree.ends_with("usr/src/headers-common"));
        assert_eq!(tree.relocated_from, Some(PathBuf::from("/nonexistent/usr/src/headers-common")));
        assert_eq!(pre.meta.kernel_release, "6.1.0-56-amd64");
        assert_eq!(pre.meta.kernel_version, "6.1.192");
        assert_eq!(pre.gcc_version, 120200);
        assert_eq!(pre.srctree_name, "headers-common");
        let mut paths: Vec<&str> = pre.files.iter().map(|f| f.path.as_str()).collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                "obj/arch/x86/include/generated/asm/foo.h",
                "obj/include/generated/autoconf.h",
                "obj/include/generated/bounds.h",
                "src/arch/x86/include/asm/foo.h",
                "src/include/asm-generic/foo.h",
                "src/include/linux/a.h",
                "src/include/linux/b.h",
                "src/include/linux/c.h",
                "src/include/linux/checker.h",
                "src/include/linux/compiler-version.h",
                "src/include/linux/compiler_types.h",
                "src/include/linux/computed.h",
                "src/include/linux/kconfig.h",
                "src/include/linux/local.h",
                "src/include/linux/probed.h",
                "src/include/linux/types.h",
                "target/t.c",
            ]
        );
        let forced: Vec<&str> =
            pre.forced_includes.iter().map(|&id| pre.file(id).path.as_str()).collect();
        assert_eq!(
            forced,
            [
                "src/include/linux/compiler-version.h",
                "src/include/linux/kconfig.h",
                "src/include/linux/compiler_types.h"
            ]
        );
        let kind = |p: &str| pre.file(pre.lookup(p).unwrap()).kind.clone();
        assert_eq!(
            kind("obj/include/generated/autoconf.h"),
            FileKind::ConfigDerived(GeneratedHeader::Autoconf)
        );
        assert_eq!(
            kind("obj/include/generated/bounds.h"),
            FileKind::ConfigDerived(GeneratedHeader::Bounds)
        );
        assert_eq!(kind("src/include/linux/types.h"), FileKind::Source);
        // The loaded model resolves the same way the builder did.
        let foo = pre.lookup("src/arch/x86/include/asm/foo.h").unwrap();
        assert_eq!(
            pre.resolve_include(foo, "asm/foo.h", true, true),
            pre.lookup("obj/arch/x86/include/generated/asm/foo.h")
        );
        assert_eq!(pre.resolve_include(pre.target.unwrap(), "linux/absent.h", true, false), None);
        let unresolved: Vec<String> = pre
            .unresolved
            .iter()
            .map(|u| format!("{}:{}: {}: {}", u.from, u.line, u.spelled, u.reason))
            .collect();
        assert_eq!(
            unresolved,
            [
                "src/include/linux/b.h:1: <linux/missing.h>: not found in any include directory",
                "src/include/linux/computed.h:2: TRACE_INCLUDE(foo): computed include: `TRACE_INCLUDE` is function-like, its expansion depends on its arguments",
                "target/t.c:5: <../fs/mount.h>: not found in any include directory",
            ]
        );
        assert_eq!(
            pre.notes,
            ["struct mount: fs/mount.h is not public; `build-pre-ast --kernel-source SRC` (the same kernel's source tree or tarball) brings it"]
        );
        // The compiler's macros come from the target's config (`PreAst::predefined_for`).
        assert!(!pre.predefined.contains("__GNUC__"));
        assert!(pre.predefined.contains("#define KBUILD_MODNAME \"t\"\n"));
    }

    #[test]
    fn source_only_headers_are_used_when_the_tree_has_them() {
        let root = fixture(
            "fullsrc",
            &format!("{DEBIAN_TREE}//- /usr/src/headers-common/fs/mount.h\n#include <linux/c.h>\n"),
        );
        let tree = tree::discover(&root.join("usr/src/headers-amd64")).unwrap();
        let input = BuildInput {
            tree,
            target_name: "t.c".into(),
            target_text: TARGET.into(),
            target_dir: None,
            force: false,
        };
        let (pre, _, _) = build(&input).unwrap();
        assert!(pre.lookup("src/fs/mount.h").is_some());
        assert!(pre.notes.is_empty(), "{:?}", pre.notes);
        assert!(!pre.unresolved.iter().any(|u| u.spelled.contains("mount")));
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn private_files_come_from_the_kernel_source_and_c_files_only_as_excerpts() {
        let root = fixture(
            "kernelsrc",
            &format!(
                "{DEBIAN_TREE}//- /src/Makefile\nVERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\n\
                 //- /src/kernel/Kconfig\n\
                 //- /src/fs/mount.h\n#include <linux/c.h>\n#include \"internal.h\"\n\
                 //- /src/fs/internal.h\n\
                 //- /src/include/linux/c.h\nnot the package's\n\
                 //- /src/kernel/k.c\n#include <linux/kthread.h>\nstruct kthread {{\n\tint a;\n}};\nstatic int f(void)\n{{\n\treturn 0;\n}}\n\
                 //- /src/kernel/other.c\nint x;\n"
            ),
        );
        let tree = tree::discover(&root.join("usr/src/headers-amd64")).unwrap();
        let target = format!(
            "{TARGET}#include <../kernel/k.c>\n#if __has_include(<../kernel/other.c>)\n#endif\n"
        );
        let input = BuildInput {
            tree,
            target_name: "t.c".into(),
            target_text: target,
            target_dir: None,
            force: false,
        };
        let private = PrivateSources {
            kernel_source: Some(Arc::new(KernelSource::open(&root.join("src"), &[]).unwrap())),
            excerpts: vec![Excerpt {
                file: "kernel/k.c".into(),
                names: vec!["struct kthread".into(), "struct gone".into()],
            }],
        };
        let (pre, _, warnings) = build_with(&input, &private).unwrap();
        assert_eq!(
            warnings,
            ["src/kernel/k.c: no file-scope declaration of `struct gone` to take"]
        );
        // Only the probe for a `.c` file no excerpt names found nothing.
        assert_eq!(
            pre.notes,
            ["line 8: `#if __has_include(<../kernel/other.c>)` found nothing in this tree"]
        );
        assert_eq!(pre.kernel_source, format!("{} (6.1.192)", root.join("src").display()));
        assert_eq!(
            pre.from_kernel_source,
            ["src/fs/mount.h", "src/kernel/k.c: struct kthread, struct gone", "src/fs/internal.h"]
        );
        // Public headers still come from the headers package.
        let c = pre.file(pre.lookup("src/include/linux/c.h").unwrap());
        assert_eq!(&*c.text, "");
        // The excerpt keeps the struct on its lines, and nothing else.
        let k = pre.file(pre.lookup("src/kernel/k.c").unwrap());
        assert_eq!(&*k.text, "\nstruct kthread {\n\tint a;\n};\n\n\n\n\n");
        assert!(pre.lookup("src/kernel/other.c").is_none());
        // A source of another version is refused.
        std::fs::write(root.join("src/Makefile"), "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 170\n")
            .unwrap();
        let other = PrivateSources {
            kernel_source: Some(Arc::new(KernelSource::open(&root.join("src"), &[]).unwrap())),
            ..private
        };
        let e = build_with(&input, &other).unwrap_err();
        assert!(e.to_string().contains("Linux 6.1.170, the tree is Linux 6.1.192"), "{e}");
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn build_directory_and_in_place_tree() {
        // `make O=build`: the build directory's Makefile includes the source tree's.
        let root = fixture(
            "odir",
            r#"
//- /linux/Makefile
VERSION = 6
PATCHLEVEL = 12
SUBLEVEL = 117
//- /linux/include/linux/kconfig.h
//- /build/Makefile
# Automatically generated by scripts/mkmakefile: don't edit
include ROOT/linux/Makefile
//- /build/.config
CONFIG_GCC_VERSION=120200
//- /build/include/generated/autoconf.h
//- /build/include/config/kernel.release
6.12.117
"#,
        );
        let mk = root.join("build/Makefile");
        let text = std::fs::read_to_string(&mk).unwrap().replace("ROOT", root.to_str().unwrap());
        std::fs::write(&mk, text).unwrap();
        let t = tree::discover(&root.join("build")).unwrap();
        assert_eq!((t.layout, t.relocated_from.clone()), (tree::TreeLayout::SeparateObjtree, None));
        assert_eq!(
            (t.kernel_release.as_str(), t.kernel_version.as_str()),
            ("6.12.117", "6.12.117")
        );
        // The source directory itself has no build output: a clear error pointing at O=.
        let e = tree::discover(&root.join("linux")).unwrap_err();
        assert!(e.message.contains("no .config") && e.message.contains("O=DIR"), "{e}");
        // Prepared in place.
        std::fs::copy(root.join("build/.config"), root.join("linux/.config")).unwrap();
        std::fs::create_dir_all(root.join("linux/include/generated")).unwrap();
        std::fs::write(root.join("linux/include/generated/autoconf.h"), "").unwrap();
        std::fs::write(
            root.join("linux/include/generated/utsrelease.h"),
            "#define UTS_RELEASE \"6.12.0-custom\"\n",
        )
        .unwrap();
        let t = tree::discover(&root.join("linux")).unwrap();
        assert_eq!(
            (t.layout, t.kernel_release.as_str()),
            (tree::TreeLayout::InPlace, "6.12.0-custom")
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn build_directory_inside_the_source_tree() {
        // `make O=build` from the source tree writes `include ../Makefile` (kbuild's srctree is
        // then `..`).
        let root = fixture(
            "osubdir",
            "//- /linux/Makefile\nVERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n\
             //- /linux/include/linux/kconfig.h\n\
             //- /linux/build/Makefile\ninclude ../Makefile\n\
             //- /linux/build/.config\nCONFIG_GCC_VERSION=120200\n\
             //- /linux/build/include/generated/autoconf.h\n\
             //- /linux/build/include/config/kernel.release\n6.1.0\n",
        );
        let t = tree::discover(&root.join("linux/build")).unwrap();
        assert_eq!(t.layout, tree::TreeLayout::SeparateObjtree);
        assert_eq!(t.srctree.canonicalize().unwrap(), root.join("linux").canonicalize().unwrap());
        assert_eq!(t.kernel_version, "6.1.0");
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn not_a_kernel_tree() {
        let root =
            fixture("notkernel", "//- /empty/README\nhello\n//- /make/Makefile\nall:\n\techo hi\n");
        for (dir, needle) in [
            ("missing", "does not exist"),
            ("empty/README", "is not a directory"),
            ("empty", "no Makefile"),
            ("make", "not a kernel Makefile"),
        ] {
            let e = tree::discover(&root.join(dir)).unwrap_err();
            assert!(e.to_string().contains(needle), "{dir}: {e}");
        }
        std::fs::remove_dir_all(root).unwrap();
    }

    /// A 5.10-style tree (`-isystem $(shell $(CC) -print-file-name=include)`, linux/kernel.h
    /// including <stdarg.h>): the compiler's header is stored under `cc/include`, searched after
    /// every -I directory, with gcc-12's text (the machine's compiler of the tree's release).
    #[test]
    fn compiler_headers_the_tree_reaches_are_stored() {
        let text = DEBIAN_TREE
            .replace(
                "USERINCLUDE := -include $(srctree)/include/linux/compiler-version.h\n",
                "NOSTDINC_FLAGS += -nostdinc -isystem $(shell $(CC) -print-file-name=include)\n",
            )
            .replace("#include \"local.h\"\n", "#include \"local.h\"\n#include <stdarg.h>\n");
        let root = fixture("ccinclude", &text);
        let tree = tree::discover(&root.join("usr/src/headers-amd64")).unwrap();
        let input = BuildInput {
            tree,
            target_name: "t.c".into(),
            target_text: TARGET.into(),
            target_dir: None,
            force: false,
        };
        let (pre, _, warnings) = build(&input).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(pre.search_dirs.last().map(String::as_str), Some(vfs::CC_INCLUDE));
        let id = pre.lookup("cc/include/stdarg.h").expect("stdarg.h stored");
        let (dir, cc) = compiler_include_dir(12).unwrap();
        assert_eq!(cc, "gcc-12");
        assert_eq!(&*pre.file(id).text, std::fs::read_to_string(dir.join("stdarg.h")).unwrap());
        std::fs::remove_dir_all(root).unwrap();
    }

    /// The compiler header the kernel reaches, `<stdarg.h>`, gives the same macros and the same
    /// declarations under kbuild's flags (gnu11 and gnu89) in every GCC release we ship, each run
    /// with its own header directory (`libgcc-N-dev`, unpacked by `xtask::compilers`): so the one
    /// copy the pre-AST stores serves a target built by any of them.
    #[test]
    fn compiler_headers_are_the_same_in_every_release() {
        let base = predefined::BASE_FLAGS.to_vec();
        // Not `<stddef.h>`: GCC 9's defines three more guard macros (`__DEFINED_size_t`, …),
        // with the same declarations; 5.10 reaches it only from user-space uapi branches.
        for header in ["stdarg.h"] {
            for std in ["-std=gnu11", "-std=gnu89"] {
                let mut reference: Option<(u32, String, String)> = None;
                for major in xtask::compilers::majors() {
                    let c = xtask::compilers::ensure(major)
                        .unwrap_or_else(|e| panic!("gcc-{major}: {e}"));
                    let inc = c.include_dir();
                    assert!(inc.join(header).is_file(), "{}", inc.display());
                    let inc = inc.display().to_string();
                    let mut flags = base.clone();
                    flags.extend([std, "-isystem", inc.as_str()]);
                    let mut with_flags = flags.clone();
                    with_flags.extend(["-include", header]);
                    let with = c.macros(&with_flags).unwrap();
                    let without =
                        c.macros(&base.iter().copied().chain([std]).collect::<Vec<_>>()).unwrap();
                    // `-dM` of an include also lists the base macros; keep what the header adds.
                    let added: String = with
                        .lines()
                        .filter(|l| !without.lines().any(|w| w == *l))
                        .map(|l| format!("{l}\n"))
                        .collect();
                    let mut e_flags = flags.clone();
                    e_flags.extend(["-E", "-P"]);
                    let decls = c.cpp(&e_flags, &format!("#include <{header}>\n")).unwrap();
                    assert!(
                        !added.is_empty() && !decls.trim().is_empty(),
                        "gcc-{major} {header}: {added}"
                    );
                    match &reference {
                        None => reference = Some((major, added, decls)),
                        Some((m, a, d)) => {
                            assert_eq!(
                                (a, d),
                                (&added, &decls),
                                "{header}: gcc-{major} vs gcc-{m} ({std})"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_tree_compiler_does_not_matter_to_the_pre_ast() {
        // The pre-AST is config-independent: a tree built by a compiler we ship no data for
        // gives the same pre-AST (the compiler data is chosen from the target's config).
        let root = fixture("othercc", DEBIAN_TREE);
        let cfg = root.join("usr/src/headers-amd64/.config");
        let build_it = || {
            let tree = tree::discover(&root.join("usr/src/headers-amd64")).unwrap();
            let input = BuildInput {
                tree,
                target_name: "t.c".into(),
                target_text: TARGET.into(),
                target_dir: None,
                force: false,
            };
            build(&input).unwrap()
        };
        let (gcc12, _, _) = build_it();
        let text = std::fs::read_to_string(&cfg)
            .unwrap()
            .replace("CONFIG_GCC_VERSION=120200", "CONFIG_GCC_VERSION=130300");
        std::fs::write(&cfg, text).unwrap();
        let (gcc13, _, warnings) = build_it();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(gcc12.predefined, gcc13.predefined);
        assert!(!gcc13.predefined.contains("__GNUC__"), "{}", gcc13.predefined);
        std::fs::remove_dir_all(root).unwrap();
    }
}
