import Foundation

/// What `mpirun` (or Slurm's `srun --mpi=pmix`) tells a process through its environment, read
/// before (and without) initialising MPI: whether it was launched by an MPI launcher, its rank,
/// the world size, and how many ranks share its machine (for the default thread count).
public enum MPIEnvironment {
    /// Open MPI's variables (`OMPI_COMM_WORLD_*`), else PMIx's. `srun --mpi=pmix` sets only
    /// `PMIX_RANK` (the size is the PMIx server's to tell): the size and the ranks per node then
    /// come from Slurm's step variables.
    public static func launch(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> (rank: Int, size: Int, localSize: Int)? {
        func int(_ names: String...) -> Int? { names.lazy.compactMap { environment[$0].flatMap(Int.init) }.first }
        guard let rank = int("OMPI_COMM_WORLD_RANK", "PMIX_RANK") else { return nil }
        if let size = int("OMPI_COMM_WORLD_SIZE", "PMIX_SIZE") {
            return (rank, size, int("OMPI_COMM_WORLD_LOCAL_SIZE", "PMIX_LOCAL_SIZE") ?? 1)
        }
        guard environment["PMIX_NAMESPACE"] != nil, let size = int("SLURM_STEP_NUM_TASKS") else { return nil }
        return (rank, size, slurmTasksOnThisNode(environment) ?? 1)
    }

    /// Whether this process was started by mpirun (even as a single rank).
    public static var isLaunched: Bool { launch() != nil }

    /// Cores ÷ ranks on this machine, at least 1: the default threads of a rank.
    public static func defaultThreads(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return max(1, cores / max(1, launch(environment)?.localSize ?? 1))
    }

    /// A Slurm job step of several tasks started without an MPI plugin (`srun -n 2 vgg train`
    /// where the cluster's default is `MpiDefault=none`): each task would train alone and all
    /// would write the same output directory. The message says what to run instead (nil: not
    /// such a step).
    public static func slurmStepWithoutMPI(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard launch(environment) == nil, let tasks = environment["SLURM_STEP_NUM_TASKS"].flatMap(Int.init), tasks > 1 else { return nil }
        let task = environment["SLURM_PROCID"] ?? "?"
        return "started by srun as task \(task) of \(tasks) without an MPI launch (no OMPI_COMM_WORLD_* or PMIX_* variables): "
            + "each task would train alone and all would write the same --out. Run `srun --mpi=pmix vgg train …`, "
            + "or `mpirun vgg train …` inside the allocation (salloc or an sbatch script)"
    }

    /// This node's count in `SLURM_STEP_TASKS_PER_NODE` (`2(x3),1`: 2 tasks on each of the
    /// first three nodes, 1 on the fourth), the node being `SLURM_NODEID` (the node's index in the
    /// step); the largest count when the node is not known.
    static func slurmTasksOnThisNode(_ environment: [String: String]) -> Int? {
        guard let text = environment["SLURM_STEP_TASKS_PER_NODE"] ?? environment["SLURM_TASKS_PER_NODE"] else { return nil }
        var counts: [Int] = []
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "(")
            guard let count = Int(pieces[0]) else { return nil }
            var repeats = 1
            if pieces.count == 2 {
                guard pieces[1].hasPrefix("x"), pieces[1].hasSuffix(")"), let r = Int(pieces[1].dropFirst().dropLast()) else { return nil }
                repeats = r
            }
            counts += Array(repeating: count, count: repeats)
        }
        if let node = environment["SLURM_NODEID"].flatMap(Int.init), counts.indices.contains(node) {
            return counts[node]
        }
        return counts.max()
    }
}
