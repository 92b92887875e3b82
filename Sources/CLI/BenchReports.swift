import Backends
import Foundation
import Tensors

/// The JSON line of `vgg bench --json`: the fields every workload has (what ran, on which
/// backend, with which kernel libraries, and the peak resident memory), then the workload's
/// own `Record`, in one object with snake_case keys, sorted.
struct BenchReport<Record: Encodable>: Encodable {
    /// The fields of every workload.
    struct Common: Encodable {
        var mode: String
        var backend: String
        var settings: String
        var iterations: Int
        var warmup: Int
        var threads: Int?
        var onednn: String?
        var blasCore: String?
        var gemm: String?
        var convAlgorithm: String?
        var winograd: String?
        var peakRssMib: Double
    }

    var common: Common
    var record: Record

    init(mode: String, backend: any Backend, iterations: Int, warmup: Int, record: Record) {
        let facts = BackendFacts(of: backend)
        common = Common(mode: mode, backend: backend.name, settings: backend.settingsSummary, iterations: iterations, warmup: warmup,
                        threads: facts.threads, onednn: facts.onednn, blasCore: facts.blasCore, gemm: facts.gemm,
                        convAlgorithm: facts.convolutionAlgorithm, winograd: facts.winograd,
                        peakRssMib: (peakRSSMiB() * 10).rounded() / 10)
        self.record = record
    }

    /// Both parts into one object.
    func encode(to encoder: Encoder) throws {
        try common.encode(to: encoder)
        try record.encode(to: encoder)
    }

    /// One line of JSON.
    func line() throws -> String {
        try JSONReport.line(self, snakeCaseKeys: true)
    }
}

/// `vgg bench` of a network: training step and inference, per layer with the table.
struct NetworkBenchRecord: Encodable {
    /// One row of the per-layer table.
    struct Layer: Encodable {
        var name: String
        var kind: String
        var output: [Int]
        /// Convolutions: winograd or direct.
        var algorithm: String?
        var fwdMs: Double?
        var bwdMs: Double?
        var infMs: Double?
    }

    var arch: String
    var gflopPerImage: Double
    var batch: Int?
    var trainImgS: Double?
    var trainStepMs: Double?
    var trainStepsMs: [Double]?
    /// Under mpirun: the ranks, the global rate, and the gradient all-reduce alone, exposed,
    /// and the fraction hidden behind the backward pass.
    var ranks: Int?
    var globalImgS: Double?
    var allreduceMs: Double?
    var allreduceExposedMs: Double?
    var allreduceHiddenFraction: Double?
    var buckets: Int?
    var overlap: Bool?
    var inferenceBatch: Int?
    var inferImgS: Double?
    var inferBatchMs: Double?
    var inferBatchesMs: [Double]?
    var layers: [Layer]?
    /// cuda: the most device memory held, and the arithmetic.
    var peakGpuMib: Double?
    var precision: String?
}

/// `vgg bench --conv`: one convolution's forward and backward.
struct ConvolutionBenchRecord: Encodable {
    /// IN, OUT, SIZE, KERNEL.
    var conv: [Int]
    var batch: Int
    var gflopPerPass: Double
    var forwardMs: Double
    var forwardGflops: Double
    var backwardMs: Double
    var backwardGflops: Double
    var implementations: [String]
}

/// `vgg bench --sgemm`: OpenBLAS's (`gflops`, `median_ms`) and oneDNN's sgemm.
struct SGEMMBenchRecord: Encodable {
    var size: Int
    var medianMs: Double?
    var gflops: Double?
    var gflopsOnednn: Double?
}

/// `vgg bench --allreduce`: all-reduce times and bus bandwidths, float32 and bfloat16.
struct AllReduceBenchRecord: Encodable {
    var ranks: Int
    var mib: Double
    /// The all-reduce scheme that ran (`AllReduceScheme`).
    var scheme: String
    var float32Ms: Double?
    var float32BusGbS: Double?
    var bfloat16Ms: Double?
    var bfloat16BusGbS: Double?
    /// `--reproducible`'s exchange of the same gradients with 4 ranks or more: the tree sum
    /// (point to point, `Communicator.treeSum`) and the fallback, N / 2 slots in one all-reduce.
    var reproducibleTreeMs: Double?
    var reproducibleSlotsMs: Double?
}

/// `vgg bench --save-checkpoint`: the time and the memory of writing a checkpoint.
struct CheckpointBenchRecord: Encodable {
    var arch: String
    var tensorMib: Double
    var saveS: Double
    var peakRssBeforeMib: Double
    var peakRssAfterMib: Double
    var saveExtraMib: Double
}
