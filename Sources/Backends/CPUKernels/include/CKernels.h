#ifndef CKERNELS_H
#define CKERNELS_H
/* The hand-written C kernels of the cpu backend (the module's umbrella header). */
#include "vgg_cpu.h"
#include "vgg_dropout.h"
#include "vgg_elementwise.h"
#include "vgg_batchnorm.h"
#include "vgg_bfloat16.h"
#include "vgg_pooling.h"
#include "vgg_winograd.h"
#endif
