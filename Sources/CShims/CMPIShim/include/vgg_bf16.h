#ifndef VGG_BF16_H
#define VGG_BF16_H
/* The bfloat16 conversions and sum of the gradient exchange (--allreduce-dtype bfloat16), on
 * whole buffers, in AVX-512, AVX2 or plain C: the best the CPU has, chosen at the first call,
 * at most VGG_BF16_LEVEL where that is set (the communication thread lowers it to plain C when
 * the ranks span hosts).
 * Every path gives the same bits: round to nearest, ties to even; a NaN keeps its sign and top
 * mantissa bits with the quiet bit set; subnormals are rounded like any other value (no flush). */
#include <stdint.h>

/** y[i] = x[i] rounded to bfloat16 (the top 16 bits of the rounded float). y must not overlap x. */
void vgg_bf16_from_floats(const float *x, uint16_t *y, long count);
/** y[i] = x[i] widened to float (exact). y must not overlap x. */
void vgg_bf16_to_floats(const uint16_t *x, float *y, long count);
/** b[i] = bfloat16(float(a[i]) + float(b[i])): the reduction of the bfloat16 all-reduce. */
void vgg_bf16_add(const uint16_t *a, uint16_t *b, long count);

/** The instruction set the three use: 2 AVX-512, 1 AVX2, 0 plain C. */
int vgg_bf16_level(void);
/** For tests and benchmarks: use at most `level` (0, 1 or 2; never more than the CPU has);
 *  returns the level now in use. */
int vgg_bf16_limit(int level);
#endif
