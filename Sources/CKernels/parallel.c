#include "parallel.h"

/* libgomp's entry points (GCC's `#pragma omp parallel` lowers to GOMP_parallel). */
extern void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
extern int omp_get_thread_num(void);
extern int omp_get_num_threads(void);
extern int omp_get_max_threads(void);

typedef struct { vgg_range_body body; const void *ctx; long count; } parallel_job;

static void parallel_trampoline(void *p) {
    const parallel_job *job = p;
    long nt = omp_get_num_threads(), id = omp_get_thread_num();
    long b = job->count * id / nt, e = job->count * (id + 1) / nt;
    if (b < e) job->body(job->ctx, b, e);
}

int vgg_parallel_threads(void) { return omp_get_max_threads(); }

void vgg_parallel_for(long count, vgg_range_body body, const void *ctx) {
    if (count <= 0) return;
    long threads = omp_get_max_threads();
    if (count == 1 || threads <= 1) { body(ctx, 0, count); return; }
    parallel_job job = { body, ctx, count };
    GOMP_parallel(parallel_trampoline, &job, (unsigned)(count < threads ? count : threads), 0);
}
