// The runtime of the host emulation, the kernels' own .cu sources, and the generated launch table.
#include "cuda_emulation.h"
#include "CUDAEmulation.h"

#include <condition_variable>
#include <mutex>
#include <pthread.h>
#include <string>
#include <vector>

thread_local dim3 blockIdx, threadIdx, blockDim, gridDim;

namespace vgg_emu {

/// Thrown inside an emulated thread to end it once the launch has failed.
struct Failure {};

/// One block run cooperatively: its barrier, its warps' barriers and shuffle slots.
struct Block {
    struct Warp {
        std::condition_variable cv;
        unsigned arrived = 0, live = 32;
        unsigned long generation = 0;
        uint64_t slots[32];
    };
    std::mutex m;
    std::condition_variable cv;
    unsigned threads = 0, live = 0, arrived = 0;
    unsigned long generation = 0;
    bool failed = false;
    std::string message;
    std::vector<Warp> warps;
    explicit Block(unsigned n) : threads(n), live(n), warps((n + 31) / 32) {}
};

static thread_local Block *current = nullptr;     // null while a kernel runs sequentially
static thread_local const char *running = "";     // the kernel's name, for messages
static std::mutex launches;                       // one launch at a time (the statics of __shared__)
static std::string last_error, sequential_error;

static unsigned linear_thread() { return (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x; }

/// Fails the launch with `message` (the block's lock held when cooperative) and unwinds this thread.
[[noreturn]] static void fail(const std::string &message) {
    const std::string text = std::string(running) + ": block (" + std::to_string(blockIdx.x) + ", " + std::to_string(blockIdx.y) + ", " +
                             std::to_string(blockIdx.z) + ") thread " + std::to_string(linear_thread()) + ": " + message;
    if (Block *b = current) {
        if (!b->failed) { b->failed = true; b->message = text; }
        b->cv.notify_all();
        for (auto &w : b->warps) w.cv.notify_all();
    } else {
        sequential_error = text;
    }
    throw Failure{};
}

/// Waits until `arrived` reaches `expected`; a participant that has exited meanwhile is an error.
static void meet(Block &b, std::unique_lock<std::mutex> &lock, std::condition_variable &cv, unsigned &arrived,
                 unsigned long &generation, const unsigned &live, unsigned expected, const char *what) {
    if (b.failed) throw Failure{};
    if (live < expected) fail(std::string("a thread of the ") + what + " has returned while this one waits at its barrier");
    const unsigned long mine = generation;
    if (++arrived == expected) {
        arrived = 0;
        generation++;
        cv.notify_all();
        return;
    }
    while (generation == mine) {
        if (b.failed) throw Failure{};
        if (live < expected) fail(std::string("a thread of the ") + what + " has returned while this one waits at its barrier");
        cv.wait(lock);
    }
}

void sync_threads() {
    Block *b = current;
    if (!b) fail("__syncthreads in a kernel the launch table runs sequentially (mark it cooperative in the generator)");
    std::unique_lock<std::mutex> lock(b->m);
    meet(*b, lock, b->cv, b->arrived, b->generation, b->live, b->threads, "block");
}

uint64_t shuffle_xor(unsigned mask, uint64_t bits, int offset, int) {
    Block *b = current;
    if (!b) fail("__shfl_xor_sync in a kernel the launch table runs sequentially (mark it cooperative in the generator)");
    std::unique_lock<std::mutex> lock(b->m);
    if (mask != 0xffffffffu) fail("__shfl_xor_sync with a mask other than 0xffffffff is not emulated");
    if (b->threads % 32 != 0) fail("__shfl_xor_sync in a block whose size is not a multiple of 32 (a partial warp)");
    if (offset < 0 || offset > 31) fail("__shfl_xor_sync lane mask outside 0...31 is not emulated");
    const unsigned t = linear_thread(), lane = t % 32;
    Block::Warp &w = b->warps[t / 32];
    w.slots[lane] = bits;
    meet(*b, lock, w.cv, w.arrived, w.generation, w.live, 32, "warp");
    const uint64_t out = w.slots[lane ^ (unsigned)offset];
    meet(*b, lock, w.cv, w.arrived, w.generation, w.live, 32, "warp");
    return out;
}

/// A row of the launch table: the kernel's name, its trampoline, whether it runs cooperatively.
struct Entry {
    const char *name;
    void (*run)(void **args);
    bool cooperative;
};

struct ThreadStart {
    const Entry *entry;
    void **args;
    Block *block;
    dim3 block_index, thread_index, block_dim, grid_dim;
};

static void *emulated_thread(void *p) {
    ThreadStart *s = (ThreadStart *)p;
    blockIdx = s->block_index; threadIdx = s->thread_index; blockDim = s->block_dim; gridDim = s->grid_dim;
    current = s->block;
    running = s->entry->name;
    try { s->entry->run(s->args); } catch (Failure &) {}
    std::lock_guard<std::mutex> lock(s->block->m);
    s->block->live--;
    s->block->warps[linear_thread() / 32].live--;
    s->block->cv.notify_all();
    s->block->warps[linear_thread() / 32].cv.notify_all();
    return nullptr;
}

static int launch(const Entry &e, dim3 grid, dim3 block, void **args) {
    const unsigned long long per_block = (unsigned long long)block.x * block.y * block.z;
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || per_block == 0) { last_error = std::string(e.name) + ": empty grid or block"; return -1; }
    if (per_block > 1024) { last_error = std::string(e.name) + ": more than 1024 threads in a block"; return -1; }
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) {
                const dim3 at = {x, y, z};
                if (!e.cooperative) {
                    blockIdx = at; blockDim = block; gridDim = grid; current = nullptr; running = e.name;
                    for (unsigned tz = 0; tz < block.z; tz++)
                        for (unsigned ty = 0; ty < block.y; ty++)
                            for (unsigned tx = 0; tx < block.x; tx++) {
                                threadIdx = {tx, ty, tz};
                                try { e.run(args); } catch (Failure &) { last_error = sequential_error; return -1; }
                            }
                    continue;
                }
                Block b((unsigned)per_block);
                std::vector<ThreadStart> starts(per_block);
                std::vector<pthread_t> ids(per_block);
                pthread_attr_t attr;
                pthread_attr_init(&attr);
                pthread_attr_setstacksize(&attr, 256 * 1024);
                size_t started = 0;
                for (unsigned tz = 0; tz < block.z; tz++)
                    for (unsigned ty = 0; ty < block.y; ty++)
                        for (unsigned tx = 0; tx < block.x; tx++) {
                            starts[started] = {&e, args, &b, at, {tx, ty, tz}, block, grid};
                            if (pthread_create(&ids[started], &attr, emulated_thread, &starts[started]) != 0) {
                                std::lock_guard<std::mutex> lock(b.m);
                                b.failed = true;
                                b.message = std::string(e.name) + ": could not start an emulated thread";
                                b.live -= (unsigned)(per_block - started);   // the threads never started count as returned
                                b.cv.notify_all();
                                for (auto &w : b.warps) w.cv.notify_all();
                                goto join;
                            }
                            started++;
                        }
            join:
                pthread_attr_destroy(&attr);
                for (size_t i = 0; i < started; i++) pthread_join(ids[i], nullptr);
                if (b.failed) { last_error = b.message; return -1; }
            }
    return 0;
}

}  // namespace vgg_emu

