# define X 1
  #  include <a.h>
/* lead */ # define Y 2
%:define Z 3
	#	undef X
