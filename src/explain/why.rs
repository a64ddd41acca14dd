//! `--why`: where each member comes from and what each hole, padding and forced alignment is due
//! to, from the preprocessor's provenance (token runs with file, line and `#if` branch; macro
//! expansion ids) and the declaration tokens; and which members the configuration removed,
//! from the record's source text and the branches the preprocessor did not take.

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use smol_str::SmolStr;
use syntax::T;

use crate::{
    decl::DeclIndex,
    explain::{Member, RecordView},
    pre_ast::PreAst,
    preprocess::{gcc_file_name, Preprocessed},
    ty::{RecordTy, Ty},
};

/// What `--why` reads: the unit's provenance, its declarations, the pre-AST's file texts and the
/// configuration's values.
pub struct Why<'a> {
    pub pp: &'a Preprocessed,
    pub index: &'a DeclIndex,
    pub pre_ast: &'a PreAst,
    pub options: &'a [(SmolStr, SmolStr)],
    /// Source files with their comments blanked, and the taken branch lines, by file index
    /// (read once, however many members ask).
    pub cache: std::cell::RefCell<FxHashMap<u32, Option<CookedFile>>>,
}

/// A source file with its comments blanked, and the lines of the branches taken in it.
pub type CookedFile = (Arc<str>, Arc<FxHashSet<u32>>);

/// Where a member comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberOrigin {
    /// `file:line` of the declaration.
    pub site: Option<String>,
    /// The macros the declaration came from, outermost first, with where each is defined.
    pub macros: Vec<String>,
    /// The `#if` branches that kept it, outermost first, with their file:line.
    pub conditions: Vec<String>,
}

/// A member declared in the record's source under a branch this configuration did not take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removed {
    pub name: String,
    /// `file:line` of its declaration.
    pub site: String,
    /// The conditions it needs, outermost first (`#ifdef CONFIG_X (file:line)`, or
    /// `not #if … (file:line)` for an `#else`/`#elif` after a taken branch).
    pub needs: Vec<String>,
    /// The options those conditions name, with their value here (`CONFIG_X is not set`).
    pub options: Vec<String>,
}

