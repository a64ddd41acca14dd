#ifdef A
#elifdef B
#elifndef C
#endif
