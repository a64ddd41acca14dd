//! Well-known private kernel symbols: globals Volatility 3's Linux plugins read whose type no
//! header declares, because the kernel defines them `static` (or declares them only in a header
//! private to one directory, such as `kernel/module/internal.h`).
//!
//! dwarf2json gets their types from the vmlinux's DWARF. We get them from the same kernel's
//! source when `build-pre-ast --kernel-source` gives it: [`SOURCE_HEADERS`] (private headers) and
//! [`SOURCE_EXCERPTS`] (the declarations of `.c` files, such as `static … tk_core` in
//! kernel/time/timekeeping.c or `struct kthread` in kernel/kthread.c), which the builder stores
//! as excerpts. Without the source, each entry of [`PRIVATE_SYMBOLS`] gives the symbol's type as C
//! source written in terms of public types (an `extern` declaration, and where the kernel's type
//! is itself private, that type's definition copied in shape from the kernel source), with the
//! kernel file it comes from and the kernel versions it holds for; an entry is left out when the
//! pre-AST has the real declaration. The layouts are not typed in: the engine parses [`c_source`]
//! like any other declarations and lays the types out under the target's config, so
//! `tk_core.timekeeper` moves when `struct timekeeper` or `seqcount_raw_spinlock_t` changes size.
//!
//! `build-pre-ast` appends [`c_source`] to the built-in target ([`builtin_target_text`]); its
//! `#if` guards pick the entries of the kernel at hand. The engine treats its declarations like
//! the headers' own: each symbol becomes a [`crate::profile::model::SymbolType`], and the
//! anonymous or private record types they name go into the model's records.

/// One private symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrivateSymbol {
    /// The symbol's name as in `System.map`.
    pub name: &'static str,
    /// C declarations giving its type in terms of public types: optionally a private type's
    /// definition, then an `extern` declaration of the symbol.
    pub declaration: &'static str,
    /// Headers (under `include/` or `arch/x86/include/`) that declare the public types used.
    pub includes: &'static [&'static str],
    /// The kernel source file that defines the symbol.
    pub defined_in: &'static str,
    /// The first kernel version (major, minor) this declaration holds for.
    pub since: (u32, u32),
    /// The first version it no longer holds for, if it changed.
    pub until: Option<(u32, u32)>,
    /// What the entry rests on, and what is not verified.
    pub note: &'static str,
    /// The private file of the kernel source that declares the symbol (a header, or a `.c` file
    /// of [`SOURCE_EXCERPTS`]): when the pre-AST has it (`build-pre-ast --kernel-source`), the
    /// real declaration is used and this entry is left out.
    pub source: Option<&'static str>,
}

