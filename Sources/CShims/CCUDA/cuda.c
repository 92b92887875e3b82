/* NVIDIA's libraries loaded at run time; see vgg_cuda.h. */
#include "vgg_cuda.h"
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef void *handle;

static _Thread_local char last_error[4096];

static void fail(const char *format, ...) {
    va_list list;
    va_start(list, format);
    vsnprintf(last_error, sizeof last_error, format, list);
    va_end(list);
}

const char *vgg_cuda_last_error(void) { return last_error; }

/* ---- the driver ---- */
static CUresult (*cuInit_)(unsigned);
static CUresult (*cuDriverGetVersion_)(int *);
static CUresult (*cuDeviceGet_)(CUdevice *, int);
static CUresult (*cuDeviceGetCount_)(int *);
static CUresult (*cuDeviceGetName_)(char *, int, CUdevice);
static CUresult (*cuDeviceGetAttribute_)(int *, int, CUdevice);
static CUresult (*cuDeviceTotalMem_)(size_t *, CUdevice);
static CUresult (*cuDevicePrimaryCtxRetain_)(handle *, CUdevice);
static CUresult (*cuCtxSetCurrent_)(handle);
static CUresult (*cuGetErrorString_)(CUresult, const char **);
static CUresult (*cuMemAlloc_)(CUdeviceptr *, size_t);
static CUresult (*cuMemFree_)(CUdeviceptr);
static CUresult (*cuMemHostAlloc_)(void **, size_t, unsigned);
static CUresult (*cuMemFreeHost_)(void *);
static CUresult (*cuMemGetInfo_)(size_t *, size_t *);
static CUresult (*cuMemsetD32Async_)(CUdeviceptr, unsigned, size_t, handle);
static CUresult (*cuMemcpyHtoDAsync_)(CUdeviceptr, const void *, size_t, handle);
static CUresult (*cuMemcpyDtoHAsync_)(void *, CUdeviceptr, size_t, handle);
static CUresult (*cuMemcpyDtoDAsync_)(CUdeviceptr, CUdeviceptr, size_t, handle);
static CUresult (*cuStreamCreate_)(handle *, unsigned);
static CUresult (*cuStreamSynchronize_)(handle);
static CUresult (*cuEventCreate_)(handle *, unsigned);
static CUresult (*cuEventRecord_)(handle, handle);
static CUresult (*cuEventSynchronize_)(handle);
static CUresult (*cuEventElapsedTime_)(float *, handle, handle);
static CUresult (*cuModuleLoadData_)(handle *, const void *);
static CUresult (*cuModuleGetFunction_)(handle *, handle, const char *);
static CUresult (*cuLaunchKernel_)(handle, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, handle,
                                   void **, void **);

/* ---- NVRTC ---- */
static int (*nvrtcVersion_)(int *, int *);
static int (*nvrtcCreateProgram_)(handle *, const char *, const char *, int, const char *const *, const char *const *);
static int (*nvrtcCompileProgram_)(handle, int, const char *const *);
static int (*nvrtcGetProgramLogSize_)(handle, size_t *);
static int (*nvrtcGetProgramLog_)(handle, char *);
static int (*nvrtcGetCUBINSize_)(handle, size_t *);
static int (*nvrtcGetCUBIN_)(handle, char *);
static int (*nvrtcDestroyProgram_)(handle *);
static const char *(*nvrtcGetErrorString_)(int);

/* ---- cuBLAS ---- */
static int (*cublasCreate_)(handle *);
static int (*cublasSetStream_)(handle, handle);
static int (*cublasSetMathMode_)(handle, int);
static int (*cublasGetVersion_)(handle, int *);
static int (*cublasSgemm_)(handle, int, int, int, int, int, const float *, const float *, int, const float *, int,
                           const float *, float *, int);
static const char *(*cublasGetStatusString_)(int);

/* ---- cuDNN (legacy convolution API, exported by cuDNN 9) ---- */
typedef struct {
    int algo, status;
    float time;
    size_t memory;
    int determinism, math_type;
    int reserved[3];
} algorithm_performance; /* cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t */

