//! The typed AST, walked over one fixture: every accessor a later stage relies on appears here,
//! and the rendering is compared with a snapshot.

use std::fmt::Write;

use expect_test::{expect, Expect};

use crate::{
    ast::{Branch, Include, Item},
    parse, AstNode,
};

fn render_items(items: impl Iterator<Item = Item>, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    for item in items {
        match item {
            Item::Define(d) => {
                let params = d.params().map(|list| {
                    list.params()
                        .map(|p| {
                            let name = p.name().map_or("".to_string(), |t| t.text().to_string());
                            if p.is_variadic() {
                                format!("{name}...")
                            } else {
                                name
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(",")
                });
                let body: Vec<String> =
                    d.replacement_tokens().map(|t| t.text().to_string()).collect();
                writeln!(
                    out,
                    "{pad}define {} function_like={} params={params:?} body={body:?}",
                    d.name().map(|n| n.text()).unwrap_or_default(),
                    d.is_function_like(),
                )
                .unwrap();
            }
            Item::Undef(u) => {
                writeln!(out, "{pad}undef {}", u.name().map(|n| n.text()).unwrap_or_default())
                    .unwrap()
            }
            Item::Include(i) => render_include(&i, &pad, out),
            Item::Conditional(c) => {
                writeln!(out, "{pad}conditional").unwrap();
                for branch in c.branches() {
                    render_branch(&branch, depth + 1, out);
                }
            }
            Item::Text(t) => {
                let tokens: Vec<String> = t.tokens().map(|t| t.text().to_string()).collect();
                writeln!(out, "{pad}text {tokens:?}").unwrap();
            }
            Item::ErrorDirective(e) => writeln!(out, "{pad}error {:?}", e.message()).unwrap(),
            Item::WarningDirective(w) => writeln!(out, "{pad}warning {:?}", w.message()).unwrap(),
            Item::Pragma(p) => writeln!(out, "{pad}pragma {:?}", p.body()).unwrap(),
            Item::LineDirective(l) => {
                let tokens: Vec<String> = l.tokens().map(|t| t.text().to_string()).collect();
                writeln!(out, "{pad}line {tokens:?}").unwrap();
            }
            Item::NullDirective(_) => writeln!(out, "{pad}null").unwrap(),
            Item::UnknownDirective(u) => writeln!(
                out,
                "{pad}unknown {:?}",
                u.name().map(|t| t.text().to_string()).unwrap_or_default()
            )
            .unwrap(),
            Item::Error(e) => writeln!(out, "{pad}error node {:?}", e.syntax().text()).unwrap(),
        }
    }
}

fn render_include(include: &Include, pad: &str, out: &mut String) {
    let path = include.path().map(|p| (p.form, p.spelled));
    writeln!(out, "{pad}include next={} path={path:?}", include.is_next()).unwrap();
}

fn render_branch(branch: &Branch, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    let condition = branch.condition().map(|c| {
        let tokens: Vec<String> = c.tokens().map(|t| t.text().to_string()).collect();
        (c.name().map(|n| n.text()), tokens)
    });
    writeln!(out, "{pad}branch {:?} condition={condition:?}", branch.kind()).unwrap();
    render_items(branch.items(), depth + 1, out);
}

fn check(text: &str, expect: Expect) {
    let parse = parse(text);
    let mut out = String::new();
    render_items(parse.tree().items(), 0, &mut out);
    for error in parse.errors() {
        writeln!(out, "{error}").unwrap();
    }
    expect.assert_eq(&out);
}

#[test]
fn api_walkthrough() {
    check(
        r#"#ifndef _GUARD_H
#define _GUARD_H
#include <linux/types.h>
#include_next "local.h"
#include ARCH_HEADER(atomic)
#define SIZE (1UL << 12) /* bytes */
#define pr_fmt(fmt, args...) printk(fmt, ##args)
#define VA(...) f(__VA_ARGS__)
#define SPL\
IT(a) a
#if defined(CONFIG_X86_64) && \
    CONFIG_NR_CPUS > 1
struct s { int a; };
#elif defined(CONFIG_X86)
#else
#error "no" 'arch'
#endif
#undef SIZE
#pragma once
# 12 "x.h"
#
#ident "v"
#endif /* _GUARD_H */
"#,
        expect![[r###"
            conditional
              branch Some(Ifndef) condition=Some((Some("_GUARD_H"), ["_GUARD_H"]))
                define _GUARD_H function_like=false params=None body=[]
                include next=false path=Some((Angled, "linux/types.h"))
                include next=true path=Some((Quoted, "local.h"))
                include next=false path=Some((Computed, "ARCH_HEADER(atomic)"))
                define SIZE function_like=false params=None body=["(", "1UL", "<<", "12", ")"]
                define pr_fmt function_like=true params=Some("fmt,args...") body=["printk", "(", "fmt", ",", "##", "args", ")"]
                define VA function_like=true params=Some("...") body=["f", "(", "__VA_ARGS__", ")"]
                define SPLIT function_like=true params=Some("a") body=["a"]
                conditional
                  branch Some(If) condition=Some((None, ["defined", "(", "CONFIG_X86_64", ")", "&&", "CONFIG_NR_CPUS", ">", "1"]))
                    text ["struct", "s", "{", "int", "a", ";", "}", ";"]
                  branch Some(Elif) condition=Some((None, ["defined", "(", "CONFIG_X86", ")"]))
                  branch Some(Else) condition=None
                    error "\"no\" 'arch'"
                  branch Some(Endif) condition=None
                undef SIZE
                pragma "once"
                line ["12", "\"x.h\""]
                null
                unknown "ident"
              branch Some(Endif) condition=None
        "###]],
    );
}

/// Calls every accessor on every node of a tree (the mutation test runs this on thousands of
/// malformed inputs: accessors must not panic, whatever the parser left out).
pub(super) fn call_every_accessor(text: &str) {
    let parse = parse(text);
    let mut out = String::new();
    render_items(parse.tree().items(), 0, &mut out);
    for node in parse.syntax_node().descendants() {
        if let Some(include) = Include::cast(node.clone()) {
            let _ = (include.header_name(), include.computed_path().map(|c| c.tokens().count()));
        }
        if let Some(branch) = Branch::cast(node.clone()) {
            let _ = branch.keyword();
        }
        if let Some(define) = crate::ast::Define::cast(node) {
            let _ = define.replacement().map(|r| r.tokens().count());
        }
    }
}
