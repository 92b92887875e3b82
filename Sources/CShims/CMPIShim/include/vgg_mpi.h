#ifndef VGG_MPI_H
#define VGG_MPI_H
/*
 * Open MPI loaded at run time (dlopen of libmpi.so.40 with RTLD_GLOBAL, as its plug-ins
 * need), so that `vgg` has no link-time dependency on MPI: a run without mpirun never
 * loads it, and a binary carried to a machine without Open MPI still starts.
 * Open MPI's ABI: handles are pointers to its predefined objects (ompi_mpi_comm_world, …).
 * Every call returns an MPI error code (0: success) unless said otherwise; requests are
 * opaque pointers.
 */
#include <stddef.h>
#include <stdint.h>

/** Loads the library (`path` NULL: libmpi.so.40); 0 on success, else writes a message. */
int vgg_mpi_load(const char *path, char *error, int length);

/** MPI_Init_thread with MPI_THREAD_FUNNELED (all calls come from the thread that initialises). */
int vgg_mpi_init(int *provided);
int vgg_mpi_finalize(void);
int vgg_mpi_rank(int *rank);
int vgg_mpi_size(int *size);
void vgg_mpi_abort(int code);
/** The text of an MPI error code. */
void vgg_mpi_error_string(int code, char *out, int length);

/** Non-blocking in-place sums over MPI_COMM_WORLD (count ≤ INT_MAX). */
int vgg_mpi_iallreduce_float_sum(float *buffer, int count, void **request);
int vgg_mpi_iallreduce_double_sum(double *buffer, int count, void **request);
/** In-place sum of bfloat16 values (each rank's contribution rounded to bf16, sums kept in bf16). */
int vgg_mpi_iallreduce_bf16_sum(uint16_t *buffer, int count, void **request);
/** Blocking in-place sums: Open MPI's tuned (segmented ring) algorithms, which move large
 *  buffers about 2.5 times faster than the non-blocking ones on shared memory. */
int vgg_mpi_allreduce_float_sum(float *buffer, int count);
int vgg_mpi_allreduce_bf16_sum(uint16_t *buffer, int count);
int vgg_mpi_iallgather_u64(const uint64_t *value, uint64_t *all, void **request);
int vgg_mpi_ibarrier(void **request);
/** Point to point, for the heartbeat that names a rank that fell behind. */
int vgg_mpi_isend_i64(const int64_t *value, int destination, int tag, void **request);
int vgg_mpi_irecv_i64(int64_t *value, int source, int tag, void **request);
/** *done = 1 when the request has completed (it is then freed). */
int vgg_mpi_test(void **request, int *done);
int vgg_mpi_request_free(void **request);
int vgg_mpi_cancel(void **request);

/** The hierarchical all-reduce's schemes: a sum to one rank per host, an all-reduce among
 *  those and a broadcast back (LEADER); or a reduce-scatter inside the host, an all-reduce of
 *  each piece across hosts by the ranks holding it, and an all-gather inside the host (SCATTER). */
#define VGG_MPI_HIER_LEADER 1
#define VGG_MPI_HIER_SCATTER 2
/** Collective over MPI_COMM_WORLD: the communicators of the hierarchical all-reduce (the
 *  ranks sharing memory with this one, MPI_Comm_split_type SHARED; the ranks of the other
 *  hosts with the same index in theirs); writes this rank's index in its host and their number. */
int vgg_mpi_hier_setup(int *rank_in_host, int *ranks_in_host);
/** In-place sum of float32 (bf16 = 0) or bfloat16 values (bf16 = 1) over every rank, first
 *  inside each host then across hosts (every host must hold the same number of ranks). */
int vgg_mpi_hier_allreduce(void *buffer, int count, int bf16, int scheme);
/** In-place float32 sum over every rank in one fixed binary tree (N a power of two): ranks 2k
 *  and 2k + 1 first, then pairs of pairs, each addition the lower ranks' subtree + the higher
 *  ranks', one rounding per element and level, so that every rank gets the same bits whatever N
 *  (a reduce-scatter by recursive halving and an all-gather back, point to point with `tag`: each
 *  rank sends about 2 (N − 1) / N of the buffer). Returns -1 where N is not a power of two ≥ 2. */
int vgg_mpi_tree_allreduce(float *buffer, int count, int tag);

#endif
