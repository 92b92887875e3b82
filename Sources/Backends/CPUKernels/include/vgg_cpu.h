#ifndef VGG_CPU_H
#define VGG_CPU_H
/* What this CPU's instruction set offers (cpuid, through the compiler's builtins). */

/** AVX2 and FMA: the hand-written kernels' target. */
int vgg_cpu_has_avx2_fma(void);

/** AVX-512 F, BW and VL (SkylakeX and later). */
int vgg_cpu_has_avx512(void);
#endif
