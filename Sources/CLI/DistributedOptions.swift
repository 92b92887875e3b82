import ArgumentParser
import Distributed
import Foundation
import Tensors
import Training

/// The communicator of a command: Open MPI's when the process was launched by mpirun, else
/// a single process (MPI is then never loaded).
struct CommunicationOptions: ParsableArguments {
    @Option(help: "Under mpirun: seconds a collective operation may take before the job ends, naming the ranks that fell behind.")
    var commTimeout: Double = 60
    @Option(name: .customLong("allreduce-scheme"), help: "Under mpirun, ranks on several hosts: gradients summed by Open MPI over every rank (flat), or inside each host first over shared memory, then across hosts (leader: to one rank per host; scatter: a piece per rank); needs the same number (≥ 2) of ranks on every host, else flat runs.")
    var allReduceScheme: AllReduceScheme = .flat

    func validate() throws {
        guard commTimeout > 0 else { throw ValidationError("--comm-timeout must be positive") }
    }

    /// MPI's communicator under mpirun, a single process otherwise.
    func makeCommunicator() throws -> any Communicator { try ProcessCommunicator.make(timeout: commTimeout, scheme: allReduceScheme) }
}

/// Options of data-parallel training (`mpirun -np N vgg train …`): how gradients travel.
struct DistributedOptions: ParsableArguments {
    @Option(help: "Under mpirun: gradients are summed in buckets of about this many MiB, each started as soon as its layers' backward is done (default \(defaults.bucketBytes >> 20)).")
    var bucketMB: Double?
    @Flag(help: "Under mpirun: one all-reduce of all gradients after the backward pass, instead of buckets during it (for comparison).")
    var noOverlap = false
    @Option(name: .customLong("allreduce-dtype"), help: "Under mpirun: gradients travel as float32, bfloat16 (half the bytes, each rank's gradients rounded) or auto: bfloat16 where some rank is on another host, float32 on one host and under --reproducible.")
    var allReduceDType: AllReduceDTypeChoice = .automatic
    @OptionGroup var communication: CommunicationOptions

    private static let defaults = DistributedSettings()

    func validate() throws {
        if let bucketMB, bucketMB <= 0 { throw ValidationError("--bucket-mb must be positive") }
    }

    /// The settings for the ranks of `communicator` (`--allreduce-dtype auto` resolved from where they run).
    func settings(for communicator: any Communicator, reproducible: Bool = false) -> DistributedSettings {
        var s = DistributedSettings()
        if let bucketMB { s.bucketBytes = max(4, Int(bucketMB * 1048576)) }
        s.overlap = !noOverlap
        let mpi = communicator as? MPICommunicator, spans = mpi?.spansHosts ?? false
        s.precision = allReduceDType.resolved(spansHosts: spans, reproducible: reproducible)
        s.note = allReduceDType.reason(spansHosts: spans, reproducible: reproducible)
            + (mpi.map { ", all-reduce \($0.allReduceScheme.rawValue)" } ?? "")
        return s
    }

    func makeCommunicator() throws -> any Communicator { try communication.makeCommunicator() }
}

extension AllReduceScheme: ExpressibleByArgument {}

extension AllReduceDTypeChoice: ExpressibleByArgument {
    public init?(argument: String) {
        if argument.lowercased() == "auto" { self = .automatic; return }
        guard let p = AllReducePrecision(argument: argument) else { return nil }
        self = p == .float32 ? .float32 : .bfloat16
    }
}

extension AllReducePrecision: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument.lowercased() {
        case "float32", "fp32", "f32": self = .float32
        case "bfloat16", "bf16": self = .bfloat16
        default: return nil
        }
    }
}
