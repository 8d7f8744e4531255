#include <cblas.h>
/* OpenBLAS extensions (declared in openblas_config.h, which cblas.h includes on Debian). */
