#include "prelude.cuh"

extern "C" {

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

} /* extern "C" */
