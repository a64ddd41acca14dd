// A wide target: 60 headers across networking, BPF, block, KVM, USB, PCI, sound, io_uring,
// netfilter, devices and namespaces, and pointers to 52 of their types, so the debug-info closure
// (every type GCC emits, including those only named in file-scope casts, such as the
// `DECLARE_STATIC_CALL(…, *(((struct kvm_x86_ops *)0)->func))` of KVM) is checked well beyond
// the forensics target.
#include <linux/module.h>
#include <linux/skbuff.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/udp.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/netdevice.h>
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/perf_event.h>
#include <linux/kvm_host.h>
#include <linux/usb.h>
#include <linux/pci.h>
#include <crypto/hash.h>
#include <sound/core.h>
#include <linux/io_uring_types.h>
#include <linux/cgroup-defs.h>
#include <net/netfilter/nf_conntrack.h>
#include <linux/tty.h>
#include <linux/input.h>
#include <linux/efi.h>
#include <linux/kprobes.h>
#include <linux/irqdesc.h>
#include <linux/workqueue.h>
#include <linux/timer.h>
#include <linux/hrtimer.h>
#include <linux/rtnetlink.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <linux/mount.h>
#include <linux/xarray.h>
#include <linux/maple_tree.h>
#include <linux/seccomp.h>
#include <linux/audit.h>
#include <linux/ptrace.h>
#include <linux/elf.h>
#include <linux/binfmts.h>
#include <linux/swap.h>
#include <linux/memcontrol.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/ipc_namespace.h>
#include <linux/user_namespace.h>
#include <linux/pid_namespace.h>
#include <linux/utsname.h>
#include <linux/kernfs.h>
#include <linux/device.h>
#include <linux/of.h>
#include <linux/gpio/driver.h>
#include <linux/i2c.h>
#include <linux/spi/spi.h>
#include <linux/scatterlist.h>
#include <linux/virtio.h>
#include <linux/virtio_ring.h>
#include <linux/vmalloc.h>
#include <linux/rcupdate.h>
#include <linux/percpu_counter.h>

struct sk_buff *v1; struct sock *v2; struct tcp_sock *v3; struct udp_sock *v4; struct bpf_prog *v5;
struct bpf_map *v6; struct net_device *v7; struct request_queue *v8; struct super_block *v9;
struct page *v10; struct signal_struct *v11; struct perf_event *v12; struct kvm *v13; struct kvm_vcpu *v14;
struct usb_device *v15; struct pci_dev *v16; struct crypto_shash *v17; struct snd_card *v18;
struct io_ring_ctx *v19; struct cgroup *v20; struct nf_conn *v21; struct tty_struct *v22;
struct input_dev *v23; struct kprobe *v24; struct irq_desc *v25; struct work_struct *v26;
struct hrtimer *v27; struct inet_sock *v28; struct ipv6_pinfo *v29; struct vfsmount *v30;
struct xarray *v31; struct maple_tree *v32; struct seccomp_filter *v33; struct linux_binprm *v34;
struct swap_info_struct *v35; struct mem_cgroup *v36; struct irqaction *v37; struct ipc_namespace *v38;
struct user_namespace *v39; struct pid_namespace *v40; struct uts_namespace *v41; struct kernfs_node *v42;
struct device_driver *v43; struct device_node *v44; struct gpio_chip *v45; struct i2c_client *v46;
struct spi_device *v47; struct scatterlist *v48; struct virtqueue *v49; struct vm_struct *v50;
struct percpu_counter *v51; struct efi_memory_map *v52; struct sk_buff_head skq; struct sock_common skc;
MODULE_LICENSE("GPL");
