#ifndef VGG_CUDA_H
#define VGG_CUDA_H
/*
 * NVIDIA's libraries loaded at run time with dlopen, so that `vgg` needs no CUDA toolkit to
 * build and starts on machines without a GPU: the driver (libcuda.so.1), cuBLAS
 * (libcublas.so.13, else .12), cuDNN (libcudnn.so.9) and NVRTC (libnvrtc.so.13, else .12),
 * which compiles the element-wise kernels for the device at start. The CUDA runtime
 * (libcudart) is not needed: memory, streams, modules and launches go through the driver
 * API, and cuBLAS and cuDNN run on the driver's primary context, which is what the runtime
 * would use too.
 *
 * The prototypes used are declared here by hand (opaque handles as pointers, enums as int),
 * from the libraries' documented C APIs. One process drives one device: the state (context,
 * stream, library handles, compiled module) is process-wide, set up by `vgg_cuda_open`.
 *
 * Every call returns 0 on success; on failure it returns non-zero and
 * `vgg_cuda_last_error()` names the library call and the library's own message.
 */
#include <stddef.h>
#include <stdint.h>

/** The message of the last failing call on this thread. */
const char *vgg_cuda_last_error(void);

/** What `vgg_cuda_open` found. */
typedef struct {
    char name[256];
    int ordinal, device_count;
    int major, minor, multiprocessors;
    size_t total_memory;
    int driver_version, cudnn_version, cublas_version, nvrtc_major, nvrtc_minor;
} vgg_cuda_device_info;

/** Loads the libraries, initialises the driver, makes device `ordinal`'s primary context
 *  current, and creates the stream and the cuBLAS and cuDNN handles. Idempotent for the same
 *  ordinal; a different ordinal after a successful open fails. */
int vgg_cuda_open(int ordinal, vgg_cuda_device_info *info);
/** Makes the context current on the calling thread (cheap; call at every entry point). */
void vgg_cuda_make_current(void);

/* Memory (device pointers are passed as void *). */
int vgg_cuda_malloc(void **pointer, size_t bytes);
int vgg_cuda_free(void *pointer);
int vgg_cuda_host_alloc(void **pointer, size_t bytes);  /* pinned host memory */
int vgg_cuda_host_free(void *pointer);
int vgg_cuda_memory_info(size_t *free_bytes, size_t *total_bytes);
/** Sets `count` 32-bit words at `pointer` to `value` (stream-ordered). */
int vgg_cuda_memset32(void *pointer, uint32_t value, size_t count);
/** Stream-ordered copies; host→device from pinned memory returns before the copy is done. */
int vgg_cuda_copy_to_device(void *device, const void *host, size_t bytes);
/** Device→host: returns when the bytes are on the host (waits for the work queued before). */
int vgg_cuda_copy_to_host(void *host, const void *device, size_t bytes);
int vgg_cuda_copy_device(void *destination, const void *source, size_t bytes);
/** Waits until everything queued on the stream has run. */
int vgg_cuda_synchronize(void);

/* Events on the stream (pinned staging buffers, timing). */
int vgg_cuda_event_create(void **event);
int vgg_cuda_event_record(void *event);
int vgg_cuda_event_wait(void *event);
int vgg_cuda_event_elapsed(float *milliseconds, void *start, void *end);

/* Kernels: NVRTC compiles `source` for the device (cubin for sm_<major><minor>); the log of a
 *  failed compilation is in the last error. Functions are looked up by their extern "C" name. */
int vgg_cuda_compile(const char *source, const char *name);
int vgg_cuda_function(void **function, const char *name);
/** cuLaunchKernel on the stream; `arguments` points at each argument's value. */
int vgg_cuda_launch(void *function, unsigned grid_x, unsigned grid_y, unsigned grid_z,
                    unsigned block_x, unsigned block_y, unsigned block_z, unsigned shared_bytes, void **arguments);

/* cuBLAS, column-major as cuBLAS is. `math`: 0 plain fp32 FMA, 1 TF32 tensor cores. */
int vgg_cublas_set_math(int math);
/** C = alpha·op(A)·op(B) + beta·C, `transpose_a/b` 0 or 1. */
int vgg_cublas_sgemm(int transpose_a, int transpose_b, int m, int n, int k, float alpha,
                     const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* cuDNN convolutions on NHWC activations and KRSC (channels-last) filters. */
typedef struct vgg_conv_plan vgg_conv_plan;
/** Creates the descriptors; with an algorithm of -1 runs cuDNN's search (which times every
 *  algorithm on the device) for that direction and keeps the fastest that fits in
 *  `workspace_limit` bytes. `math`: 0 fp32 (no tensor cores), 1 TF32. */
int vgg_conv_plan_create(vgg_conv_plan **plan, int n, int c, int h, int w, int k, int r, int s,
                         int stride, int padding, int math, size_t workspace_limit,
                         const int algorithms[3], const size_t workspaces[3], int need_backward_data);
void vgg_conv_plan_destroy(vgg_conv_plan *plan);
/** The algorithms chosen (forward, backward data, backward filter, each as algorithm + 100 × cuDNN math type,
 *  the form the create call takes back; -1 where not planned)
 *  and the workspace bytes the plan needs. */
void vgg_conv_plan_algorithms(const vgg_conv_plan *plan, int algorithms[3], size_t workspaces[3], size_t *workspace_bytes);
int vgg_conv_forward(vgg_conv_plan *plan, const float *x, const float *filter, float *y, void *workspace, size_t workspace_bytes);
int vgg_conv_backward_data(vgg_conv_plan *plan, const float *filter, const float *dy, float *dx, void *workspace, size_t workspace_bytes);
int vgg_conv_backward_filter(vgg_conv_plan *plan, const float *x, const float *dy, float *dfilter, void *workspace, size_t workspace_bytes);

#endif
