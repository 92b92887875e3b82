/* Open MPI loaded at run time; see vgg_mpi.h. */
#include "vgg_mpi.h"
#include "vgg_bf16.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void *handle;
static void *library;
static handle comm_world, type_float, type_double, type_u64, type_i64, type_u16, op_sum;
static handle op_bf16_sum;
static int (*p_init_thread)(int *, char ***, int, int *);
static int (*p_finalize)(void);
static int (*p_comm_rank)(handle, int *);
static int (*p_comm_size)(handle, int *);
static int (*p_abort)(handle, int);
static int (*p_error_string)(int, char *, int *);
static int (*p_iallreduce)(const void *, void *, int, handle, handle, handle, handle *);
static int (*p_allreduce)(const void *, void *, int, handle, handle, handle);
static int (*p_iallgather)(const void *, int, handle, void *, int, handle, handle, handle *);
static int (*p_ibarrier)(handle, handle *);
static int (*p_isend)(const void *, int, handle, int, int, handle, handle *);
static int (*p_irecv)(void *, int, handle, int, int, handle, handle *);
static int (*p_test)(handle *, int *, void *);
static int (*p_request_free)(handle *);
static int (*p_cancel)(handle *);
static int (*p_op_create)(void (*)(void *, void *, int *, handle *), int, handle *);
static int (*p_comm_split_type)(handle, int, int, handle, handle *);
static int (*p_comm_split)(handle, int, int, handle *);
static int (*p_reduce)(const void *, void *, int, handle, handle, int, handle);
static int (*p_bcast)(void *, int, handle, int, handle);
static int (*p_reduce_scatter)(const void *, void *, const int *, handle, handle, handle);
static int (*p_allgatherv)(const void *, int, handle, void *, const int *, const int *, handle, handle);
static int (*p_sendrecv)(const void *, int, handle, int, int, void *, int, handle, int, int, handle, void *);
static handle info_null;
/* The hierarchical all-reduce's communicators: the ranks of this host, and the ranks of the
 * other hosts with this rank's index inside its host (NULL until vgg_mpi_hier_setup). */
static handle comm_local, comm_across;
static int local_rank, local_size;

#define IN_PLACE ((void *)1)
#define STATUS_IGNORE ((void *)0)
#define THREAD_FUNNELED 1

static void *symbol(const char *name, char *error, int length, int *failed) {
    void *s = dlsym(library, name);
    if (!s && !*failed) { snprintf(error, (size_t)length, "%s has no symbol %s (is it Open MPI 4?)", "libmpi", name); *failed = 1; }
    return s;
}

/* The user-defined bfloat16 sum: each pair widened to float, added, rounded back (bf16.c). */
static void bf16_sum(void *in, void *inout, int *len, handle *type) {
    (void)type;
    vgg_bf16_add(in, inout, *len);
}

int vgg_mpi_load(const char *path, char *error, int length) {
    if (library) return 0;
    const char *name = path ? path : "libmpi.so.40";
    library = dlopen(name, RTLD_NOW | RTLD_GLOBAL);
    if (!library) { snprintf(error, (size_t)length, "cannot load %s: %s", name, dlerror()); return 1; }
    int failed = 0;
    comm_world = symbol("ompi_mpi_comm_world", error, length, &failed);
    type_float = symbol("ompi_mpi_float", error, length, &failed);
    type_double = symbol("ompi_mpi_double", error, length, &failed);
    type_u64 = symbol("ompi_mpi_uint64_t", error, length, &failed);
    type_i64 = symbol("ompi_mpi_int64_t", error, length, &failed);
    type_u16 = symbol("ompi_mpi_uint16_t", error, length, &failed);
    op_sum = symbol("ompi_mpi_op_sum", error, length, &failed);
    p_init_thread = symbol("MPI_Init_thread", error, length, &failed);
    p_finalize = symbol("MPI_Finalize", error, length, &failed);
    p_comm_rank = symbol("MPI_Comm_rank", error, length, &failed);
    p_comm_size = symbol("MPI_Comm_size", error, length, &failed);
    p_abort = symbol("MPI_Abort", error, length, &failed);
    p_error_string = symbol("MPI_Error_string", error, length, &failed);
    p_iallreduce = symbol("MPI_Iallreduce", error, length, &failed);
    p_allreduce = symbol("MPI_Allreduce", error, length, &failed);
    p_iallgather = symbol("MPI_Iallgather", error, length, &failed);
    p_ibarrier = symbol("MPI_Ibarrier", error, length, &failed);
    p_isend = symbol("MPI_Isend", error, length, &failed);
    p_irecv = symbol("MPI_Irecv", error, length, &failed);
    p_test = symbol("MPI_Test", error, length, &failed);
    p_request_free = symbol("MPI_Request_free", error, length, &failed);
    p_cancel = symbol("MPI_Cancel", error, length, &failed);
    p_op_create = symbol("MPI_Op_create", error, length, &failed);
    p_comm_split_type = symbol("MPI_Comm_split_type", error, length, &failed);
    p_comm_split = symbol("MPI_Comm_split", error, length, &failed);
    p_reduce = symbol("MPI_Reduce", error, length, &failed);
    p_bcast = symbol("MPI_Bcast", error, length, &failed);
    p_reduce_scatter = symbol("MPI_Reduce_scatter", error, length, &failed);
    p_allgatherv = symbol("MPI_Allgatherv", error, length, &failed);
    p_sendrecv = symbol("MPI_Sendrecv", error, length, &failed);
    info_null = symbol("ompi_mpi_info_null", error, length, &failed);
    if (failed) { dlclose(library); library = NULL; return 1; }
    return 0;
}

