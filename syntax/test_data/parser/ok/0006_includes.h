#include <linux/types.h>
#include "foo.h"
#include_next <limits.h>
#include MACRO_HEADER(x)
#include <asm/a.h> // why
#include <a\
/b.h>
