//! Generated headers' stored text as the builder needs it: the `#define NAME VALUE /* EXPR */`
//! lines kbuild writes into bounds.h and asm-offsets.h, and the unit behind asm-offsets.h that
//! `build-pre-ast` stores as a second root (its values are computed by `preprocess::generated`).

/// One line of bounds.h: name, value, and the expression kernel/bounds.c computes it from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundsEntry {
    pub name: String,
    pub value: i128,
    pub expr: String,
}

/// The entries kbuild writes into bounds.h, read from a shipped bounds.h (`#define NAME VALUE
/// /* EXPR */`).
pub fn parse_bounds_h(text: &str) -> Vec<BoundsEntry> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("#define ") else {
            continue;
        };
        let mut parts = rest.splitn(2, ' ');
        let (Some(name), Some(rest)) = (parts.next(), parts.next()) else {
            continue;
        };
        let (value, expr) = match rest.split_once("/*") {
            Some((v, e)) => (v.trim(), e.trim_end().trim_end_matches("*/").trim()),
            None => (rest.trim(), ""),
        };
        let Ok(value) = value.parse::<i128>() else {
            continue;
        };
        out.push(BoundsEntry { name: name.to_owned(), value, expr: expr.to_owned() });
    }
    out
}

/// The translation unit behind asm-offsets.h, which the headers package lacks
/// (arch/x86/kernel/asm-offsets.c and asm-offsets_64.c): the headers that declare the structs
/// its expressions name (guarded where a kernel series lacks one), then one enum per stored
/// constant whose single enumerator is the expression kbuild wrote in the constant's comment.
/// `build-pre-ast` stores it (so every header it reaches is in the pre-AST) and `make-profile`
/// evaluates the expressions with our own declaration and layout engine under the target's
/// config, when a header uses a value. No value is read from the stored copy.
pub fn asm_offsets_unit(stored: &str) -> String {
    let mut out = String::from(
        "#define COMPILE_OFFSETS\n\
         #include <linux/crypto.h>\n#include <linux/sched.h>\n#include <linux/stddef.h>\n\
         #include <linux/hardirq.h>\n#include <linux/suspend.h>\n#include <asm/processor.h>\n\
         #include <asm/thread_info.h>\n#include <asm/sigframe.h>\n#include <asm/bootparam.h>\n\
         #include <asm/suspend.h>\n#include <asm/tlbflush.h>\n\
         #if __has_include(<asm/tdx.h>)\n#include <asm/tdx.h>\n#endif\n\
         #if __has_include(<asm/alternative.h>)\n#include <asm/alternative.h>\n#endif\n\
         #ifdef CONFIG_XEN\n#include <xen/interface/xen.h>\n#endif\n\
         #ifdef CONFIG_KVM_GUEST\n#include <asm/kvm_para.h>\n#endif\n\
         #if __has_include(<asm/ia32.h>)\n#include <asm/ia32.h>\n#endif\n",
    );
    for e in parse_bounds_h(stored) {
        if !e.expr.is_empty() {
            out.push_str(&format!("enum {{ {ASM_OFFSET_PREFIX}{} = ({}) }};\n", e.name, e.expr));
        }
    }
    out
}

/// The enumerator prefix of [`asm_offsets_unit`]'s constants.
pub const ASM_OFFSET_PREFIX: &str = "__layout_expert_asm_offset_";

/// Where `build-pre-ast` stores [`asm_offsets_unit`].
pub const ASM_OFFSETS_UNIT_PATH: &str = "target/layout-expert-asm-offsets.c";
