/*
 * Winograd F(2×2,3×3) and F(4×4,3×3) tile transforms; see vgg_winograd.h.
 *
 * Every transform is one "sandwich" out = L · in · R^T of small constant matrices,
 * applied to eight channels at once (one AVX register per tile element). The
 * matrices are compile-time constants, so after full unrolling the zero entries
 * cost nothing and ±1 entries are plain additions.
 */
#include "vgg_winograd.h"
#include "parallel.h"
#include <stdlib.h>
#include <string.h>

int vgg_wino_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#pragma clang attribute push (__attribute__((target("avx2,fma"))), apply_to = function)

typedef float v8 __attribute__((vector_size(32)));
#define INLINE static inline __attribute__((always_inline))

INLINE v8 splat(float c) { return (v8){c, c, c, c, c, c, c, c}; }
INLINE v8 load8(const float *p) { v8 v; memcpy(&v, p, sizeof v); return v; }
INLINE void store8(float *p, v8 v) { memcpy(p, &v, sizeof v); }
/* The first n ≤ 8 lanes; the rest zero. */
INLINE v8 load_partial(const float *p, int n) {
    if (n == 8) return load8(p);
    float t[8] = {0};
    for (int l = 0; l < n; l++) t[l] = p[l];
    return load8(t);
}
INLINE void store_partial(float *p, v8 v, int n) {
    if (n == 8) { store8(p, v); return; }
    float t[8];
    store8(t, v);
    for (int l = 0; l < n; l++) p[l] = t[l];
}

/* acc + c·x for a constant c: nothing for 0, an addition or subtraction for ±1. */
INLINE v8 add_scaled(v8 acc, const float c, v8 x) {
    if (c == 1) return acc + x;
    if (c == -1) return acc - x;
    if (c != 0) return acc + splat(c) * x;
    return acc;
}

/* out[i][j] = sum_p L(i,p) sum_q in[p][q] R(j,q), in S1×S2, out R1×R2.
 * L(i,p) = tL ? L[p][i] : L[i][p] (row stride ldL), likewise R. */
INLINE void sandwich(const int R1, const int S1, const int R2, const int S2,
                     const float *L, const int ldL, const int tL,
                     const float *R, const int ldR, const int tR,
                     const v8 *in, v8 *out) {
    v8 tmp[6 * 6];
#pragma clang loop unroll(full)
    for (int p = 0; p < S1; p++) {
#pragma clang loop unroll(full)
        for (int j = 0; j < R2; j++) {
            v8 acc = splat(0);
#pragma clang loop unroll(full)
            for (int q = 0; q < S2; q++) {
                acc = add_scaled(acc, tR ? R[q * ldR + j] : R[j * ldR + q], in[p * S2 + q]);
            }
            tmp[p * R2 + j] = acc;
        }
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < R1; i++) {
#pragma clang loop unroll(full)
        for (int j = 0; j < R2; j++) {
            v8 acc = splat(0);
#pragma clang loop unroll(full)
            for (int p = 0; p < S1; p++) {
                acc = add_scaled(acc, tL ? L[p * ldL + i] : L[i * ldL + p], tmp[p * R2 + j]);
            }
            out[i * R2 + j] = acc;
        }
    }
}

/* Lavin & Gray's matrices. F(4×4,3×3): */
static const float BT4[6 * 6] = {
    4, 0, -5, 0, 1, 0,
    0, -4, -4, 1, 1, 0,
    0, 4, -4, -1, 1, 0,
    0, -2, -1, 2, 1, 0,
    0, 2, -1, -2, 1, 0,
    0, 4, 0, -5, 0, 1,
};
static const float G4[6 * 3] = {
    1.0f / 4, 0, 0,
    -1.0f / 6, -1.0f / 6, -1.0f / 6,
    -1.0f / 6, 1.0f / 6, -1.0f / 6,
    1.0f / 24, 1.0f / 12, 1.0f / 6,
    1.0f / 24, -1.0f / 12, 1.0f / 6,
    0, 0, 1,
};
static const float AT4[4 * 6] = {
    1, 1, 1, 1, 1, 0,
    0, 1, -1, 2, -2, 0,
    0, 1, 1, 4, 4, 0,
    0, 1, -1, 8, -8, 1,
};
/* F(2×2,3×3): */
static const float BT2[4 * 4] = {
    1, 0, -1, 0,
    0, 1, 1, 0,
    0, -1, 1, 0,
    0, 1, 0, -1,
};
static const float G2[4 * 3] = {
    1, 0, 0,
    0.5f, 0.5f, 0.5f,
    0.5f, -0.5f, 0.5f,
    0, 0, 1,
};
static const float AT2[2 * 4] = {
    1, 1, 1, 0,
    0, 1, -1, -1,
};

