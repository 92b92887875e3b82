#include "prelude.cuh"

extern "C" {

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

} /* extern "C" */
