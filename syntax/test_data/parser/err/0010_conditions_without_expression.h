#if
#elif
#endif
#ifdef
#endif
#ifndef 3
#endif
