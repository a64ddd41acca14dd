//! The preprocessing engine: walks file skeletons, runs directives, and expands macros the way
//! GCC's cpplib does.
//!
//! Expansion follows cpplib's model rather than textbook hide sets, because the goal is GCC's
//! exact output: a stack of token contexts, one per macro expansion being read (plus pushed-back
//! tokens and argument pre-expansion); a macro is disabled while its context is on the stack, and
//! an identifier naming a disabled macro is marked `NO_EXPAND` for good (C11 6.10.3.4p2).
//! Padding tokens carry the spacing information GCC uses for `#` stringification, so strings built
//! from macro arguments are byte-for-byte GCC's. Token pasting is done when the replacement list
//! is built (placemarkers per C11 6.10.3.3), which gives the same tokens as cpplib's lazy pasting.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use smol_str::SmolStr;
use syntax::{SyntaxKind, T};

use crate::pre_ast::FileId;
use crate::preprocess::bodies::BodyElider;
use crate::preprocess::builtins;
use crate::preprocess::eval;
use crate::preprocess::skeleton::{
    self, header_name, BranchKind, FileSkeleton, Item, MacroDef, Role, Tok, BOL, EOF, NO_EXPAND,
    PADDING, PAD_NULL, PAD_WHITE, PASTE_LEFT, PLACEMARKER, PREV_WHITE,
};
use crate::preprocess::{CondRecord, Expansion, PpError, Pragma, Preprocessed, Run};

/// What the engine needs from the outside world: file skeletons and include resolution.
pub trait FileProvider {
    /// The skeleton of a file (for a config-derived header, of its regenerated text).
    fn skeleton(&self, file: FileId) -> Result<Arc<FileSkeleton>, String>;
    /// GCC's include lookup (`-nostdinc`, `-I` dirs only). `from` is `None` for the main file of
    /// a synthetic translation unit.
    fn resolve(
        &self,
        from: Option<FileId>,
        spelled: &str,
        angled: bool,
        next: bool,
    ) -> Option<FileId>;
    /// How GCC names the file in `__FILE__` and line markers (after `-fmacro-prefix-map`).
    fn display_name(&self, file: FileId) -> String;
    /// The compiler whose `__has_attribute`/`__has_builtin` answers apply (the one the target's
    /// config names); gcc-12's by default.
    fn compiler(&self) -> &'static crate::pre_ast::predefined::CompilerTable {
        crate::pre_ast::predefined::default_table()
    }
    /// The value of an asm-offsets.h constant under the target's config (the marker of
    /// `generated::asm_offsets_h` expands to it), or why it cannot be computed.
    fn asm_offset(&self, name: &str) -> Result<i64, String> {
        Err(format!("{name} (from asm-offsets.h) is an offset in a kernel struct: computing it needs the layout engine"))
    }
}

/// The main file of a translation unit.
pub enum MainFile {
    File(FileId),
    /// A synthetic main file (for example kernel/bounds.c, which the headers package lacks).
    Text {
        name: String,
        text: String,
    },
}

/// GCC's limit on `#include` nesting.
const MAX_INCLUDE_DEPTH: usize = 200;

/// Our limit on nested argument pre-expansion (kernel headers need at most 5 levels).
const MAX_EXPANSION_NESTING: u32 = 200;

/// Tokens of macro replacement and output a unit may produce per byte of its sources, plus a
/// floor: a kernel unit produces about one output token per 7 bytes and a few replacement tokens
/// per output token, so only a macro-expansion bomb comes near (test `macro_bombs_end_in_an_error`).
const WORK_PER_SOURCE_BYTE: u64 = 64;
const WORK_FLOOR: u64 = 4_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Builtin {
    File,
    Line,
    Counter,
    IncludeLevel,
    BaseFile,
    Pragma,
    HasInclude,
    HasIncludeNext,
    HasAttribute,
    HasBuiltinFn,
    /// `__has_c_attribute`: C23 attributes, which GCC 12 answers for `gnu11` too.
    CAttribute,
    /// `__layout_expert_needs_layout(NAME)`: a config-derived value we cannot compute yet.
    NeedsLayout,
    /// `__DATE__`, `__TIME__`, `__TIMESTAMP__`: not reproducible (kbuild builds with
    /// `-Werror=date-time`, so a kernel header never uses them).
    DateTime,
}

struct Macro {
    def: Option<Arc<MacroDef>>,
    builtin: Option<Builtin>,
    disabled: Cell<bool>,
    /// Where it was defined: (file index in the output's file table, line).
    origin: (u32, u32),
}

/// The tokens of a context: an object-like macro's body, read in place from its definition, or
/// a list built for this context.
enum Toks {
    Body(Arc<MacroDef>),
    Owned(Vec<Tok>),
}

impl Toks {
    fn len(&self) -> usize {
        match self {
            Toks::Body(def) => def.body.len(),
            Toks::Owned(t) => t.len(),
        }
    }
}

impl std::ops::Index<usize> for Toks {
    type Output = Tok;
    fn index(&self, i: usize) -> &Tok {
        match self {
            Toks::Body(def) => &def.body[i].tok,
            Toks::Owned(t) => &t[i],
        }
    }
}

struct Context {
    toks: Toks,
    pos: usize,
    mac: Option<Rc<Macro>>,
    /// When non-zero, every token read gets this expansion id.
    stamp: u32,
}

impl Context {
    /// A context reading `toks`, not a macro's expansion.
    fn tokens(toks: Vec<Tok>) -> Context {
        Context { toks: Toks::Owned(toks), pos: 0, mac: None, stamp: 0 }
    }

    /// A context reading a copy of `toks` followed by an end-of-input marker, so that reading
    /// stops there (macro arguments expanded on their own, `#if` conditions).
    fn terminated(toks: &[Tok]) -> Context {
        let mut v = Vec::with_capacity(toks.len() + 1);
        v.extend_from_slice(toks);
        v.push(eof_tok());
        Context::tokens(v)
    }
}

/// A position in a file's item tree.
struct Level {
    /// `(item index, branch index)` of the branch this level walks; `None` for the file's root.
    branch: Option<(usize, usize)>,
    next: usize,
    cond: u32,
}

struct Frame {
    file: Option<FileId>,
    /// Index in the output's file table.
    file_idx: u32,
    sk: Arc<FileSkeleton>,
    levels: Vec<Level>,
    /// The text run being read, as token indices.
    text: std::ops::Range<u32>,
    /// The line of the `#include` in the including file.
    included_at: u32,
    /// What `#line` added to the physical line numbers.
    line_delta: i64,
}

