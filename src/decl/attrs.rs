//! GNU attributes: which ones change a layout, and the explicit list of those that cannot.
//!
//! `aligned`, `packed` and `mode` are folded into the type model by `resolve`, by GCC's rules
//! for the position they stand in (`docs/layout-attributes.md`).
//! `randomize_layout` is an error: the kernel only spells it when the randstruct GCC plugin is
//! active, and then the record's field order depends on the build's secret seed. The plugin also
//! reorders structs made only of function pointers without being asked; `Resolver::with_randstruct`
//! makes those errors too (`no_randomize_layout` exempts a record). Every attribute
//! in [`NO_LAYOUT_EFFECT`] is ignored on purpose. Any other attribute on something we lay out is
//! an error, because it might change the layout (`vector_size`, `scalar_storage_order`,
//! `ms_struct`…), and an uncertain layout is never emitted.

/// Attributes that never change the size, alignment or field offsets of anything.
pub(crate) const NO_LAYOUT_EFFECT: &[&str] = &[
    "access",
    "address_space",
    "alias",
    "alloc_align",
    "alloc_size",
    "always_inline",
    "artificial",
    "assume_aligned",
    "btf_decl_tag",
    "btf_type_tag",
    "cleanup",
    "cold",
    "common",
    "const",
    "constructor",
    "context",
    "copy",
    "counted_by",
    "deprecated",
    "designated_init",
    "destructor",
    "error",
    "externally_visible",
    "fallthrough",
    "flatten",
    "format",
    "format_arg",
    "function_return",
    "gcc_struct",
    "gnu_inline",
    "hot",
    "ifunc",
    "indirect_branch",
    "latent_entropy",
    "leaf",
    "malloc",
    "may_alias",
    // Calling conventions (`__efiapi` on EFI function pointers): a function type's, never a size.
    "ms_abi",
    "naked",
    "no_instrument_function",
    "no_randomize_layout",
    "no_reorder",
    "no_sanitize",
    "no_sanitize_address",
    "no_sanitize_undefined",
    "no_split_stack",
    "no_stack_protector",
    "nocf_check",
    "noclone",
    "nocommon",
    "noderef",
    "noinline",
    "noipa",
    "nonnull",
    "nonstring",
    "noplt",
    "noreturn",
    "nothrow",
    "optimize",
    "patchable_function_entry",
    "preserve_access_index",
    "pure",
    "retain",
    "returns_nonnull",
    "returns_twice",
    "section",
    "sentinel",
    "sysv_abi",
    "tainted_args",
    "target",
    "tls_model",
    "transparent_union",
    "unavailable",
    "unused",
    "used",
    "visibility",
    "warn_if_not_aligned",
    "warn_unused_result",
    "warning",
    "weak",
    "zero_call_used_regs",
];

/// Whether `name` (without surrounding `__`) is known to have no effect on layouts.
pub(crate) fn has_no_layout_effect(name: &str) -> bool {
    NO_LAYOUT_EFFECT.binary_search(&name).is_ok()
}

/// The size in bits of an integer machine mode named in `mode(...)`, on x86-64.
pub(crate) fn mode_size_bits(mode: &str) -> Option<u64> {
    let m = mode.strip_prefix("__").unwrap_or(mode);
    let m = m.strip_suffix("__").unwrap_or(m);
    Some(match m {
        "QI" | "byte" => 8,
        "HI" => 16,
        "SI" => 32,
        "DI" | "word" | "pointer" => 64,
        "TI" => 128,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_list_is_sorted_for_binary_search() {
        let mut sorted = super::NO_LAYOUT_EFFECT.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, super::NO_LAYOUT_EFFECT);
    }
}
