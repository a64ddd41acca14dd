#else
#elif X
int c;