/// Preprocesses one translation unit.
pub struct Engine<'a> {
    files: &'a dyn FileProvider,
    macros: FxHashMap<SmolStr, Rc<Macro>>,
    stack: Vec<Frame>,
    contexts: Vec<Context>,
    prevent_expansion: u32,
    in_directive: bool,
    parsing_args: u8,
    once: FxHashSet<FileId>,
    counter: u64,
    base_file: String,
    /// Line of the last token read from a file, and of the current outermost macro invocation.
    cur_line: u32,
    exp_point: (u32, u32),
    file_table: FxHashMap<Option<FileId>, u32>,
    /// A padding with whitespace was seen since the last output token.
    pending_space: bool,
    /// Whether the last token `next` returned was read from a file (not from a macro expansion).
    last_from_file: bool,
    /// Nesting of argument pre-expansions (each level recurses; bounded to keep the stack safe).
    expand_depth: u32,
    /// Replacement and output tokens produced so far, and the most the unit may produce.
    work: u64,
    work_limit: u64,
    /// Set for the declaration view: file-scope function bodies are expanded but not emitted.
    bodies: Option<BodyElider>,
    /// The length of the expansion table when the current function body began.
    body_expansions: usize,
    /// When recording: every `CONFIG_*` name the unit looked up in the macro table (expanded,
    /// tested with `defined`/`#ifdef`, `#undef`ed, or an include guard). See `memo`.
    config_reads: Option<FxHashSet<SmolStr>>,
    pub out: Preprocessed,
}

/// Errors are boxed so that the hot `Result<Tok, _>` stays small.
type PResult<T> = Result<T, Box<PpError>>;