/// The table, oldest entry of each symbol first.
pub const PRIVATE_SYMBOLS: &[PrivateSymbol] = &[
    PrivateSymbol {
        name: "tk_core",
        declaration: "extern struct {\n\tseqcount_t seq;\n\tstruct timekeeper timekeeper;\n} tk_core ____cacheline_aligned;",
        includes: &["linux/timekeeper_internal.h", "linux/seqlock.h", "linux/cache.h"],
        defined_in: "kernel/time/timekeeping.c",
        since: (3, 17),
        until: Some((5, 10)),
        note: "an anonymous struct; the cacheline alignment is the variable's, not the type's, so the type has its \
               natural size. Read by linux.pslist and boottime via tk_core.timekeeper.",
        source: Some("kernel/time/timekeeping.c"),
    },
    PrivateSymbol {
        name: "tk_core",
        declaration: "extern struct {\n\tseqcount_raw_spinlock_t seq;\n\tstruct timekeeper timekeeper;\n} tk_core ____cacheline_aligned;",
        includes: &["linux/timekeeper_internal.h", "linux/seqlock.h", "linux/cache.h"],
        defined_in: "kernel/time/timekeeping.c",
        since: (5, 10),
        until: Some((6, 13)),
        note: "5.10 changed `seq` to a seqcount_raw_spinlock_t (\"timekeeping: Use sequence counter with associated \
               raw spinlock\"). The end is the timekeeping rework that moved shadow_timekeeper and the lock into \
               tk_core; 6.13 as its first release is from the patch series, not checked against a 6.13 tree.",
        source: Some("kernel/time/timekeeping.c"),
    },
    PrivateSymbol {
        name: "tk_core",
        declaration: "struct tk_data {\n\tseqcount_raw_spinlock_t seq;\n\tstruct timekeeper timekeeper;\n\tstruct timekeeper shadow_timekeeper;\n\traw_spinlock_t lock;\n} ____cacheline_aligned;\nextern struct tk_data tk_core;",
        includes: &["linux/timekeeper_internal.h", "linux/seqlock.h", "linux/spinlock.h", "linux/cache.h"],
        defined_in: "kernel/time/timekeeping.c",
        since: (6, 13),
        until: None,
        note: "a named struct tk_data, aligned as a type. `seq` and `timekeeper` keep their offsets, which is what \
               Volatility reads. First release unverified (see the previous entry).",
        source: Some("kernel/time/timekeeping.c"),
    },
    PrivateSymbol {
        name: "modules",
        declaration: "extern struct list_head modules;",
        includes: &["linux/list.h"],
        defined_in: "kernel/module.c (kernel/module/main.c since 5.19)",
        since: (2, 6),
        until: None,
        note: "static LIST_HEAD(modules) before 5.19; since then global but declared only in kernel/module/internal.h. \
               Read by linux.lsmod.",
        source: Some("kernel/module/internal.h"),
    },
    PrivateSymbol {
        name: "mod_tree",
        declaration: "struct mod_tree_root {\n#ifdef CONFIG_MODULES_TREE_LOOKUP\n\tstruct latch_tree_root root;\n#endif\n\tunsigned long addr_min;\n\tunsigned long addr_max;\n#ifdef CONFIG_ARCH_WANTS_MODULES_DATA_IN_VMALLOC\n\tunsigned long data_addr_min;\n\tunsigned long data_addr_max;\n#endif\n};\nextern struct mod_tree_root mod_tree;",
        includes: &["linux/rbtree_latch.h"],
        defined_in: "kernel/module/main.c, type in kernel/module/internal.h",
        since: (5, 19),
        until: None,
        note: "the type as kernel/module/internal.h defines it from 5.19 (checked in shape against 6.1); later \
               versions unverified. Read by the module-hiding checks.",
        source: Some("kernel/module/internal.h"),
    },
    PrivateSymbol {
        name: "prog_idr",
        declaration: "extern struct idr prog_idr;",
        includes: &["linux/idr.h"],
        defined_in: "kernel/bpf/syscall.c",
        since: (4, 13),
        until: None,
        note: "static DEFINE_IDR(prog_idr). Read by linux.ebpf.",
        source: Some("kernel/bpf/syscall.c"),
    },
    PrivateSymbol {
        name: "keyboard_notifier_list",
        declaration: "extern struct atomic_notifier_head keyboard_notifier_list;",
        includes: &["linux/notifier.h"],
        defined_in: "drivers/tty/vt/keyboard.c",
        since: (2, 6),
        until: None,
        note: "static ATOMIC_NOTIFIER_HEAD(keyboard_notifier_list). Read by linux.keyboard_notifiers.",
        source: Some("drivers/tty/vt/keyboard.c"),
    },
    PrivateSymbol {
        name: "socket_file_ops",
        declaration: "extern const struct file_operations socket_file_ops;",
        includes: &["linux/fs.h"],
        defined_in: "net/socket.c",
        since: (2, 6),
        until: None,
        note: "static const. Read by linux.sockstat to recognise socket files.",
        source: Some("net/socket.c"),
    },
    PrivateSymbol {
        name: "sockfs_dentry_operations",
        declaration: "extern const struct dentry_operations sockfs_dentry_operations;",
        includes: &["linux/dcache.h"],
        defined_in: "net/socket.c",
        since: (2, 6),
        until: None,
        note: "static const. Read by linux.sockstat.",
        source: Some("net/socket.c"),
    },
    PrivateSymbol {
        name: "tcp4_seq_afinfo",
        declaration: "extern struct tcp_seq_afinfo tcp4_seq_afinfo;",
        includes: &["net/tcp.h"],
        defined_in: "net/ipv4/tcp_ipv4.c",
        since: (2, 6),
        until: None,
        note: "static. Read by the network plugins.",
        source: Some("net/ipv4/tcp_ipv4.c"),
    },
    PrivateSymbol {
        name: "tcp6_seq_afinfo",
        declaration: "extern struct tcp_seq_afinfo tcp6_seq_afinfo;",
        includes: &["net/tcp.h"],
        defined_in: "net/ipv6/tcp_ipv6.c",
        since: (2, 6),
        until: None,
        note: "static.",
        source: Some("net/ipv6/tcp_ipv6.c"),
    },
    PrivateSymbol {
        name: "udp4_seq_afinfo",
        declaration: "extern struct udp_seq_afinfo udp4_seq_afinfo;",
        includes: &["net/udp.h"],
        defined_in: "net/ipv4/udp.c",
        since: (2, 6),
        until: None,
        note: "static.",
        source: Some("net/ipv4/udp.c"),
    },
    PrivateSymbol {
        name: "udp6_seq_afinfo",
        declaration: "extern struct udp_seq_afinfo udp6_seq_afinfo;",
        includes: &["net/udp.h"],
        defined_in: "net/ipv6/udp.c",
        since: (2, 6),
        until: None,
        note: "static.",
        source: Some("net/ipv6/udp.c"),
    },
    PrivateSymbol {
        name: "udplite4_seq_afinfo",
        declaration: "extern struct udp_seq_afinfo udplite4_seq_afinfo;",
        includes: &["net/udp.h"],
        defined_in: "net/ipv4/udplite.c",
        since: (2, 6),
        until: None,
        note: "static.",
        source: Some("net/ipv4/udplite.c"),
    },
    PrivateSymbol {
        name: "udplite6_seq_afinfo",
        declaration: "extern struct udp_seq_afinfo udplite6_seq_afinfo;",
        includes: &["net/udp.h"],
        defined_in: "net/ipv6/udplite.c",
        since: (2, 6),
        until: None,
        note: "static.",
        source: Some("net/ipv6/udplite.c"),
    },
    PrivateSymbol {
        name: "idt_table",
        declaration: "extern gate_desc idt_table[IDT_ENTRIES];",
        includes: &["asm/desc.h"],
        defined_in: "arch/x86/kernel/idt.c",
        since: (4, 15),
        until: None,
        note: "static (a `b` symbol in the 6.1 System.map); asm/desc.h declares it without a bound, which would \
               give an array of count 0. Read by linux.check_idt.",
        source: Some("arch/x86/kernel/idt.c"),
    },
    PrivateSymbol {
        name: "cap_last_cap",
        declaration: "extern const int cap_last_cap;",
        includes: &[],
        defined_in: "kernel/sysctl.c",
        since: (3, 2),
        until: None,
        note: "static const int (a `d` symbol in the 6.1 System.map). Read by linux.capabilities.",
        source: Some("kernel/sysctl.c"),
    },
];

