#define
#define 3 x
#undef
