import CPUBackend
import CUDABackend
import Tensors

/// What a benchmark reports of a backend beyond its name and settings, read here (the module
/// that knows the concrete backends) so that callers hold only `any Backend`: the cpu
/// backend's threads and kernel libraries, the cuda backend's precision and peak memory.
/// Fields that do not apply to the backend are nil.
public struct BackendFacts: Sendable {
    /// cpu: kernel threads, oneDNN's version, OpenBLAS's kernel set, and the chosen sgemm,
    /// convolution algorithm and Winograd kernels.
    public var threads: Int?
    public var onednn: String?
    public var blasCore: String?
    public var gemm: String?
    public var convolutionAlgorithm: String?
    public var winograd: String?
    /// cuda: the arithmetic, and the most device memory this process held (tensors, workspaces, scratch).
    public var precision: String?
    public var peakDeviceBytes: Int?
    /// Whether `backend` is the cpu backend (whose sgemm libraries `vgg bench --sgemm` times).
    public var isCPU = false

    public init(of backend: any Backend) {
        if let cpu = backend as? CPUBackend {
            let c = cpu.configuration
            isCPU = true
            threads = c.threads
            onednn = CPUFeatures.dnnlVersion
            blasCore = CPUFeatures.blasCore
            gemm = c.gemm.rawValue
            convolutionAlgorithm = c.convolutionAlgorithm.rawValue
            winograd = c.winograd.rawValue
        }
        if let cuda = backend as? CUDABackend {
            precision = cuda.configuration.precision.rawValue
            peakDeviceBytes = cuda.peakBytesHeld
        }
    }
}