/// Symbols Volatility reads whose type we cannot give from headers at all, and why: only
/// `build-pre-ast --kernel-source` brings them.
pub const NOT_COVERED: &[(&str, &str)] = &[
    ("prb", "a pointer to struct printk_ringbuffer, defined in kernel/printk/printk_ringbuffer.h, which header packages do not ship"),
    ("*_sched_class, __sched_class_highest, __sched_class_lowest", "struct sched_class is defined in kernel/sched/sched.h, which header packages do not ship"),
    ("kallsyms_*", "declared in kernel/kallsyms_internal.h, which header packages do not ship"),
    ("bpf_tree, ftrace_mod_maps, ftrace_ops_trampoline_list", "static in kernel/bpf/core.c and kernel/trace/ftrace.c"),
];

/// Declarations taken from `.c` files of the kernel source (`build-pre-ast --kernel-source`):
/// private types and `static` symbols that no header declares. The builder stores only the named
/// declarations of each file (and its conditional directives, on their own lines); the target
/// fragment ([`c_source`]) includes each file under the condition kbuild compiles it under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceExcerpt {
    /// The file, relative to the source root.
    pub file: &'static str,
    /// `struct NAME` definitions and variable names to take.
    pub names: &'static [&'static str],
    /// The `#if` condition under which kbuild compiles the file (`obj-$(CONFIG_X) += file.o`),
    /// or `None` when it is always built.
    pub built_if: Option<&'static str>,
}

