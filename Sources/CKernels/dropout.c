/* Philox dropout masks; see vgg_dropout.h. */
#include "vgg_dropout.h"
#include "parallel.h"

static inline void philox_block(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1,
                                uint32_t out[4]) {
    for (int round = 0; round < 10; round++) {
        if (round > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
        uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0, hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0; c1 = lo1; c2 = hi0 ^ c3 ^ k1; c3 = lo0;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

void vgg_philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]) {
    philox_block(counter[0], counter[1], counter[2], counter[3], key[0], key[1], out);
}

typedef struct {
    const float *x; float *y, *mask;
    long per_sample; float p, scale;
    uint32_t key0, key1, first_sample; uint64_t step;
} dropout_args;

static void dropout_rows(const void *ctx, long b, long e) {
    const dropout_args *a = ctx;
    const uint32_t step_lo = (uint32_t)a->step, step_hi = (uint32_t)(a->step >> 32);
    for (long s = b; s < e; s++) {
        const float *x = a->x + s * a->per_sample;
        float *y = a->y + s * a->per_sample, *m = a->mask + s * a->per_sample;
        const uint32_t sample = a->first_sample + (uint32_t)s;
        for (long j = 0; j < a->per_sample; j += 4) {
            uint32_t w[4];
            philox_block((uint32_t)(j >> 2), sample, step_lo, step_hi, a->key0, a->key1, w);
            long n = a->per_sample - j < 4 ? a->per_sample - j : 4;
            for (long k = 0; k < n; k++) {
                float u = (float)(w[k] >> 8) * 0x1p-24f;
                float keep = u >= a->p ? a->scale : 0.0f;
                m[j + k] = keep;
                y[j + k] = x[j + k] * keep;
            }
        }
    }
}

void vgg_dropout_forward(const float *x, float *y, float *mask, long samples, long per_sample, float p, float scale,
                         uint32_t key0, uint32_t key1, uint32_t first_sample, uint64_t step) {
    dropout_args a = { x, y, mask, per_sample, p, scale, key0, key1, first_sample, step };
    /* A team of threads costs more than it saves below about a million elements (and far
       more when the cores are shared with another process). */
    if (samples * per_sample < (1L << 20)) { dropout_rows(&a, 0, samples); return; }
    vgg_parallel_for(samples, dropout_rows, &a);
}

typedef struct { float *g; const float *m; } multiply_args;

static void multiply_range(const void *ctx, long b, long e) {
    const multiply_args *a = ctx;
    for (long i = b; i < e; i++) a->g[i] *= a->m[i];
}

void vgg_multiply_in_place(float *g, const float *mask, long count) {
    multiply_args a = { g, mask };
    if (count < (1L << 20)) { multiply_range(&a, 0, count); return; }
    vgg_parallel_for(count, multiply_range, &a);
}