impl Why<'_> {
    fn loc(&self, token: usize) -> Option<(u32, u32)> {
        self.pp.run_of(token).map(|r| (r.file, r.line))
    }

    fn file_name(&self, file: u32) -> &str {
        self.pp.files.get(file as usize).map_or("<unknown>", |f| f.as_str())
    }

    fn site(&self, token: usize) -> Option<String> {
        self.loc(token).map(|(f, l)| format!("{}:{l}", self.file_name(f)))
    }

    /// The macro expansions a token came from, outermost first: `NAME (defined at file:line)`.
    fn macros(&self, token: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut e = self.pp.token_exp.get(token).copied().unwrap_or(0);
        while e != 0 && out.len() < 32 {
            let x = &self.pp.expansions[e as usize];
            let (df, dl) = x.defined_at;
            out.push(format!("{} (defined at {}:{dl})", x.name, self.file_name(df)));
            e = x.parent;
        }
        out.reverse();
        out
    }

    /// The value of a config option here, as `.config` would say it.
    pub(crate) fn option_value(&self, name: &str) -> String {
        let get = |n: &str| self.options.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        match (get(name), get(&format!("{name}_MODULE"))) {
            (Some(v), _) if v == "1" => format!("{name}=y"),
            (Some(v), _) => format!("{name}={v}"),
            (None, Some(_)) => format!("{name}=m"),
            (None, None) => format!("{name} is not set"),
        }
    }

    /// Where a member comes from.
    pub fn member(&self, m: &Member) -> MemberOrigin {
        let Some(token) = m.decl_token else {
            return MemberOrigin::default();
        };
        let start = m.decl_start.unwrap_or(token);
        let mut macros = self.macros(start);
        if macros.is_empty() {
            macros = self.macros(token);
        }
        // The branches around the member in its own file, then those around the `#include`s
        // that brought the file in (innermost first from the preprocessor; printed outermost
        // first).
        let own_file = self.pp.run_of(token).map(|r| r.file);
        let mut conditions = Vec::new();
        let mut c = self.pp.run_of(token).map_or(0, |r| r.cond);
        while c != 0 {
            let x = &self.pp.conds[c as usize];
            let text = format!(
                "#{} {} ({}:{})",
                x.kind.spelling(),
                x.text,
                self.file_name(x.file),
                x.line
            );
            if !is_include_guard(&text) {
                conditions.push(match Some(x.file) == own_file {
                    true => text,
                    false => format!("included under {text}"),
                });
            }
            c = x.parent;
        }
        conditions.reverse();
        MemberOrigin { site: self.site(token), macros, conditions }
    }

    /// The one-line `//` annotation of a member of the record whose body is `body`.
    pub fn member_note(&self, m: &Member, body: Option<&std::ops::Range<usize>>) -> String {
        let o = self.member_in(m, body);
        let mut parts = Vec::new();
        if let Some(site) = &o.site {
            parts.push(site.clone());
        }
        if !o.macros.is_empty() {
            parts.push(format!("from {}", o.macros.join(" > ")));
        }
        if !o.conditions.is_empty() {
            parts.push(conditions_note(&o.conditions));
        }
        if let Some(a) = m.alignment {
            parts.push(format!("aligned({a}): {}", self.align_origin(m)));
        }
        parts.join("; ")
    }

    /// The config options named by the expansions of the tokens in `range` (an attribute's
    /// arguments, say), with their values.
    fn options_in(&self, range: std::ops::Range<usize>) -> Vec<String> {
        let mut seen = FxHashSet::default();
        let mut out = Vec::new();
        for t in range {
            let mut e = self.pp.token_exp.get(t).copied().unwrap_or(0);
            while e != 0 {
                let x = &self.pp.expansions[e as usize];
                if x.name.starts_with("CONFIG_") && seen.insert(x.name.clone()) {
                    out.push(self.option_value(&x.name));
                }
                e = x.parent;
            }
        }
        out
    }

    /// An `aligned` attribute among `range`'s tokens: where it is and which options set it.
    fn aligned_attr_in(&self, range: std::ops::Range<usize>) -> Option<String> {
        let toks = &self.pp.tokens;
        let end = range.end.min(toks.len());
        let at = (range.start..end)
            .find(|&i| matches!(toks[i].text.as_str(), "aligned" | "__aligned__"))?;
        // The argument group after the name.
        let mut args = at + 1..at + 1;
        if toks.get(at + 1).is_some_and(|t| t.kind == T!['(']) {
            let mut depth = 0;
            let mut i = at + 1;
            while i < toks.len() {
                match toks[i].kind {
                    T!['('] => depth += 1,
                    T![')'] => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            args = at + 2..i;
        }
        let mut s = String::from("`aligned`");
        let macros = self.macros(at);
        if let Some(first) = macros.first() {
            s = first.clone();
            if macros.len() > 1 {
                s.push_str(&format!(" via {}", macros[1..].join(" > ")));
            }
        }
        if let Some(site) = self.site(at) {
            s.push_str(&format!(" at {site}"));
        }
        let options = self.options_in(args);
        if !options.is_empty() {
            s.push_str(&format!(" with {}", options.join(", ")));
        }
        Some(s)
    }

    /// The index of the `;` that ends the declaration starting at `start` (outside brackets).
    fn statement_end(&self, start: usize) -> usize {
        let toks = &self.pp.tokens;
        let mut depth = 0i32;
        let mut i = start;
        while i < toks.len() {
            match toks[i].kind {
                T!['('] | T!['['] | T!['{'] => depth += 1,
                T![')'] | T![']'] | T!['}'] => depth -= 1,
                T![;] if depth <= 0 => break,
                _ => {}
            }
            i += 1;
        }
        i
    }

    /// The declaration tokens of a member: from its first token to the `;` that ends it.
    fn decl_range(&self, m: &Member) -> Option<std::ops::Range<usize>> {
        let start = m.decl_start.or(m.decl_token)?;
        let toks = &self.pp.tokens;
        let mut depth = 0i32;
        let mut i = start;
        while i < toks.len() {
            match toks[i].kind {
                T!['('] | T!['['] | T!['{'] => depth += 1,
                T![')'] | T![']'] | T!['}'] => depth -= 1,
                T![;] | T![,] if depth <= 0 => break,
                _ => {}
            }
            i += 1;
        }
        Some(start..i)
    }

    /// Why a member has a user alignment: its own attribute, or its type's.
    pub fn align_origin(&self, m: &Member) -> String {
        if let Some(range) = self.decl_range(m) {
            // The member's own attribute (not one inside an inline record body).
            let own = match &m.inline {
                Some(_) => None,
                None => self.aligned_attr_in(range),
            };
            if let Some(s) = own {
                return format!("on the member: {s}");
            }
        }
        self.type_align_origin(&m.ty, 0)
    }

    fn type_align_origin(&self, ty: &Ty, depth: usize) -> String {
        if depth > 8 {
            return String::from("…");
        }
        match ty {
            Ty::Typedef(def) if def.align_bits.is_some() => {
                let at = self
                    .index
                    .typedefs
                    .get(&def.name)
                    .map(|&(d, _)| self.index.decls[d].specs.start);
                // The typedef's own declaration, up to its `;` (record bodies skipped).
                let attr = at.and_then(|a| self.aligned_attr_in(a..self.statement_end(a)));
                match attr {
                    Some(s) => format!("typedef {} is aligned by {s}", def.name),
                    None => format!("typedef {} is aligned", def.name),
                }
            }
            Ty::Typedef(def) => self.type_align_origin(&def.ty, depth + 1),
            Ty::Array(elem, _) => self.type_align_origin(elem, depth + 1),
            Ty::Record(rec) => self.record_align_origin(rec, depth),
            Ty::Enum(def) => {
                format!("enum {} is aligned", def.tag.as_deref().unwrap_or("<anonymous>"))
            }
            _ => String::from("its type's alignment"),
        }
    }

    fn record_align_origin(&self, rec: &Arc<RecordTy>, depth: usize) -> String {
        let name = match &rec.tag {
            Some(t) => format!("{} {t}", rec.kind.keyword()),
            None => format!("the anonymous {}", rec.kind.keyword()),
        };
        if rec.align_bits.is_some() {
            if let Some(def) =
                rec.tag.as_ref().and_then(|t| self.index.records.get(&(rec.kind, t.clone())))
            {
                for attr in &def.attrs {
                    if attr.name == "aligned" {
                        if let Some(s) = self.aligned_attr_in(attr.at..attr.at + 1 + 4096) {
                            return format!("{name} is aligned by {s}");
                        }
                    }
                }
            }
            return format!("{name} has an aligned attribute");
        }
        for f in &rec.fields {
            if f.align_bits.is_some() {
                return format!(
                    "{name} has member `{}` with an aligned attribute",
                    f.name.as_deref().unwrap_or("<anonymous>")
                );
            }
        }
        // The user-aligned member with the largest alignment is the one that sets the record's.
        let align = |ty: &Ty| crate::layout::layout_of(ty).map_or(0, |l| l.align_bits);
        let best = rec.fields.iter().filter(|f| user_aligned(&f.ty)).max_by_key(|f| align(&f.ty));
        if let Some(f) = best {
            {
                return format!(
                    "{name} contains `{}`: {}",
                    f.name.as_deref().unwrap_or("<anonymous>"),
                    self.type_align_origin(&f.ty, depth + 1)
                );
            }
        }
        format!("{name}'s alignment")
    }

    /// What a byte hole before `next` is due to.
    pub fn hole_cause(&self, next: &Member, next_align_bytes: u64) -> String {
        let name = next.name.as_deref().unwrap_or("<anonymous>");
        match next.alignment {
            Some(a) => format!("`{name}` is aligned to {a} bytes: {}", self.align_origin(next)),
            None => {
                format!("`{name}` needs its type's natural alignment of {next_align_bytes} bytes")
            }
        }
    }

    /// What a bit hole before `next` (or at the end) is due to.
    pub fn bit_hole_cause(&self, last: &Member, next: Option<&Member>) -> String {
        match next {
            Some(n) if n.bit_width.is_some() && n.byte_offset() != last.byte_offset() => format!(
                "`{}` starts a new {}-byte storage unit (a zero-width bitfield, or it would not fit)",
                n.name.as_deref().unwrap_or("<anonymous>"),
                n.byte_size
            ),
            Some(n) => format!("`{}` is not a bitfield: it starts at a byte boundary", n.name.as_deref().unwrap_or("<anonymous>")),
            None => String::from("the bitfields end here"),
        }
    }

    /// What a record's tail padding is due to.
    pub fn padding_cause(&self, view: &RecordView, align_of: &dyn Fn(&Member) -> u64) -> String {
        let a = view.align_bytes;
        if let Some(m) = view.members.iter().find(|m| align_of(m) == a) {
            let why = match m.alignment {
                Some(_) => format!(", {}", self.align_origin(m)),
                None => String::new(),
            };
            return format!(
                "the size is rounded up to the alignment, {a} bytes, of `{}`{why}",
                m.name.as_deref().unwrap_or("<anonymous>")
            );
        }
        match view.rec.align_bits {
            Some(_) => format!(
                "the size is rounded up to its alignment, {a} bytes: {}",
                self.record_align_origin(&view.rec, 0)
            ),
            None => format!("the size is rounded up to the alignment, {a} bytes"),
        }
    }

    /// The source of a record body: its file (index and name), text, first and last line, and
    /// the lines of the branches the preprocessor took in that file. `None` when the body is not
    /// written out in one file (a macro produced it).
    fn body_source(&self, body: &std::ops::Range<usize>) -> Option<BodySource> {
        // The lines of the braces around the body (the first and last members may themselves
        // be conditional).
        let (open, close) = (body.start.checked_sub(1)?, body.end);
        if close >= self.pp.tokens.len() {
            return None;
        }
        let ((f1, l1), (f2, l2)) = (self.loc(open)?, self.loc(close)?);
        if f1 != f2 || l2 < l1 || self.pp.token_exp[open] != 0 || self.pp.token_exp[close] != 0 {
            return None;
        }
        let file_name = self.file_name(f1).to_owned();
        let cached = self
            .cache
            .borrow_mut()
            .entry(f1)
            .or_insert_with(|| {
                let text =
                    self.pre_ast.files.iter().find(|f| gcc_file_name(&f.path) == file_name)?;
                let taken: FxHashSet<u32> =
                    self.pp.conds.iter().filter(|c| c.file == f1).map(|c| c.line).collect();
                Some((Arc::from(without_comments(&text.text)), Arc::new(taken)))
            })
            .clone();
        let (code, taken) = cached?;
        Some((f1, file_name, code, l1, l2, taken))
    }

    /// [`Why::member`] for a member of the record whose body is `body`: a member whose name
    /// came through a macro's arguments (`struct_group(headers, ...)` spans many lines, with
    /// `#if`s inside) gets the line that declares it and the branches around it inside the
    /// invocation, from the source.
    pub fn member_in(&self, m: &Member, body: Option<&std::ops::Range<usize>>) -> MemberOrigin {
        let mut origin = self.member(m);
        let (Some(token), Some(name), Some(body)) = (m.decl_token, m.name.as_deref(), body) else {
            return origin;
        };
        let Some((file, file_name, text, _, l2, taken)) = self.body_source(body) else {
            return origin;
        };
        let Some((f, from)) = self.loc(token) else {
            return origin;
        };
        // A token from a macro's arguments carries the invocation's line: when that line does
        // not name the member, look further down the invocation.
        let on_line =
            text.lines().nth(from.saturating_sub(1) as usize).is_some_and(|l| l.contains(name));
        if f != file || from > l2 || on_line {
            return origin;
        }
        if let Some((line, inner)) = declared_at(&text, from, l2, name, &taken, &file_name) {
            if line != from {
                origin.site = Some(format!("{file_name}:{line}"));
                origin.conditions.extend(inner);
            }
        }
        origin
    }

    /// Members the record's source declares under branches this configuration did not take.
    pub fn removed(&self, body: std::ops::Range<usize>) -> Vec<Removed> {
        let Some((_, file_name, text, l1, l2, taken)) = self.body_source(&body) else {
            return Vec::new();
        };
        removed_in(&text, l1, l2, &taken, &file_name)
            .into_iter()
            .map(|mut r| {
                let mut opts = FxHashMap::default();
                for need in &r.needs {
                    for word in need.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                        if word.starts_with("CONFIG_") {
                            let name = word.strip_suffix("_MODULE").unwrap_or(word);
                            opts.entry(name.to_owned()).or_insert_with(|| self.option_value(name));
                        }
                    }
                }
                let mut opts: Vec<String> = opts.into_values().collect();
                opts.sort();
                r.options = opts;
                r
            })
            .collect()
    }
}