impl<'a> Engine<'a> {
    pub fn new(files: &'a dyn FileProvider) -> Engine<'a> {
        let mut engine = Engine {
            files,
            macros: FxHashMap::default(),
            stack: Vec::new(),
            contexts: Vec::new(),
            prevent_expansion: 0,
            in_directive: false,
            parsing_args: 0,
            once: FxHashSet::default(),
            counter: 0,
            base_file: String::new(),
            cur_line: 0,
            exp_point: (0, 0),
            file_table: FxHashMap::default(),
            pending_space: false,
            expand_depth: 0,
            work: 0,
            work_limit: u64::MAX,
            last_from_file: true,
            bodies: None,
            body_expansions: 0,
            config_reads: None,
            out: Preprocessed::default(),
        };
        engine.out.expansions.push(Expansion {
            name: SmolStr::default(),
            file: 0,
            line: 0,
            parent: 0,
            defined_at: (0, 0),
        });
        engine.out.conds.push(CondRecord {
            file: 0,
            line: 0,
            kind: BranchKind::If,
            text: String::new(),
            parent: 0,
        });
        for (name, b) in [
            ("__FILE__", Builtin::File),
            ("__LINE__", Builtin::Line),
            ("__COUNTER__", Builtin::Counter),
            ("__INCLUDE_LEVEL__", Builtin::IncludeLevel),
            ("__BASE_FILE__", Builtin::BaseFile),
            ("_Pragma", Builtin::Pragma),
            ("__has_include", Builtin::HasInclude),
            ("__has_include_next", Builtin::HasIncludeNext),
            ("__has_attribute", Builtin::HasAttribute),
            ("__has_cpp_attribute", Builtin::HasAttribute),
            ("__has_builtin", Builtin::HasBuiltinFn),
            ("__has_c_attribute", Builtin::CAttribute),
            // GCC 14 on: defined, as in GCC; a query is an error (we keep no answers for them).
            ("__has_feature", Builtin::CAttribute),
            ("__has_extension", Builtin::CAttribute),
            (crate::preprocess::generated::NEEDS_LAYOUT, Builtin::NeedsLayout),
            ("__DATE__", Builtin::DateTime),
            ("__TIME__", Builtin::DateTime),
            ("__TIMESTAMP__", Builtin::DateTime),
        ] {
            if matches!(
                name,
                "__has_builtin" | "__has_c_attribute" | "__has_feature" | "__has_extension"
            ) && !files.compiler().has_operator(name)
            {
                continue;
            }
            let m =
                Macro { def: None, builtin: Some(b), disabled: Cell::new(false), origin: (0, 0) };
            engine.macros.insert(SmolStr::new_static(name), Rc::new(m));
        }
        engine
    }

    /// Emits the declaration view: each file-scope function body as `{ }` (its tokens are still
    /// expanded, so everything after it is exactly as in GCC's output).
    pub fn elide_function_bodies(mut self) -> Self {
        self.bodies = Some(BodyElider::default());
        self
    }

    /// Records the `CONFIG_*` names the unit looks up in the macro table (see
    /// [`Engine::run_recording`]).
    pub fn record_config_reads(mut self) -> Self {
        self.config_reads = Some(FxHashSet::default());
        self
    }

    /// Notes a lookup of `name` in the macro table: every lookup goes through here, so that the
    /// recorded names are all the configuration-dependent state the unit could observe.
    #[inline]
    fn note_lookup(&mut self, name: &SmolStr) {
        if let Some(reads) = &mut self.config_reads {
            if name.starts_with("CONFIG_") && !reads.contains(name) {
                reads.insert(name.clone());
            }
        }
    }

    /// [`Engine::run`], also returning the `CONFIG_*` names looked up (empty unless
    /// [`Engine::record_config_reads`] was called).
    pub fn run_recording(
        mut self,
        predefined: &str,
        forced: &[FileId],
        main: MainFile,
    ) -> Result<(Preprocessed, FxHashSet<SmolStr>), PpError> {
        self.run_tu(predefined, forced, main).map_err(|e| *e)?;
        Ok((self.out, self.config_reads.unwrap_or_default()))
    }

    /// Bounds the work of a unit whose sources hold `source_bytes` bytes: a unit that produces
    /// more replacement and output tokens than any real one could (a macro-expansion bomb) ends in
    /// an error instead of exhausting time and memory.
    pub fn limit_work(mut self, source_bytes: u64) -> Self {
        self.work_limit =
            source_bytes.saturating_mul(WORK_PER_SOURCE_BYTE).saturating_add(WORK_FLOOR);
        self
    }

    /// Counts `n` tokens of work; past the limit, an error.
    fn spend(&mut self, n: usize) -> PResult<()> {
        self.work = self.work.saturating_add(n as u64);
        if self.work > self.work_limit {
            return self.error(format!(
                "macro expansion produces more than {} tokens (a macro-expansion bomb?)",
                self.work_limit
            ));
        }
        Ok(())
    }

    /// Makes room for `tokens` output tokens.
    pub fn reserve_output(&mut self, tokens: usize) {
        self.out.tokens.reserve(tokens);
        self.out.spaces.reserve(tokens);
        self.out.token_exp.reserve(tokens);
    }

    /// Runs a whole translation unit: the predefined macros, the forced includes in order, then
    /// the main file.
    pub fn run(
        mut self,
        predefined: &str,
        forced: &[FileId],
        main: MainFile,
    ) -> Result<Preprocessed, PpError> {
        self.run_tu(predefined, forced, main).map_err(|e| *e)?;
        Ok(self.out)
    }

    /// Runs a translation unit, then evaluates `#if`-style expressions with the macros defined at
    /// its end (used to regenerate bounds.h).
    pub fn run_and_eval(
        mut self,
        predefined: &str,
        forced: &[FileId],
        main: MainFile,
        exprs: &[&str],
    ) -> Result<(Preprocessed, Vec<Result<eval::Value, String>>), PpError> {
        self.run_tu(predefined, forced, main).map_err(|e| *e)?;
        let mut values = Vec::new();
        for e in exprs {
            let sk = skeleton::lower(e);
            values.push(self.eval_tokens(&sk.tokens).map_err(|e| e.message));
        }
        Ok((self.out, values))
    }

    fn run_tu(&mut self, predefined: &str, forced: &[FileId], main: MainFile) -> PResult<()> {
        let (main_sk, main_id, main_name) = match main {
            MainFile::File(id) => {
                let sk = self.files.skeleton(id).map_err(|m| self.plain_error(m))?;
                (sk, Some(id), self.files.display_name(id))
            }
            MainFile::Text { name, text } => (Arc::new(skeleton::lower(&text)), None, name),
        };
        self.base_file = main_name.clone();
        // GCC reads `<built-in>` and `<command-line>` (the `-D` flags), then the forced includes,
        // before the main file's first line.
        let builtin_sk = Arc::new(skeleton::lower(predefined));
        self.push_frame(None, "<built-in>".into(), builtin_sk)?;
        self.drain()?;
        for &f in forced {
            let sk = self.files.skeleton(f).map_err(|m| self.plain_error(m))?;
            let name = self.files.display_name(f);
            self.push_frame(Some(f), name, sk)?;
            self.drain()?;
        }
        self.push_frame(main_id, main_name, main_sk)?;
        self.drain()
    }

    fn plain_error(&self, message: String) -> Box<PpError> {
        let (file, line) = self.position();
        Box::new(PpError { file, line, message, include_chain: self.include_chain() })
    }

    fn error<T>(&self, message: impl Into<String>) -> PResult<T> {
        Err(self.plain_error(message.into()))
    }

    fn position(&self) -> (String, u32) {
        match self.stack.last() {
            Some(f) => (self.out.files[f.file_idx as usize].clone(), self.cur_line),
            None => (self.base_file.clone(), 0),
        }
    }

    fn include_chain(&self) -> Vec<(String, u32)> {
        (1..self.stack.len())
            .rev()
            .map(|i| {
                (
                    self.out.files[self.stack[i - 1].file_idx as usize].clone(),
                    self.stack[i].included_at,
                )
            })
            .collect()
    }

    fn file_index(&mut self, file: Option<FileId>, name: &str) -> u32 {
        if let Some(&i) = self.file_table.get(&file) {
            if file.is_some() {
                return i;
            }
        }
        let i = self.out.files.len() as u32;
        self.out.files.push(name.to_owned());
        self.file_table.insert(file, i);
        i
    }

    fn push_frame(
        &mut self,
        file: Option<FileId>,
        name: String,
        sk: Arc<FileSkeleton>,
    ) -> PResult<()> {
        if let Some((line, msg)) = sk.errors.first() {
            self.cur_line = *line;
            let file_idx = self.file_index(file, &name);
            return Err(Box::new(PpError {
                file: self.out.files[file_idx as usize].clone(),
                line: *line,
                message: msg.clone(),
                include_chain: self.include_chain(),
            }));
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            return self.error(format!(
                "#include nested depth {} exceeds maximum of {MAX_INCLUDE_DEPTH}",
                self.stack.len()
            ));
        }
        let file_idx = self.file_index(file, &name);
        let cond = self.stack.last().map_or(0, |f| f.levels.last().map_or(0, |l| l.cond));
        let included_at = self.cur_line;
        self.stack.push(Frame {
            file,
            file_idx,
            sk,
            levels: vec![Level { branch: None, next: 0, cond }],
            text: 0..0,
            included_at,
            line_delta: 0,
        });
        Ok(())
    }

    /// Reads tokens to the end of the current file (used for the predefined macros and forced
    /// includes, whose tokens are output like the main file's).
    fn drain(&mut self) -> PResult<()> {
        let depth = self.stack.len();
        loop {
            let t = self.next()?;
            if t.is_eof() {
                if self.stack.len() < depth {
                    return Ok(());
                }
                continue;
            }
            if let Some(bodies) = &mut self.bodies {
                if !t.is_padding() {
                    let was_in_body = bodies.in_body();
                    let keep = bodies.keep(t.kind, &t.text);
                    if !was_in_body && bodies.in_body() {
                        self.body_expansions = self.out.expansions.len();
                    } else if was_in_body && !bodies.in_body() && self.contexts.is_empty() {
                        // The body's own expansions made no emitted token, and with no macro
                        // context open none of them can make a later one: drop their records.
                        self.out.expansions.truncate(self.body_expansions);
                    }
                    if !keep {
                        continue;
                    }
                }
            }
            self.emit(t);
        }
    }

    fn emit(&mut self, t: Tok) {
        if t.is_padding() {
            if t.flags & (PAD_WHITE) != 0 {
                self.pending_space = true;
            }
            return;
        }
        let (file, line) = if self.last_from_file {
            (self.stack.last().map_or(0, |f| f.file_idx), self.cur_line)
        } else {
            self.exp_point
        };
        let cond = self.stack.last().map_or(0, |f| f.levels.last().map_or(0, |l| l.cond));
        let idx = self.out.tokens.len() as u32;
        match self.out.runs.last() {
            Some(r) if r.file == file && r.line == line && r.cond == cond => {}
            _ => self.out.runs.push(Run { start: idx, file, line, cond }),
        }
        let space = t.has(PREV_WHITE) || std::mem::take(&mut self.pending_space);
        self.out.spaces.push(space);
        self.out.token_exp.push(t.exp);
        self.out.tokens.push(crate::token::Token { kind: t.kind, text: t.text });
    }

    // ----- Reading from files -----

    /// The next token from the files, running directives on the way. Returns an `EOF` token at
    /// the end of each file (the frame is popped), and at the end of the translation unit.
    fn base_next(&mut self) -> PResult<Tok> {
        loop {
            let Some(frame) = self.stack.last_mut() else {
                return Ok(eof_tok());
            };
            if frame.text.start < frame.text.end {
                let i = frame.text.start as usize;
                frame.text.start += 1;
                let mut t = frame.sk.tokens[i].clone();
                self.cur_line =
                    (frame.sk.lines[i] as i64 + frame.line_delta).clamp(0, u32::MAX as i64) as u32;
                if self.parsing_args == 2 && t.has(BOL) {
                    t.flags |= PREV_WHITE;
                }
                return Ok(t);
            }
            let sk = frame.sk.clone();
            let level_idx = frame.levels.len() - 1;
            let items = items_at(&sk, &frame.levels);
            let level = &mut frame.levels[level_idx];
            if level.next >= items.len() {
                frame.levels.pop();
                if frame.levels.is_empty() {
                    self.cur_line = frame.included_at;
                    self.stack.pop();
                    return Ok(eof_tok());
                }
                continue;
            }
            let item_idx = level.next;
            level.next += 1;
            let item = &items[item_idx];
            if let Item::Text(r) = item {
                frame.text = r.clone();
                continue;
            }
            // A directive: run it with expansion enabled whatever the caller was doing.
            let saved = (self.prevent_expansion, self.parsing_args);
            self.prevent_expansion = 0;
            self.parsing_args = 0;
            let res = self.directive(&sk, item, item_idx);
            self.prevent_expansion = saved.0;
            self.parsing_args = saved.1;
            res?;
        }
    }

    fn directive(&mut self, sk: &Arc<FileSkeleton>, item: &Item, item_idx: usize) -> PResult<()> {
        let res = self.directive_inner(sk, item, item_idx);
        // Directive lines are physical; `#line` shifts the numbers GCC reports.
        if let Some(f) = self.stack.last() {
            if f.line_delta != 0 && res.is_err() {
                return res.map_err(|mut e| {
                    e.line = (e.line as i64 + f.line_delta).clamp(0, u32::MAX as i64) as u32;
                    e
                });
            }
        }
        res
    }

    fn directive_inner(
        &mut self,
        sk: &Arc<FileSkeleton>,
        item: &Item,
        item_idx: usize,
    ) -> PResult<()> {
        match item {
            Item::Text(_) => unreachable!("text is read by base_next"),
            Item::Define(def) => {
                self.cur_line = def.line;
                if let Some(e) = &def.error {
                    return self.error(format!("#define: {e}"));
                }
                self.define(def.clone());
            }
            Item::Undef { name, line } => {
                self.cur_line = *line;
                self.note_lookup(name);
                if let Some(m) = self.macros.get(name) {
                    if m.builtin.is_some() {
                        return self.error(format!("undefining \"{name}\""));
                    }
                }
                self.macros.remove(name);
            }
            Item::Include { next, operand, line } => {
                self.cur_line = *line;
                let toks = &sk.tokens[operand.start as usize..operand.end as usize];
                self.include(toks, *next)?;
            }
            Item::Cond(group) => {
                let mut chosen = None;
                for (bi, b) in group.branches.iter().enumerate() {
                    self.cur_line = b.line;
                    let cond = &sk.tokens[b.cond.start as usize..b.cond.end as usize];
                    let taken = match b.kind {
                        BranchKind::Else => true,
                        BranchKind::If | BranchKind::Elif => self.eval_tokens(cond)?.is_true(),
                        BranchKind::Ifdef
                        | BranchKind::Elifdef
                        | BranchKind::Ifndef
                        | BranchKind::Elifndef => {
                            let name = match cond.first() {
                                Some(t) if t.kind == SyntaxKind::IDENT => &t.text,
                                _ => {
                                    return self.error(format!(
                                        "#{} with no macro name",
                                        b.kind.spelling()
                                    ))
                                }
                            };
                            self.note_lookup(name);
                            let defined = self.macros.contains_key(name);
                            defined == matches!(b.kind, BranchKind::Ifdef | BranchKind::Elifdef)
                        }
                    };
                    if taken {
                        chosen = Some(bi);
                        break;
                    }
                }
                if let Some(bi) = chosen {
                    let b = &group.branches[bi];
                    let frame = self.stack.last_mut().expect("a directive runs inside a file");
                    let parent = frame.levels.last().map_or(0, |l| l.cond);
                    let cond_text = spell(&sk.tokens[b.cond.start as usize..b.cond.end as usize]);
                    let id = self.out.conds.len() as u32;
                    self.out.conds.push(CondRecord {
                        file: frame.file_idx,
                        line: b.line,
                        kind: b.kind,
                        text: cond_text,
                        parent,
                    });
                    frame.levels.push(Level { branch: Some((item_idx, bi)), next: 0, cond: id });
                }
            }
            Item::Pragma { operand, line } => {
                self.cur_line = *line;
                let toks = &sk.tokens[operand.start as usize..operand.end as usize];
                if toks.first().is_some_and(|t| t.is_ident("once")) && toks.len() == 1 {
                    if let Some(f) = self.stack.last().and_then(|f| f.file) {
                        self.once.insert(f);
                    }
                    return Ok(());
                }
                // GCC expands macros in the operands of pragmas it does not know (its `-E` output
                // keeps `#pragma GCC ...` lines as written).
                let text = format!("#pragma {}", spell(toks));
                self.push_pragma(text);
            }
            Item::Diagnostic { warning, message, line } => {
                self.cur_line = *line;
                if !warning {
                    return self.error(format!("#error {message}"));
                }
                self.out.warnings.push(format!(
                    "{}:{}: #warning {message}",
                    self.position().0,
                    line
                ));
            }
            Item::Ignored { line } => self.cur_line = *line,
            Item::Line { operand, line } => {
                self.cur_line = *line;
                let toks = &sk.tokens[operand.start as usize..operand.end as usize];
                let expanded: Vec<Tok> =
                    self.expand_list(toks)?.into_iter().filter(|t| !t.is_padding()).collect();
                let number = match expanded.first() {
                    Some(t)
                        if t.kind == SyntaxKind::PP_NUMBER
                            && t.text.bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        t.text.parse::<u32>().ok()
                    }
                    _ => None,
                };
                let Some(number) = number else {
                    return self.error(format!(
                        "\"{}\" after #line is not a positive integer",
                        spell(&expanded)
                    ));
                };
                let name = match expanded.get(1) {
                    None => None,
                    Some(t)
                        if t.kind == SyntaxKind::STRING
                            && t.text.starts_with('"')
                            && expanded.len() == 2 =>
                    {
                        Some(t.text[1..t.text.len() - 1].to_owned())
                    }
                    Some(t) => {
                        return self.error(format!("invalid filename \"{}\" in #line", t.text))
                    }
                };
                let new_idx = name.map(|n| self.file_index(None, &n));
                let frame = self.stack.last_mut().expect("a directive runs inside a file");
                // The line after the directive gets `number`.
                let physical_next = sk.lines[operand.end as usize - 1] as i64 + 1;
                frame.line_delta = number as i64 - physical_next;
                if let Some(idx) = new_idx {
                    frame.file_idx = idx;
                }
            }
            Item::Invalid { message, line } => {
                self.cur_line = *line;
                return self.error(message.clone());
            }
        }
        Ok(())
    }

