/* Host emulation of the `cuda` backend's kernels (Sources/Backends/CUDA/Kernels), for tests only:
   the very same .cu sources compiled as C++ against an emulation of the CUDA execution model. */
#ifndef VGG_CUDA_EMULATION_H
#define VGG_CUDA_EMULATION_H

#ifdef __cplusplus
extern "C" {
#endif

/* Runs kernel `kernel` on a grid (gx, gy, gz) of blocks (bx, by, bz) with cuLaunchKernel's argument
   convention: args[i] points at the value of the kernel's i-th parameter. Blocks run one after
   another; a kernel that synchronises (__syncthreads, warp shuffles) runs one OS thread per CUDA
   thread of a block. Returns 0, or -1 with the reason in vgg_emu_last_error(). */
int vgg_emu_launch(const char *kernel, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   void **args);

/* The reason the last failed launch gave (empty when none failed). */
const char *vgg_emu_last_error(void);

/* How many kernels the table holds, and the name of the i-th. */
int vgg_emu_kernel_count(void);
const char *vgg_emu_kernel_name(int i);
/* Whether the i-th kernel runs cooperatively (one OS thread per CUDA thread). */
int vgg_emu_kernel_is_cooperative(int i);

#ifdef __cplusplus
}
#endif

#endif