static size_t (*cudnnGetVersion_)(void);
static const char *(*cudnnGetErrorString_)(int);
static int (*cudnnCreate_)(handle *);
static int (*cudnnSetStream_)(handle, handle);
static int (*cudnnCreateTensorDescriptor_)(handle *);
static int (*cudnnSetTensor4dDescriptor_)(handle, int, int, int, int, int, int);
static int (*cudnnDestroyTensorDescriptor_)(handle);
static int (*cudnnCreateFilterDescriptor_)(handle *);
static int (*cudnnSetFilter4dDescriptor_)(handle, int, int, int, int, int, int);
static int (*cudnnDestroyFilterDescriptor_)(handle);
static int (*cudnnCreateConvolutionDescriptor_)(handle *);
static int (*cudnnSetConvolution2dDescriptor_)(handle, int, int, int, int, int, int, int, int);
static int (*cudnnSetConvolutionMathType_)(handle, int);
static int (*cudnnDestroyConvolutionDescriptor_)(handle);
static int (*cudnnFindConvolutionForwardAlgorithm_)(handle, handle, handle, handle, handle, int, int *, algorithm_performance *);
static int (*cudnnFindConvolutionBackwardDataAlgorithm_)(handle, handle, handle, handle, handle, int, int *,
                                                         algorithm_performance *);
static int (*cudnnFindConvolutionBackwardFilterAlgorithm_)(handle, handle, handle, handle, handle, int, int *,
                                                           algorithm_performance *);
static int (*cudnnConvolutionForward_)(handle, const void *, handle, const void *, handle, const void *, handle, int, void *,
                                       size_t, const void *, handle, void *);
static int (*cudnnConvolutionBackwardData_)(handle, const void *, handle, const void *, handle, const void *, handle, int,
                                            void *, size_t, const void *, handle, void *);
static int (*cudnnConvolutionBackwardFilter_)(handle, const void *, handle, const void *, handle, const void *, handle, int,
                                              void *, size_t, const void *, handle, void *);

enum { CUDNN_TENSOR_NHWC = 1, CUDNN_DATA_FLOAT = 0, CUDNN_CROSS_CORRELATION = 1,
       CUDNN_DEFAULT_MATH = 0, CUDNN_FMA_MATH = 3 };
enum { CUBLAS_DEFAULT_MATH = 0, CUBLAS_TF32_TENSOR_OP_MATH = 3 };

/* ---- process-wide state ---- */
static int opened = -1; /* the ordinal opened, -1 before */
static handle context, stream, cublas, cudnn, module;
static vgg_cuda_device_info opened_info;

static int driver_check(CUresult r, const char *call) {
    if (r == 0) return 0;
    const char *text = NULL;
    if (cuGetErrorString_) cuGetErrorString_(r, &text);
    fail("%s failed: error %d (%s)", call, r, text ? text : "unknown");
    return r;
}
#define DRIVER(call, name) do { int r_ = driver_check((call), name); if (r_) return r_; } while (0)

static int cudnn_check(int r, const char *call) {
    if (r == 0) return 0;
    fail("%s failed: cuDNN status %d (%s)", call, r, cudnnGetErrorString_ ? cudnnGetErrorString_(r) : "?");
    return r;
}
#define CUDNN(call, name) do { int r_ = cudnn_check((call), name); if (r_) return r_; } while (0)

static int cublas_check(int r, const char *call) {
    if (r == 0) return 0;
    fail("%s failed: cuBLAS status %d (%s)", call, r, cublasGetStatusString_ ? cublasGetStatusString_(r) : "?");
    return r;
}

/* dlopen of the first of `names` that loads, in the directories of $VGG_CUDA_LIBRARY_PATH
 * first, then by the dynamic linker's search. */
static void *open_library(const char *const *names, char *tried, size_t length) {
    const char *path = getenv("VGG_CUDA_LIBRARY_PATH");
    for (const char *const *n = names; *n; n++) {
        if (path && *path) {
            char copy[4096];
            snprintf(copy, sizeof copy, "%s", path);
            for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                char full[4600];
                snprintf(full, sizeof full, "%s/%s", dir, *n);
                void *h = dlopen(full, RTLD_NOW | RTLD_GLOBAL);
                if (h) return h;
            }
        }
        void *h = dlopen(*n, RTLD_NOW | RTLD_GLOBAL);
        if (h) return h;
        size_t used = strlen(tried);
        snprintf(tried + used, length - used, "%s%s (%s)", used ? "; " : "", *n, dlerror());
    }
    return NULL;
}

