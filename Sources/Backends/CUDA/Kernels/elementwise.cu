#include "prelude.cuh"

extern "C" {

/* ---- element-wise ---- */

/* max(x, 0), NaN kept (a diverged activation stays visible). */
__global__ void relu_forward(float *x, i64 n) {
    GRID_STRIDE(i, n) { float v = x[i]; x[i] = v < 0.0f ? 0.0f : v; }
}

__global__ void relu_backward(const float *y, float *g, i64 n) {
    GRID_STRIDE(i, n) { g[i] = y[i] > 0.0f ? g[i] : 0.0f; }
}

/* Element j of sample s: word j & 3 of Philox(counter (j >> 2, first + s, step_lo, step_hi), key). */
__global__ void dropout_forward(const float *x, float *y, float *mask, i64 samples, i64 per_sample, float p, float scale,
                                unsigned key0, unsigned key1, unsigned first_sample, u64 step) {
    const i64 groups = (per_sample + 3) / 4;
    GRID_STRIDE(t, samples * groups) {
        const i64 s = t / groups, j0 = (t % groups) * 4;
        unsigned c[4] = { (unsigned)(j0 >> 2), first_sample + (unsigned)s, (unsigned)step, (unsigned)(step >> 32) };
        philox4x32_10(c, key0, key1);
        for (int w = 0; w < 4 && j0 + w < per_sample; w++) {
            const i64 e = s * per_sample + j0 + w;
            const float u = (float)(c[w] >> 8) * 0x1p-24f;
            const float keep = u >= p ? scale : 0.0f;
            mask[e] = keep;
            y[e] = x[e] * keep;
        }
    }
}

__global__ void multiply_in_place(float *g, const float *m, i64 n) {
    GRID_STRIDE(i, n) { g[i] *= m[i]; }
}

/* y += x, in place: one rounded float32 addition per element (the tree of `--reproducible`). */
__global__ void add_in_place(float *y, const float *x, i64 n) {
    GRID_STRIDE(i, n) { y[i] += x[i]; }
}

/* y[r, c] += b[c] over a row-major [rows, cols] matrix (NHWC: rows are pixels). */
__global__ void bias_add(float *y, const float *b, i64 rows, int cols) {
    GRID_STRIDE(i, rows * cols) { y[i] += b[i % cols]; }
}

} /* extern "C" */
