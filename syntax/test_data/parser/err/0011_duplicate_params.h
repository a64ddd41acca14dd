#define D(a, b, a) a
#define OK(a, b...) a
