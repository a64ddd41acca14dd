#define F(a
#define G(a b) a
#define H(..., a) a
#define I(a,) a
#define J(1) 1
#define K(a...