    fn push_pragma(&mut self, text: String) {
        let (file, line) = self.position();
        let _ = file;
        self.out.pragmas.push(Pragma { before_token: self.out.tokens.len() as u32, text, line });
    }

    fn define(&mut self, def: Arc<MacroDef>) {
        let file_idx = self.stack.last().map_or(0, |f| f.file_idx);
        let m = Macro {
            def: Some(def.clone()),
            builtin: None,
            disabled: Cell::new(false),
            origin: (file_idx, def.line),
        };
        self.macros.insert(def.name.clone(), Rc::new(m));
    }

    /// `#include` / `#include_next` with its operand tokens.
    fn include(&mut self, toks: &[Tok], next: bool) -> PResult<()> {
        let (spelled, angled) = match header_name(toks) {
            Some(h) => h,
            None => {
                // A computed include: expand the operand, then read a header name from the result.
                let expanded = self.expand_list(toks)?;
                let real: Vec<Tok> = expanded.into_iter().filter(|t| !t.is_padding()).collect();
                match header_name(&real) {
                    Some(h) => h,
                    None => {
                        return self.error(format!(
                            "#include expects \"FILENAME\" or <FILENAME>, found {}",
                            spell(toks)
                        ))
                    }
                }
            }
        };
        let from = self.stack.last().and_then(|f| f.file);
        let Some(id) = self.files.resolve(from, &spelled, angled, next) else {
            return self.error(format!("{spelled}: No such file or directory"));
        };
        if self.once.contains(&id) {
            return Ok(());
        }
        let sk = self.files.skeleton(id).map_err(|m| self.plain_error(m))?;
        if let Some(guard) = &sk.guard {
            self.note_lookup(guard);
            if self.macros.contains_key(guard) {
                return Ok(());
            }
        }
        let name = self.files.display_name(id);
        self.push_frame(Some(id), name, sk)
    }

