#error don't include this
#ifdef __ASSEMBLY__
# it's an assembler comment
	movl $0, %eax # don't care
#endif