static int missing_symbol;
static void *symbol(void *library, const char *library_name, const char *name) {
    void *s = dlsym(library, name);
    if (!s && !missing_symbol) {
        fail("%s has no symbol %s (too old a version?)", library_name, name);
        missing_symbol = 1;
    }
    return s;
}
#define LOAD(library, library_name, pointer, name) pointer = symbol(library, library_name, name)

static int load_libraries(void) {
    static int loaded = 0;
    if (loaded) return 0;
    char tried[4096] = "";
    static const char *const cuda_names[] = { "libcuda.so.1", NULL };
    static const char *const nvrtc_names[] = { "libnvrtc.so.13", "libnvrtc.so.12", NULL };
    static const char *const cublas_names[] = { "libcublas.so.13", "libcublas.so.12", NULL };
    static const char *const cudnn_names[] = { "libcudnn.so.9", NULL };
    void *cuda = open_library(cuda_names, tried, sizeof tried);
    if (!cuda) { fail("the NVIDIA driver library is missing (no GPU driver on this machine?): %s", tried); return 1; }
    void *nvrtc = open_library(nvrtc_names, tried, sizeof tried);
    if (!nvrtc) { fail("NVRTC (CUDA 12 or 13) is missing: %s", tried); return 1; }
    void *blas = open_library(cublas_names, tried, sizeof tried);
    if (!blas) { fail("cuBLAS (CUDA 12 or 13) is missing: %s", tried); return 1; }
    void *dnn = open_library(cudnn_names, tried, sizeof tried);
    if (!dnn) { fail("cuDNN 9 is missing: %s", tried); return 1; }

    missing_symbol = 0;
    LOAD(cuda, "libcuda", cuInit_, "cuInit");
    LOAD(cuda, "libcuda", cuDriverGetVersion_, "cuDriverGetVersion");
    LOAD(cuda, "libcuda", cuDeviceGet_, "cuDeviceGet");
    LOAD(cuda, "libcuda", cuDeviceGetCount_, "cuDeviceGetCount");
    LOAD(cuda, "libcuda", cuDeviceGetName_, "cuDeviceGetName");
    LOAD(cuda, "libcuda", cuDeviceGetAttribute_, "cuDeviceGetAttribute");
    LOAD(cuda, "libcuda", cuDeviceTotalMem_, "cuDeviceTotalMem_v2");
    LOAD(cuda, "libcuda", cuDevicePrimaryCtxRetain_, "cuDevicePrimaryCtxRetain");
    LOAD(cuda, "libcuda", cuCtxSetCurrent_, "cuCtxSetCurrent");
    LOAD(cuda, "libcuda", cuGetErrorString_, "cuGetErrorString");
    LOAD(cuda, "libcuda", cuMemAlloc_, "cuMemAlloc_v2");
    LOAD(cuda, "libcuda", cuMemFree_, "cuMemFree_v2");
    LOAD(cuda, "libcuda", cuMemHostAlloc_, "cuMemHostAlloc");
    LOAD(cuda, "libcuda", cuMemFreeHost_, "cuMemFreeHost");
    LOAD(cuda, "libcuda", cuMemGetInfo_, "cuMemGetInfo_v2");
    LOAD(cuda, "libcuda", cuMemsetD32Async_, "cuMemsetD32Async");
    LOAD(cuda, "libcuda", cuMemcpyHtoDAsync_, "cuMemcpyHtoDAsync_v2");
    LOAD(cuda, "libcuda", cuMemcpyDtoHAsync_, "cuMemcpyDtoHAsync_v2");
    LOAD(cuda, "libcuda", cuMemcpyDtoDAsync_, "cuMemcpyDtoDAsync_v2");
    LOAD(cuda, "libcuda", cuStreamCreate_, "cuStreamCreate");
    LOAD(cuda, "libcuda", cuStreamSynchronize_, "cuStreamSynchronize");
    LOAD(cuda, "libcuda", cuEventCreate_, "cuEventCreate");
    LOAD(cuda, "libcuda", cuEventRecord_, "cuEventRecord");
    LOAD(cuda, "libcuda", cuEventSynchronize_, "cuEventSynchronize");
    LOAD(cuda, "libcuda", cuEventElapsedTime_, "cuEventElapsedTime_v2");
    if (!cuEventElapsedTime_) { missing_symbol = 0; LOAD(cuda, "libcuda", cuEventElapsedTime_, "cuEventElapsedTime"); }
    LOAD(cuda, "libcuda", cuModuleLoadData_, "cuModuleLoadData");
    LOAD(cuda, "libcuda", cuModuleGetFunction_, "cuModuleGetFunction");
    LOAD(cuda, "libcuda", cuLaunchKernel_, "cuLaunchKernel");
    if (missing_symbol) return 1;

    LOAD(nvrtc, "libnvrtc", nvrtcVersion_, "nvrtcVersion");
    LOAD(nvrtc, "libnvrtc", nvrtcCreateProgram_, "nvrtcCreateProgram");
    LOAD(nvrtc, "libnvrtc", nvrtcCompileProgram_, "nvrtcCompileProgram");
    LOAD(nvrtc, "libnvrtc", nvrtcGetProgramLogSize_, "nvrtcGetProgramLogSize");
    LOAD(nvrtc, "libnvrtc", nvrtcGetProgramLog_, "nvrtcGetProgramLog");
    LOAD(nvrtc, "libnvrtc", nvrtcGetCUBINSize_, "nvrtcGetCUBINSize");
    LOAD(nvrtc, "libnvrtc", nvrtcGetCUBIN_, "nvrtcGetCUBIN");
    LOAD(nvrtc, "libnvrtc", nvrtcDestroyProgram_, "nvrtcDestroyProgram");
    LOAD(nvrtc, "libnvrtc", nvrtcGetErrorString_, "nvrtcGetErrorString");
    if (missing_symbol) return 1;

    LOAD(blas, "libcublas", cublasCreate_, "cublasCreate_v2");
    LOAD(blas, "libcublas", cublasSetStream_, "cublasSetStream_v2");
    LOAD(blas, "libcublas", cublasSetMathMode_, "cublasSetMathMode");
    LOAD(blas, "libcublas", cublasGetVersion_, "cublasGetVersion_v2");
    LOAD(blas, "libcublas", cublasSgemm_, "cublasSgemm_v2");
    LOAD(blas, "libcublas", cublasGetStatusString_, "cublasGetStatusString");
    if (missing_symbol) return 1;

    LOAD(dnn, "libcudnn", cudnnGetVersion_, "cudnnGetVersion");
    LOAD(dnn, "libcudnn", cudnnGetErrorString_, "cudnnGetErrorString");
    LOAD(dnn, "libcudnn", cudnnCreate_, "cudnnCreate");
    LOAD(dnn, "libcudnn", cudnnSetStream_, "cudnnSetStream");
    LOAD(dnn, "libcudnn", cudnnCreateTensorDescriptor_, "cudnnCreateTensorDescriptor");
    LOAD(dnn, "libcudnn", cudnnSetTensor4dDescriptor_, "cudnnSetTensor4dDescriptor");
    LOAD(dnn, "libcudnn", cudnnDestroyTensorDescriptor_, "cudnnDestroyTensorDescriptor");
    LOAD(dnn, "libcudnn", cudnnCreateFilterDescriptor_, "cudnnCreateFilterDescriptor");
    LOAD(dnn, "libcudnn", cudnnSetFilter4dDescriptor_, "cudnnSetFilter4dDescriptor");
    LOAD(dnn, "libcudnn", cudnnDestroyFilterDescriptor_, "cudnnDestroyFilterDescriptor");
    LOAD(dnn, "libcudnn", cudnnCreateConvolutionDescriptor_, "cudnnCreateConvolutionDescriptor");
    LOAD(dnn, "libcudnn", cudnnSetConvolution2dDescriptor_, "cudnnSetConvolution2dDescriptor");
    LOAD(dnn, "libcudnn", cudnnSetConvolutionMathType_, "cudnnSetConvolutionMathType");
    LOAD(dnn, "libcudnn", cudnnDestroyConvolutionDescriptor_, "cudnnDestroyConvolutionDescriptor");
    LOAD(dnn, "libcudnn", cudnnFindConvolutionForwardAlgorithm_, "cudnnFindConvolutionForwardAlgorithm");
    LOAD(dnn, "libcudnn", cudnnFindConvolutionBackwardDataAlgorithm_, "cudnnFindConvolutionBackwardDataAlgorithm");
    LOAD(dnn, "libcudnn", cudnnFindConvolutionBackwardFilterAlgorithm_, "cudnnFindConvolutionBackwardFilterAlgorithm");
    LOAD(dnn, "libcudnn", cudnnConvolutionForward_, "cudnnConvolutionForward");
    LOAD(dnn, "libcudnn", cudnnConvolutionBackwardData_, "cudnnConvolutionBackwardData");
    LOAD(dnn, "libcudnn", cudnnConvolutionBackwardFilter_, "cudnnConvolutionBackwardFilter");
    if (missing_symbol) return 1;
    loaded = 1;
    return 0;
}

