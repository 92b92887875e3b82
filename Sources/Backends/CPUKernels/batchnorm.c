/* Batch normalisation in pieces, for synchronised BatchNorm; see vgg_batchnorm.h. */
#include "vgg_batchnorm.h"
#include "parallel.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    const float *a, *b; long rows; int channels; const float *mean;
    double *partial; long chunks;
} sums_args;

/* Chunk k of the rows adds into partial[k][0..2C). */
static void sums_chunks(const void *ctx, long b, long e) {
    const sums_args *s = ctx;
    const int C = s->channels;
    for (long k = b; k < e; k++) {
        double *p = s->partial + k * 2L * C;
        long r0 = s->rows * k / s->chunks, r1 = s->rows * (k + 1) / s->chunks;
        for (long r = r0; r < r1; r++) {
            const float *x = s->a + r * C;
            if (s->b) {  /* backward: a = dy, b = x */
                const float *xv = s->b + r * C;
                for (int c = 0; c < C; c++) { p[c] += x[c]; p[C + c] += (double)x[c] * ((double)xv[c] - s->mean[c]); }
            } else {
                for (int c = 0; c < C; c++) { p[c] += x[c]; p[C + c] += (double)x[c] * x[c]; }
            }
        }
    }
}

static void sums(const float *a, const float *b, long rows, int channels, const float *mean, double *first, double *second) {
    long chunks = vgg_parallel_threads();
    if (chunks > rows) chunks = rows > 0 ? rows : 1;
    double *partial = calloc((size_t)chunks * 2 * (size_t)channels, sizeof(double));
    sums_args s = { a, b, rows, channels, mean, partial, chunks };
    vgg_parallel_for(chunks, sums_chunks, &s);
    for (int c = 0; c < channels; c++) { first[c] = 0; second[c] = 0; }
    for (long k = 0; k < chunks; k++)
        for (int c = 0; c < channels; c++) { first[c] += partial[k * 2L * channels + c]; second[c] += partial[k * 2L * channels + channels + c]; }
    free(partial);
}

void vgg_bn_sums(const float *x, long rows, int channels, double *sum, double *sum_sq) {
    sums(x, NULL, rows, channels, NULL, sum, sum_sq);
}

void vgg_bn_backward_sums(const float *dy, const float *x, long rows, int channels, const float *mean,
                          double *sum_dy, double *sum_dy_xc) {
    sums(dy, x, rows, channels, mean, sum_dy, sum_dy_xc);
}

typedef struct {
    const float *x, *dy; float *out; int channels;
    const float *mean, *invstd, *gamma, *beta, *a, *b;
} rows_args;

static void normalize_rows(const void *ctx, long b, long e) {
    const rows_args *s = ctx;
    const int C = s->channels;
    for (long r = b; r < e; r++) {
        const float *x = s->x + r * C; float *y = s->out + r * C;
        for (int c = 0; c < C; c++) y[c] = s->gamma[c] * ((x[c] - s->mean[c]) * s->invstd[c]) + s->beta[c];
    }
}

static void gradient_rows(const void *ctx, long b, long e) {
    const rows_args *s = ctx;
    const int C = s->channels;
    for (long r = b; r < e; r++) {
        const float *x = s->x + r * C, *dy = s->dy + r * C; float *dx = s->out + r * C;
        for (int c = 0; c < C; c++)
            dx[c] = s->gamma[c] * s->invstd[c] * (dy[c] - s->a[c] - (x[c] - s->mean[c]) * s->b[c]);
    }
}

void vgg_bn_normalize(const float *x, float *y, long rows, int channels, const float *mean, const float *invstd,
                      const float *gamma, const float *beta) {
    rows_args s = { x, NULL, y, channels, mean, invstd, gamma, beta, NULL, NULL };
    vgg_parallel_for(rows, normalize_rows, &s);
}

void vgg_bn_input_gradient(const float *dy, const float *x, float *dx, long rows, int channels, const float *mean,
                           const float *invstd, const float *gamma, const float *a, const float *b) {
    rows_args s = { x, dy, dx, channels, mean, invstd, gamma, NULL, a, b };
    vgg_parallel_for(rows, gradient_rows, &s);
}
