/* Element-wise loops; see vgg_elementwise.h. */
#include "vgg_elementwise.h"
#include "parallel.h"

typedef struct { float *y; const float *x; } add_args;

/* A plain loop over restrict pointers: the compiler vectorises it (one addition per element,
   no reassociation, so the bits do not depend on the vector width or the split). */
static void add_range(const void *ctx, long b, long e) {
    const add_args *a = ctx;
    float *restrict y = a->y;
    const float *restrict x = a->x;
    for (long i = b; i < e; i++) y[i] += x[i];
}

void vgg_add_in_place(float *y, const float *x, long count) {
    add_args a = { y, x };
    if (count < (1L << 18)) { add_range(&a, 0, count); return; }
    vgg_parallel_for(count, add_range, &a);
}
