/* Every input of the bfloat16 exchange's kernels (Sources/CShims/CMPIShim/bf16.c) on every
 * instruction set this CPU has, against the plain C path: all 2^32 floats rounded, all 2^32
 * pairs of bfloat16 values added (the plain path itself is checked against an independent
 * reference by Tests/DistributedTests/BFloat16ExchangeTests). Run by scripts/test.sh:
 *     cc -O2 -I Sources/CShims/CMPIShim/include scripts/bf16-exhaustive.c Sources/CShims/CMPIShim/bf16.c
 * Prints one line per instruction set; exits 1 at the first difference, naming the input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vgg_bf16.h"

enum { N = 1 << 16 };

int main(void) {
    static float x[N];
    static uint16_t want[N], got[N], a[N], b[N];
    int most = vgg_bf16_limit(2);
    if (most == 0) { printf("bf16-exhaustive: no vector path on this CPU, nothing to compare\n"); return 0; }
    for (int level = 1; level <= most; level++) {
        for (uint64_t base = 0; base < (1ull << 32); base += N) {          /* every float, N at a time */
            for (uint32_t i = 0; i < N; i++) { uint32_t u = (uint32_t)(base + i); memcpy(&x[i], &u, 4); }
            vgg_bf16_limit(0); vgg_bf16_from_floats(x, want, N);
            vgg_bf16_limit(level); vgg_bf16_from_floats(x, got, N);
            for (uint32_t i = 0; i < N; i++)
                if (got[i] != want[i]) {
                    printf("bf16-exhaustive: level %d rounds 0x%08x to 0x%04x, plain C to 0x%04x\n", level, (uint32_t)(base + i), got[i], want[i]);
                    return 1;
                }
        }
        for (uint32_t first = 0; first < N; first++) {                      /* every pair (first, j) */
            for (uint32_t j = 0; j < N; j++) { a[j] = (uint16_t)first; b[j] = (uint16_t)j; want[j] = (uint16_t)j; }
            vgg_bf16_limit(0); vgg_bf16_add(a, want, N);
            vgg_bf16_limit(level); vgg_bf16_add(a, b, N);
            if (memcmp(b, want, sizeof b) != 0)
                for (uint32_t j = 0; j < N; j++)
                    if (b[j] != want[j]) {
                        printf("bf16-exhaustive: level %d adds 0x%04x + 0x%04x as 0x%04x, plain C as 0x%04x\n", level, first, j, b[j], want[j]);
                        return 1;
                    }
        }
        printf("bf16-exhaustive: level %d (%s) equals plain C on all 2^32 floats and all 2^32 pairs\n", level, level == 2 ? "AVX-512" : "AVX2");
    }
    return 0;
}