int vgg_cuda_open(int ordinal, vgg_cuda_device_info *info) {
    if (opened >= 0) {
        if (opened != ordinal) { fail("device %d is already in use by this process; one process drives one GPU", opened); return 1; }
        if (info) *info = opened_info;
        return 0;
    }
    if (load_libraries()) return 1;
    DRIVER(cuInit_(0), "cuInit");
    vgg_cuda_device_info d;
    memset(&d, 0, sizeof d);
    d.ordinal = ordinal;
    DRIVER(cuDeviceGetCount_(&d.device_count), "cuDeviceGetCount");
    if (ordinal < 0 || ordinal >= d.device_count) {
        fail("no CUDA device %d: this machine has %d", ordinal, d.device_count);
        return 1;
    }
    CUdevice device;
    DRIVER(cuDeviceGet_(&device, ordinal), "cuDeviceGet");
    DRIVER(cuDeviceGetName_(d.name, (int)sizeof d.name, device), "cuDeviceGetName");
    DRIVER(cuDeviceGetAttribute_(&d.major, 75, device), "cuDeviceGetAttribute(compute capability major)");
    DRIVER(cuDeviceGetAttribute_(&d.minor, 76, device), "cuDeviceGetAttribute(compute capability minor)");
    DRIVER(cuDeviceGetAttribute_(&d.multiprocessors, 16, device), "cuDeviceGetAttribute(multiprocessors)");
    DRIVER(cuDeviceTotalMem_(&d.total_memory, device), "cuDeviceTotalMem");
    DRIVER(cuDriverGetVersion_(&d.driver_version), "cuDriverGetVersion");
    DRIVER(cuDevicePrimaryCtxRetain_(&context, device), "cuDevicePrimaryCtxRetain");
    DRIVER(cuCtxSetCurrent_(context), "cuCtxSetCurrent");
    DRIVER(cuStreamCreate_(&stream, 1 /* CU_STREAM_NON_BLOCKING */), "cuStreamCreate");
    if (cublas_check(cublasCreate_(&cublas), "cublasCreate")) return 1;
    if (cublas_check(cublasSetStream_(cublas, stream), "cublasSetStream")) return 1;
    cublasGetVersion_(cublas, &d.cublas_version);
    CUDNN(cudnnCreate_(&cudnn), "cudnnCreate");
    CUDNN(cudnnSetStream_(cudnn, stream), "cudnnSetStream");
    d.cudnn_version = (int)cudnnGetVersion_();
    nvrtcVersion_(&d.nvrtc_major, &d.nvrtc_minor);
    opened_info = d;
    opened = ordinal;
    if (info) *info = d;
    return 0;
}

