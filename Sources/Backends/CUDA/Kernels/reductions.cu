#include "prelude.cuh"

extern "C" {

/* ---- reductions over the rows of a row-major [rows, cols] matrix (channels of NHWC) ---- */

/* Block (32, 8): 32 columns, 8 row lanes; grid (ceil(cols / 32), parts). partial[part * cols + c] = Σ over the part's rows. */
__global__ void column_partials(const float *a, double *partial, i64 rows, int cols, i64 rows_per_part) {
    __shared__ double shared[8][33];
    const int c = blockIdx.x * 32 + threadIdx.x;
    const i64 r0 = (i64)blockIdx.y * rows_per_part, r1 = min(rows, r0 + rows_per_part);
    double s = 0;
    if (c < cols) for (i64 r = r0 + threadIdx.y; r < r1; r += 8) s += a[r * cols + c];
    shared[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        double t = 0;
        for (int k = 0; k < 8; k++) t += shared[k][threadIdx.x];
        partial[(i64)blockIdx.y * cols + c] = t;
    }
}

/* Batch statistics: partial[part * 2C + c] = Σx, partial[part * 2C + C + c] = Σx². */
__global__ void moment_partials(const float *x, double *partial, i64 rows, int cols, i64 rows_per_part) {
    __shared__ double s1[8][33], s2[8][33];
    const int c = blockIdx.x * 32 + threadIdx.x;
    const i64 r0 = (i64)blockIdx.y * rows_per_part, r1 = min(rows, r0 + rows_per_part);
    double a = 0, b = 0;
    if (c < cols) for (i64 r = r0 + threadIdx.y; r < r1; r += 8) { const double v = x[r * cols + c]; a += v; b += v * v; }
    s1[threadIdx.y][threadIdx.x] = a; s2[threadIdx.y][threadIdx.x] = b;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        double t1 = 0, t2 = 0;
        for (int k = 0; k < 8; k++) { t1 += s1[k][threadIdx.x]; t2 += s2[k][threadIdx.x]; }
        partial[(i64)blockIdx.y * 2 * cols + c] = t1;
        partial[(i64)blockIdx.y * 2 * cols + cols + c] = t2;
    }
}

/* Batch-norm backward sums: Σdy and Σdy·(x − mean). */
__global__ void bn_backward_partials(const float *x, const float *dy, const double *mean, double *partial, i64 rows, int cols,
                                     i64 rows_per_part) {
    __shared__ double s1[8][33], s2[8][33];
    const int c = blockIdx.x * 32 + threadIdx.x;
    const i64 r0 = (i64)blockIdx.y * rows_per_part, r1 = min(rows, r0 + rows_per_part);
    double a = 0, b = 0;
    if (c < cols) {
        const double mu = mean[c];
        for (i64 r = r0 + threadIdx.y; r < r1; r += 8) {
            const double d = dy[r * cols + c];
            a += d; b += d * ((double)x[r * cols + c] - mu);
        }
    }
    s1[threadIdx.y][threadIdx.x] = a; s2[threadIdx.y][threadIdx.x] = b;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        double t1 = 0, t2 = 0;
        for (int k = 0; k < 8; k++) { t1 += s1[k][threadIdx.x]; t2 += s2[k][threadIdx.x]; }
        partial[(i64)blockIdx.y * 2 * cols + c] = t1;
        partial[(i64)blockIdx.y * 2 * cols + cols + c] = t2;
    }
}

/* out[i] = Σ_p partial[p * width + i], in order of p. */
__global__ void sum_partials(const double *partial, double *out, int parts, int width) {
    GRID_STRIDE(i, width) {
        double s = 0;
        for (int p = 0; p < parts; p++) s += partial[(i64)p * width + i];
        out[i] = s;
    }
}

__global__ void sum_partials_to_float(const double *partial, float *out, int parts, int width) {
    GRID_STRIDE(i, width) {
        double s = 0;
        for (int p = 0; p < parts; p++) s += partial[(i64)p * width + i];
        out[i] = (float)s;
    }
}

} /* extern "C" */
