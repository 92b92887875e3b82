#ifndef VGG_ELEMENTWISE_H
#define VGG_ELEMENTWISE_H
/* Element-wise loops over flat float buffers, on oneDNN's OpenMP threads. */

/** y = y + x, in place, over `count` floats: one rounded float32 addition per element. */
void vgg_add_in_place(float *y, const float *x, long count);
#endif
