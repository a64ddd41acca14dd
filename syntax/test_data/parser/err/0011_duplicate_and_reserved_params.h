#define D(a, b, a) a
#define V(__VA_ARGS__) 1
#define OK(a, b...) a
