#ifndef VGG_CCAIRO_SHIM_H
#define VGG_CCAIRO_SHIM_H
#include <cairo.h>
#include <cairo-svg.h>
#endif
