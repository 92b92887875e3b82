#ifndef VGG_CTURBOJPEG_SHIM_H
#define VGG_CTURBOJPEG_SHIM_H
#include <turbojpeg.h>
#endif
