/*
 * A kernel-like fixture for the profile writers' tests (layout-expert, tests/profile_formats.rs).
 *
 * It declares, in shortened form, the 23 types Volatility 3 registers unconditionally for Linux
 * and a few it uses optionally, with the fields its plugins read and the C constructs that shape
 * the output formats: anonymous struct and union members, bitfields (including enum and packed
 * straddling ones), typedefs of anonymous and of named structs, anonymous enums, multi-dimensional,
 * zero-length and flexible arrays, function pointers, qualifiers. The layouts are GCC's: the tests
 * compile this file with gcc -g and read the DWARF. They check the formats, not the kernel's real
 * layouts (which are the engine's job).
 */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;
typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef _Bool bool;
typedef unsigned int __be32;
typedef unsigned short __be16;
typedef unsigned int gfp_t;
typedef long long loff_t;
typedef unsigned short umode_t;

typedef struct { int counter; } atomic_t;
typedef struct { s64 counter; } atomic64_t;
typedef struct { atomic_t refs; } refcount_t;
typedef struct { uid_t val; } kuid_t;
typedef struct { gid_t val; } kgid_t;
typedef struct kernel_cap_struct { u32 cap[2]; } kernel_cap_t;
typedef struct { unsigned long pgd; } pgd_t;
typedef struct raw_spinlock { unsigned int raw_lock; } raw_spinlock_t;
typedef struct spinlock { union { struct raw_spinlock rlock; }; } spinlock_t;
typedef union { unsigned long long v; struct { u32 lo, hi; }; } split_u64_t;

struct list_head { struct list_head *next, *prev; };
struct hlist_node { struct hlist_node *next, **pprev; };
struct hlist_head { struct hlist_node *first; };
struct rb_node { unsigned long __rb_parent_color; struct rb_node *rb_right; struct rb_node *rb_left; } __attribute__((aligned(sizeof(long))));
struct rb_root { struct rb_node *rb_node; };

enum pid_type { PIDTYPE_PID, PIDTYPE_TGID, PIDTYPE_PGID, PIDTYPE_SID, PIDTYPE_MAX };
enum { SOCK_NONE = -1, SOCK_STREAM = 1, SOCK_DGRAM = 2 } sock_kind_global;
enum big_flags { BIG_LOW = 1, BIG_HIGH = 0xffffffffffffffffULL };

struct qstr {
	union {
		struct { u32 hash; u32 len; };
		u64 hash_len;
	};
	const unsigned char *name;
};

struct xarray { spinlock_t xa_lock; gfp_t xa_flags; void *xa_head; };
struct idr { struct xarray idr_rt; unsigned int idr_base; unsigned int idr_next; };

struct maple_tree { union { spinlock_t ma_lock; }; unsigned int ma_flags; void *ma_root; };

struct dentry;
struct vfsmount;
struct file_operations;
struct inode_operations;
struct file_system_type;
struct nsproxy;
struct proto_ops;
struct unix_address;

struct path { struct vfsmount *mnt; struct dentry *dentry; };

struct super_block {
	struct list_head s_list;
	unsigned int s_dev;
	unsigned char s_blocksize_bits;
	unsigned long s_blocksize;
	loff_t s_maxbytes;
	struct file_system_type *s_type;
	unsigned long s_flags;
	unsigned long s_magic;
	struct dentry *s_root;
	char s_id[32];
	u8 s_uuid[16];
};

struct vfsmount { struct dentry *mnt_root; struct super_block *mnt_sb; int mnt_flags; };

struct address_space {
	struct inode *host;
	struct xarray i_pages;
	atomic_t i_mmap_writable;
	struct rb_root i_mmap;
	unsigned long nrpages;
	const void *a_ops;
	unsigned long flags;
};

struct inode {
	umode_t i_mode;
	unsigned short i_opflags;
	kuid_t i_uid;
	kgid_t i_gid;
	unsigned int i_flags;
	const struct inode_operations *i_op;
	struct super_block *i_sb;
	struct address_space *i_mapping;
	unsigned long i_ino;
	union { const unsigned int i_nlink; unsigned int __i_nlink; };
	loff_t i_size;
	s64 i_atime_sec, i_mtime_sec, i_ctime_sec;
	struct address_space i_data;
};

struct dentry {
	unsigned int d_flags;
	struct hlist_node d_hash;
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
	unsigned char d_iname[32];
	struct super_block *d_sb;
	struct list_head d_child;
	struct list_head d_subdirs;
};

struct file {
	union { struct list_head fu_llist; struct { void *func; void *next; } fu_rcuhead; } f_u;
	struct path f_path;
	struct inode *f_inode;
	const struct file_operations *f_op;
	spinlock_t f_lock;
	atomic64_t f_count;
	unsigned int f_flags;
	unsigned int f_mode;
	loff_t f_pos;
	void *private_data;
	struct address_space *f_mapping;
};

struct fdtable { unsigned int max_fds; struct file **fd; unsigned long *close_on_exec; unsigned long *open_fds; };
struct files_struct {
	atomic_t count;
	bool resize_in_progress;
	struct fdtable *fdt;
	struct fdtable fdtab;
	spinlock_t file_lock __attribute__((aligned(64)));
	unsigned int next_fd;
	struct file *fd_array[64];
};

struct fs_struct { int users; spinlock_t lock; int umask; int in_exec; struct path root, pwd; };

struct kobject {
	const char *name;
	struct list_head entry;
	struct kobject *parent;
	void *kset;
	const void *ktype;
	refcount_t kref;
	unsigned int state_initialized:1;
	unsigned int state_in_sysfs:1;
	unsigned int state_add_uevent_sent:1;
	unsigned int state_remove_uevent_sent:1;
	unsigned int uevent_suppress:1;
};

