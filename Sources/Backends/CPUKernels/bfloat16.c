/* The bf16 rounding; see vgg_bfloat16.h. */
#include <stdint.h>
#include <string.h>
#include "vgg_bfloat16.h"
#include "parallel.h"

typedef struct { const float *x; float *y; } round_args;

/* Integer arithmetic on the bits, branch-free so the compiler vectorises it:
   round to nearest even is b + 0x7FFF + (bit 16 of b), then the low half cleared (a carry
   out of the mantissa raises the exponent, which is how overflow reaches ±∞; ±∞ themselves
   have a zero mantissa and stay). A NaN keeps its top half with the quiet bit set, as
   BFloat16.bits does. The loop reads each x[i] before it writes y[i], so y == x is fine. */
static void round_range(const void *ctx, long b, long e) {
    const round_args *a = ctx;
    const float *x = a->x;
    float *y = a->y;
    for (long i = b; i < e; i++) {
        uint32_t v, r;
        memcpy(&v, &x[i], 4);   /* the bits (memcpy: no aliasing of float as uint32_t) */
        uint32_t rounded = (v + 0x7FFFu + ((v >> 16) & 1u)) & 0xFFFF0000u;
        uint32_t quiet = (v | 0x00400000u) & 0xFFFF0000u;
        r = (v & 0x7FFFFFFFu) > 0x7F800000u ? quiet : rounded;
        memcpy(&y[i], &r, 4);
    }
}

void vgg_round_bf16(const float *x, float *y, long count) {
    round_args a = { x, y };
    if (count < (1L << 16)) { round_range(&a, 0, count); return; }
    vgg_parallel_for(count, round_range, &a);
}
