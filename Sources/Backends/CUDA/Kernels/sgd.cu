#include "prelude.cuh"

extern "C" {

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