/* The six transforms for one tile size, as sandwiches of the matrices above. */
#define DEFINE_TRANSFORMS(M, A, BT, G, AT)                                                          \
    INLINE void input_tile##M(const v8 *d, v8 *v) { sandwich(A, A, A, A, BT, A, 0, BT, A, 0, d, v); }  \
    INLINE void output_tile##M(const v8 *mt, v8 *y) { sandwich(M, A, M, A, AT, A, 0, AT, A, 0, mt, y); } \
    INLINE void output_gradient_tile##M(const v8 *dy, v8 *mg) {                                      \
        sandwich(A, M, A, M, AT, A, 1, AT, A, 1, dy, mg); }                                          \
    INLINE void input_gradient_tile##M(const v8 *dv, v8 *dd) {                                       \
        sandwich(A, A, A, A, BT, A, 1, BT, A, 1, dv, dd); }                                          \
    INLINE void weight_tile##M(const v8 *g, v8 *u) { sandwich(A, 3, A, 3, G, 3, 0, G, 3, 0, g, u); }  \
    INLINE void weight_gradient_tile##M(const v8 *du, v8 *dg) {                                      \
        sandwich(3, A, 3, A, G, 3, 1, G, 3, 1, du, dg); }

DEFINE_TRANSFORMS(2, 4, BT2, G2, AT2)
DEFINE_TRANSFORMS(4, 6, BT4, G4, AT4)

/* ---- passes ---- */

typedef struct {
    const vgg_wino_plan *plan;
    const float *src;
    const float *bias;
    float *dst;
    long t0, t1;
} pass_args;

INLINE void tile_origin(const vgg_wino_plan *p, long t, long *n, int *ty, int *tx) {
    long per_image = (long)p->tiles_h * p->tiles_w;
    *n = t / per_image;
    long r = t % per_image;
    *ty = (int)(r / p->tiles_w);
    *tx = (int)(r % p->tiles_w);
}

