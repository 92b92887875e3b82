/// The element-wise, pooling, normalisation and loss kernels of the `cuda` backend, in CUDA
/// C++, compiled for the device by NVRTC when the backend starts (no CUDA toolkit is needed
/// to build `vgg`). Convolutions and matrix products are cuDNN's and cuBLAS's.
///
/// Each kernel follows the definition the `reference` backend implements (same window
/// bounds, same tie and NaN rules, same Philox masks, sums in double where the reference
/// sums in double), so results agree to rounding. Activations are NHWC. Reductions over
/// channels are two-pass and deterministic: per-block partial sums in double, then one
/// thread per channel adds the partials in a fixed order.
enum CUDAKernelSource {
    static let text = #"""
typedef long long i64;
typedef unsigned long long u64;

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

/* y[r, c] += b[c] over a row-major [rows, cols] matrix (NHWC: rows are pixels). */
__global__ void bias_add(float *y, const float *b, i64 rows, int cols) {
    GRID_STRIDE(i, rows * cols) { y[i] += b[i % cols]; }
}

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

/* ---- batch normalisation (per channel c of NHWC) ---- */

/* From sums = [Σx (C), Σx² (C)] over `count` values: the batch mean and biased variance,
   y = x·scale + shift coefficients, and (update_running) PyTorch's running statistics. */
__global__ void bn_forward_finalize(const double *sums, double count, float epsilon, float momentum, int update_running,
                                    const float *gamma, const float *beta, float *running_mean, float *running_variance,
                                    double *mean_out, double *invstd_out, float *scale, float *shift, int C) {
    GRID_STRIDE(c, C) {
        const double mean = sums[c] / count;
        double variance = sums[C + c] / count - mean * mean;
        if (variance < 0) variance = 0;
        const double invstd = 1.0 / sqrt(variance + (double)epsilon);
        mean_out[c] = mean;
        invstd_out[c] = invstd;
        const double k = (double)gamma[c] * invstd;
        scale[c] = (float)k;
        shift[c] = (float)((double)beta[c] - mean * k);
        if (update_running) {
            const double m = momentum, unbias = count > 1 ? count / (count - 1) : 1.0;
            running_mean[c] = (float)((1 - m) * (double)running_mean[c] + m * mean);
            running_variance[c] = (float)((1 - m) * (double)running_variance[c] + m * variance * unbias);
        }
    }
}

__global__ void bn_inference_coefficients(const float *gamma, const float *beta, const float *running_mean,
                                          const float *running_variance, float epsilon, float *scale, float *shift, int C) {
    GRID_STRIDE(c, C) {
        const double k = (double)gamma[c] / sqrt((double)running_variance[c] + (double)epsilon);
        scale[c] = (float)k;
        shift[c] = (float)((double)beta[c] - (double)running_mean[c] * k);
    }
}

/* y = x·scale[c] + shift[c]; also dx = a[c]·dy + b[c]·x + d[c] below. */
__global__ void channel_affine(const float *x, float *y, const float *scale, const float *shift, i64 n, int C) {
    GRID_STRIDE(i, n) { const int c = (int)(i % C); y[i] = x[i] * scale[c] + shift[c]; }
}

/* dgamma = Σdy·x̂, dbeta = Σdy from sums = [Σdy (C), Σdy·(x − mean) (C)]. */
__global__ void bn_parameter_gradients(const double *sums, const double *invstd, float *dgamma, float *dbeta, int C) {
    GRID_STRIDE(c, C) {
        dbeta[c] = (float)sums[c];
        dgamma[c] = (float)(sums[C + c] * invstd[c]);
    }
}

/* dx = γ·invstd·(dy − Σdy/M − x̂·Σdy·x̂/M) written as a·dy + b·x + d. */
__global__ void bn_backward_coefficients(const double *sums, const double *mean, const double *invstd, const float *gamma,
                                         double count, float *a, float *b, float *d, int C) {
    GRID_STRIDE(c, C) {
        const double k = (double)gamma[c] * invstd[c];
        const double mean_dy = sums[c] / count, mean_dy_xhat = sums[C + c] * invstd[c] / count;
        a[c] = (float)k;
        b[c] = (float)(-k * invstd[c] * mean_dy_xhat);
        d[c] = (float)(-k * mean_dy + k * invstd[c] * mean[c] * mean_dy_xhat);
    }
}

__global__ void bn_backward_apply(const float *x, const float *dy, float *dx, const float *a, const float *b, const float *d,
                                  i64 n, int C) {
    GRID_STRIDE(i, n) { const int c = (int)(i % C); dx[i] = a[c] * dy[i] + b[c] * x[i] + d[c]; }
}

/* ---- pooling (NHWC) ---- */

/* PyTorch's rule: a value wins if it is larger or NaN, so the first maximum wins ties.
   winner: the input's spatial index h·W + w, or -1 for an empty window. */
__global__ void max_pool_forward(const float *x, float *y, int *winner, int N, int C, int H, int W, int OH, int OW,
                                 int k, int stride, int pad) {
    GRID_STRIDE(i, (i64)N * OH * OW * C) {
        const int c = (int)(i % C); i64 r = i / C;
        const int ow = (int)(r % OW); r /= OW;
        const int oh = (int)(r % OH); const i64 n = r / OH;
        float best = -__int_as_float(0x7f800000);
        int at = -1;
        for (int di = 0; di < k; di++) {
            const int hi = oh * stride - pad + di;
            if (hi < 0 || hi >= H) continue;
            for (int dj = 0; dj < k; dj++) {
                const int wi = ow * stride - pad + dj;
                if (wi < 0 || wi >= W) continue;
                const float v = x[((n * H + hi) * W + wi) * C + c];
                if (v > best || isnan(v)) { best = v; at = hi * W + wi; }
            }
        }
        y[i] = best;
        winner[i] = at;
    }
}

/* dx at each input: the sum of dy over the windows it won, windows in row-major order. */
__global__ void max_pool_backward(const float *dy, const int *winner, float *dx, int N, int C, int H, int W, int OH, int OW,
                                  int k, int stride, int pad) {
    GRID_STRIDE(i, (i64)N * H * W * C) {
        const int c = (int)(i % C); i64 r = i / C;
        const int wi = (int)(r % W); r /= W;
        const int hi = (int)(r % H); const i64 n = r / H;
        const int here = hi * W + wi;
        int oh0 = hi + pad - k + 1; oh0 = oh0 <= 0 ? 0 : (oh0 + stride - 1) / stride;
        int ow0 = wi + pad - k + 1; ow0 = ow0 <= 0 ? 0 : (ow0 + stride - 1) / stride;
        const int oh1 = min(OH - 1, (hi + pad) / stride), ow1 = min(OW - 1, (wi + pad) / stride);
        float s = 0.0f;
        for (int oh = oh0; oh <= oh1; oh++)
            for (int ow = ow0; ow <= ow1; ow++) {
                const i64 o = ((n * OH + oh) * OW + ow) * C + c;
                if (winner[o] == here) s += dy[o];
            }
        dx[i] = s;
    }
}

/* PyTorch's adaptive bins: rows floor(i·H/OH) ..< ceil((i+1)·H/OH). */
__global__ void adaptive_average_forward(const float *x, float *y, int N, int C, int H, int W, int OH, int OW) {
    GRID_STRIDE(i, (i64)N * OH * OW * C) {
        const int c = (int)(i % C); i64 r = i / C;
        const int ow = (int)(r % OW); r /= OW;
        const int oh = (int)(r % OH); const i64 n = r / OH;
        const int h0 = oh * H / OH, h1 = ((oh + 1) * H + OH - 1) / OH;
        const int w0 = ow * W / OW, w1 = ((ow + 1) * W + OW - 1) / OW;
        double s = 0;
        for (int hi = h0; hi < h1; hi++)
            for (int wi = w0; wi < w1; wi++) s += x[((n * H + hi) * W + wi) * C + c];
        y[i] = (float)(s / ((h1 - h0) * (w1 - w0)));
    }
}

__global__ void adaptive_average_backward(const float *dy, float *dx, int N, int C, int H, int W, int OH, int OW) {
    GRID_STRIDE(i, (i64)N * H * W * C) {
        const int c = (int)(i % C); i64 r = i / C;
        const int wi = (int)(r % W); r /= W;
        const int hi = (int)(r % H); const i64 n = r / H;
        double s = 0;
        for (int oh = 0; oh < OH; oh++) {
            const int h0 = oh * H / OH, h1 = ((oh + 1) * H + OH - 1) / OH;
            if (hi < h0 || hi >= h1) continue;
            for (int ow = 0; ow < OW; ow++) {
                const int w0 = ow * W / OW, w1 = ((ow + 1) * W + OW - 1) / OW;
                if (wi < w0 || wi >= w1) continue;
                s += (double)dy[((n * OH + oh) * OW + ow) * C + c] / (double)((h1 - h0) * (w1 - w0));
            }
        }
        dx[i] = (float)s;
    }
}

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

/* ---- soft-max and cross-entropy: one warp per row ---- */

__global__ void softmax_rows(const float *z, float *p, int n, int k) {
    const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= n) return;
    const float *zr = z + (i64)row * k;
    float m = -__int_as_float(0x7f800000);
    for (int j = lane; j < k; j += 32) m = fmaxf(m, zr[j]);
    m = warp_max(m);
    double s = 0;
    for (int j = lane; j < k; j += 32) s += exp((double)zr[j] - (double)m);
    s = warp_sum(s);
    for (int j = lane; j < k; j += 32) p[(i64)row * k + j] = (float)(exp((double)zr[j] - (double)m) / s);
}