impl Why<'_> {
    /// Where the pre-AST defines `struct NAME` / `union NAME` (any kind when `kinds` is empty)
    /// although this configuration does not: each definition with the `#if` branches around it
    /// and the values here of the options they name, or the note that its file is not included.
    pub fn defined_elsewhere(&self, name: &str, kinds: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        for file in &self.pre_ast.files {
            if file.kind != crate::pre_ast::FileKind::Source || !file.text.contains(name) {
                continue;
            }
            let code = without_comments(&file.text);
            let gcc = gcc_file_name(&file.path);
            for (n, line) in code.lines().enumerate() {
                let words: Vec<&str> = line
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '{'))
                    .filter(|w| !w.is_empty())
                    .collect();
                let hit = words.windows(2).any(|w| {
                    (kinds.is_empty() && matches!(w[0], "struct" | "union")
                        || kinds.contains(&w[0]))
                        && (w[1] == name || w[1] == format!("{name}{{"))
                }) && line.contains('{');
                if !hit {
                    continue;
                }
                let line_no = n as u32 + 1;
                let conds = open_conditions(&code, line_no, &gcc);
                let mut s = format!("defined at {gcc}:{line_no}");
                if !conds.is_empty() {
                    s.push_str(&format!(" under {}", conds.join(" && ")));
                }
                let mut options: Vec<String> = Vec::new();
                for c in &conds {
                    let text = c.rsplit_once(" (").map_or(c.as_str(), |(t, _)| t);
                    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                        let base = word.strip_suffix("_MODULE").unwrap_or(word);
                        if base.starts_with("CONFIG_") {
                            let v = self.option_value(base);
                            if !options.contains(&v) {
                                options.push(v);
                            }
                        }
                    }
                }
                if !options.is_empty() {
                    s.push_str(&format!("; here {}", options.join(", ")));
                }
                if !self.pp.files.contains(&gcc) {
                    s.push_str(&format!("; {gcc} is not included under this configuration"));
                }
                out.push(s);
            }
        }
        out
    }
}