void vgg_cuda_make_current(void) {
    if (context) cuCtxSetCurrent_(context);
}

int vgg_cuda_malloc(void **pointer, size_t bytes) {
    CUdeviceptr p = 0;
    DRIVER(cuMemAlloc_(&p, bytes ? bytes : 4), "cuMemAlloc");
    *pointer = (void *)(uintptr_t)p;
    return 0;
}

int vgg_cuda_free(void *pointer) {
    DRIVER(cuMemFree_((CUdeviceptr)(uintptr_t)pointer), "cuMemFree");
    return 0;
}

int vgg_cuda_host_alloc(void **pointer, size_t bytes) {
    DRIVER(cuMemHostAlloc_(pointer, bytes ? bytes : 4, 0), "cuMemHostAlloc");
    return 0;
}

int vgg_cuda_host_free(void *pointer) {
    DRIVER(cuMemFreeHost_(pointer), "cuMemFreeHost");
    return 0;
}

int vgg_cuda_memory_info(size_t *free_bytes, size_t *total_bytes) {
    DRIVER(cuMemGetInfo_(free_bytes, total_bytes), "cuMemGetInfo");
    return 0;
}

int vgg_cuda_memset32(void *pointer, uint32_t value, size_t count) {
    if (count == 0) return 0;
    DRIVER(cuMemsetD32Async_((CUdeviceptr)(uintptr_t)pointer, value, count, stream), "cuMemsetD32Async");
    return 0;
}

