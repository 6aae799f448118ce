/* hwloc, for node discovery by the resource service. */
#include <hwloc.h>