/// The `#if` branches open at line `at` of `code` (comments removed), outermost first, include
/// guards left out.
fn open_conditions(code: &str, at: u32, file: &str) -> Vec<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut continued = String::new();
    for (n, raw) in code.lines().enumerate().take(at.saturating_sub(1) as usize) {
        let line_no = n + 1;
        if !continued.is_empty() || raw.trim_start().starts_with('#') {
            continued.push_str(raw.trim_end_matches('\\'));
            if raw.ends_with('\\') {
                continue;
            }
        } else {
            continue;
        }
        let line = std::mem::take(&mut continued);
        let directive = line.trim_start().trim_start_matches('#').trim_start();
        let word: String = directive.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        let cond = format!("#{} ({file}:{line_no})", directive.trim());
        match word.as_str() {
            "if" | "ifdef" | "ifndef" => stack.push(cond),
            "elif" | "elifdef" | "elifndef" | "else" => {
                if let Some(top) = stack.last_mut() {
                    *top = cond;
                }
            }
            "endif" => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.into_iter().filter(|c| !is_include_guard(c)).collect()
}

/// A record body's source: file index and name, text (comments blanked), first and last line,
/// taken branch lines.
type BodySource = (u32, String, Arc<str>, u32, u32, Arc<FxHashSet<u32>>);

/// `kept by A && B; its file included under C`: a member's conditions, those around the
/// `#include` of its file apart.
pub fn conditions_note(conditions: &[String]) -> String {
    let (included, own): (Vec<&String>, Vec<&String>) =
        conditions.iter().partition(|c| c.starts_with("included under "));
    let mut parts = Vec::new();
    if !own.is_empty() {
        parts.push(format!(
            "kept by {}",
            own.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" && ")
        ));
    }
    if !included.is_empty() {
        let inc: Vec<&str> =
            included.iter().map(|c| c.trim_start_matches("included under ")).collect();
        parts.push(format!("its file included under {}", inc.join(" && ")));
    }
    parts.join("; ")
}

