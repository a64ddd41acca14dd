//! Writes a preprocessed translation unit the way `gcc -E` does: tokens on the lines they came
//! from, `# LINE "file"` markers when the file changes or lines are skipped, pragmas on their own
//! lines. Spacing is approximate (a space where the source had one); tokens are exact.

use std::fmt::Write;

use crate::preprocess::Preprocessed;

/// The `gcc -E`-style text of a translation unit.
pub fn write_gcc_e(pp: &Preprocessed) -> String {
    let mut out = String::with_capacity(pp.tokens.len() * 6);
    let mut cur_file = u32::MAX;
    let mut cur_line = 0u32;
    let mut at_bol = true;
    let mut pragma_idx = 0;
    let mut run_idx = 0;
    for (i, tok) in pp.tokens.iter().enumerate() {
        while pragma_idx < pp.pragmas.len() && pp.pragmas[pragma_idx].before_token as usize <= i {
            if !at_bol {
                out.push('\n');
            }
            out.push_str(&pp.pragmas[pragma_idx].text);
            out.push('\n');
            cur_line += 1;
            at_bol = true;
            pragma_idx += 1;
        }
        if run_idx < pp.runs.len() && pp.runs[run_idx].start as usize == i {
            let run = pp.runs[run_idx];
            run_idx += 1;
            if run.file != cur_file || run.line < cur_line || run.line > cur_line + 8 {
                if !at_bol {
                    out.push('\n');
                }
                let _ = writeln!(out, "# {} \"{}\"", run.line, pp.files[run.file as usize]);
                cur_file = run.file;
                cur_line = run.line;
                at_bol = true;
            } else {
                while cur_line < run.line {
                    out.push('\n');
                    cur_line += 1;
                    at_bol = true;
                }
            }
        }
        let spaced = pp.spaces.get(i).copied().unwrap_or(false);
        if !at_bol
            && (spaced
                || needs_space(
                    out.as_bytes().last().copied(),
                    tok.text.as_bytes().first().copied(),
                ))
        {
            out.push(' ');
        }
        out.push_str(&tok.text);
        at_bol = false;
    }
    for p in &pp.pragmas[pragma_idx..] {
        if !at_bol {
            out.push('\n');
        }
        out.push_str(&p.text);
        at_bol = true;
    }
    if !at_bol {
        out.push('\n');
    }
    out
}

/// Whether two adjacent spellings would lex differently without a space between them.
fn needs_space(prev: Option<u8>, next: Option<u8>) -> bool {
    let (Some(a), Some(b)) = (prev, next) else {
        return false;
    };
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80;
    (word(a) && (word(b) || b == b'"' || b == b'\''))
        || (a == b'.' && b.is_ascii_digit())
        || (b"+-*/%<>=!&|^#.:".contains(&a) && b"+-*/%<>=&|#.:".contains(&b))
}

/// The tokens of `gcc -E` output, for comparisons: line markers dropped, each `#pragma` line one
/// string with single spaces.
pub fn gcc_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("# ") || trimmed.starts_with("#line") {
            continue;
        }
        if trimmed.starts_with("#pragma") {
            out.push(trimmed.split_whitespace().collect::<Vec<_>>().join(" "));
            continue;
        }
        let sk = crate::preprocess::skeleton::lower(line);
        out.extend(sk.tokens.iter().map(|t| t.text.to_string()));
    }
    out
}

/// Our tokens in the shape of `gcc_tokens`, with the index of each in `pp.tokens` (`None` for a
/// pragma).
pub fn our_tokens_indexed(pp: &Preprocessed) -> Vec<(String, Option<usize>)> {
    let mut out = Vec::with_capacity(pp.tokens.len() + pp.pragmas.len());
    let mut p = 0;
    let pragma = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    for (i, t) in pp.tokens.iter().enumerate() {
        while p < pp.pragmas.len() && pp.pragmas[p].before_token as usize <= i {
            out.push((pragma(&pp.pragmas[p].text), None));
            p += 1;
        }
        out.push((t.text.to_string(), Some(i)));
    }
    for pr in &pp.pragmas[p..] {
        out.push((pragma(&pr.text), None));
    }
    out
}

/// Our tokens in the shape of `gcc_tokens`.
pub fn our_tokens(pp: &Preprocessed) -> Vec<String> {
    our_tokens_indexed(pp).into_iter().map(|(t, _)| t).collect()
}
