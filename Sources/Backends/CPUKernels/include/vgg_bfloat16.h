#ifndef VGG_BFLOAT16_H
#define VGG_BFLOAT16_H
/* The bf16 rounding of Precision.bf16 (docs/precision.md) over float buffers, on oneDNN's
 * OpenMP threads: the same rule as BFloat16.rounded in Sources/Core/Tensors/BFloat16.swift. */

/** y[i] = x[i] rounded to the nearest bfloat16 value (ties to even), as a float, for
 *  `count` floats; `y` may be `x` (in place). A NaN becomes a quiet NaN with its sign (and
 *  its top payload bits), ±∞ stay ±∞, finite values at or past the midpoint between the
 *  largest bf16 value and 2^128 round to ±∞, subnormals round like any other value. */
void vgg_round_bf16(const float *x, float *y, long count);
#endif
