import Foundation
import Tensors

/// The communicator of this process: Open MPI's when mpirun (or `srun --mpi=pmix`) launched
/// it, else a single process (MPI is then never loaded); a Slurm step of several tasks without
/// an MPI launch is an error. A program gets it as `any Communicator` and ends it
/// with `finish` or `abort(reason:)`.
public enum ProcessCommunicator {
    /// `timeout`: seconds an MPI collective may take before the job ends, naming the ranks that
    /// fell behind; `scheme`: how gradients are summed across hosts.
    public static func make(timeout: Double = 60, scheme: AllReduceScheme = .flat) throws -> any Communicator {
        guard MPIEnvironment.isLaunched else {
            if let why = MPIEnvironment.slurmStepWithoutMPI() {
                throw CommunicationError(rank: ProcessInfo.processInfo.environment["SLURM_PROCID"].flatMap(Int.init) ?? 0, why)
            }
            return SingleProcessCommunicator()
        }
        return try MPICommunicator(timeout: timeout, scheme: scheme)
    }
}
