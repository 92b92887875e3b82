# Finding the processes of an mpirun job (sourced by scripts/chaos.sh and scripts/test-mpi.sh).
#
# rank_pid OUT R prints the pid of rank R of the `vgg train` job writing into directory OUT
# (found by the OMPI_COMM_WORLD_RANK in its environment), nothing if there is none.
rank_pid() {
    for p in $(pgrep -f "vgg train .*--out $1( |$)"); do
        if grep -qz "OMPI_COMM_WORLD_RANK=$2" "/proc/$p/environ" 2>/dev/null; then echo "$p"; fi
    done | head -1
}
