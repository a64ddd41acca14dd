#include <linux/sched.h>
struct task_struct *t;