    // ----- Macro expansion -----

    /// The next token after macro expansion (GCC's `cpp_get_token`). Padding tokens are returned
    /// outside directives; `EOF` tokens mark the end of a file or of a pushed list.
    fn next(&mut self) -> PResult<Tok> {
        loop {
            // A token pushed back after a failed `(` lookahead at file level still counts as read
            // from the file (its line is the current line).
            let from_base = self.contexts.is_empty()
                || (self.contexts.len() == 1
                    && self.contexts[0].mac.is_none()
                    && self.contexts[0].stamp == 0
                    && !self.in_directive
                    && self.contexts[0].toks.len() == 1);
            self.last_from_file = from_base;
            let mut tok = if let Some(ctx) = self.contexts.last_mut() {
                if ctx.pos < ctx.toks.len() {
                    let mut t = ctx.toks[ctx.pos].clone();
                    ctx.pos += 1;
                    if ctx.stamp != 0 && !t.is_padding() {
                        t.exp = ctx.stamp;
                    }
                    t
                } else {
                    let ctx = self.contexts.pop().expect("checked above");
                    if let Some(m) = ctx.mac {
                        m.disabled.set(false);
                    }
                    if self.in_directive {
                        continue;
                    }
                    return Ok(padding(None));
                }
            } else {
                self.base_next()?
            };
            if tok.kind != SyntaxKind::IDENT || tok.flags & (NO_EXPAND | PADDING | EOF) != 0 {
                return Ok(tok);
            }
            self.note_lookup(&tok.text);
            let Some(m) = self.macros.get(&tok.text) else {
                return Ok(tok);
            };
            if m.disabled.get() {
                tok.flags |= NO_EXPAND;
                return Ok(tok);
            }
            if self.prevent_expansion > 0 {
                return Ok(tok);
            }
            let m = m.clone();
            if from_base {
                let file = self.stack.last().map_or(0, |f| f.file_idx);
                self.exp_point = (file, self.cur_line);
            }
            if self.enter_macro(m, &tok)? {
                if self.in_directive {
                    continue;
                }
                return Ok(padding(Some(&tok)));
            }
            return Ok(tok);
        }
    }

    /// Expands one macro invocation whose name was just read; pushes its replacement. Returns
    /// false when a function-like macro's name is not followed by `(`.
    fn enter_macro(&mut self, m: Rc<Macro>, name: &Tok) -> PResult<bool> {
        if let Some(b) = m.builtin {
            return self.builtin(b, name);
        }
        let def = m.def.clone().expect("a user macro has a definition");
        self.spend(def.body.len() + 1)?;
        let exp_id = self.out.expansions.len() as u32;
        let (file, line) = if self.contexts.is_empty() {
            (self.stack.last().map_or(0, |f| f.file_idx), self.cur_line)
        } else {
            self.exp_point
        };
        let toks: Vec<Tok> = match &def.params {
            None => {
                self.out.expansions.push(Expansion {
                    name: def.name.clone(),
                    file,
                    line,
                    parent: name.exp,
                    defined_at: m.origin,
                });
                if def.body.iter().any(|b| b.tok.has(PASTE_LEFT)) {
                    let elems: Vec<Vec<Tok>> =
                        def.body.iter().map(|b| vec![stamped(&b.tok, exp_id)]).collect();
                    self.paste_sequence(
                        def.body.iter().map(|b| b.tok.has(PASTE_LEFT)).collect(),
                        elems,
                    )?
                } else {
                    m.disabled.set(true);
                    self.contexts.push(Context {
                        toks: Toks::Body(def),
                        pos: 0,
                        mac: Some(m),
                        stamp: exp_id,
                    });
                    return Ok(true);
                }
            }
            Some(params) => {
                let Some((args, va_elided)) = self.collect_args(&def, params.len())? else {
                    return Ok(false);
                };
                self.out.expansions.push(Expansion {
                    name: def.name.clone(),
                    file,
                    line,
                    parent: name.exp,
                    defined_at: m.origin,
                });
                let toks = self.replace_args(&def, args, va_elided, exp_id)?;
                self.spend(toks.len())?;
                toks
            }
        };
        m.disabled.set(true);
        self.contexts.push(Context { toks: Toks::Owned(toks), pos: 0, mac: Some(m), stamp: 0 });
        Ok(true)
    }

    /// Looks for `(` after a function-like macro's name and collects the arguments. `None` when
    /// there is no `(` (the token read is pushed back).
    /// The flag is GCC's "variable arguments elided": omitted entirely, or the only parameter
    /// and empty (GNU mode), which makes `, ## __VA_ARGS__` drop its comma.
    fn collect_args(
        &mut self,
        def: &MacroDef,
        n_params: usize,
    ) -> PResult<Option<(Vec<Vec<Tok>>, bool)>> {
        self.prevent_expansion += 1;
        self.parsing_args = 1;
        let res = self.collect_args_inner(def, n_params);
        self.prevent_expansion -= 1;
        self.parsing_args = 0;
        let Some(mut args) = res? else {
            return Ok(None);
        };
        if args.len() == 1 && args[0].is_empty() && n_params == 0 {
            args.clear();
        }
        let mut va_elided = def.variadic && n_params == 1 && args.len() == 1 && args[0].is_empty();
        if args.len() < n_params {
            if def.variadic && args.len() + 1 == n_params {
                args.push(Vec::new());
                va_elided = true;
            } else {
                return self.error(format!(
                    "macro \"{}\" requires {} arguments, but only {} given",
                    def.name,
                    n_params,
                    args.len()
                ));
            }
        } else if args.len() > n_params {
            return self.error(format!(
                "macro \"{}\" passed {} arguments, but takes just {}",
                def.name,
                args.len(),
                n_params
            ));
        }
        Ok(Some((args, va_elided)))
    }

