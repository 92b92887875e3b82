/* The bfloat16 buffers of the gradient exchange; see vgg_bf16.h. */
#include <stdlib.h>
#include <string.h>
#include <immintrin.h>
#include "vgg_bf16.h"

/* ---- plain C: the definition the vector paths must equal ---- */

__attribute__((always_inline)) static inline uint16_t round_one(float f) {
    uint32_t u; memcpy(&u, &f, 4);
    uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;   /* a carry raises the exponent: overflow reaches ±inf */
    uint32_t quiet = (u >> 16) | 0x40u;
    return (uint16_t)((u & 0x7FFFFFFFu) > 0x7F800000u ? quiet : rounded);
}
__attribute__((always_inline)) static inline float widen_one(uint16_t b) { uint32_t u = (uint32_t)b << 16; float f; memcpy(&f, &u, 4); return f; }

static void from_plain(const float *x, uint16_t *y, long n) { for (long i = 0; i < n; i++) y[i] = round_one(x[i]); }
static void to_plain(const uint16_t *x, float *y, long n) { for (long i = 0; i < n; i++) y[i] = widen_one(x[i]); }
/* Where a[i] is a NaN the sum is a[i] quieted, whatever b[i] is: the hardware's choice between two
   NaN operands follows their order, which a compiler may swap in an addition. */
static void add_plain(const uint16_t *a, uint16_t *b, long n) {
    for (long i = 0; i < n; i++)
        b[i] = (a[i] & 0x7FFFu) > 0x7F80u ? (uint16_t)(a[i] | 0x40u) : round_one(widen_one(a[i]) + widen_one(b[i]));
}

/* ---- AVX2: 16 values a step ---- */

__attribute__((target("avx2"), always_inline)) static inline __m256i round8_avx2(__m256 f) {
    __m256i u = _mm256_castps_si256(f);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7FFF))), 16);
    __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
    __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF)), _mm256_set1_epi32(0x7F800000));
    return _mm256_blendv_epi8(rounded, quiet, nan);
}
/* Two vectors of 8 values (each < 2^16) packed into 16 in order: packus works per 128-bit lane. */
__attribute__((target("avx2"), always_inline)) static inline __m256i pack16_avx2(__m256i lo, __m256i hi) {
    return _mm256_permute4x64_epi64(_mm256_packus_epi32(lo, hi), 0xD8);
}
__attribute__((target("avx2"), always_inline)) static inline __m256 widen8_avx2(const uint16_t *p) {
    __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}
__attribute__((target("avx2"))) static void from_avx2(const float *x, uint16_t *y, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i r = pack16_avx2(round8_avx2(_mm256_loadu_ps(x + i)), round8_avx2(_mm256_loadu_ps(x + i + 8)));
        _mm256_storeu_si256((__m256i *)(y + i), r);
    }
    from_plain(x + i, y + i, n - i);
}
__attribute__((target("avx2"))) static void to_avx2(const uint16_t *x, float *y, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, widen8_avx2(x + i));
    to_plain(x + i, y + i, n - i);
}
/* The rounded sum of 8, or a's NaN quieted where a is a NaN (as add_plain). */
__attribute__((target("avx2"), always_inline)) static inline __m256i sum8_avx2(const uint16_t *a, const uint16_t *b) {
    __m256 x = widen8_avx2(a);
    __m256i u = _mm256_castps_si256(x);
    __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF)), _mm256_set1_epi32(0x7F800000));
    __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
    return _mm256_blendv_epi8(round8_avx2(_mm256_add_ps(x, widen8_avx2(b))), quiet, nan);
}
__attribute__((target("avx2"))) static void add_avx2(const uint16_t *a, uint16_t *b, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(b + i), pack16_avx2(sum8_avx2(a + i, b + i), sum8_avx2(a + i + 8, b + i + 8)));
    add_plain(a + i, b + i, n - i);
}

/* ---- AVX-512: 16 values a step, narrowed by vpmovdw ---- */

