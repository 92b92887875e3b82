#include "prelude.cuh"

extern "C" {

/* Layouts. */
__global__ void nchw_to_nhwc(const float *x, float *y, int n, int c, int h, int w) {
    GRID_STRIDE(i, (i64)n * c * h * w) {
        const int ci = (int)(i % c); i64 r = i / c;
        const int wi = (int)(r % w); r /= w;
        const int hi = (int)(r % h); const i64 ni = r / h;
        y[i] = x[((ni * c + ci) * h + hi) * w + wi];
    }
}

__global__ void nhwc_to_nchw(const float *x, float *y, int n, int c, int h, int w) {
    GRID_STRIDE(i, (i64)n * c * h * w) {
        const int wi = (int)(i % w); i64 r = i / w;
        const int hi = (int)(r % h); r /= h;
        const int ci = (int)(r % c); const i64 ni = r / c;
        y[i] = x[((ni * h + hi) * w + wi) * c + ci];
    }
}

/* Filters: PyTorch's OIHW and cuDNN's channels-last OHWI (KRSC). */
__global__ void oihw_to_ohwi(const float *src, float *dst, int o, int in, int hw) {
    GRID_STRIDE(d, (i64)o * in * hw) {
        const int ii = (int)(d % in); const i64 r = d / in;
        const int s = (int)(r % hw); const i64 oo = r / hw;
        dst[d] = src[(oo * in + ii) * hw + s];
    }
}

__global__ void ohwi_to_oihw(const float *src, float *dst, int o, int in, int hw) {
    GRID_STRIDE(d, (i64)o * in * hw) {
        const int s = (int)(d % hw); const i64 r = d / hw;
        const int ii = (int)(r % in); const i64 oo = r / in;
        dst[d] = src[(oo * hw + s) * in + ii];
    }
}

} /* extern "C" */
