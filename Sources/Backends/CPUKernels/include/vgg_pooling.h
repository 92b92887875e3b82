#ifndef VGG_POOLING_H
#define VGG_POOLING_H
/*
 * 2×2 stride-2 max pooling (VGG's only pooling) on NHWC activations, vectorised along
 * the channels, on oneDNN's OpenMP threads. Output size floor(H/2) × floor(W/2).
 * The forward pass records which of the four inputs won (0–3, row-major in the
 * window; the first one on ties, NaN wins as in PyTorch) for the backward pass.
 */
/** y[n][i][j][c] = max of the window; argmax as described above (one byte per output). */
void vgg_maxpool2_forward(const float *x, long batch, int height, int width, int channels,
                          float *y, unsigned char *argmax);

/** dx (overwritten, every element): dy routed to each window's winner, zero elsewhere. */
void vgg_maxpool2_backward(const float *dy, const unsigned char *argmax, long batch, int height, int width,
                           int channels, float *dx);
#endif