/* The 16 bfloat16 values, each in the low half of a 32-bit lane. */
__attribute__((target("avx512f"), always_inline)) static inline __m512i round16_wide_avx512(__m512 f) {
    __m512i u = _mm512_castps_si512(f);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF))), 16);
    __m512i quiet = _mm512_or_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
    __mmask16 nan = _mm512_cmpgt_epi32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF)), _mm512_set1_epi32(0x7F800000));
    return _mm512_mask_blend_epi32(nan, rounded, quiet);
}
__attribute__((target("avx512f"), always_inline)) static inline __m256i round16_avx512(__m512 f) {
    return _mm512_cvtepi32_epi16(round16_wide_avx512(f));
}
__attribute__((target("avx512f"), always_inline)) static inline __m512 widen16_avx512(const uint16_t *p) {
    __m512i v = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
}
__attribute__((target("avx512f"))) static void from_avx512(const float *x, uint16_t *y, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm256_storeu_si256((__m256i *)(y + i), round16_avx512(_mm512_loadu_ps(x + i)));
    from_plain(x + i, y + i, n - i);
}
__attribute__((target("avx512f"))) static void to_avx512(const uint16_t *x, float *y, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, widen16_avx512(x + i));
    to_plain(x + i, y + i, n - i);
}
__attribute__((target("avx512f"))) static void add_avx512(const uint16_t *a, uint16_t *b, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i wa = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(a + i)));
        __m512i sum = round16_wide_avx512(_mm512_add_ps(_mm512_castsi512_ps(_mm512_slli_epi32(wa, 16)), widen16_avx512(b + i)));
        /* where a is a NaN, a quieted (as add_plain) */
        __mmask16 nan = _mm512_cmpgt_epi32_mask(_mm512_and_si512(wa, _mm512_set1_epi32(0x7FFF)), _mm512_set1_epi32(0x7F80));
        __m512i quiet = _mm512_or_si512(wa, _mm512_set1_epi32(0x40));
        _mm256_storeu_si256((__m256i *)(b + i), _mm512_cvtepi32_epi16(_mm512_mask_blend_epi32(nan, sum, quiet)));
    }
    add_plain(a + i, b + i, n - i);
}

/* ---- the choice: the best the CPU has, lowered by vgg_bf16_limit; -1 until the first call ---- */

static int chosen = -1;

static int cpu_best(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2")) return 1;
    return 0;
}

/* The CPU's best, lowered by VGG_BF16_LEVEL (0, 1 or 2) where set: for comparisons. */
static int best(void) {
    int most = cpu_best();
    const char *forced = getenv("VGG_BF16_LEVEL");
    if (forced && forced[0] >= '0' && forced[0] <= '2' && forced[1] == 0 && forced[0] - '0' < most) most = forced[0] - '0';
    return most;
}

int vgg_bf16_level(void) {
    int level = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (level < 0) { level = best(); __atomic_store_n(&chosen, level, __ATOMIC_RELAXED); }
    return level;
}

int vgg_bf16_limit(int level) {
    int most = best();
    int use = level < 0 ? 0 : (level > most ? most : level);
    __atomic_store_n(&chosen, use, __ATOMIC_RELAXED);
    return use;
}

void vgg_bf16_from_floats(const float *x, uint16_t *y, long count) {
    switch (vgg_bf16_level()) {
    case 2: from_avx512(x, y, count); break;
    case 1: from_avx2(x, y, count); break;
    default: from_plain(x, y, count);
    }
}

void vgg_bf16_to_floats(const uint16_t *x, float *y, long count) {
    switch (vgg_bf16_level()) {
    case 2: to_avx512(x, y, count); break;
    case 1: to_avx2(x, y, count); break;
    default: to_plain(x, y, count);
    }
}

void vgg_bf16_add(const uint16_t *a, uint16_t *b, long count) {
    switch (vgg_bf16_level()) {
    case 2: add_avx512(a, b, count); break;
    case 1: add_avx2(a, b, count); break;
    default: add_plain(a, b, count);
    }
}
