// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * layout-expert's built-in target: the headers memory-forensics tools read, and one variable of
 * each type they need, so that every such type is reachable from this file (for the pre-AST)
 * and present in the DWARF of this file compiled as a module (for the oracle).
 *
 * It covers Rekall's tools/linux/module.c set and Volatility 3's Linux set. A type declared only
 * in kernel sources outside the public headers is included through `__has_include`, so it is
 * there when the tree is a full source tree, and missing (never faked) from a headers package;
 * the `unavailable-without-source:` comment before each such guard is what build-pre-ast
 * reports in that case.
 *
 * Compiles as an out-of-tree module: `obj-m += forensics.o`, `make -C TREE M=$PWD modules`.
 */

#include <linux/module.h>
#include <linux/version.h>
#include <linux/kernel.h>
#include <linux/types.h>
#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/xarray.h>
#include <linux/radix-tree.h>
#include <linux/idr.h>
#include <linux/kobject.h>
#include <linux/notifier.h>
#include <linux/ioport.h>
#include <linux/elf.h>
#include <linux/time64.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/utsname.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/init_task.h>
#include <linux/sched/signal.h>
#include <linux/mm_types.h>
#include <linux/mmzone.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/fdtable.h>
#include <linux/dcache.h>
#include <linux/path.h>
#include <linux/mount.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/cdev.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/clocksource.h>
#include <linux/timekeeper_internal.h>
#include <linux/skbuff.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <linux/inetdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter/x_tables.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/filter.h>
#include <linux/bpf.h>
#include <net/sock.h>
#include <net/inet_sock.h>
#include <net/tcp.h>
#include <net/udp.h>
#include <net/af_unix.h>
#include <net/net_namespace.h>
#include <net/ip_fib.h>
#include <net/neighbour.h>
#include <net/af_vsock.h>
#include <net/bluetooth/bluetooth.h>
#include <net/xdp_sock.h>
#include <net/if_inet6.h>
#include <linux/dev_printk.h>
#include <linux/time_namespace.h>
#include <linux/page-flags.h>
#include <uapi/linux/rtnetlink.h>
/* What the declarations taken from the kernel's .c files need (profile/private_symbols.rs). */
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/cgroup.h>
#include <linux/ftrace.h>
#include <linux/tracepoint.h>
#include <linux/rbtree_latch.h>
#include <linux/sysfs.h>
#include <linux/fb.h>

#if __has_include(<linux/maple_tree.h>)
#include <linux/maple_tree.h>
#endif

/* Lists, trees and other containers. */
struct list_head forensics_list_head;
struct hlist_head forensics_hlist_head;
struct hlist_node forensics_hlist_node;
struct rb_root forensics_rb_root;
struct rb_node forensics_rb_node;
struct xarray forensics_xarray;
struct radix_tree_root forensics_radix_tree_root;
struct idr forensics_idr;
#if __has_include(<linux/maple_tree.h>)
struct maple_tree forensics_maple_tree;
#endif
struct kobject forensics_kobject;
struct kset forensics_kset;
struct atomic_notifier_head forensics_atomic_notifier_head;
struct resource forensics_resource;

/* Processes, credentials, namespaces. */
struct task_struct forensics_task_struct;
struct signal_struct forensics_signal_struct;
struct sighand_struct forensics_sighand_struct;
struct cred forensics_cred;
kernel_cap_t forensics_kernel_cap_t;
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
struct kernel_cap_struct forensics_kernel_cap_struct;
#endif
struct pid forensics_pid;
struct upid forensics_upid;
struct pid_namespace forensics_pid_namespace;
struct uts_namespace forensics_uts_namespace;
struct new_utsname forensics_new_utsname;
struct nsproxy forensics_nsproxy;
struct timespec64 forensics_timespec64;

/* Memory. */
struct mm_struct forensics_mm_struct;
struct vm_area_struct forensics_vm_area_struct;
struct page forensics_page;
struct zone forensics_zone;
struct pglist_data forensics_pglist_data;
struct address_space forensics_address_space;

/* Files and file systems. */
struct files_struct forensics_files_struct;
struct fdtable forensics_fdtable;
struct file forensics_file;
struct dentry forensics_dentry;
struct qstr forensics_qstr;
struct inode forensics_inode;
struct super_block forensics_super_block;
struct vfsmount forensics_vfsmount;
struct path forensics_path;
struct fs_struct forensics_fs_struct;
struct file_operations forensics_file_operations;
struct seq_operations forensics_seq_operations;
struct cdev forensics_cdev;

/* Modules. */
struct module forensics_module;

/* Devices and time. */
struct tty_struct forensics_tty_struct;
struct tty_driver forensics_tty_driver;
struct clocksource forensics_clocksource;
struct timekeeper forensics_timekeeper;