    fn collect_args_inner(
        &mut self,
        def: &MacroDef,
        n_params: usize,
    ) -> PResult<Option<Vec<Vec<Tok>>>> {
        let mut pad: Option<Tok> = None;
        let t = loop {
            let t = self.next()?;
            if t.is_padding() {
                if pad
                    .as_ref()
                    .is_none_or(|p| p.has(PAD_NULL) || (!p.has(PAD_WHITE) && t.has(PAD_NULL)))
                {
                    pad = Some(t);
                }
                continue;
            }
            break t;
        };
        if !t.is(T!['(']) {
            self.back_up(t);
            if let Some(p) = pad {
                self.contexts.push(Context::tokens(vec![p]));
            }
            return Ok(None);
        }
        self.parsing_args = 2;
        let mut args: Vec<Vec<Tok>> = vec![Vec::new()];
        let mut depth = 0u32;
        loop {
            let t = self.next()?;
            if t.is_eof() {
                return self
                    .error(format!("unterminated argument list invoking macro \"{}\"", def.name));
            }
            let n_args = args.len();
            let cur = args.last_mut().expect("at least one argument");
            if t.is_padding() {
                if !cur.is_empty() {
                    cur.push(t);
                }
                continue;
            }
            if t.is(T!['(']) {
                depth += 1;
            } else if t.is(T![')']) {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            } else if t.is(T![,]) && depth == 0 && !(def.variadic && n_args == n_params) {
                args.push(Vec::new());
                continue;
            }
            cur.push(t);
        }
        for a in &mut args {
            while a.last().is_some_and(|t| t.is_padding()) {
                a.pop();
            }
        }
        Ok(Some(args))
    }

    /// Pushes back the token just read (GCC's `_cpp_backup_tokens`).
    fn back_up(&mut self, t: Tok) {
        match self.contexts.last_mut() {
            Some(ctx) if ctx.pos > 0 => ctx.pos -= 1,
            _ => self.contexts.push(Context::tokens(vec![t])),
        }
    }

    /// Fully macro-expands a token list in a context of its own (argument pre-expansion).
    fn expand_list(&mut self, toks: &[Tok]) -> PResult<Vec<Tok>> {
        if self.expand_depth >= MAX_EXPANSION_NESTING {
            return self
                .error(format!("macro arguments nested more than {MAX_EXPANSION_NESTING} deep"));
        }
        self.expand_depth += 1;
        let res = self.expand_list_inner(toks);
        self.expand_depth -= 1;
        res
    }

    fn expand_list_inner(&mut self, toks: &[Tok]) -> PResult<Vec<Tok>> {
        self.contexts.push(Context::terminated(toks));
        let depth = self.contexts.len();
        let mut out = Vec::new();
        loop {
            let t = self.next()?;
            if t.is_eof() {
                break;
            }
            out.push(t);
        }
        while self.contexts.len() >= depth {
            if let Some(m) = self.contexts.pop().and_then(|c| c.mac) {
                m.disabled.set(false);
            }
        }
        Ok(out)
    }

    /// Builds a function-like macro's replacement: parameters substituted (pre-expanded unless
    /// next to `#` or `##`), `#` stringified, `##` pasted, GNU `, ## __VA_ARGS__` and `__VA_OPT__`.
    fn replace_args(
        &mut self,
        def: &MacroDef,
        args: Vec<Vec<Tok>>,
        va_elided: bool,
        exp_id: u32,
    ) -> PResult<Vec<Tok>> {
        let mut expanded: Vec<Option<Vec<Tok>>> = vec![None; args.len()];
        let va_index = if def.variadic { Some(args.len() - 1) } else { None };
        let va_present = va_index.is_some_and(|i| args[i].iter().any(|t| !t.is_padding()));
        let body = &def.body;
        if !body.iter().any(|b| b.tok.has(PASTE_LEFT) || matches!(b.role, Role::VaOptStart)) {
            // No `##` and no `__VA_OPT__`: substitute straight into the result.
            let mut out: Vec<Tok> = Vec::with_capacity(body.len() + 8);
            for (i, bt) in body.iter().enumerate() {
                match bt.role {
                    Role::Plain | Role::VaOptStart | Role::VaOptEnd => {
                        out.push(stamped(&bt.tok, exp_id))
                    }
                    Role::Stringify(p) => {
                        let mut s = stringify(&args[p as usize]);
                        s.flags = bt.tok.flags & PREV_WHITE;
                        s.exp = exp_id;
                        out.push(s);
                    }
                    Role::Param(p) => {
                        let p = p as usize;
                        if expanded[p].is_none() {
                            expanded[p] = Some(self.expand_list(&args[p])?);
                        }
                        if i > 0 {
                            out.push(padding(Some(&bt.tok)));
                        }
                        out.extend(expanded[p].as_ref().expect("just expanded").iter().cloned());
                        out.push(padding(None));
                    }
                }
            }
            return Ok(out);
        }
        let mut elems: Vec<Vec<Tok>> = Vec::with_capacity(def.body.len());
        let mut paste: Vec<bool> = Vec::with_capacity(def.body.len());
        let mut i = 0;
        while i < body.len() {
            let bt = &body[i];
            let prev_paste = paste.last().copied().unwrap_or(false);
            match bt.role {
                Role::VaOptStart => {
                    if !va_present {
                        // Skip to the matching end; the group is a placemarker.
                        let mut depth = 0;
                        while i < body.len() {
                            match body[i].role {
                                Role::VaOptStart => depth += 1,
                                Role::VaOptEnd => {
                                    depth -= 1;
                                    if depth == 0 {
                                        break;
                                    }
                                }
                                _ => {}
                            }
                            i += 1;
                        }
                        elems.push(Vec::new());
                        paste.push(body.get(i).is_some_and(|b| b.tok.has(PASTE_LEFT)));
                    }
                    i += 1;
                    continue;
                }
                Role::VaOptEnd => {
                    i += 1;
                    continue;
                }
                Role::Plain => {
                    elems.push(vec![stamped(&bt.tok, exp_id)]);
                }
                Role::Stringify(p) => {
                    let mut s = stringify(&args[p as usize]);
                    s.flags = bt.tok.flags & PREV_WHITE;
                    s.exp = exp_id;
                    elems.push(vec![s]);
                }
                Role::Param(p) => {
                    let p = p as usize;
                    let is_va = Some(p) == va_index;
                    // GNU comma elision: `, ## __VA_ARGS__` with elided variable arguments drops
                    // the comma; with arguments, the `##` does nothing.
                    if is_va
                        && prev_paste
                        && elems.last().is_some_and(|e| e.len() == 1 && e[0].is(T![,]))
                    {
                        if va_elided {
                            elems.pop();
                            paste.pop();
                            i += 1;
                            continue;
                        }
                        if !va_present {
                            // Present but empty: the comma stays and nothing is pasted.
                            *paste.last_mut().expect("checked") = false;
                            paste.push(bt.tok.has(PASTE_LEFT));
                            elems.push(Vec::new());
                            i += 1;
                            continue;
                        }
                        *paste.last_mut().expect("checked") = false;
                        let raw: Vec<Tok> =
                            args[p].iter().filter(|t| !t.is_padding()).cloned().collect();
                        elems.push(raw);
                        paste.push(bt.tok.has(PASTE_LEFT));
                        i += 1;
                        continue;
                    }
                    if bt.tok.has(PASTE_LEFT) || prev_paste {
                        let raw: Vec<Tok> =
                            args[p].iter().filter(|t| !t.is_padding()).cloned().collect();
                        elems.push(raw);
                    } else {
                        if expanded[p].is_none() {
                            expanded[p] = Some(self.expand_list(&args[p])?);
                        }
                        let mut e = Vec::new();
                        if i > 0 {
                            e.push(padding(Some(&bt.tok)));
                        }
                        e.extend(expanded[p].as_ref().expect("just expanded").iter().cloned());
                        e.push(padding(None));
                        elems.push(e);
                    }
                }
            }
            paste.push(bt.tok.has(PASTE_LEFT));
            i += 1;
        }
        self.paste_sequence(paste, elems)
    }

