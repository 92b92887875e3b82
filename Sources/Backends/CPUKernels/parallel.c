#include "parallel.h"

/* libgomp's entry points (GCC's `#pragma omp parallel` lowers to GOMP_parallel). */
extern void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
extern int omp_get_thread_num(void);
extern int omp_get_num_threads(void);
extern int omp_get_max_threads(void);

/* ThreadSanitizer cannot see libgomp's own synchronisation (futex barriers in a library
 * built without it), so under TSan each loop's fork and join are declared to it: what the
 * caller wrote before the loop happens before every range, and every range before what the
 * caller does after it. Races between ranges are still reported. No code in other builds. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VGG_TSAN_EDGES 1
#endif
#endif
#ifdef VGG_TSAN_EDGES
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define HAPPENS_AFTER(p) __tsan_acquire(p)
#define HAPPENS_BEFORE(p) __tsan_release(p)
#else
#define HAPPENS_AFTER(p) ((void)0)
#define HAPPENS_BEFORE(p) ((void)0)
#endif

typedef struct { vgg_range_body body; const void *ctx; long count; char fork, join; } parallel_job;

static void parallel_trampoline(void *p) {
    parallel_job *job = p;
    HAPPENS_AFTER(&job->fork);
    long nt = omp_get_num_threads(), id = omp_get_thread_num();
    long b = job->count * id / nt, e = job->count * (id + 1) / nt;
    if (b < e) job->body(job->ctx, b, e);
    HAPPENS_BEFORE(&job->join);
}

int vgg_parallel_threads(void) { return omp_get_max_threads(); }

void vgg_parallel_for(long count, vgg_range_body body, const void *ctx) {
    if (count <= 0) return;
    long threads = omp_get_max_threads();
    if (count == 1 || threads <= 1) { body(ctx, 0, count); return; }
    parallel_job job = { body, ctx, count, 0, 0 };
    HAPPENS_BEFORE(&job.fork);
    GOMP_parallel(parallel_trampoline, &job, (unsigned)(count < threads ? count : threads), 0);
    HAPPENS_AFTER(&job.join);
}
