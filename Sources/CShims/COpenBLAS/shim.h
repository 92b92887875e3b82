#ifndef VGG_COPENBLAS_SHIM_H
#define VGG_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