int vgg_cuda_copy_to_device(void *device, const void *host, size_t bytes) {
    if (bytes == 0) return 0;
    DRIVER(cuMemcpyHtoDAsync_((CUdeviceptr)(uintptr_t)device, host, bytes, stream), "cuMemcpyHtoDAsync");
    return 0;
}

int vgg_cuda_copy_to_host(void *host, const void *device, size_t bytes) {
    if (bytes == 0) return 0;
    DRIVER(cuMemcpyDtoHAsync_(host, (CUdeviceptr)(uintptr_t)device, bytes, stream), "cuMemcpyDtoHAsync");
    DRIVER(cuStreamSynchronize_(stream), "cuStreamSynchronize");
    return 0;
}

int vgg_cuda_copy_device(void *destination, const void *source, size_t bytes) {
    if (bytes == 0) return 0;
    DRIVER(cuMemcpyDtoDAsync_((CUdeviceptr)(uintptr_t)destination, (CUdeviceptr)(uintptr_t)source, bytes, stream),
           "cuMemcpyDtoDAsync");
    return 0;
}

int vgg_cuda_synchronize(void) {
    DRIVER(cuStreamSynchronize_(stream), "cuStreamSynchronize");
    return 0;
}

int vgg_cuda_event_create(void **event) {
    DRIVER(cuEventCreate_(event, 0), "cuEventCreate");
    return 0;
}

int vgg_cuda_event_record(void *event) {
    DRIVER(cuEventRecord_(event, stream), "cuEventRecord");
    return 0;
}

int vgg_cuda_event_wait(void *event) {
    DRIVER(cuEventSynchronize_(event), "cuEventSynchronize");
    return 0;
}

int vgg_cuda_event_elapsed(float *milliseconds, void *start, void *end) {
    DRIVER(cuEventElapsedTime_(milliseconds, start, end), "cuEventElapsedTime");
    return 0;
}

int vgg_cuda_compile(const char *source, const char *name) {
    handle program = NULL;
    int r = nvrtcCreateProgram_(&program, source, name, 0, NULL, NULL);
    if (r) { fail("nvrtcCreateProgram failed: %s", nvrtcGetErrorString_(r)); return r; }
    char architecture[64];
    snprintf(architecture, sizeof architecture, "--gpu-architecture=sm_%d%d", opened_info.major, opened_info.minor);
    /* No fused multiply-add contraction: element-wise results match the CPU's rounding. */
    const char *options[] = { architecture, "--std=c++17", "--fmad=false", "-default-device" };
    r = nvrtcCompileProgram_(program, 4, options);
    if (r) {
        size_t size = 0;
        nvrtcGetProgramLogSize_(program, &size);
        char *log = calloc(size + 1, 1);
        if (log) nvrtcGetProgramLog_(program, log);
        fail("NVRTC could not compile %s for %s: %s\n%s", name, architecture, nvrtcGetErrorString_(r), log ? log : "");
        free(log);
        nvrtcDestroyProgram_(&program);
        return r;
    }
    size_t size = 0;
    r = nvrtcGetCUBINSize_(program, &size);
    char *cubin = r ? NULL : malloc(size);
    if (r || !cubin || (r = nvrtcGetCUBIN_(program, cubin))) {
        fail("nvrtcGetCUBIN failed: %s", r ? nvrtcGetErrorString_(r) : "out of memory");
        free(cubin);
        nvrtcDestroyProgram_(&program);
        return r ? r : 1;
    }
    nvrtcDestroyProgram_(&program);
    r = driver_check(cuModuleLoadData_(&module, cubin), "cuModuleLoadData");
    free(cubin);
    return r;
}

int vgg_cuda_function(void **function, const char *name) {
    char call[256];
    snprintf(call, sizeof call, "cuModuleGetFunction(%s)", name);
    DRIVER(cuModuleGetFunction_(function, module, name), call);
    return 0;
}

