#ifndef VGG_CPNG_SHIM_H
#define VGG_CPNG_SHIM_H
#include <png.h>
/* PNG_IMAGE_SIZE and friends are macros; only the simplified API is used (no setjmp). */
static inline size_t vgg_png_image_row_stride(const png_image *img) { return PNG_IMAGE_ROW_STRIDE(*img); }
static inline size_t vgg_png_image_size(const png_image *img) { return PNG_IMAGE_SIZE(*img); }
#endif