int vgg_mpi_init(int *provided) {
    int rc = p_init_thread(NULL, NULL, THREAD_FUNNELED, provided);
    if (rc == 0) rc = p_op_create(bf16_sum, 1, &op_bf16_sum);
    return rc;
}
int vgg_mpi_finalize(void) { return p_finalize(); }
int vgg_mpi_rank(int *rank) { return p_comm_rank(comm_world, rank); }
int vgg_mpi_size(int *size) { return p_comm_size(comm_world, size); }
void vgg_mpi_abort(int code) { p_abort(comm_world, code); }
void vgg_mpi_error_string(int code, char *out, int length) {
    int n = length;
    if (!library || p_error_string(code, out, &n) != 0) snprintf(out, (size_t)length, "MPI error %d", code);
}
int vgg_mpi_iallreduce_float_sum(float *buffer, int count, void **request) {
    return p_iallreduce(IN_PLACE, buffer, count, type_float, op_sum, comm_world, request);
}
int vgg_mpi_iallreduce_double_sum(double *buffer, int count, void **request) {
    return p_iallreduce(IN_PLACE, buffer, count, type_double, op_sum, comm_world, request);
}
int vgg_mpi_iallreduce_bf16_sum(uint16_t *buffer, int count, void **request) {
    return p_iallreduce(IN_PLACE, buffer, count, type_u16, op_bf16_sum, comm_world, request);
}
int vgg_mpi_allreduce_float_sum(float *buffer, int count) {
    return p_allreduce(IN_PLACE, buffer, count, type_float, op_sum, comm_world);
}
int vgg_mpi_allreduce_bf16_sum(uint16_t *buffer, int count) {
    return p_allreduce(IN_PLACE, buffer, count, type_u16, op_bf16_sum, comm_world);
}
int vgg_mpi_iallgather_u64(const uint64_t *value, uint64_t *all, void **request) {
    return p_iallgather(value, 1, type_u64, all, 1, type_u64, comm_world, request);
}
int vgg_mpi_ibarrier(void **request) { return p_ibarrier(comm_world, request); }
int vgg_mpi_isend_i64(const int64_t *value, int destination, int tag, void **request) {
    return p_isend(value, 1, type_i64, destination, tag, comm_world, request);
}
int vgg_mpi_irecv_i64(int64_t *value, int source, int tag, void **request) {
    return p_irecv(value, 1, type_i64, source, tag, comm_world, request);
}
int vgg_mpi_test(void **request, int *done) { return p_test(request, done, STATUS_IGNORE); }
int vgg_mpi_request_free(void **request) { return p_request_free(request); }
int vgg_mpi_cancel(void **request) { return p_cancel(request); }

#define COMM_TYPE_SHARED 0

int vgg_mpi_hier_setup(int *rank_in_host, int *ranks_in_host) {
    int world_rank = 0;
    int rc = p_comm_rank(comm_world, &world_rank);
    if (rc == 0) rc = p_comm_split_type(comm_world, COMM_TYPE_SHARED, world_rank, info_null, &comm_local);
    if (rc == 0) rc = p_comm_rank(comm_local, &local_rank);
    if (rc == 0) rc = p_comm_size(comm_local, &local_size);
    if (rc == 0) rc = p_comm_split(comm_world, local_rank, world_rank, &comm_across);
    if (rc != 0) { comm_local = NULL; comm_across = NULL; return rc; }
    *rank_in_host = local_rank;
    *ranks_in_host = local_size;
    return 0;
}

