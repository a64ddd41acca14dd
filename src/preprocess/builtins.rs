//! GCC 12's answers to `__has_attribute` and `__has_builtin` for the names kernel headers ask
//! (and the common attributes and builtins around them). A name outside the table is an error,
//! never a guess: add it here after asking gcc-12 (`echo '__has_attribute(x)' | gcc-12 -E -P -`).

/// The value GCC 12 gives `__has_attribute(name)` (a leading and trailing `__` are ignored, as
/// GCC ignores them), or `None` when the table does not know the name.
pub fn has_attribute(name: &str) -> Option<u32> {
    let bare = name
        .strip_prefix("__")
        .and_then(|n| n.strip_suffix("__"))
        .unwrap_or(name);
    GCC12_ATTRIBUTES
        .iter()
        .find(|(n, _)| *n == bare)
        .map(|&(_, v)| v)
}

/// The value GCC 12 gives `__has_builtin(name)`, or `None` when the table does not know it.
pub fn has_builtin(name: &str) -> Option<u32> {
    GCC12_BUILTINS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, v)| v)
}

/// GCC 12's answer to `__has_attribute(name)`, by name without surrounding underscores.
/// Checked against gcc-12 by `has_attribute_matches_gcc`.
const GCC12_ATTRIBUTES: &[(&str, u32)] = &[
    ("access", 1),
    ("alias", 1),
    ("aligned", 1),
    ("alloc_align", 1),
    ("alloc_size", 1),
    ("always_inline", 1),
    ("artificial", 1),
    ("assume_aligned", 1),
    ("btf_decl_tag", 0),
    ("btf_type_tag", 0),
    ("cf_check", 1),
    ("cleanup", 1),
    ("cold", 1),
    ("const", 1),
    ("constructor", 1),
    ("copy", 1),
    ("counted_by", 0),
    ("deprecated", 201904),
    ("designated_init", 1),
    ("destructor", 1),
    ("diagnose_as_builtin", 0),
    ("disable_sanitizer_instrumentation", 0),
    ("error", 1),
    ("externally_visible", 1),
    ("fallthrough", 201904),
    ("fentry_name", 1),
    ("fentry_section", 1),
    ("flatten", 1),
    ("format", 1),
    ("format_arg", 1),
    ("function_return", 1),
    ("gnu_inline", 1),
    ("hot", 1),
    ("ifunc", 1),
    ("indirect_branch", 1),
    ("latent_entropy", 0),
    ("leaf", 1),
    ("malloc", 1),
    ("may_alias", 1),
    ("mode", 1),
    ("naked", 1),
    ("no_caller_saved_registers", 1),
    ("no_icf", 1),
    ("no_instrument_function", 1),
    ("no_profile_instrument_function", 1),
    ("no_randomize_layout", 0),
    ("no_reorder", 1),
    ("no_sanitize", 1),
    ("no_sanitize_address", 1),
    ("no_sanitize_coverage", 1),
    ("no_sanitize_thread", 1),
    ("no_sanitize_undefined", 1),
    ("no_split_stack", 1),
    ("no_stack_protector", 1),
    ("nocf_check", 1),
    ("noclone", 1),
    ("noinit", 1),
    ("noinline", 1),
    ("noipa", 1),
    ("nonnull", 1),
    ("nonstring", 1),
    ("noplt", 1),
    ("noreturn", 1),
    ("nothrow", 1),
    ("optimize", 1),
    ("overloadable", 0),
    ("packed", 1),
    ("pass_dynamic_object_size", 0),
    ("pass_object_size", 0),
    ("patchable_function_entry", 1),
    ("persistent", 1),
    ("preserve_most", 0),
    ("pure", 1),
    ("randomize_layout", 0),
    ("retain", 1),
    ("returns_nonnull", 1),
    ("scalar_storage_order", 1),
    ("section", 1),
    ("sentinel", 1),
    ("symver", 1),
    ("target", 1),
    ("tls_model", 1),
    ("transparent_union", 1),
    ("unavailable", 1),
    ("uninitialized", 1),
    ("unused", 1),
    ("used", 1),
    ("vector_size", 1),
    ("visibility", 1),
    ("warn_unused_result", 1),
    ("warning", 1),
    ("weak", 1),
    ("zero_call_used_regs", 1),
];

/// GCC 12's answer to `__has_builtin(name)`.
/// Checked against gcc-12 by `has_attribute_matches_gcc`.
const GCC12_BUILTINS: &[(&str, u32)] = &[
    ("__builtin_add_overflow", 1),
    ("__builtin_alloca_uninitialized", 0),
    ("__builtin_assume_aligned", 1),
    ("__builtin_bswap32", 1),
    ("__builtin_bswap64", 1),
    ("__builtin_choose_expr", 1),
    ("__builtin_clz", 1),
    ("__builtin_constant_p", 1),
    ("__builtin_counted_by_ref", 0),
    ("__builtin_ctz", 1),
    ("__builtin_dynamic_object_size", 1),
    ("__builtin_expect", 1),
    ("__builtin_ffs", 1),
    ("__builtin_frame_address", 1),
    ("__builtin_has_attribute", 1),
    ("__builtin_is_constant_evaluated", 0),
    ("__builtin_isdigit", 1),
    ("__builtin_memcpy", 1),
    ("__builtin_memset", 1),
    ("__builtin_mul_overflow", 1),
    ("__builtin_object_size", 1),
    ("__builtin_offsetof", 1),
    ("__builtin_popcount", 1),
    ("__builtin_prefetch", 1),
    ("__builtin_return_address", 1),
    ("__builtin_speculation_safe_value", 1),
    ("__builtin_stdc_bit_width", 0),
    ("__builtin_sub_overflow", 1),
    ("__builtin_trap", 1),
    ("__builtin_types_compatible_p", 1),
    ("__builtin_unreachable", 1),
    ("__builtin_va_arg", 0),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry of both tables equals gcc-12's own answer under kbuild's C dialect flags.
    #[test]
    fn has_attribute_matches_gcc() {
        let mut src = String::new();
        for (n, _) in GCC12_ATTRIBUTES {
            src.push_str(&format!("A {n} __has_attribute({n})\n"));
        }
        for (n, _) in GCC12_BUILTINS {
            src.push_str(&format!("B {n} __has_builtin({n})\n"));
        }
        let out = crate::preprocess::test_gcc::gcc_e(&src, &["-P"]);
        let mut n_checked = 0;
        for line in out.lines().filter(|l| !l.trim().is_empty()) {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let [kind, name, value] = parts[..] else {
                panic!("unexpected gcc output line {line:?}")
            };
            let ours = if kind == "A" {
                has_attribute(name)
            } else {
                has_builtin(name)
            };
            assert_eq!(ours, Some(value.parse().unwrap()), "{kind} {name}");
            n_checked += 1;
        }
        assert_eq!(n_checked, GCC12_ATTRIBUTES.len() + GCC12_BUILTINS.len());
    }
}