int vgg_cuda_launch(void *function, unsigned grid_x, unsigned grid_y, unsigned grid_z,
                    unsigned block_x, unsigned block_y, unsigned block_z, unsigned shared_bytes, void **arguments) {
    DRIVER(cuLaunchKernel_(function, grid_x, grid_y, grid_z, block_x, block_y, block_z, shared_bytes, stream, arguments, NULL),
           "cuLaunchKernel");
    return 0;
}

int vgg_cublas_set_math(int math) {
    return cublas_check(cublasSetMathMode_(cublas, math ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
}

int vgg_cublas_sgemm(int transpose_a, int transpose_b, int m, int n, int k, float alpha,
                     const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    return cublas_check(cublasSgemm_(cublas, transpose_a, transpose_b, m, n, k, &alpha, a, lda, b, ldb, &beta, c, ldc),
                        "cublasSgemm");
}

/* ---- convolutions ---- */
struct vgg_conv_plan {
    handle x, y, filter;
    handle convolution[3]; /* one per direction, each with the math type of its algorithm */
    int algorithm[3], math[3];
    size_t memory[3];  /* each direction's workspace */
    size_t workspace;  /* the largest */
    int fma_only;      /* fp32: no tensor-core math whatever the search reports */
};

void vgg_conv_plan_destroy(vgg_conv_plan *p) {
    if (!p) return;
    if (p->x) cudnnDestroyTensorDescriptor_(p->x);
    if (p->y) cudnnDestroyTensorDescriptor_(p->y);
    if (p->filter) cudnnDestroyFilterDescriptor_(p->filter);
    for (int i = 0; i < 3; i++) if (p->convolution[i]) cudnnDestroyConvolutionDescriptor_(p->convolution[i]);
    free(p);
}

static const char *direction_names[3] = { "forward", "backward data", "backward filter" };

/* Picks the fastest successful result within the workspace limit and sets its math type. */
static int choose(vgg_conv_plan *p, int direction, const algorithm_performance *results, int count, size_t limit) {
    for (int i = 0; i < count; i++) {
        if (results[i].status != 0 || results[i].memory > limit) continue;
        p->algorithm[direction] = results[i].algo;
        p->math[direction] = p->fma_only ? CUDNN_FMA_MATH : results[i].math_type;
        p->memory[direction] = results[i].memory;
        CUDNN(cudnnSetConvolutionMathType_(p->convolution[direction], p->math[direction]), "cudnnSetConvolutionMathType");
        if (results[i].memory > p->workspace) p->workspace = results[i].memory;
        return 0;
    }
    fail("cuDNN found no %s convolution algorithm within the %zu-byte workspace limit (%d tried)",
         direction_names[direction], limit, count);
    return 1;
}

static int plan(vgg_conv_plan *p, int n, int c, int h, int w, int k, int r, int s, int stride, int padding, int math,
                size_t limit, const int algorithms[3], const size_t workspaces[3], int need_backward_data) {
    int oh = (h + 2 * padding - r) / stride + 1, ow = (w + 2 * padding - s) / stride + 1;
    p->fma_only = !math;
    CUDNN(cudnnCreateTensorDescriptor_(&p->x), "cudnnCreateTensorDescriptor");
    CUDNN(cudnnSetTensor4dDescriptor_(p->x, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, n, c, h, w), "cudnnSetTensor4dDescriptor(x)");
    CUDNN(cudnnCreateTensorDescriptor_(&p->y), "cudnnCreateTensorDescriptor");
    CUDNN(cudnnSetTensor4dDescriptor_(p->y, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, n, k, oh, ow), "cudnnSetTensor4dDescriptor(y)");
    CUDNN(cudnnCreateFilterDescriptor_(&p->filter), "cudnnCreateFilterDescriptor");
    CUDNN(cudnnSetFilter4dDescriptor_(p->filter, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC, k, c, r, s), "cudnnSetFilter4dDescriptor");
    for (int d = 0; d < 3; d++) {
        CUDNN(cudnnCreateConvolutionDescriptor_(&p->convolution[d]), "cudnnCreateConvolutionDescriptor");
        CUDNN(cudnnSetConvolution2dDescriptor_(p->convolution[d], padding, padding, stride, stride, 1, 1, CUDNN_CROSS_CORRELATION,
                                               CUDNN_DATA_FLOAT), "cudnnSetConvolution2dDescriptor");
        /* fp32: FMA units only (no TF32); TF32: tensor cores allowed, as PyTorch's allow_tf32. */
        CUDNN(cudnnSetConvolutionMathType_(p->convolution[d], math ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH),
              "cudnnSetConvolutionMathType");
        p->algorithm[d] = -1;
    }
    algorithm_performance results[16];
    int count = 0;
    /* An algorithm given (found before for this shape) is taken with the math type and
       workspace size the search reported; no workspace query (cuDNN 9's legacy queries answer
       NOT_SUPPORTED for some combinations that its own search picked and that run). */
    for (int d = 0; d < 3; d++) {
        if (d == 1 && !need_backward_data) continue;
        if (algorithms[d] >= 0) {
            p->algorithm[d] = algorithms[d] % 100;
            p->math[d] = algorithms[d] / 100;
            p->memory[d] = workspaces[d];
            if (workspaces[d] > p->workspace) p->workspace = workspaces[d];
            CUDNN(cudnnSetConvolutionMathType_(p->convolution[d], p->math[d]), "cudnnSetConvolutionMathType");
            continue;
        }
        if (d == 0)
            CUDNN(cudnnFindConvolutionForwardAlgorithm_(cudnn, p->x, p->filter, p->convolution[0], p->y, 16, &count, results),
                  "cudnnFindConvolutionForwardAlgorithm");
        else if (d == 1)
            CUDNN(cudnnFindConvolutionBackwardDataAlgorithm_(cudnn, p->filter, p->y, p->convolution[1], p->x, 16, &count, results),
                  "cudnnFindConvolutionBackwardDataAlgorithm");
        else
            CUDNN(cudnnFindConvolutionBackwardFilterAlgorithm_(cudnn, p->x, p->y, p->convolution[2], p->filter, 16, &count, results),
                  "cudnnFindConvolutionBackwardFilterAlgorithm");
        if (choose(p, d, results, count, limit)) return 1;
    }
    return 0;
}

int vgg_conv_plan_create(vgg_conv_plan **out, int n, int c, int h, int w, int k, int r, int s,
                         int stride, int padding, int math, size_t workspace_limit,
                         const int algorithms[3], const size_t workspaces[3], int need_backward_data) {
    vgg_conv_plan *p = calloc(1, sizeof *p);
    if (!p) { fail("out of host memory for a convolution plan"); return 1; }
    if (plan(p, n, c, h, w, k, r, s, stride, padding, math, workspace_limit, algorithms, workspaces, need_backward_data)) {
        vgg_conv_plan_destroy(p);
        return 1;
    }
    *out = p;
    return 0;
}

void vgg_conv_plan_algorithms(const vgg_conv_plan *p, int algorithms[3], size_t workspaces[3], size_t *workspace_bytes) {
    for (int i = 0; i < 3; i++) {
        algorithms[i] = p->algorithm[i] < 0 ? -1 : p->algorithm[i] + 100 * p->math[i];
        workspaces[i] = p->memory[i];
    }
    *workspace_bytes = p->workspace;
}

static const float one = 1.0f, zero = 0.0f;

int vgg_conv_forward(vgg_conv_plan *p, const float *x, const float *filter, float *y, void *workspace, size_t workspace_bytes) {
    CUDNN(cudnnConvolutionForward_(cudnn, &one, p->x, x, p->filter, filter, p->convolution[0], p->algorithm[0], workspace,
                                   workspace_bytes, &zero, p->y, y), "cudnnConvolutionForward");
    return 0;
}

int vgg_conv_backward_data(vgg_conv_plan *p, const float *filter, const float *dy, float *dx, void *workspace, size_t workspace_bytes) {
    CUDNN(cudnnConvolutionBackwardData_(cudnn, &one, p->filter, filter, p->y, dy, p->convolution[1], p->algorithm[1], workspace,
                                        workspace_bytes, &zero, p->x, dx), "cudnnConvolutionBackwardData");
    return 0;
}

int vgg_conv_backward_filter(vgg_conv_plan *p, const float *x, const float *dy, float *dfilter, void *workspace,
                             size_t workspace_bytes) {
    CUDNN(cudnnConvolutionBackwardFilter_(cudnn, &one, p->x, x, p->y, dy, p->convolution[2], p->algorithm[2], workspace,
                                          workspace_bytes, &zero, p->filter, dfilter), "cudnnConvolutionBackwardFilter");
    return 0;
}
