#ifndef VGG_BATCHNORM_H
#define VGG_BATCHNORM_H
/*
 * Batch normalisation over the rows of an NHWC tensor (rows = N·H·W, channels innermost),
 * split into per-channel sums and element-wise passes, so that the sums of several
 * processes can be added between them (synchronised BatchNorm). Sums are accumulated in
 * double, in per-thread partial sums added in a fixed order (the same result for the
 * same thread count). On oneDNN's OpenMP threads.
 */

/** sum[c] = Σ x, sum_sq[c] = Σ x² over the rows. */
void vgg_bn_sums(const float *x, long rows, int channels, double *sum, double *sum_sq);

/** sum_dy[c] = Σ dy, sum_dy_xc[c] = Σ dy·(x − mean) over the rows. */
void vgg_bn_backward_sums(const float *dy, const float *x, long rows, int channels, const float *mean,
                          double *sum_dy, double *sum_dy_xc);

/** y = gamma·(x − mean)·invstd + beta. */
void vgg_bn_normalize(const float *x, float *y, long rows, int channels, const float *mean, const float *invstd,
                      const float *gamma, const float *beta);

/** dx = gamma·invstd·(dy − a − (x − mean)·b) with per-channel a = Σdy/n and b = invstd²·Σdy(x−mean)/n. */
void vgg_bn_input_gradient(const float *dy, const float *x, float *dx, long rows, int channels, const float *mean,
                           const float *invstd, const float *gamma, const float *a, const float *b);
#endif
