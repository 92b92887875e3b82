/* The CUDA names the kernels use, defined for the host. Each emulated CUDA thread has its own
   blockIdx/threadIdx (thread_local); __shared__ variables are function statics (blocks run one at
   a time); __syncthreads and __shfl_xor_sync meet at barriers of the block and of the warp. */
#ifndef VGG_CUDA_EMULATION_DEVICE_H
#define VGG_CUDA_EMULATION_DEVICE_H

#include <cmath>
#include <cstring>
#include <cstdint>
#include <type_traits>

struct dim3 {
    unsigned x, y, z;
};

extern thread_local dim3 blockIdx, threadIdx;
extern thread_local dim3 blockDim, gridDim;

#define __global__ static
#define __device__ static
#define __forceinline__ inline
#define __shared__ static

namespace vgg_emu {
/* Block barrier; fails the launch with a message when the kernel runs sequentially. */
void sync_threads();
/* Exchanges 8 bytes with lane (lane ^ offset) of the calling warp. */
uint64_t shuffle_xor(unsigned mask, uint64_t bits, int offset, int size);
}

inline void __syncthreads() { vgg_emu::sync_threads(); }

template <class T> inline T __shfl_xor_sync(unsigned mask, T v, int offset) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffle of a type wider than 8 bytes");
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    bits = vgg_emu::shuffle_xor(mask, bits, offset, (int)sizeof(T));
    T out;
    std::memcpy(&out, &bits, sizeof(T));
    return out;
}

inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, 4); return u; }
inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
inline double __longlong_as_double(long long i) { double d; std::memcpy(&d, &i, 8); return d; }

template <class A, class B> inline typename std::common_type<A, B>::type min(A a, B b) {
    typedef typename std::common_type<A, B>::type T;
    return (T)a < (T)b ? (T)a : (T)b;
}
template <class A, class B> inline typename std::common_type<A, B>::type max(A a, B b) {
    typedef typename std::common_type<A, B>::type T;
    return (T)a > (T)b ? (T)a : (T)b;
}
using std::isnan;

#endif
