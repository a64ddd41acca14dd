#if A
#else
#elif B
#endif