#define DEFINE_PASSES(M, A)                                                                           \
static void weights_body##M(const void *ctx, long k0, long k1) {                                      \
    const pass_args *a = ctx; const vgg_wino_plan *p = a->plan;                                        \
    const int C = p->in_channels, K = p->out_channels;                                                \
    for (long k = k0; k < k1; k++)                                                                    \
        for (int c0 = 0; c0 < C; c0 += 8) {                                                           \
            const int cb = C - c0 < 8 ? C - c0 : 8;                                                   \
            float t[9][8] = {{0}};                                                                    \
            for (int l = 0; l < cb; l++)                                                              \
                for (int e = 0; e < 9; e++) t[e][l] = a->src[((k * C) + c0 + l) * 9 + e];             \
            v8 g[9], u[A * A];                                                                        \
            for (int e = 0; e < 9; e++) g[e] = load8(t[e]);                                           \
            weight_tile##M(g, u);                                                                     \
            for (int e = 0; e < A * A; e++) store_partial(a->dst + ((long)e * K + k) * C + c0, u[e], cb); \
        }                                                                                             \
}                                                                                                     \
static void input_body##M(const void *ctx, long b, long e) {                                          \
    const pass_args *a = ctx; const vgg_wino_plan *p = a->plan;                                        \
    const int C = p->in_channels, H = p->height, W = p->width;                                        \
    const long T = a->t1 - a->t0;                                                                     \
    for (long t = a->t0 + b; t < a->t0 + e; t++) {                                                    \
        long n; int ty, tx; tile_origin(p, t, &n, &ty, &tx);                                          \
        const int h0 = ty * M - p->pad, w0 = tx * M - p->pad;                                         \
        const float *img = a->src + n * H * W * C;                                                    \
        for (int c0 = 0; c0 < C; c0 += 8) {                                                           \
            const int cb = C - c0 < 8 ? C - c0 : 8;                                                   \
            v8 d[A * A], v[A * A];                                                                    \
            for (int i = 0; i < A; i++)                                                               \
                for (int j = 0; j < A; j++) {                                                         \
                    const int h = h0 + i, w = w0 + j;                                                 \
                    d[i * A + j] = (h >= 0 && h < H && w >= 0 && w < W)                               \
                        ? load_partial(img + ((long)h * W + w) * C + c0, cb) : splat(0);              \
                }                                                                                     \
            input_tile##M(d, v);                                                                      \
            float *out = a->dst + (t - a->t0) * C + c0;                                               \
            for (int x = 0; x < A * A; x++) store_partial(out + x * T * C, v[x], cb);                 \
        }                                                                                             \
    }                                                                                                 \
}                                                                                                     \
static void output_body##M(const void *ctx, long b, long e) {                                         \
    const pass_args *a = ctx; const vgg_wino_plan *p = a->plan;                                        \
    const int K = p->out_channels, OH = p->out_height, OW = p->out_width;                             \
    const long T = a->t1 - a->t0;                                                                     \
    for (long t = a->t0 + b; t < a->t0 + e; t++) {                                                    \
        long n; int ty, tx; tile_origin(p, t, &n, &ty, &tx);                                          \
        float *img = a->dst + n * OH * OW * K;                                                        \
        for (int k0 = 0; k0 < K; k0 += 8) {                                                           \
            const int kb = K - k0 < 8 ? K - k0 : 8;                                                   \
            const float *in = a->src + (t - a->t0) * K + k0;                                          \
            v8 mt[A * A], y[M * M];                                                                   \
            for (int x = 0; x < A * A; x++) mt[x] = load_partial(in + x * T * K, kb);                 \
            output_tile##M(mt, y);                                                                    \
            const v8 bias = a->bias ? load_partial(a->bias + k0, kb) : splat(0);                     \
            for (int i = 0; i < M; i++)                                                               \
                for (int j = 0; j < M; j++) {                                                         \
                    const int h = ty * M + i, w = tx * M + j;                                         \
                    if (h < OH && w < OW)                                                             \
                        store_partial(img + ((long)h * OW + w) * K + k0, y[i * M + j] + bias, kb);    \
                }                                                                                     \
        }                                                                                             \
    }                                                                                                 \
}                                                                                                     \
static void output_gradient_body##M(const void *ctx, long b, long e) {                                \
    const pass_args *a = ctx; const vgg_wino_plan *p = a->plan;                                        \
    const int K = p->out_channels, OH = p->out_height, OW = p->out_width;                             \
    const long T = a->t1 - a->t0;                                                                     \
    for (long t = a->t0 + b; t < a->t0 + e; t++) {                                                    \
        long n; int ty, tx; tile_origin(p, t, &n, &ty, &tx);                                          \
        const float *img = a->src + n * OH * OW * K;                                                  \
        for (int k0 = 0; k0 < K; k0 += 8) {                                                           \
            const int kb = K - k0 < 8 ? K - k0 : 8;                                                   \
            v8 dy[M * M], mg[A * A];                                                                  \
            for (int i = 0; i < M; i++)                                                               \
                for (int j = 0; j < M; j++) {                                                         \
                    const int h = ty * M + i, w = tx * M + j;                                         \
                    dy[i * M + j] = (h < OH && w < OW)                                                \
                        ? load_partial(img + ((long)h * OW + w) * K + k0, kb) : splat(0);             \
                }                                                                                     \
            output_gradient_tile##M(dy, mg);                                                          \
            float *out = a->dst + (t - a->t0) * K + k0;                                               \
            for (int x = 0; x < A * A; x++) store_partial(out + x * T * K, mg[x], kb);                \
        }                                                                                             \
    }                                                                                                 \
}                                                                                                     \
/* Parallel over channel blocks: overlapping tiles add into the same pixels. */                       \
static void input_gradient_body##M(const void *ctx, long b, long e) {                                 \
    const pass_args *a = ctx; const vgg_wino_plan *p = a->plan;                                        \
    const int C = p->in_channels, H = p->height, W = p->width;                                        \
    const long T = a->t1 - a->t0;                                                                     \
    for (long blk = b; blk < e; blk++) {                                                              \
        const int c0 = (int)blk * 8, cb = C - c0 < 8 ? C - c0 : 8;                                    \
        for (long t = a->t0; t < a->t1; t++) {                                                        \
            long n; int ty, tx; tile_origin(p, t, &n, &ty, &tx);                                      \
            const int h0 = ty * M - p->pad, w0 = tx * M - p->pad;                                     \
            float *img = a->dst + n * H * W * C;                                                      \
            const float *in = a->src + (t - a->t0) * C + c0;                                          \
            v8 dv[A * A], dd[A * A];                                                                  \
            for (int x = 0; x < A * A; x++) dv[x] = load_partial(in + x * T * C, cb);                 \
            input_gradient_tile##M(dv, dd);                                                           \
            for (int i = 0; i < A; i++)                                                               \
                for (int j = 0; j < A; j++) {                                                         \
                    const int h = h0 + i, w = w0 + j;                                                 \
                    if (h >= 0 && h < H && w >= 0 && w < W) {                                         \
                        float *q = img + ((long)h * W + w) * C + c0;                                  \
                        store_partial(q, load_partial(q, cb) + dd[i * A + j], cb);                    \
                    }                                                                                 \
                }                                                                                     \
        }                                                                                             \
    }                                                                                                 \
}                                                                                                     \
static void weight_gradient_body##M(const void *ctx, long k0, long k1) {                              \
    const pass_args *a = ctx; const vgg_wino_plan *p = a->plan;                                        \
    const int C = p->in_channels, K = p->out_channels;                                                \
    for (long k = k0; k < k1; k++)                                                                    \
        for (int c0 = 0; c0 < C; c0 += 8) {                                                           \
            const int cb = C - c0 < 8 ? C - c0 : 8;                                                   \
            v8 du[A * A], dg[9];                                                                      \
            for (int x = 0; x < A * A; x++) du[x] = load_partial(a->src + ((long)x * K + k) * C + c0, cb); \
            weight_gradient_tile##M(du, dg);                                                          \
            float t[9][8];                                                                            \
            for (int e = 0; e < 9; e++) store8(t[e], dg[e]);                                          \
            for (int l = 0; l < cb; l++)                                                              \
                for (int e = 0; e < 9; e++) a->dst[((k * C) + c0 + l) * 9 + e] = t[e][l];             \
        }                                                                                             \
}

