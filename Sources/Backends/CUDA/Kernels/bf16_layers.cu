#include "prelude.cuh"

extern "C" {

/* ---- bf16 paths of batch norm, LRN, soft-max, cross-entropy and dropout (docs/precision.md):
   activations and their gradients read and written as bf16 bits; every sum, statistic,
   probability and the loss in float32 or double (point 6); each activation output and
   activation-input gradient rounded once, by bf16_round, after it is computed (point 3).
   The per-channel coefficient kernels (bn_forward_finalize, bn_inference_coefficients,
   bn_backward_coefficients, sum_partials) are the float32 ones: they read only statistics
   and γ, β as float32 values, which in bf16 are those of the bf16 copy (bf16_to_f32). ---- */

/* moment_partials on bf16 x: partial[part * 2C + c] = Σx, partial[part * 2C + C + c] = Σx², in double. */
__global__ void moment_partials_bf16(const bf16 *x, double *partial, i64 rows, int cols, i64 rows_per_part) {
    __shared__ double s1[8][33], s2[8][33];
    const int c = blockIdx.x * 32 + threadIdx.x;
    const i64 r0 = (i64)blockIdx.y * rows_per_part, r1 = min(rows, r0 + rows_per_part);
    double a = 0, b = 0;
    if (c < cols)
        for (i64 r = r0 + threadIdx.y; r < r1; r += 8) { const double v = bf16_value(x[r * cols + c]); a += v; b += v * v; }
    s1[threadIdx.y][threadIdx.x] = a; s2[threadIdx.y][threadIdx.x] = b;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        double t1 = 0, t2 = 0;
        for (int k = 0; k < 8; k++) { t1 += s1[k][threadIdx.x]; t2 += s2[k][threadIdx.x]; }
        partial[(i64)blockIdx.y * 2 * cols + c] = t1;
        partial[(i64)blockIdx.y * 2 * cols + cols + c] = t2;
    }
}

