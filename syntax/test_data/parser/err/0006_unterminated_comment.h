int a; /* never
closed
#define X 1
