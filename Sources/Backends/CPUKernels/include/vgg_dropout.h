#ifndef VGG_DROPOUT_H
#define VGG_DROPOUT_H
/*
 * Inverted dropout with counter-based masks (Philox4x32-10, Salmon et al. 2011), on
 * oneDNN's OpenMP threads. Element j of sample s (global index first_sample + s) is kept
 * when the top 24 bits of word j mod 4 of
 *     philox(counter = (j / 4, first_sample + s, step mod 2^32, step / 2^32), key = (key0, key1)),
 * scaled to [0, 1), are >= p; kept elements are multiplied by `scale` (1 / (1 - p)), the
 * others set to 0. This is the definition of Tensors' `DropoutKey`.
 */
#include <stdint.h>

/** The Philox4x32-10 block of a counter and key (out[0..3]). */
void vgg_philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);

/** mask = keep ? scale : 0 and y = x * mask, for `samples` rows of `per_sample` floats. */
void vgg_dropout_forward(const float *x, float *y, float *mask, long samples, long per_sample, float p, float scale,
                         uint32_t key0, uint32_t key1, uint32_t first_sample, uint64_t step);

/** g = g * mask, in place, over `count` floats. */
void vgg_multiply_in_place(float *g, const float *mask, long count);
#endif
