#define A 1
#define EMPTY
#define C /* c */ (2 + 3) // done
#define D	"str"