/// The excerpts, checked against Linux 6.1's source (a name a version lacks is a build-pre-ast
/// warning, and the symbol or type is then missing, never faked).
pub const SOURCE_EXCERPTS: &[SourceExcerpt] = &[
    SourceExcerpt { file: "kernel/kthread.c", names: &["struct kthread"], built_if: None },
    SourceExcerpt {
        file: "kernel/trace/ftrace.c",
        names: &[
            "struct ftrace_mod_func",
            "struct ftrace_mod_map",
            "ftrace_mod_maps",
            "ftrace_ops_trampoline_list",
        ],
        built_if: Some("defined(CONFIG_FUNCTION_TRACER)"),
    },
    SourceExcerpt {
        file: "kernel/module/sysfs.c",
        names: &[
            "struct module_sect_attr",
            "struct module_sect_attrs",
            "struct module_notes_attrs",
        ],
        built_if: Some("defined(CONFIG_MODULES) && defined(CONFIG_SYSFS)"),
    },
    SourceExcerpt { file: "kernel/time/timekeeping.c", names: &["tk_core"], built_if: None },
    SourceExcerpt {
        file: "kernel/bpf/core.c",
        names: &["bpf_tree", "bpf_kallsyms"],
        built_if: None,
    },
    SourceExcerpt {
        file: "kernel/bpf/syscall.c",
        names: &["prog_idr"],
        built_if: Some("defined(CONFIG_BPF_SYSCALL)"),
    },
    SourceExcerpt {
        file: "kernel/printk/printk.c",
        names: &["prb", "log_buf", "log_buf_len"],
        built_if: None,
    },
    SourceExcerpt {
        file: "kernel/tracepoint.c",
        names: &["__start___tracepoints_ptrs"],
        built_if: Some("defined(CONFIG_TRACEPOINTS)"),
    },
    SourceExcerpt {
        file: "drivers/video/fbdev/core/fbmem.c",
        names: &["registered_fb", "num_registered_fb"],
        built_if: Some("defined(CONFIG_FB)"),
    },
    SourceExcerpt {
        file: "drivers/tty/vt/keyboard.c",
        names: &["keyboard_notifier_list"],
        built_if: Some("defined(CONFIG_VT)"),
    },
    SourceExcerpt {
        file: "net/socket.c",
        names: &["socket_file_ops", "sockfs_dentry_operations"],
        built_if: Some("defined(CONFIG_NET)"),
    },
    SourceExcerpt {
        file: "net/ipv4/tcp_ipv4.c",
        names: &["tcp4_seq_afinfo", "tcp4_seq_ops"],
        built_if: Some("defined(CONFIG_INET)"),
    },
    SourceExcerpt {
        file: "net/ipv6/tcp_ipv6.c",
        names: &["tcp6_seq_afinfo", "tcp6_seq_ops"],
        built_if: Some("IS_BUILTIN(CONFIG_IPV6)"),
    },
    SourceExcerpt {
        file: "net/ipv4/udp.c",
        names: &["udp4_seq_afinfo", "udp_seq_ops"],
        built_if: Some("defined(CONFIG_INET)"),
    },
    SourceExcerpt {
        file: "net/ipv6/udp.c",
        names: &["udp6_seq_afinfo", "udp6_seq_ops"],
        built_if: Some("IS_BUILTIN(CONFIG_IPV6)"),
    },
    SourceExcerpt {
        file: "net/ipv4/udplite.c",
        names: &["udplite4_seq_afinfo"],
        built_if: Some("defined(CONFIG_INET)"),
    },
    SourceExcerpt {
        file: "net/ipv6/udplite.c",
        names: &["udplite6_seq_afinfo"],
        built_if: Some("IS_BUILTIN(CONFIG_IPV6)"),
    },
    SourceExcerpt {
        file: "net/ipv4/raw.c",
        names: &["raw_seq_ops"],
        built_if: Some("defined(CONFIG_INET)"),
    },
    SourceExcerpt {
        file: "net/ipv4/arp.c",
        names: &["arp_seq_ops"],
        built_if: Some("defined(CONFIG_INET)"),
    },
    SourceExcerpt {
        file: "net/ipv6/raw.c",
        names: &["raw6_seq_ops"],
        built_if: Some("IS_BUILTIN(CONFIG_IPV6)"),
    },
    SourceExcerpt {
        file: "net/unix/af_unix.c",
        names: &["unix_seq_ops"],
        built_if: Some("IS_BUILTIN(CONFIG_UNIX)"),
    },
    SourceExcerpt {
        file: "net/packet/af_packet.c",
        names: &["packet_seq_ops"],
        built_if: Some("IS_BUILTIN(CONFIG_PACKET)"),
    },
    SourceExcerpt { file: "arch/x86/kernel/idt.c", names: &["idt_table"], built_if: None },
    SourceExcerpt { file: "kernel/sysctl.c", names: &["cap_last_cap"], built_if: None },
];

