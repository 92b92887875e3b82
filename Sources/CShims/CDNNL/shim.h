#ifndef VGG_CDNNL_SHIM_H
#define VGG_CDNNL_SHIM_H
#include <oneapi/dnnl/dnnl.h>

/* Swift cannot import macros that expand to casts; expose them as functions. */
static inline void *vgg_dnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
static inline void *vgg_dnnl_memory_none(void) { return DNNL_MEMORY_NONE; }

/* OpenMP runtime (libgomp) used by oneDNN: thread count control. */
extern void omp_set_num_threads(int);
extern int omp_get_max_threads(void);
#endif
