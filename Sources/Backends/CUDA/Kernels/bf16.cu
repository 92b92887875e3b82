#include "prelude.cuh"

extern "C" {

/* ---- bf16 mixed precision (docs/precision.md): activations and weight copies stored as bf16
   bits, every rounding bf16_round; master weights, momentum and gradients of parameters fp32 ---- */

__global__ void f32_to_bf16(const float *x, bf16 *y, i64 n) {
    GRID_STRIDE(i, n) { y[i] = bf16_round(x[i]); }
}

__global__ void bf16_to_f32(const bf16 *x, float *y, i64 n) {
    GRID_STRIDE(i, n) { y[i] = bf16_value(x[i]); }
}

/* Point 7: sgd_update's step on the fp32 master and momentum, then the bf16 copy the next
   forward pass reads. */
__global__ void sgd_update_bf16(float *w, const float *g, float *b, bf16 *copy, i64 offset, i64 count, float lr,
                                float weight_decay, float momentum, float dampening, int nesterov, int first_step) {
    GRID_STRIDE(t, count) {
        const i64 e = offset + t;
        const float d = g[e] + weight_decay * w[e];
        float next;
        if (momentum == 0.0f) {
            next = w[e] - lr * d;
        } else {
            const float m = first_step ? d : momentum * b[e] + (1 - dampening) * d;
            b[e] = m;
            next = w[e] - lr * (nesterov ? d + momentum * m : m);
        }
        w[e] = next;
        copy[e] = bf16_round(next);
    }
}

/* Point 5: the outputs are inputs or zero, so no rounding. NaN kept, −0 kept (as relu_forward). */
__global__ void relu_forward_bf16(bf16 *x, i64 n) {
    GRID_STRIDE(i, n) { if (bf16_value(x[i]) < 0.0f) x[i] = 0; }
}

__global__ void relu_backward_bf16(const bf16 *y, bf16 *g, i64 n) {
    GRID_STRIDE(i, n) { if (!(bf16_value(y[i]) > 0.0f)) g[i] = 0; }
}

/* max_pool_forward on bf16 (the winner's own bits; −∞ for an empty window). */
__global__ void max_pool_forward_bf16(const bf16 *x, bf16 *y, int *winner, int N, int C, int H, int W, int OH, int OW,
                                      int k, int stride, int pad) {
    GRID_STRIDE(i, (i64)N * OH * OW * C) {
        const int c = (int)(i % C); i64 r = i / C;
        const int ow = (int)(r % OW); r /= OW;
        const int oh = (int)(r % OH); const i64 n = r / OH;
        float best = -__int_as_float(0x7f800000);
        bf16 best_bits = 0xFF80;
        int at = -1;
        for (int di = 0; di < k; di++) {
            const int hi = oh * stride - pad + di;
            if (hi < 0 || hi >= H) continue;
            for (int dj = 0; dj < k; dj++) {
                const int wi = ow * stride - pad + dj;
                if (wi < 0 || wi >= W) continue;
                const bf16 h = x[((n * H + hi) * W + wi) * C + c];
                const float v = bf16_value(h);
                if (v > best || isnan(v)) { best = v; best_bits = h; at = hi * W + wi; }
            }
        }
        y[i] = best_bits;
        winner[i] = at;
    }
}

/* max_pool_backward on bf16: the sum over the windows won in double, rounded once (point 3). */
__global__ void max_pool_backward_bf16(const bf16 *dy, const int *winner, bf16 *dx, int N, int C, int H, int W, int OH,
                                       int OW, int k, int stride, int pad) {
    GRID_STRIDE(i, (i64)N * H * W * C) {
        const int c = (int)(i % C); i64 r = i / C;
        const int wi = (int)(r % W); r /= W;
        const int hi = (int)(r % H); const i64 n = r / H;
        const int here = hi * W + wi;
        int oh0 = hi + pad - k + 1; oh0 = oh0 <= 0 ? 0 : (oh0 + stride - 1) / stride;
        int ow0 = wi + pad - k + 1; ow0 = ow0 <= 0 ? 0 : (ow0 + stride - 1) / stride;
        const int oh1 = min(OH - 1, (hi + pad) / stride), ow1 = min(OW - 1, (wi + pad) / stride);
        double s = 0;
        for (int oh = oh0; oh <= oh1; oh++)
            for (int ow = ow0; ow <= ow1; ow++) {
                const i64 o = ((n * OH + oh) * OW + ow) * C + c;
                if (winner[o] == here) s += (double)bf16_value(dy[o]);
            }
        dx[i] = bf16_round((float)s);
    }
}

/* softmax_cross_entropy_backward writing the bf16 logits' gradient (points 6 and 3). */
__global__ void softmax_cross_entropy_backward_bf16(const float *p, const float *labels, float smoothing, double normalizer,
                                                    bf16 *g, int n, int k) {
    GRID_STRIDE(i, (i64)n * k) {
        const int j = (int)(i % k), label = (int)labels[i / k];
        const double eps = smoothing;
        const double target = (j == label ? 1 - eps : 0) + eps / k;
        g[i] = bf16_round((float)(((double)p[i] - target) / normalizer));
    }
}

} /* extern "C" */
