#include "prelude.cuh"

extern "C" {

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

} /* extern "C" */
