/* 2×2 stride-2 max pooling on NHWC; see vgg_pooling.h. */
#include "vgg_pooling.h"
#include "parallel.h"
#include <string.h>

typedef struct {
    const float *src;
    const unsigned char *argmax_in;
    float *dst;
    unsigned char *argmax_out;
    int height, width, channels;
} pool_args;

#pragma clang attribute push (__attribute__((target("avx2,fma"))), apply_to = function)

/* One output row (image n, row i) per item. */
static void forward_rows(const void *ctx, long b, long e) {
    const pool_args *a = ctx;
    const int H = a->height, W = a->width, C = a->channels, OH = H / 2, OW = W / 2;
    for (long item = b; item < e; item++) {
        const long n = item / OH, i = item % OH;
        const float *r0 = a->src + ((n * H + 2 * i) * W) * (long)C, *r1 = r0 + (long)W * C;
        float *out = a->dst + ((n * OH + i) * OW) * (long)C;
        unsigned char *am = a->argmax_out + ((n * OH + i) * OW) * (long)C;
        for (int j = 0; j < OW; j++) {
            const float *p0 = r0 + 2L * j * C, *p1 = p0 + C, *p2 = r1 + 2L * j * C, *p3 = p2 + C;
            float *o = out + (long)j * C;
            unsigned char *m = am + (long)j * C;
            for (int c = 0; c < C; c++) {
                float best = p0[c];
                unsigned char k = 0;
                float v = p1[c];
                if (v > best || v != v) { best = v; k = 1; }
                v = p2[c];
                if (v > best || v != v) { best = v; k = 2; }
                v = p3[c];
                if (v > best || v != v) { best = v; k = 3; }
                o[c] = best;
                m[c] = k;
            }
        }
    }
}

/* The two input rows under one output row (and, for odd heights, the last input row). */
static void backward_rows(const void *ctx, long b, long e) {
    const pool_args *a = ctx;
    const int H = a->height, W = a->width, C = a->channels, OH = H / 2, OW = W / 2;
    for (long item = b; item < e; item++) {
        const long n = item / OH, i = item % OH;
        float *r0 = a->dst + ((n * H + 2 * i) * W) * (long)C, *r1 = r0 + (long)W * C;
        const float *g = a->src + ((n * OH + i) * OW) * (long)C;
        const unsigned char *am = a->argmax_in + ((n * OH + i) * OW) * (long)C;
        for (int j = 0; j < OW; j++) {
            float *p0 = r0 + 2L * j * C, *p1 = p0 + C, *p2 = r1 + 2L * j * C, *p3 = p2 + C;
            const float *gj = g + (long)j * C;
            const unsigned char *m = am + (long)j * C;
            for (int c = 0; c < C; c++) {
                const float d = gj[c];
                const unsigned char k = m[c];
                p0[c] = k == 0 ? d : 0;
                p1[c] = k == 1 ? d : 0;
                p2[c] = k == 2 ? d : 0;
                p3[c] = k == 3 ? d : 0;
            }
        }
        if (W % 2) {  /* the last column is in no window */
            memset(r0 + (long)(W - 1) * C, 0, sizeof(float) * (size_t)C);
            memset(r1 + (long)(W - 1) * C, 0, sizeof(float) * (size_t)C);
        }
        if (H % 2 && i == OH - 1)  /* nor is the last row */
            memset(a->dst + ((n * H + H - 1) * W) * (long)C, 0, sizeof(float) * (size_t)W * (size_t)C);
    }
}

#pragma clang attribute pop

void vgg_maxpool2_forward(const float *x, long batch, int height, int width, int channels,
                          float *y, unsigned char *argmax) {
    pool_args a = { x, NULL, y, argmax, height, width, channels };
    vgg_parallel_for(batch * (height / 2), forward_rows, &a);
}

void vgg_maxpool2_backward(const float *dy, const unsigned char *argmax, long batch, int height, int width,
                           int channels, float *dx) {
    pool_args a = { dy, argmax, dx, NULL, height, width, channels };
    if (height / 2 == 0) { memset(dx, 0, sizeof(float) * (size_t)batch * (size_t)height * (size_t)width * (size_t)channels); return; }
    vgg_parallel_for(batch * (height / 2), backward_rows, &a);
}
