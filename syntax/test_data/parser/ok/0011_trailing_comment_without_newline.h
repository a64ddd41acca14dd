#ifdef A
#endif /* A */
/* end */