    /// Concatenates replacement elements, pasting across each `##` (element `i` has
    /// `paste[i]` when `##` follows it), with placemarkers for empty operands.
    fn paste_sequence(&mut self, paste: Vec<bool>, elems: Vec<Vec<Tok>>) -> PResult<Vec<Tok>> {
        let mut out: Vec<Tok> = Vec::new();
        let mut pending = false;
        for (elem, paste_after) in elems.into_iter().zip(paste) {
            if pending {
                let mut rest = elem.into_iter().filter(|t| !t.is_padding());
                match rest.next() {
                    None => {}
                    Some(rhs) => {
                        let lhs = out.pop().expect("a paste has a left operand");
                        if lhs.has(PLACEMARKER) {
                            out.push(rhs);
                        } else {
                            out.push(self.paste_tokens(&lhs, &rhs)?);
                        }
                        out.extend(rest);
                    }
                }
            } else if elem.is_empty() && paste_after {
                out.push(Tok {
                    kind: SyntaxKind::WHITESPACE,
                    flags: PADDING | PAD_NULL | PLACEMARKER,
                    text: SmolStr::default(),
                    exp: 0,
                });
            } else {
                out.extend(elem);
                if paste_after {
                    // The left operand of `##` is the last real token.
                    while out.last().is_some_and(|t| t.is_padding() && !t.has(PLACEMARKER)) {
                        out.pop();
                    }
                    if out.is_empty() {
                        out.push(Tok {
                            kind: SyntaxKind::WHITESPACE,
                            flags: PADDING | PAD_NULL | PLACEMARKER,
                            text: SmolStr::default(),
                            exp: 0,
                        });
                    }
                }
            }
            pending = paste_after;
        }
        out.retain(|t| !t.has(PLACEMARKER));
        Ok(out)
    }

    fn paste_tokens(&self, lhs: &Tok, rhs: &Tok) -> PResult<Tok> {
        let text = format!("{}{}", lhs.text, rhs.text);
        let lexed = syntax::lex(&text);
        if lexed.len() != 1 || lexed.kind(0).is_trivia() {
            return self.error(format!(
                "pasting \"{}\" and \"{}\" does not give a valid preprocessing token",
                lhs.text, rhs.text
            ));
        }
        Ok(Tok {
            kind: lexed.kind(0),
            flags: lhs.flags & PREV_WHITE,
            text: text.into(),
            exp: lhs.exp,
        })
    }

    // ----- Builtin macros -----

    fn builtin(&mut self, b: Builtin, name: &Tok) -> PResult<bool> {
        let tok = match b {
            Builtin::File => {
                let f = self
                    .stack
                    .last()
                    .map_or(String::new(), |f| self.out.files[f.file_idx as usize].clone());
                Tok::new(SyntaxKind::STRING, quote(&f))
            }
            Builtin::BaseFile => Tok::new(SyntaxKind::STRING, quote(&self.base_file)),
            Builtin::Line => {
                let line = if self.contexts.is_empty() { self.cur_line } else { self.exp_point.1 };
                Tok::new(SyntaxKind::PP_NUMBER, line.to_string())
            }
            Builtin::Counter => {
                let c = self.counter;
                self.counter += 1;
                Tok::new(SyntaxKind::PP_NUMBER, c.to_string())
            }
            Builtin::IncludeLevel => {
                Tok::new(SyntaxKind::PP_NUMBER, self.stack.len().saturating_sub(1).to_string())
            }
            Builtin::Pragma => {
                self.prevent_expansion += 1;
                let res = self.pragma_operator();
                self.prevent_expansion -= 1;
                res?;
                return Ok(true);
            }
            Builtin::DateTime => {
                return self.error(format!(
                    "macro \"{}\" might prevent reproducible builds (kbuild makes this an error)",
                    name.text
                ));
            }
            Builtin::NeedsLayout => {
                let what = self.paren_ident(&name.text)?;
                match self.files.asm_offset(&what) {
                    Ok(v) if v >= 0 => Tok::new(SyntaxKind::PP_NUMBER, v.to_string()),
                    // kbuild writes `-4096`, two tokens; a builtin yields one.
                    Ok(v) => {
                        return self.error(format!(
                        "{what} (from asm-offsets.h) is {v}: negative values are not supported yet"
                    ))
                    }
                    Err(e) => return self.error(e),
                }
            }
            Builtin::HasInclude | Builtin::HasIncludeNext => {
                let v = self.has_include(b == Builtin::HasIncludeNext)?;
                Tok::new(SyntaxKind::PP_NUMBER, if v { "1" } else { "0" })
            }
            Builtin::HasAttribute | Builtin::HasBuiltinFn | Builtin::CAttribute => {
                let operand = self.paren_ident(&name.text)?;
                let v = match b {
                    Builtin::HasBuiltinFn => builtins::has_builtin(self.files.compiler(), &operand),
                    Builtin::HasAttribute => {
                        builtins::has_attribute(self.files.compiler(), &operand)
                    }
                    _ => None,
                };
                match v {
                    Some(v) => Tok::new(SyntaxKind::PP_NUMBER, v.to_string()),
                    None => {
                        return self.error(format!(
                            "{}({operand}): not in our table of {}'s answers (src/pre_ast/data/gcc-queries.txt)",
                            name.text,
                            self.files.compiler().name()
                        ))
                    }
                }
            }
        };
        let mut tok = tok;
        tok.flags = name.flags & PREV_WHITE;
        tok.exp = name.exp;
        self.contexts.push(Context::tokens(vec![tok]));
        Ok(true)
    }

    fn next_real(&mut self) -> PResult<Tok> {
        loop {
            let t = self.next()?;
            if !t.is_padding() {
                return Ok(t);
            }
        }
    }

