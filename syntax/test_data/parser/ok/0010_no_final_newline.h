#define A 1
int x;