#define F(a, b) ((a) + (b))
#define G() 1
#define H (x) x
#define V(...) f(__VA_ARGS__)
#define N(fmt, args...) printk(fmt, ##args)
#define S(x) #x
