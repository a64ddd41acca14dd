#if A /* a comment
 that spans lines */ && B
#define X /* in
 define */ 1
#endif
/*
#define NOT_A_DIRECTIVE 1
#include <nope.h>
 */
int z; /* x
#define ALSO_NOT 1 */
/* multi
 line */ #define IS_A_DIRECTIVE 1