    /// `( identifier )` after `__has_attribute` and friends.
    fn paren_ident(&mut self, what: &str) -> PResult<SmolStr> {
        self.prevent_expansion += 1;
        let res = (|| {
            let open = self.next_real()?;
            let id = self.next_real()?;
            let mut close = self.next_real()?;
            // `__has_attribute(gnu::x)` spells a scoped name; keep only the attribute.
            let mut name = id.text.clone();
            if close.is(T![:]) {
                let _ = self.next_real()?;
                name = self.next_real()?.text;
                close = self.next_real()?;
            }
            if !open.is(T!['(']) || id.kind != SyntaxKind::IDENT || !close.is(T![')']) {
                return self.error(format!("{what} expects ( identifier )"));
            }
            Ok(name)
        })();
        self.prevent_expansion -= 1;
        res
    }

    fn has_include(&mut self, next: bool) -> PResult<bool> {
        self.prevent_expansion += 1;
        let open = self.next_real();
        let res = (|| {
            if !open?.is(T!['(']) {
                return self.error("missing '(' after __has_include");
            }
            let mut toks = Vec::new();
            let mut depth = 0;
            loop {
                let t = self.next_real()?;
                if t.is_eof() {
                    return self.error("missing ')' after __has_include operand");
                }
                if t.is(T!['(']) {
                    depth += 1;
                }
                if t.is(T![')']) {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                toks.push(t);
            }
            Ok(toks)
        })();
        self.prevent_expansion -= 1;
        let toks = res?;
        let (spelled, angled) = match header_name(&toks) {
            Some(h) => h,
            None => {
                let expanded = self.expand_list(&toks)?;
                let real: Vec<Tok> = expanded.into_iter().filter(|t| !t.is_padding()).collect();
                match header_name(&real) {
                    Some(h) => h,
                    None => return self.error("operator \"__has_include\" requires a header-name"),
                }
            }
        };
        let from = self.stack.last().and_then(|f| f.file);
        Ok(self.files.resolve(from, &spelled, angled, next).is_some())
    }

    /// `_Pragma ( string-literal )`: destringized and recorded like a `#pragma` line.
    fn pragma_operator(&mut self) -> PResult<()> {
        let open = self.next_real()?;
        let s = self.next_real()?;
        let close = self.next_real()?;
        if !open.is(T!['(']) || s.kind != SyntaxKind::STRING || !close.is(T![')']) {
            return self.error("_Pragma takes a parenthesized string literal");
        }
        let inner = s.text.trim_start_matches(['L', 'u', 'U', '8']);
        let inner = &inner[1..inner.len() - 1];
        let mut text = String::with_capacity(inner.len());
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\\' && matches!(chars.peek(), Some('"') | Some('\\')) {
                text.push(chars.next().expect("peeked"));
            } else {
                text.push(c);
            }
        }
        self.push_pragma(format!("#pragma {text}"));
        Ok(())
    }

    // ----- #if -----

    /// Evaluates a `#if` condition: `defined` and the `__has_*` operators, macro expansion, then
    /// the arithmetic.
    fn eval_tokens(&mut self, cond: &[Tok]) -> PResult<eval::Value> {
        let saved_dir = self.in_directive;
        self.in_directive = true;
        self.contexts.push(Context::terminated(cond));
        let depth = self.contexts.len();
        let res = self.eval_collect();
        while self.contexts.len() >= depth {
            if let Some(m) = self.contexts.pop().and_then(|c| c.mac) {
                m.disabled.set(false);
            }
        }
        self.in_directive = saved_dir;
        let toks = res?;
        eval::evaluate(&toks).map_err(|m| self.plain_error(format!("#if: {m}")))
    }

    fn eval_collect(&mut self) -> PResult<Vec<Tok>> {
        let mut out = Vec::new();
        loop {
            let t = self.next()?;
            if t.is_eof() {
                return Ok(out);
            }
            if t.is_padding() {
                continue;
            }
            if t.is_ident("defined") {
                self.prevent_expansion += 1;
                let res = (|| {
                    let mut n = self.next_real()?;
                    let paren = n.is(T!['(']);
                    if paren {
                        n = self.next_real()?;
                    }
                    if n.kind != SyntaxKind::IDENT || n.is_eof() {
                        return self.error("operator \"defined\" requires an identifier");
                    }
                    if paren && !self.next_real()?.is(T![')']) {
                        return self.error("missing ')' after \"defined\"");
                    }
                    self.note_lookup(&n.text);
                    Ok(self.macros.contains_key(&n.text))
                })();
                self.prevent_expansion -= 1;
                let d = res?;
                out.push(Tok::new(SyntaxKind::PP_NUMBER, if d { "1" } else { "0" }));
                continue;
            }
            out.push(t);
        }
    }
}

fn items_at<'s>(sk: &'s FileSkeleton, levels: &[Level]) -> &'s [Item] {
    let mut items: &[Item] = &sk.items;
    for l in levels {
        if let Some((item, branch)) = l.branch {
            match &items[item] {
                Item::Cond(g) => items = &g.branches[branch].items,
                _ => unreachable!("a level's branch is a conditional group"),
            }
        }
    }
    items
}

fn eof_tok() -> Tok {
    Tok { kind: SyntaxKind::WHITESPACE, flags: EOF, text: SmolStr::default(), exp: 0 }
}

/// A GCC padding token whose source is `source` (`None`: `avoid_paste`, no source).
fn padding(source: Option<&Tok>) -> Tok {
    let flags = match source {
        None => PADDING | PAD_NULL,
        Some(s) if s.has(PREV_WHITE) => PADDING | PAD_WHITE,
        Some(_) => PADDING,
    };
    Tok { kind: SyntaxKind::WHITESPACE, flags, text: SmolStr::default(), exp: 0 }
}

fn stamped(t: &Tok, exp: u32) -> Tok {
    let mut t = t.clone();
    t.exp = exp;
    t
}

/// `#` applied to an argument, with GCC's spacing rules (C11 6.10.3.2 plus padding).
fn stringify(arg: &[Tok]) -> Tok {
    let mut s = String::from("\"");
    // `source` is GCC's: `None` is a null pointer; `Some(w)` a token whose PREV_WHITE is `w`.
    let mut source: Option<bool> = None;
    let mut first = true;
    for t in arg {
        if t.is_padding() {
            let tsrc = if t.has(PAD_NULL) { None } else { Some(t.has(PAD_WHITE)) };
            if source.is_none() || (source == Some(false) && tsrc.is_none()) {
                source = tsrc;
            }
            continue;
        }
        if !first {
            let src = source.unwrap_or(t.has(PREV_WHITE));
            if src {
                s.push(' ');
            }
        }
        source = None;
        first = false;
        if matches!(t.kind, SyntaxKind::STRING | SyntaxKind::CHAR) {
            for c in t.text.chars() {
                if c == '"' || c == '\\' {
                    s.push('\\');
                }
                s.push(c);
            }
        } else {
            s.push_str(&t.text);
        }
    }
    s.push('"');
    Tok::new(SyntaxKind::STRING, s)
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Tokens spelled with single spaces where the source had whitespace.
pub fn spell(toks: &[Tok]) -> String {
    let mut out = String::new();
    for t in toks.iter().filter(|t| !t.is_padding() && !t.is_eof()) {
        if !out.is_empty() && t.has(PREV_WHITE) {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    out
}