// The kernels, from the backend's own sources (prelude.cuh's include guard makes each file's
// `#include "prelude.cuh"` a no-op after the first).
#include "../../Sources/Backends/CUDA/Kernels/prelude.cuh"
#include "../../Sources/Backends/CUDA/Kernels/elementwise.cu"
#include "../../Sources/Backends/CUDA/Kernels/layout.cu"
#include "../../Sources/Backends/CUDA/Kernels/reductions.cu"
#include "../../Sources/Backends/CUDA/Kernels/batchnorm.cu"
#include "../../Sources/Backends/CUDA/Kernels/pooling.cu"
#include "../../Sources/Backends/CUDA/Kernels/lrn.cu"
#include "../../Sources/Backends/CUDA/Kernels/softmax.cu"
#include "../../Sources/Backends/CUDA/Kernels/sgd.cu"
#include "../../Sources/Backends/CUDA/Kernels/bf16.cu"
#include "../../Sources/Backends/CUDA/Kernels/bf16_layers.cu"

#include "KernelTable.generated.h"

static const int table_count = (int)(sizeof(vgg_emu_table) / sizeof(vgg_emu_table[0]));

extern "C" int vgg_emu_launch(const char *kernel, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                              void **args) {
    std::lock_guard<std::mutex> lock(vgg_emu::launches);
    vgg_emu::last_error.clear();
    for (int i = 0; i < table_count; i++)
        if (std::strcmp(vgg_emu_table[i].name, kernel) == 0)
            return vgg_emu::launch(vgg_emu_table[i], {gx, gy, gz}, {bx, by, bz}, args);
    vgg_emu::last_error = std::string("no kernel named ") + kernel + " in the emulation's launch table";
    return -1;
}

extern "C" const char *vgg_emu_last_error(void) { return vgg_emu::last_error.c_str(); }
extern "C" int vgg_emu_kernel_count(void) { return table_count; }
extern "C" const char *vgg_emu_kernel_name(int i) { return i >= 0 && i < table_count ? vgg_emu_table[i].name : nullptr; }
extern "C" int vgg_emu_kernel_is_cooperative(int i) { return i >= 0 && i < table_count && vgg_emu_table[i].cooperative; }