int vgg_mpi_hier_allreduce(void *buffer, int count, int bf16, int scheme) {
    if (!comm_local || !comm_across) return -1;
    handle type = bf16 ? type_u16 : type_float, op = bf16 ? op_bf16_sum : op_sum;
    size_t width = bf16 ? 2 : 4;
    int rc;
    if (scheme == VGG_MPI_HIER_LEADER) {
        rc = p_reduce(local_rank == 0 ? IN_PLACE : buffer, buffer, count, type, op, 0, comm_local);
        if (rc == 0 && local_rank == 0) rc = p_allreduce(IN_PLACE, buffer, count, type, op, comm_across);
        if (rc == 0) rc = p_bcast(buffer, count, type, 0, comm_local);
        return rc;
    }
    int counts[local_size], offsets[local_size];
    for (int i = 0, o = 0; i < local_size; i++) {
        counts[i] = count / local_size + (i < count % local_size);
        offsets[i] = o;
        o += counts[i];
    }
    void *piece = malloc((size_t)(counts[0] > 0 ? counts[0] : 1) * width);
    if (!piece) return -1;
    rc = p_reduce_scatter(buffer, piece, counts, type, op, comm_local);
    if (rc == 0) rc = p_allreduce(IN_PLACE, piece, counts[local_rank], type, op, comm_across);
    if (rc == 0) rc = p_allgatherv(piece, counts[local_rank], type, buffer, counts, offsets, type, comm_local);
    free(piece);
    return rc;
}

/* The sum in one fixed binary tree over the ranks (see vgg_mpi.h): recursive halving from the
   lowest rank bit up, then recursive doubling back. At the level of bit d both partners hold the
   same range (they agree on every lower bit); the one whose bit is 0 keeps the lower half, and
   the kept half becomes (the lower group's subtree) + (the upper group's): one float addition per
   element and level, the tree's. The second pass only copies. */
int vgg_mpi_tree_allreduce(float *buffer, int count, int tag) {
    int rank = 0, size = 1, rc = p_comm_rank(comm_world, &rank);
    if (rc == 0) rc = p_comm_size(comm_world, &size);
    if (rc != 0) return rc;
    if (size < 2 || (size & (size - 1)) != 0) return -1;
    int levels = 0;
    while ((1 << levels) < size) levels++;
    int lo[32], hi[32];                 /* the range held before each level's split */
    float *received = malloc((size_t)(count / 2 + 1) * sizeof(float));
    if (!received) return -1;
    int a = 0, b = count;
    for (int l = 0; l < levels && rc == 0; l++) {
        int partner = rank ^ (1 << l), mid = a + (b - a) / 2, lower = (rank & (1 << l)) == 0;
        lo[l] = a; hi[l] = b;
        int keep_a = lower ? a : mid, keep_b = lower ? mid : b;
        int send_a = lower ? mid : a, send_b = lower ? b : mid;
        rc = p_sendrecv(buffer + send_a, send_b - send_a, type_float, partner, tag,
                        received, keep_b - keep_a, type_float, partner, tag, comm_world, STATUS_IGNORE);
        if (rc != 0) break;
        float *x = buffer + keep_a;
        int n = keep_b - keep_a;
        if (lower) for (int i = 0; i < n; i++) x[i] = x[i] + received[i];    /* left + right */
        else for (int i = 0; i < n; i++) x[i] = received[i] + x[i];
        a = keep_a; b = keep_b;
    }
    free(received);
    for (int l = levels - 1; l >= 0 && rc == 0; l--) {
        int partner = rank ^ (1 << l), mid = lo[l] + (hi[l] - lo[l]) / 2, lower = (rank & (1 << l)) == 0;
        int other_a = lower ? mid : lo[l], other_b = lower ? hi[l] : mid;
        rc = p_sendrecv(buffer + a, b - a, type_float, partner, tag,
                        buffer + other_a, other_b - other_a, type_float, partner, tag, comm_world, STATUS_IGNORE);
        a = lo[l]; b = hi[l];
    }
    return rc;
}
