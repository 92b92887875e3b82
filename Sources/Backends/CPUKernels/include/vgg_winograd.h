#ifndef VGG_WINOGRAD_H
#define VGG_WINOGRAD_H
/*
 * Winograd F(m×m, 3×3) tile transforms for 3×3 stride-1 convolutions (Lavin & Gray,
 * "Fast Algorithms for Convolutional Neural Networks", 2016), m = 2 or 4.
 *
 * Only the transforms live here: the products in the transformed domain are
 * P = (m+2)² independent matrix multiplications, which the caller runs on a GEMM
 * library. Layouts: activations NHWC, weights OIHW (PyTorch's), transformed data
 * [P][tiles][channels] and transformed weights [P][out channels][in channels].
 * Tiles are numbered over the whole batch (image, tile row, tile column); each call
 * handles the tile range [t0, t1), so a caller can bound its scratch memory.
 * The work is spread over the OpenMP threads oneDNN uses (libgomp).
 */
#include <stddef.h>

/** Shape of one convolution planned for Winograd. */
typedef struct vgg_wino_plan {
    int m;              /* output tile side: 2 or 4 */
    int batch, height, width, in_channels;
    int out_height, out_width, out_channels, pad;
    int tiles_h, tiles_w; /* tiles per image along each axis: ceil(out / m) */
} vgg_wino_plan;

/** Whether this CPU runs the transforms (they are compiled for AVX2 and FMA). */
int vgg_wino_supported(void);

/** U[p][k][c] = (G g G^T)[p] for every output channel k and input channel c. */
void vgg_wino_transform_weights(const vgg_wino_plan *plan, const float *weights, float *u);

/** V[p][t - t0][c]: input tiles (zero outside the image) as B^T d B. */
void vgg_wino_transform_input(const vgg_wino_plan *plan, const float *x, long t0, long t1, float *v);

/** y = A^T M A + bias for the output tiles of [t0, t1), cropped to the output. */
void vgg_wino_transform_output(const vgg_wino_plan *plan, const float *mt, const float *bias,
                               long t0, long t1, float *y);

/** Mg[p][t - t0][k] = (A dY A^T)[p]: the adjoint of the output transform. */
void vgg_wino_transform_output_gradient(const vgg_wino_plan *plan, const float *dy, long t0, long t1, float *mg);

/** dx += B dV B^T for the tiles of [t0, t1), overlapping tiles summed, padding dropped:
 *  the adjoint of the input transform. dx must be zeroed before the first range. */
void vgg_wino_accumulate_input_gradient(const vgg_wino_plan *plan, const float *dv, long t0, long t1, float *dx);

/** dw = G^T dU G: the adjoint of the weight transform, dw in OIHW (overwritten). */
void vgg_wino_transform_weight_gradient(const vgg_wino_plan *plan, const float *du, float *dw);

/** db[k] = sum of dy[r][k] over rows r (dy is rows × k, row-major), in parallel. */
void vgg_bias_gradient(const float *dy, long rows, int channels, float *db);

#endif