/* One block of 1024 threads: warps take rows in turn. stats[0] = mean loss, stats[1] = rows whose first
   largest probability is at the label. A label outside 0..<k makes the loss NaN. */
__global__ void softmax_cross_entropy(const float *z, const float *labels, float smoothing, float *p, float *stats, int n, int k) {
    __shared__ double losses[32];
    __shared__ int hits[32];
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, warps = blockDim.x / 32;
    double loss_sum = 0;
    int correct = 0;
    const double eps = smoothing;
    for (int row = warp; row < n; row += warps) {
        const float *zr = z + (i64)row * k;
        float *pr = p + (i64)row * k;
        float m = -__int_as_float(0x7f800000);
        for (int j = lane; j < k; j += 32) m = fmaxf(m, zr[j]);
        m = warp_max(m);
        double s = 0, zsum = 0;
        for (int j = lane; j < k; j += 32) { s += exp((double)zr[j] - (double)m); zsum += zr[j]; }
        s = warp_sum(s);
        zsum = warp_sum(zsum);
        const double lse = (double)m + log(s);
        float best = -__int_as_float(0x7f800000);
        int best_at = k;
        for (int j = lane; j < k; j += 32) {
            const float q = (float)(exp((double)zr[j] - (double)m) / s);
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
                loss_sum += (1 - eps) * (lse - (double)zr[label]) + eps * ((double)k * lse - zsum) / k;
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

__global__ void softmax_cross_entropy_backward(const float *p, const float *labels, float smoothing, double normalizer, float *g,
                                               int n, int k) {
    GRID_STRIDE(i, (i64)n * k) {
        const int j = (int)(i % k), label = (int)labels[i / k];
        const double eps = smoothing;
        const double target = (j == label ? 1 - eps : 0) + eps / k;
        g[i] = (float)(((double)p[i] - target) / normalizer);
    }
}

/* ---- SGD with momentum and weight decay, PyTorch's update, over one segment ---- */
__global__ void sgd_update(float *w, const float *g, float *b, i64 offset, i64 count, float lr, float weight_decay,
                           float momentum, float dampening, int nesterov, int first_step) {
    GRID_STRIDE(t, count) {
        const i64 e = offset + t;
        const float d = g[e] + weight_decay * w[e];
        if (momentum == 0.0f) { w[e] = w[e] - lr * d; continue; }
        const float m = first_step ? d : momentum * b[e] + (1 - dampening) * d;
        b[e] = m;
        w[e] = w[e] - lr * (nesterov ? d + momentum * m : m);
    }
}

} /* extern "C" */
"""#
}