/// Whether a condition (`#ifndef NAME (file:line)`) looks like an include guard, which keeps
/// every line of its file and says nothing about a member: `#ifndef` of a name ending in `_H`.
fn is_include_guard(cond: &str) -> bool {
    let Some(rest) = cond.strip_prefix("#ifndef ") else {
        return false;
    };
    let name = rest.split_whitespace().next().unwrap_or("");
    let name = name.trim_end_matches('_');
    name.ends_with("_H")
        && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// GCC's TYPE_USER_ALIGN (as in `Explainer`), for provenance.
fn user_aligned(ty: &Ty) -> bool {
    match ty {
        Ty::Typedef(def) => def.align_bits.is_some() || user_aligned(&def.ty),
        Ty::Array(elem, _) => user_aligned(elem),
        Ty::Record(rec) => {
            rec.align_bits.is_some()
                || rec.fields.iter().any(|f| f.align_bits.is_some() || user_aligned(&f.ty))
        }
        Ty::Enum(def) => def.align_bits.is_some(),
        _ => false,
    }
}

/// One open conditional group while reading a record's source.
struct Group {
    /// Whether the lines around the group are kept.
    outer_active: bool,
    /// Whether the current branch is kept.
    active: bool,
    /// The conditions of the branches so far (directive text, line).
    branches: Vec<(String, u32)>,
}

/// The members declared between lines `first..=last` of `text` (comments blanked) in branches
/// not taken (a taken branch is one whose directive line is in `taken`).
pub(crate) fn removed_in(
    text: &str,
    first: u32,
    last: u32,
    taken: &FxHashSet<u32>,
    file: &str,
) -> Vec<Removed> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut stack: Vec<Group> = Vec::new();
    let mut pending = String::new();
    let mut pending_line = 0;
    let needs_of = |stack: &[Group]| -> Vec<String> {
        let mut needs = Vec::new();
        for g in stack {
            let (cur, line) = g.branches.last().cloned().unwrap_or_default();
            let earlier: Vec<String> = g.branches[..g.branches.len().saturating_sub(1)]
                .iter()
                .map(|(t, l)| format!("{t} ({file}:{l})"))
                .collect();
            if !earlier.is_empty() {
                needs.push(format!("not {}", earlier.join(", not ")));
            }
            if !cur.starts_with("#else") {
                needs.push(format!("{cur} ({file}:{line})"));
            }
        }
        needs
    };
    for (line_no, line) in logical_lines(&lines, first, last) {
        let trimmed = line.trim_start();
        if let Some(directive) = trimmed.strip_prefix('#') {
            let directive = directive.trim_start();
            let word: String = directive.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
            let cond = format!("#{}", strip_comment(directive).trim());
            let parent_active = stack.last().is_none_or(|g| g.active);
            match word.as_str() {
                "if" | "ifdef" | "ifndef" => stack.push(Group {
                    outer_active: parent_active,
                    active: parent_active && taken.contains(&line_no),
                    branches: vec![(cond, line_no)],
                }),
                "elif" | "elifdef" | "elifndef" | "else" => {
                    if let Some(g) = stack.last_mut() {
                        g.active = g.outer_active && taken.contains(&line_no);
                        g.branches.push((cond, line_no));
                    }
                }
                "endif" => {
                    stack.pop();
                }
                _ => {}
            }
            continue;
        }
        if stack.last().is_some_and(|g| !g.active) {
            if pending.is_empty() {
                pending_line = line_no;
            }
            pending.push_str(strip_comment(&line));
            pending.push('\n');
            while let Some(end) = pending.find(';') {
                let stmt: String = pending[..end].to_owned();
                pending = pending[end + 1..].to_owned();
                if let Some(name) = declared_name(&stmt) {
                    out.push(Removed {
                        name,
                        site: format!("{file}:{pending_line}"),
                        needs: needs_of(&stack),
                        options: Vec::new(),
                    });
                }
                pending_line = line_no;
            }
            if pending.trim().is_empty() {
                pending.clear();
            }
        } else {
            pending.clear();
        }
    }
    out
}

