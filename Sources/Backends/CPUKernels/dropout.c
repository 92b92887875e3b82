/* Philox dropout masks; see vgg_dropout.h. */
#include "vgg_dropout.h"
#include "parallel.h"
#include "vgg_cpu.h"

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

/* Sixteen Philox blocks at a time, counters (j0 + k, sample, step_lo, step_hi) for k < 16,
   words written in element order (block k's word i is element 4k + i): independent chains
   whose rounds the compiler turns into vector multiplies, where one block alone waits on
   each multiply's latency (about 7x slower), and a contiguous stream for the masking loop. */
#define BLOCKS 16
static inline __attribute__((always_inline)) void philox_blocks(uint32_t j0, uint32_t sample, uint32_t step_lo, uint32_t step_hi, uint32_t key0, uint32_t key1,
                          uint32_t *restrict words) {
    uint32_t c0[BLOCKS], c1[BLOCKS], c2[BLOCKS], c3[BLOCKS];
    for (int k = 0; k < BLOCKS; k++) { c0[k] = j0 + (uint32_t)k; c1[k] = sample; c2[k] = step_lo; c3[k] = step_hi; }
    uint32_t k0 = key0, k1 = key1;
    for (int round = 0; round < 10; round++) {
        if (round > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
        for (int k = 0; k < BLOCKS; k++) {
            uint64_t p0 = (uint64_t)0xD2511F53u * c0[k], p1 = (uint64_t)0xCD9E8D57u * c2[k];
            uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1[k] ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3[k] ^ k1;
            c1[k] = (uint32_t)p1; c3[k] = (uint32_t)p0; c0[k] = n0; c2[k] = n2;
        }
    }
    for (int k = 0; k < BLOCKS; k++) { words[4 * k] = c0[k]; words[4 * k + 1] = c1[k]; words[4 * k + 2] = c2[k]; words[4 * k + 3] = c3[k]; }
}

static inline __attribute__((always_inline)) void dropout_rows_body(const dropout_args *a, long b, long e) {
    const uint32_t step_lo = (uint32_t)a->step, step_hi = (uint32_t)(a->step >> 32);
    const float p = a->p, scale = a->scale;
    for (long s = b; s < e; s++) {
        const float *x = a->x + s * a->per_sample;
        float *y = a->y + s * a->per_sample, *m = a->mask + s * a->per_sample;
        const uint32_t sample = a->first_sample + (uint32_t)s;
        for (long j = 0; j < a->per_sample; j += 4 * BLOCKS) {
            uint32_t words[4 * BLOCKS];
            philox_blocks((uint32_t)(j >> 2), sample, step_lo, step_hi, a->key0, a->key1, words);
            long n = a->per_sample - j < 4 * BLOCKS ? a->per_sample - j : 4 * BLOCKS;
            for (long t = 0; t < n; t++) {
                float u = (float)(words[t] >> 8) * 0x1p-24f;
                float keep = u >= p ? scale : 0.0f;
                m[j + t] = keep;
                y[j + t] = x[j + t] * keep;
            }
        }
    }
}

/* The same loop compiled twice: for the baseline x86-64 and, picked at run time, for AVX2
   (eight multiplies per instruction; the masking about 2x faster on a 2-core AVX2 machine). */
static void dropout_rows(const void *ctx, long b, long e) { dropout_rows_body(ctx, b, e); }

__attribute__((target("avx2,fma")))
static void dropout_rows_avx2(const void *ctx, long b, long e) { dropout_rows_body(ctx, b, e); }

void vgg_dropout_forward(const float *x, float *y, float *mask, long samples, long per_sample, float p, float scale,
                         uint32_t key0, uint32_t key1, uint32_t first_sample, uint64_t step) {
    dropout_args a = { x, y, mask, per_sample, p, scale, key0, key1, first_sample, step };
    vgg_range_body rows = vgg_cpu_has_avx2_fma() ? dropout_rows_avx2 : dropout_rows;
    /* A team of threads costs more than it saves on small layers. */
    if (samples * per_sample < (1L << 16)) { rows(&a, 0, samples); return; }
    vgg_parallel_for(samples, rows, &a);
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
