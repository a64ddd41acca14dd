#define __cmpxchg(ptr, old, new, size)				\
({								\
	__typeof__(*(ptr)) __ret;					\
	__ret;							\
})
#def\
ine SPLIT_KW 1
#define SPLIT_\
NAME(a) a
#define NOT_FUNC \
(x)
#define FUNC\
(x) x