/// The logical lines that start in lines `first..=last` (1-based) of `lines`: each with its
/// number and its text, continuation lines (`\` at the end) joined to it.
fn logical_lines<'a>(
    lines: &'a [&'a str],
    first: u32,
    last: u32,
) -> impl Iterator<Item = (u32, String)> + 'a {
    let mut i = first.saturating_sub(1) as usize;
    std::iter::from_fn(move || {
        if i >= lines.len() || i >= last as usize {
            return None;
        }
        let line_no = i as u32 + 1;
        let mut line = lines[i].to_owned();
        let mut j = i;
        while line.ends_with('\\') && j + 1 < lines.len() {
            line.pop();
            j += 1;
            line.push_str(lines[j]);
        }
        i = j + 1;
        Some((line_no, line))
    })
}

/// The first line in `first..=last` of `text` (comments blanked) that declares `name`,
/// and the taken branches around it that open after line `first`.
fn declared_at(
    text: &str,
    first: u32,
    last: u32,
    name: &str,
    taken: &FxHashSet<u32>,
    file: &str,
) -> Option<(u32, Vec<String>)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut stack: Vec<(String, u32)> = Vec::new();
    for (line_no, line) in logical_lines(&lines, first, last) {
        if let Some(directive) = line.trim_start().strip_prefix('#') {
            let directive = directive.trim_start();
            let word: String = directive.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
            let cond = format!("#{} ({file}:{line_no})", strip_comment(directive).trim());
            match word.as_str() {
                "if" | "ifdef" | "ifndef" => stack.push((cond, line_no)),
                "elif" | "elifdef" | "elifndef" | "else" => {
                    if let Some(top) = stack.last_mut() {
                        *top = (cond, line_no);
                    }
                }
                "endif" => {
                    stack.pop();
                }
                _ => {}
            }
            continue;
        }
        let code = strip_comment(&line);
        let found = code.match_indices(name).any(|(at, _)| {
            let before = code[..at].chars().next_back();
            let after = code[at + name.len()..].trim_start().chars().next();
            !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                && matches!(after, Some(';' | ',' | ':' | '[' | ')' | '=') | None)
        });
        // Only a line inside branches that were all taken.
        if found && stack.iter().all(|(_, l)| taken.contains(l)) {
            return Some((line_no, stack.into_iter().map(|(c, _)| c).collect()));
        }
    }
    None
}

