/* Back-to-back MPI_Allreduce (float sum), no barrier between them: the time per all-reduce in
 * steady state, as consecutive gradient buckets see it (bench/hosts.sh, the latency fit).
 * `vgg bench --allreduce` times each all-reduce after a barrier, which leaves the ranks skewed
 * by up to one one-way latency, so that its median under a delay is between 0 and 2 delays.
 *
 *   mpirun … allreduce_loop MIB [COUNT]      (prints on rank 0 {"mode": "allreduce_loop", "mib": …,
 *                                             "ranks": …, "float32_ms": …}: the slowest rank's
 *                                             time ÷ COUNT, after COUNT/4 + 1 warm-up ones)
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc < 2) { if (rank == 0) fprintf(stderr, "usage: allreduce_loop MIB [COUNT]\n"); MPI_Abort(MPI_COMM_WORLD, 2); }
    double mib = atof(argv[1]);
    int count = argc > 2 ? atoi(argv[2]) : 50;
    int n = (int)(mib * 1048576 / 4); if (n < 1) n = 1;
    float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    if (!x || !y) { fprintf(stderr, "allreduce_loop: no memory for %d floats\n", n); MPI_Abort(MPI_COMM_WORLD, 1); }
    for (int i = 0; i < n; i++) x[i] = 1;
    for (int i = 0; i < count / 4 + 1; i++) MPI_Allreduce(x, y, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (int i = 0; i < count; i++) MPI_Allreduce(x, y, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    double t = MPI_Wtime() - t0, slowest;
    MPI_Reduce(&t, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (rank == 0) printf("{\"mode\": \"allreduce_loop\", \"mib\": %g, \"ranks\": %d, \"count\": %d, \"float32_ms\": %.6f}\n", mib, size, count, slowest / count * 1e3);
    MPI_Finalize();
    return 0;
}
