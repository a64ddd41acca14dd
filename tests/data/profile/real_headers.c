/*
 * A small target on the real Debian 6.1 headers for tests/profile_real_headers.rs: one variable of
 * each of the 23 types Volatility 3 requires, and references to kernel globals whose type the
 * headers' own extern declarations give (GCC then describes those declarations in DWARF).
 */
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/init_task.h>
#include <linux/mm_types.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/fdtable.h>
#include <linux/dcache.h>
#include <linux/mount.h>
#include <linux/kobject.h>
#include <linux/cred.h>
#include <linux/idr.h>
#include <linux/ioport.h>
#include <linux/pid_namespace.h>
#include <linux/tty_driver.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/inet_sock.h>
#include <net/af_unix.h>

struct file lx_file;
struct list_head lx_list_head;
struct hlist_head lx_hlist_head;
struct mm_struct lx_mm_struct;
struct super_block lx_super_block;
struct task_struct lx_task_struct;
struct vm_area_struct lx_vm_area_struct;
struct qstr lx_qstr;
struct dentry lx_dentry;
struct fs_struct lx_fs_struct;
struct files_struct lx_files_struct;
struct kobject lx_kobject;
struct cred lx_cred;
struct inode lx_inode;
struct idr lx_idr;
struct address_space lx_address_space;
struct page lx_page;
struct vfsmount lx_vfsmount;
struct net lx_net;
struct socket lx_socket;
struct sock lx_sock;
struct inet_sock lx_inet_sock;
struct unix_sock lx_unix_sock;

void *lx_globals[] = {
	&init_task, &init_mm, &init_files, &init_pid_ns, &net_namespace_list, &iomem_resource, &tty_drivers,
};