/// `text` with every comment replaced by spaces (line breaks kept, so line numbers hold).
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let (mut block, mut line, mut string) = (false, false, None::<char>);
    while let Some(c) = chars.next() {
        if block {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                block = false;
                out.push_str("  ");
            } else {
                out.push(if c == '\n' { '\n' } else { ' ' });
            }
        } else if line {
            if c == '\n' {
                line = false;
                out.push('\n');
            } else {
                out.push(' ');
            }
        } else if let Some(q) = string {
            if c == '\\' {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
                continue;
            }
            if c == q || c == '\n' {
                string = None;
            }
            out.push(c);
        } else if c == '/' && chars.peek() == Some(&'*') {
            chars.next();
            block = true;
            out.push_str("  ");
        } else if c == '/' && chars.peek() == Some(&'/') {
            chars.next();
            line = true;
            out.push_str("  ");
        } else {
            if c == '"' || c == '\'' {
                string = Some(c);
            }
            out.push(c);
        }
    }
    out
}

fn strip_comment(line: &str) -> &str {
    let cut = [line.find("//"), line.find("/*")].into_iter().flatten().min();
    match cut {
        Some(i) => &line[..i],
        None => line,
    }
}

/// The name a member declaration declares (the identifier before `[`, `:`, `=`, or at the end;
/// after `(*` for a function pointer), ignoring attribute groups.
fn declared_name(stmt: &str) -> Option<String> {
    let stmt = stmt.trim();
    if stmt.is_empty() || stmt.starts_with('}') && stmt.len() == 1 {
        return None;
    }
    if let Some(i) = stmt.find("(*") {
        let rest = &stmt[i + 2..];
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        return (!name.is_empty()).then_some(name);
    }
    // Cut at the first `[` or `:` (array bound, bitfield width), then drop attribute groups.
    let mut s = stmt;
    if let Some(i) = s.find(['[', ':']) {
        s = &s[..i];
    }
    let mut words: Vec<&str> = Vec::new();
    let mut depth = 0;
    let mut word_start = None;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        let is_word = c.is_ascii_alphanumeric() || c == '_';
        match (is_word && depth == 0, word_start) {
            (true, None) => word_start = Some(i),
            (false, Some(st)) => {
                words.push(&s[st..i]);
                word_start = None;
            }
            _ => {}
        }
    }
    if let Some(st) = word_start {
        words.push(&s[st..]);
    }
    let name = words.iter().rev().find(|w| {
        !w.starts_with("__attribute") && !w.chars().next().is_some_and(|c| c.is_ascii_digit())
    })?;
    const NOT_NAMES: &[&str] = &[
        "struct", "union", "enum", "int", "long", "char", "short", "unsigned", "signed", "void",
        "const", "volatile",
    ];
    if NOT_NAMES.contains(name) || words.len() < 2 {
        return None;
    }
    Some((*name).to_owned())
}
