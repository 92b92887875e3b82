#ifndef VGG_PARALLEL_H
#define VGG_PARALLEL_H
/* A parallel loop over [0, count) on the OpenMP team of libgomp (the runtime oneDNN
 * uses, already loaded with it), so hand-written kernels share oneDNN's threads instead
 * of competing with them. Each thread gets one contiguous range. */
typedef void (*vgg_range_body)(const void *ctx, long begin, long end);
void vgg_parallel_for(long count, vgg_range_body body, const void *ctx);
/* The number of threads a parallel loop uses. */
int vgg_parallel_threads(void);
#endif
