#include "prelude.cuh"

extern "C" {

/* ---- local response normalisation across channels (NHWC: channels contiguous) ---- */

__device__ __forceinline__ double lrn_denominator(const float *a, int c, int C, int size, double alpha, double k) {
    double s = 0;
    const int j0 = max(0, c - size / 2), j1 = min(C - 1, c + (size - 1) / 2);
    for (int j = j0; j <= j1; j++) s += (double)a[j] * (double)a[j];
    return k + alpha / size * s;
}

__global__ void lrn_forward(const float *x, float *y, i64 n, int C, int size, float alpha, float beta, float k) {
    GRID_STRIDE(i, n) {
        const int c = (int)(i % C);
        const float *a = x + (i - c);
        y[i] = (float)((double)x[i] * pow(lrn_denominator(a, c, C, size, alpha, k), -(double)beta));
    }
}

/* dx_j = dy_j·d_j^(−β) − 2αβ/size · a_j · Σ_c dy_c·a_c·d_c^(−β−1) over the c whose window holds j. */
__global__ void lrn_backward(const float *x, const float *dy, float *dx, i64 n, int C, int size, float alpha, float beta,
                             float k) {
    GRID_STRIDE(i, n) {
        const int j = (int)(i % C);
        const i64 base = i - j;
        const float *a = x + base, *g = dy + base;
        const double b = beta;
        double s = 0;
        const int c0 = max(0, j - (size - 1) / 2), c1 = min(C - 1, j + size / 2);
        for (int c = c0; c <= c1; c++)
            s += (double)g[c] * (double)a[c] * pow(lrn_denominator(a, c, C, size, alpha, k), -b - 1);
        const double dj = lrn_denominator(a, j, C, size, alpha, k);
        dx[i] = (float)((double)g[j] * pow(dj, -b) - 2 * (double)alpha * b / size * (double)a[j] * s);
    }
}

} /* extern "C" */
