import ArgumentParser
import Foundation
import Tensors

/// `vgg bench`: training and inference images/s of a network, a per-layer table of
/// forward/backward times and GFLOP/s, and the peak resident memory.
///
/// Two single-kernel modes measure the machine rather than a network:
/// `--conv IN,OUT,SIZE` times one `Conv2d` (3×3, padding 1) forward and backward (dx + dW)
/// through the NN layer, and `--sgemm N` times OpenBLAS sgemm N×N×N (the practical peak).
/// `--json` adds one machine-readable line (a JSON object) at the end of the output.
/// `--save-checkpoint PATH` measures what writing a checkpoint of the network (weights,
/// running statistics, momentum) costs in time and in peak memory above the model's own.
/// The training step timed is `TrainingModel.step`, the one `vgg train` runs; each workload
/// (one file each) reports through its `Codable` record (`BenchReports.swift`).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmark a network's training step and inference, one convolution, or sgemm.")
    @OptionGroup var model: ModelOptions
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var distributed: DistributedOptions
    @Option(help: "Time all-reduces of this many MiB across the ranks of mpirun (float32 and bfloat16): algorithm and bus bandwidth; with 4 ranks or more (a power of two) also --reproducible's tree sum and its fallback.")
    var allreduce: Double?
    @Option(help: ArgumentHelp("Images per timed step (per rank under mpirun). Half of train's \(BatchOptions.defaultBatchSize): without other options bench times VGG-A's training step on 224-pixel images, whose activations are all kept for the backward pass.",
                               valueName: "n"))
    var batchSize: Int = defaultBatchSize
    /// `--batch-size`'s default, `vgg bench`'s own.
    static let defaultBatchSize = 128
    /// `--batch-size`'s former spelling, still accepted (with a warning).
    @Option(name: .customLong("batch"), help: .hidden) var legacyBatch: Int?
    @Option(help: "Timed iterations.") var iterations: Int = 5
    @Option(help: "Untimed warm-up iterations.") var warmup: Int = 2
    @Option(help: "Batch size of the inference measurement (default: the training batch).")
    var inferenceBatch: Int?
    @Flag(help: "Skip the per-layer table.") var noLayers = false
    @Flag(help: "Do not measure the training step.") var skipTraining = false
    @Flag(help: "Do not measure inference.") var skipInference = false
    @Flag(help: "Also print the results as one JSON object on the last line.") var json = false
    @Option(help: "Time one Conv2d instead of a network: IN,OUT,SIZE[,KERNEL] (e.g. 128,128,16; padding keeps the size).")
    var conv: String?
    @Option(help: "Time OpenBLAS sgemm N×N×N instead of a network (e.g. 1024).") var sgemm: Int?
    @Option(help: "Time the data loader instead of a network: 'fashion-mnist', a data directory (IDX, CIFAR, image folder), or 'synthetic-jpeg' (256×256 JPEGs).")
    var data: String?
    @OptionGroup var loading: DataLoadingOptions
    @Option(help: "Measure writing a checkpoint of the network (after one training step) to this path: time and peak memory above the model's own.")
    var saveCheckpoint: String?

    func validate() throws {
        // Both spellings with different values (a --batch-size equal to the default cannot be told from none).
        guard legacyBatch == nil || batchSize == Self.defaultBatchSize || legacyBatch == batchSize else {
            throw ValidationError("--batch is the old spelling of --batch-size: give --batch-size only")
        }
        guard batch > 0, iterations > 0, warmup >= 0 else { throw ValidationError("--batch-size and --iterations must be positive") }
        if skipTraining && skipInference && conv == nil && sgemm == nil && data == nil && saveCheckpoint == nil && allreduce == nil {
            throw ValidationError("--skip-training and --skip-inference leave nothing to measure")
        }
        if let n = sgemm, n <= 0 { throw ValidationError("--sgemm needs a positive size") }
    }

    /// The batch of the measurement, however it was spelled.
    var batch: Int { legacyBatch ?? batchSize }

    /// The renamed spellings this command line used.
    var renamedOptions: [RenamedOption] { legacyBatch == nil ? [] : [RenamedOption(command: "bench", old: "--batch", new: "--batch-size")] }

    /// The loader threads of `--data`.
    var workers: Int { loading.workers }

    func run() throws {
        renamedOptions.forEach { $0.warn() }
        if let d = data { return try runLoader(d) }
        let communicator = try distributed.makeCommunicator()
        // Under mpirun, rank 0 reports; every rank runs the same measurement.
        if !communicator.isRoot { _ = freopen("/dev/null", "w", stdout) }
        try communicator.running { try measure(communicator) }
    }

    private func measure(_ communicator: any Communicator) throws {
        if let mb = allreduce { return try runAllReduce(mb, communicator) }
        let backend = try runtime.makeBackend()
        if let n = sgemm { return try runSGEMM(n, backend) }
        if let spec = conv { return try runConvolution(spec, backend) }
        if let path = saveCheckpoint { return try runCheckpointSave(path, backend) }
        try runNetwork(backend, communicator)
    }

    /// Prints `record` as the JSON line of `--json` (with the fields every workload has).
    func emit<Record: Encodable>(_ mode: String, _ backend: any Backend, _ record: Record) throws {
        guard json else { return }
        print(try BenchReport(mode: mode, backend: backend, iterations: iterations, warmup: warmup, record: record).line())
    }
}

/// The median of `v` (NaN when empty).
func median(_ v: [Double]) -> Double {
    let s = v.sorted()
    return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2]))
}

/// This process's peak resident memory so far.
func peakRSSMiB() -> Double {
    var u = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    return Double(u.ru_maxrss) / 1024
}