DEFINE_PASSES(2, 4)
DEFINE_PASSES(4, 6)

#pragma clang attribute pop

#define DISPATCH(plan, name) ((plan)->m == 4 ? name##4 : name##2)

void vgg_wino_transform_weights(const vgg_wino_plan *plan, const float *weights, float *u) {
    pass_args a = { plan, weights, NULL, u, 0, 0 };
    vgg_parallel_for(plan->out_channels, DISPATCH(plan, weights_body), &a);
}

void vgg_wino_transform_input(const vgg_wino_plan *plan, const float *x, long t0, long t1, float *v) {
    pass_args a = { plan, x, NULL, v, t0, t1 };
    vgg_parallel_for(t1 - t0, DISPATCH(plan, input_body), &a);
}

void vgg_wino_transform_output(const vgg_wino_plan *plan, const float *mt, const float *bias,
                               long t0, long t1, float *y) {
    pass_args a = { plan, mt, bias, y, t0, t1 };
    vgg_parallel_for(t1 - t0, DISPATCH(plan, output_body), &a);
}

void vgg_wino_transform_output_gradient(const vgg_wino_plan *plan, const float *dy, long t0, long t1, float *mg) {
    pass_args a = { plan, dy, NULL, mg, t0, t1 };
    vgg_parallel_for(t1 - t0, DISPATCH(plan, output_gradient_body), &a);
}

void vgg_wino_accumulate_input_gradient(const vgg_wino_plan *plan, const float *dv, long t0, long t1, float *dx) {
    pass_args a = { plan, dv, NULL, dx, t0, t1 };
    vgg_parallel_for((plan->in_channels + 7) / 8, DISPATCH(plan, input_gradient_body), &a);
}

void vgg_wino_transform_weight_gradient(const vgg_wino_plan *plan, const float *du, float *dw) {
    pass_args a = { plan, du, NULL, dw, 0, 0 };
    vgg_parallel_for(plan->out_channels, DISPATCH(plan, weight_gradient_body), &a);
}

/* ---- bias gradient: column sums, one partial row per thread ---- */

typedef struct { const float *dy; long rows; int channels; long threads; float *partials; } bias_args;

static void bias_gradient_body(const void *ctx, long b, long e) {
    const bias_args *a = ctx;
    for (long part = b; part < e; part++) {
        float *acc = a->partials + part * a->channels;
        long r0 = a->rows * part / a->threads, r1 = a->rows * (part + 1) / a->threads;
        for (int k = 0; k < a->channels; k++) acc[k] = 0;
        for (long r = r0; r < r1; r++) {
            const float *row = a->dy + r * a->channels;
            for (int k = 0; k < a->channels; k++) acc[k] += row[k];
        }
    }
}

void vgg_bias_gradient(const float *dy, long rows, int channels, float *db) {
    long parts = vgg_parallel_threads();
    if (parts > rows) parts = rows > 0 ? rows : 1;
    float *partials = malloc(sizeof(float) * (size_t)parts * (size_t)channels);
    if (!partials) abort();
    bias_args a = { dy, rows, channels, parts, partials };
    vgg_parallel_for(parts, bias_gradient_body, &a);
    for (int k = 0; k < channels; k++) {
        float s = 0;
        for (long part = 0; part < parts; part++) s += partials[part * channels + k];
        db[k] = s;
    }
    free(partials);
}
