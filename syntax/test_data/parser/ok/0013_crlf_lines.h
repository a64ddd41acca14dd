#define A 1
#ifdef A
int a;
#endif
