/* Shared by every kernel file: the integer types, the grid-stride loop, Philox 4x32-10,
   the warp reductions and the bf16 conversions. The program NVRTC compiles is this file followed by the .cu files in
   the order of CUDAKernelProgram.files. */
#ifndef VGG_KERNELS_PRELUDE
#define VGG_KERNELS_PRELUDE

typedef long long i64;
typedef unsigned long long u64;

/* A bfloat16 value as its bits: the top half of a float32 (docs/precision.md). NVRTC has no
   cuda_bf16.h built in, so the conversions are written out here. */
typedef unsigned short bf16;

#define GRID_STRIDE(i, n) for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)gridDim.x * blockDim.x)

__device__ __forceinline__ void philox4x32_10(unsigned c[4], unsigned k0, unsigned k1) {
    for (int round = 0; round < 10; round++) {
        if (round > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
        u64 p0 = (u64)0xD2511F53u * c[0], p1 = (u64)0xCD9E8D57u * c[2];
        unsigned n0 = (unsigned)(p1 >> 32) ^ c[1] ^ k0, n2 = (unsigned)(p0 >> 32) ^ c[3] ^ k1;
        c[1] = (unsigned)p1; c[3] = (unsigned)p0; c[0] = n0; c[2] = n2;
    }
}

__device__ __forceinline__ double warp_sum(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

/* x rounded to the nearest bf16, ties to even (BFloat16.bits): a NaN stays NaN, made quiet, its
   sign kept; ±∞ stay; finite values at or past the midpoint above the largest bf16 become ±∞. */
__device__ __forceinline__ bf16 bf16_round(float x) {
    const unsigned b = __float_as_uint(x);
    if (isnan(x)) return (bf16)((b >> 16) | 0x0040u);
    return (bf16)((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

/* The float32 value of a bf16 (exact). */
__device__ __forceinline__ float bf16_value(bf16 h) { return __uint_as_float((unsigned)h << 16); }

#endif /* VGG_KERNELS_PRELUDE */
