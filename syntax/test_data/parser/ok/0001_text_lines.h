struct a {
	int x;
};

// comment only
extern int y; /* trailing */
