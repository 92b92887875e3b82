#ifndef VGG_CZLIB_SHIM_H
#define VGG_CZLIB_SHIM_H
#include <zlib.h>
#endif