/// Private headers the fragment includes when the pre-AST has them (the symbols they declare).
pub const SOURCE_HEADERS: &[(&str, &str)] = &[
    ("kernel/kallsyms_internal.h", "the kallsyms_* tables"),
    ("kernel/module/internal.h", "modules, mod_tree, __start___ksymtab, __stop___ksymtab"),
    ("kernel/printk/printk_ringbuffer.h", "struct printk_ringbuffer (prb)"),
];

/// The entries that hold for kernel `version` (major, minor).
pub fn for_version(version: (u32, u32)) -> impl Iterator<Item = &'static PrivateSymbol> {
    PRIVATE_SYMBOLS
        .iter()
        .filter(move |s| s.since <= version && s.until.is_none_or(|until| version < until))
}

/// The whole table as one C fragment: the private headers and the `.c` excerpts the pre-AST may
/// have (each under `__has_include`, with the `unavailable-without-source:` note build-pre-ast
/// reports when it is missing), then the headers the hand-written entries need, then each entry
/// under a `LINUX_VERSION_CODE` guard for its version range, left out when its real declaration
/// is in the pre-AST.
pub fn c_source() -> String {
    let mut out = String::from(
        "/* Well-known private kernel symbols, written in public types (layout-expert, profile/private_symbols.rs). */\n\
         #include <linux/version.h>\n",
    );
    let mut included: Vec<&str> = Vec::new();
    let mut include = |out: &mut String, header: &'static str| {
        if !included.contains(&header) {
            included.push(header);
            out.push_str(&format!("#include <{header}>\n"));
        }
    };
    for (header, what) in SOURCE_HEADERS {
        out.push_str(&format!(
            "// unavailable-without-source: {what}: {header} is not in the public headers\n#if __has_include(<../{header}>)\n#include <../{header}>\n#endif\n"
        ));
    }
    // The public headers the excerpts need are the built-in target's own (`targets/forensics.c`
    // includes them, so GCC's debug info for the target sees the same headers as we do).
    for excerpt in SOURCE_EXCERPTS {
        let built = excerpt.built_if.map_or(String::new(), |c| format!("{c} && "));
        out.push_str(&format!(
            "// unavailable-without-source: {}: defined in {}\n#if {built}__has_include(<../{}>)\n#include <../{}>\n#endif\n",
            excerpt.names.join(", "),
            excerpt.file,
            excerpt.file,
            excerpt.file
        ));
    }
    for symbol in PRIVATE_SYMBOLS {
        for header in symbol.includes {
            include(&mut out, header);
        }
    }
    for symbol in PRIVATE_SYMBOLS {
        let mut condition = format!(
            "LINUX_VERSION_CODE >= KERNEL_VERSION({}, {}, 0)",
            symbol.since.0, symbol.since.1
        );
        if let Some((major, minor)) = symbol.until {
            condition
                .push_str(&format!(" && LINUX_VERSION_CODE < KERNEL_VERSION({major}, {minor}, 0)"));
        }
        if let Some(source) = symbol.source {
            condition.push_str(&format!(" && !__has_include(<../{source}>)"));
        }
        out.push_str(&format!(
            "\n/* {}: {} */\n#if {condition}\n{}\n#endif\n",
            symbol.name, symbol.defined_in, symbol.declaration
        ));
    }
    out
}

/// The built-in target as `build-pre-ast` stores it: `targets/forensics.c` followed by
/// [`c_source`]. The appended part only declares (`extern`), so GCC's debug info for the target is
/// unchanged (the oracle compiles `targets/forensics.c` alone), while the engine learns the types
/// of the private symbols.
pub fn builtin_target_text(target: &str) -> String {
    format!("{target}\n{}", c_source())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ranges_of_one_symbol_do_not_overlap() {
        for version in [(3, 17), (5, 9), (5, 10), (6, 1), (6, 12), (6, 13), (6, 14)] {
            let tk: Vec<_> = for_version(version).filter(|s| s.name == "tk_core").collect();
            assert_eq!(tk.len(), 1, "tk_core at {version:?}");
        }
        assert!(
            for_version((6, 1))
                .any(|s| s.name == "tk_core"
                    && s.declaration.contains("seqcount_raw_spinlock_t seq;"))
        );
    }
}