/* bn_backward_partials on bf16 x and dy: Σdy and Σdy·(x − mean), in double. */
__global__ void bn_backward_partials_bf16(const bf16 *x, const bf16 *dy, const double *mean, double *partial, i64 rows, int cols,
                                          i64 rows_per_part) {
    __shared__ double s1[8][33], s2[8][33];
    const int c = blockIdx.x * 32 + threadIdx.x;
    const i64 r0 = (i64)blockIdx.y * rows_per_part, r1 = min(rows, r0 + rows_per_part);
    double a = 0, b = 0;
    if (c < cols) {
        const double mu = mean[c];
        for (i64 r = r0 + threadIdx.y; r < r1; r += 8) {
            const double d = bf16_value(dy[r * cols + c]);
            a += d; b += d * ((double)bf16_value(x[r * cols + c]) - mu);
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

/* channel_affine on bf16: y = x·scale[c] + shift[c] in float32, rounded. */
__global__ void channel_affine_bf16(const bf16 *x, bf16 *y, const float *scale, const float *shift, i64 n, int C) {
    GRID_STRIDE(i, n) { const int c = (int)(i % C); y[i] = bf16_round(bf16_value(x[i]) * scale[c] + shift[c]); }
}

/* bn_backward_apply on bf16: dx = a[c]·dy + b[c]·x + d[c] in float32, rounded. */
__global__ void bn_backward_apply_bf16(const bf16 *x, const bf16 *dy, bf16 *dx, const float *a, const float *b, const float *d,
                                       i64 n, int C) {
    GRID_STRIDE(i, n) {
        const int c = (int)(i % C);
        dx[i] = bf16_round(a[c] * bf16_value(dy[i]) + b[c] * bf16_value(x[i]) + d[c]);
    }
}

/* lrn_denominator on bf16 values: k + α/size · Σ a_j² over the window of c, in double. */
__device__ __forceinline__ double lrn_denominator_bf16(const bf16 *a, int c, int C, int size, double alpha, double k) {
    double s = 0;
    const int j0 = max(0, c - size / 2), j1 = min(C - 1, c + (size - 1) / 2);
    for (int j = j0; j <= j1; j++) { const double v = bf16_value(a[j]); s += v * v; }
    return k + alpha / size * s;
}

/* lrn_forward on bf16: computed in double, rounded to float32 and then to bf16 (as the reference). */
__global__ void lrn_forward_bf16(const bf16 *x, bf16 *y, i64 n, int C, int size, float alpha, float beta, float k) {
    GRID_STRIDE(i, n) {
        const int c = (int)(i % C);
        const bf16 *a = x + (i - c);
        y[i] = bf16_round((float)((double)bf16_value(x[i]) * pow(lrn_denominator_bf16(a, c, C, size, alpha, k), -(double)beta)));
    }
}

/* lrn_backward on bf16 x and dy, dx rounded. */
__global__ void lrn_backward_bf16(const bf16 *x, const bf16 *dy, bf16 *dx, i64 n, int C, int size, float alpha, float beta,
                                  float k) {
    GRID_STRIDE(i, n) {
        const int j = (int)(i % C);
        const i64 base = i - j;
        const bf16 *a = x + base, *g = dy + base;
        const double b = beta;
        double s = 0;
        const int c0 = max(0, j - (size - 1) / 2), c1 = min(C - 1, j + size / 2);
        for (int c = c0; c <= c1; c++)
            s += (double)bf16_value(g[c]) * (double)bf16_value(a[c]) * pow(lrn_denominator_bf16(a, c, C, size, alpha, k), -b - 1);
        const double dj = lrn_denominator_bf16(a, j, C, size, alpha, k);
        dx[i] = bf16_round((float)((double)bf16_value(g[j]) * pow(dj, -b) - 2 * (double)alpha * b / size * (double)bf16_value(a[j]) * s));
    }
}

/* softmax_rows reading bf16 logits; the probabilities stay float32 (point 6). One warp per row. */
__global__ void softmax_rows_bf16(const bf16 *z, float *p, int n, int k) {
    const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= n) return;
    const bf16 *zr = z + (i64)row * k;
    float m = -__int_as_float(0x7f800000);
    for (int j = lane; j < k; j += 32) m = fmaxf(m, bf16_value(zr[j]));
    m = warp_max(m);
    double s = 0;
    for (int j = lane; j < k; j += 32) s += exp((double)bf16_value(zr[j]) - (double)m);
    s = warp_sum(s);
    for (int j = lane; j < k; j += 32) p[(i64)row * k + j] = (float)(exp((double)bf16_value(zr[j]) - (double)m) / s);
}

/* softmax_cross_entropy reading bf16 logits: probabilities, loss and the count of correct rows
   float32 (point 6). One block of 1024 threads, warps taking rows in turn. */
__global__ void softmax_cross_entropy_bf16(const bf16 *z, const float *labels, float smoothing, float *p, float *stats, int n,
                                           int k) {
    __shared__ double losses[32];
    __shared__ int hits[32];
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, warps = blockDim.x / 32;
    double loss_sum = 0;
    int correct = 0;
    const double eps = smoothing;
    for (int row = warp; row < n; row += warps) {
        const bf16 *zr = z + (i64)row * k;
        float *pr = p + (i64)row * k;
        float m = -__int_as_float(0x7f800000);
        for (int j = lane; j < k; j += 32) m = fmaxf(m, bf16_value(zr[j]));
        m = warp_max(m);
        double s = 0, zsum = 0;
        for (int j = lane; j < k; j += 32) { const double v = bf16_value(zr[j]); s += exp(v - (double)m); zsum += v; }
        s = warp_sum(s);
        zsum = warp_sum(zsum);
        const double lse = (double)m + log(s);
        float best = -__int_as_float(0x7f800000);
        int best_at = k;
        for (int j = lane; j < k; j += 32) {
            const float q = (float)(exp((double)bf16_value(zr[j]) - (double)m) / s);
            pr[j] = q;
            if (q > best) { best = q; best_at = j; }
        }
        for (int o = 16; o > 0; o >>= 1) {
            const float ob = __shfl_xor_sync(0xffffffffu, best, o);
            const int oa = __shfl_xor_sync(0xffffffffu, best_at, o);
            if (ob > best || (ob == best && oa < best_at)) { best = ob; best_at = oa; }
        }
        const float lf = labels[row];
        const int label = (int)lf;
        if (lane == 0) {
            if (!(lf >= 0) || label >= k) {
                loss_sum += __longlong_as_double(0x7ff8000000000000LL);
            } else {
                loss_sum += (1 - eps) * (lse - (double)bf16_value(zr[label])) + eps * ((double)k * lse - zsum) / k;
                if (best_at == label) correct++;
            }
        }
    }
    if (lane == 0) { losses[warp] = loss_sum; hits[warp] = correct; }
    __syncthreads();
    if (threadIdx.x == 0) {
        double total = 0;
        int hit = 0;
        for (int w = 0; w < warps; w++) { total += losses[w]; hit += hits[w]; }
        stats[0] = (float)(total / (n > 0 ? n : 1));
        stats[1] = (float)hit;
    }
}

/* dropout_forward on bf16: the same Philox mask (float32: 0 or the scale), y = x·keep in float32,
   rounded (point 5: the scale's product is rounded per point 3). */
__global__ void dropout_forward_bf16(const bf16 *x, bf16 *y, float *mask, i64 samples, i64 per_sample, float p, float scale,
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
            y[e] = bf16_round(bf16_value(x[e]) * keep);
        }
    }
}

/* dropout's backward on a bf16 gradient: g = g·m in float32, rounded. */
__global__ void multiply_in_place_bf16(bf16 *g, const float *m, i64 n) {
    GRID_STRIDE(i, n) { g[i] = bf16_round(bf16_value(g[i]) * m[i]); }
}

} /* extern "C" */
