import Foundation

/// What `mpirun` tells a process through its environment, read before (and without)
/// initialising MPI: whether it was launched by mpirun, its rank, the world size, and how
/// many ranks share its machine (for the default thread count).
public enum MPIEnvironment {
    /// Open MPI's variables (`OMPI_COMM_WORLD_*`), else PMIx's.
    public static func launch(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> (rank: Int, size: Int, localSize: Int)? {
        func int(_ names: String...) -> Int? { names.lazy.compactMap { environment[$0].flatMap(Int.init) }.first }
        guard let size = int("OMPI_COMM_WORLD_SIZE", "PMIX_SIZE"), let rank = int("OMPI_COMM_WORLD_RANK", "PMIX_RANK") else {
            return nil
        }
        return (rank, size, int("OMPI_COMM_WORLD_LOCAL_SIZE", "PMIX_LOCAL_SIZE") ?? 1)
    }

    /// Whether this process was started by mpirun (even as a single rank).
    public static var isLaunched: Bool { launch() != nil }

    /// Cores ÷ ranks on this machine, at least 1: the default threads of a rank.
    public static func defaultThreads(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return max(1, cores / max(1, launch(environment)?.localSize ?? 1))
    }
}
