#ifndef _LINUX_X_H
#define _LINUX_X_H
#if defined(CONFIG_A) && \
    defined(CONFIG_B)
int a;
#elif CONFIG_C > 2
# ifdef CONFIG_D
int d;
# endif
#else
int e;
#endif /* CONFIG_A */
#endif