struct cred {
	atomic_t usage;
	kuid_t uid; kgid_t gid; kuid_t suid; kgid_t sgid; kuid_t euid; kgid_t egid; kuid_t fsuid; kgid_t fsgid;
	unsigned securebits;
	kernel_cap_t cap_inheritable, cap_permitted, cap_effective, cap_bset, cap_ambient;
	unsigned char jit_keyring;
	void *user;
};

struct page {
	unsigned long flags;
	union {
		struct { struct list_head lru; struct address_space *mapping; unsigned long index; unsigned long private; };
		struct { unsigned long compound_head; unsigned char compound_dtor; unsigned char compound_order; atomic_t compound_mapcount; };
	};
	union { atomic_t _mapcount; unsigned int page_type; };
	atomic_t _refcount;
};

struct mm_struct {
	struct {
		struct maple_tree mm_mt;
		unsigned long mmap_base;
		unsigned long task_size;
		pgd_t *pgd;
		atomic_t mm_users;
		atomic_t mm_count;
		int map_count;
		unsigned long start_code, end_code, start_data, end_data;
		unsigned long start_brk, brk, start_stack;
		unsigned long arg_start, arg_end, env_start, env_end;
		unsigned long saved_auxv[2 * (2 + 20 + 1)];
		struct task_struct *owner;
	} __attribute__((aligned(64)));
	unsigned long cpu_bitmap[];
};

struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;
	struct mm_struct *vm_mm;
	pgd_t vm_page_prot;
	unsigned long vm_flags;
	struct { struct rb_node rb; unsigned long rb_subtree_last; } shared;
	unsigned long vm_pgoff;
	struct file *vm_file;
	void *vm_private_data;
};

struct net { refcount_t passive; spinlock_t rules_mod_lock; struct list_head list; struct list_head exit_list; unsigned int ifindex; struct list_head dev_base_head; };

struct sock_common {
	union {
		u64 skc_addrpair;
		struct { __be32 skc_daddr; __be32 skc_rcv_saddr; };
	};
	union { unsigned int skc_hash; u16 skc_u16hashes[2]; };
	union {
		u32 skc_portpair;
		struct { __be16 skc_dport; u16 skc_num; };
	};
	unsigned short skc_family;
	volatile unsigned char skc_state;
	unsigned char skc_reuse:4;
	unsigned char skc_reuseport:1;
	unsigned char skc_ipv6only:1;
	unsigned char skc_net_refcnt:1;
	int skc_bound_dev_if;
	struct net *skc_net;
};

struct socket;
struct sock {
	struct sock_common __sk_common;
	int sk_rcvbuf;
	unsigned long sk_flags;
	struct socket *sk_socket;
	u16 sk_type;
	u16 sk_protocol;
	enum pid_type sk_pid_kind : 3;
	unsigned int sk_gso_disabled : 1;
	void (*sk_data_ready)(struct sock *sk);
	int (*sk_backlog_rcv)(struct sock *sk, void *skb, ...);
};

struct socket {
	short state;
	short type;
	unsigned long flags;
	struct file *file;
	struct sock *sk;
	const struct proto_ops *ops;
};

struct inet_sock { struct sock sk; void *pinet6; __be32 inet_saddr; short uc_ttl; u16 cmsg_flags; __be16 inet_sport; u16 inet_id; };
struct unix_sock { struct sock sk; struct unix_address *addr; struct path path; };

struct __attribute__((packed)) packed_bits { u8 tag; u32 wide : 30; u32 tail : 10; };

struct task_struct {
	unsigned int __state;
	void *stack;
	refcount_t usage;
	unsigned int flags;
	unsigned int ptrace;
	int on_cpu;
	int prio, static_prio, normal_prio;
	struct mm_struct *mm;
	struct mm_struct *active_mm;
	int exit_state;
	int exit_code;
	unsigned int personality;
	unsigned sched_reset_on_fork:1;
	unsigned sched_contributes_to_load:1;
	unsigned sched_migrated:1;
	unsigned :0;
	unsigned in_execve:1;
	unsigned in_iowait:1;
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	struct task_struct *parent;
	struct list_head children;
	struct list_head sibling;
	struct task_struct *group_leader;
	struct list_head tasks;
	struct list_head thread_group;
	struct hlist_head pid_links[4];
	union { struct list_head thread_node; split_u64_t split; };
	const struct cred *real_cred;
	const struct cred *cred;
	char comm[16];
	struct fs_struct *fs;
	struct files_struct *files;
	struct nsproxy *nsproxy;
	enum pid_type pid_kind;
	void (*exit_fn)(int);
	u32 matrix[2][3];
	const char *const names[2];
	u8 zero_len[0];
	unsigned long tail[];
};

struct timekeeper { u64 xtime_sec; u64 wall_to_monotonic_sec; s64 offs_real; s64 offs_boot; };

struct task_struct init_task;
struct mm_struct init_mm;
struct files_struct init_files;
struct list_head modules;
struct idr prog_idr;
struct net init_net;
struct list_head net_namespace_list;
struct socket a_socket;
struct inet_sock an_inet_sock;
struct unix_sock a_unix_sock;
struct vm_area_struct a_vma;
struct page *mem_map;
struct vfsmount a_vfsmount;
struct dentry a_dentry;
struct file a_file;
struct kobject a_kobject;
struct packed_bits a_packed_bits;
enum big_flags big_flags_global;
static struct { unsigned int seq; struct timekeeper timekeeper; } tk_core __attribute__((aligned(64), used));
const char linux_banner[] = "Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-01-17)\n";