/* Networking. */
struct sk_buff forensics_sk_buff;
struct socket forensics_socket;
struct socket_alloc forensics_socket_alloc;
struct sock forensics_sock;
struct inet_sock forensics_inet_sock;
struct tcp_sock forensics_tcp_sock;
struct udp_sock forensics_udp_sock;
struct unix_sock forensics_unix_sock;
struct vsock_sock forensics_vsock_sock;
struct bt_sock forensics_bt_sock;
#ifdef CONFIG_XDP_SOCKETS
struct xdp_sock forensics_xdp_sock;
#endif
struct net forensics_net;
struct net_device forensics_net_device;
struct in_device forensics_in_device;
struct in_ifaddr forensics_in_ifaddr;
struct fib_table forensics_fib_table;
struct neighbour forensics_neighbour;
struct tcp_seq_afinfo forensics_tcp_seq_afinfo;
struct udp_seq_afinfo forensics_udp_seq_afinfo;
#ifdef CONFIG_NETFILTER
struct nf_hook_ops forensics_nf_hook_ops;
struct nf_sockopt_ops forensics_nf_sockopt_ops;
#endif
struct xt_table forensics_xt_table;

/* BPF. */
struct bpf_prog forensics_bpf_prog;
struct bpf_prog_aux forensics_bpf_prog_aux;

/* ELF, as the ELF standard names the types. */
Elf64_Ehdr forensics_elf64_ehdr;
Elf64_Shdr forensics_elf64_shdr;
Elf64_Sym forensics_elf64_sym;
Elf64_Rel forensics_elf64_rel;
Elf64_Rela forensics_elf64_rela;
Elf64_Phdr forensics_elf64_phdr;
Elf64_Dyn forensics_elf64_dyn;
Elf64_Nhdr forensics_elf64_nhdr;

/*
 * Types Volatility 3 reads (targets/volatility3-linux.coverage) that no variable above reaches:
 * reached in the kernel only through `void *` or container casts (xarray and maple tree nodes,
 * IPv6 addresses), or used only by kernel code (enums of flags and states).
 */
struct xa_node forensics_xa_node;
#if __has_include(<linux/maple_tree.h>)
struct maple_node forensics_maple_node;
enum maple_type forensics_maple_type;
#endif
struct inet6_dev forensics_inet6_dev;
struct inet6_ifaddr forensics_inet6_ifaddr;
struct time_namespace forensics_time_namespace;
struct dev_printk_info forensics_dev_printk_info;
enum net_device_flags forensics_net_device_flags;
enum netdev_state_t forensics_netdev_state_t;
enum pageflags forensics_pageflags;
enum rt_scope_t forensics_rt_scope_t;

/*
 * Types declared outside the public headers: present with a full source tree, listed as
 * unavailable from a headers package. (`module_sect_attr`/`module_sect_attrs` are defined in a
 * .c file, kernel/module/sysfs.c, so no tree makes them reachable; Rekall declares them by hand.)
 */

// unavailable-without-source: struct mount, struct mnt_namespace: fs/mount.h is not in the public headers
#if __has_include(<../fs/mount.h>)
#include <../fs/mount.h>
struct mount forensics_mount;
struct mnt_namespace forensics_mnt_namespace;
#endif

// unavailable-without-source: struct proc_dir_entry: fs/proc/internal.h is not in the public headers
#if __has_include(<../fs/proc/internal.h>)
#include <../fs/proc/internal.h>
struct proc_dir_entry forensics_proc_dir_entry;
#endif

// unavailable-without-source: struct netlink_sock: net/netlink/af_netlink.h is not in the public headers
#if __has_include(<../net/netlink/af_netlink.h>)
#include <../net/netlink/af_netlink.h>
struct netlink_sock forensics_netlink_sock;
#endif

// unavailable-without-source: struct packet_sock: net/packet/internal.h is not in the public headers
#if __has_include(<../net/packet/internal.h>)
#include <../net/packet/internal.h>
struct packet_sock forensics_packet_sock;
#endif

// unavailable-without-source: struct printk_ringbuffer: kernel/printk/printk_ringbuffer.h is not in the public headers
#if __has_include(<../kernel/printk/printk_ringbuffer.h>)
#include <../kernel/printk/printk_ringbuffer.h>
struct printk_ringbuffer forensics_printk_ringbuffer;
#endif

// unavailable-without-source: struct mod_tree_root: kernel/module/internal.h is not in the public headers
#if __has_include(<../kernel/module/internal.h>)
#include <../kernel/module/internal.h>
struct mod_tree_root forensics_mod_tree_root;
#endif

// unavailable-without-source: struct sched_class: kernel/sched/sched.h is not in the public headers
#if __has_include(<../kernel/sched/sched.h>)
/* kernel/sched/sched.h expects what kernel/sched/build_policy.c includes before it. */
#include <linux/sched/cputime.h>
#include <../kernel/sched/sched.h>
struct sched_class forensics_sched_class;
#endif

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("layout-expert forensics target: declares the types memory forensics reads");
