#pragma once
#error this is "bad"
#warning careful
#line 10 "x.h"
# 1 "foo.h" 2
#
#ident "v1"
#assert machine(x86)
