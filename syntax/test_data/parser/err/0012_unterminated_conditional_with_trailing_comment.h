#if X
int x;
/* c */