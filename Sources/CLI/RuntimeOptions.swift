import ArgumentParser
import Backends
import CPUBackend
import CUDABackend
import Distributed
import Foundation
import Tensors

/// Options shared by the commands that run a network: which backend, and the `cpu`
/// backend's settings. Each defaults to its environment variable, then to the built-in
/// default (`CPUBackendConfiguration`).
struct RuntimeOptions: ParsableArguments {
    @Option(help: "Backend: cpu (oneDNN, sgemm, C kernels), cuda (one NVIDIA GPU: cuDNN, cuBLAS) or reference (plain Swift loops, slow). Default: $VGG_BACKEND or cpu.")
    var backend: BackendKind?

    @Option(help: "cuda: the GPU's ordinal. Default: $VGG_DEVICE or 0.")
    var device: Int?

    @Option(help: "Arithmetic, the same definition on every backend (docs/precision.md): fp32, tf32 (TF32 products, cuda only), bf16 (bf16 activations and weight copies, fp32 masters; cpu, reference and cuda). Default: $VGG_PRECISION or fp32.")
    var precision: Precision?

    @Option(help: "Threads for the kernels (default: $VGG_THREADS, else all cores, or under mpirun the cores divided by the ranks on that machine).")
    var threads: Int?

    @Option(help: "cpu: convolution algorithm: automatic (Winograd for 3×3 stride-1 layers where it pays off, direct elsewhere), winograd, direct. Default: $VGG_CONV_ALGORITHM or automatic.")
    var convAlgorithm: ConvolutionAlgorithm?

    @Option(help: "cpu: Winograd kernels: onednn (oneDNN 2.x, AVX-512 only) or native (hand-written transforms on sgemm, AVX2). Default: $VGG_WINOGRAD, else onednn where it has Winograd and native elsewhere.")
    var winograd: WinogradImplementation?

    @Option(help: "cpu: sgemm of the fully connected layers: onednn or openblas. Default: $VGG_GEMM or onednn.")
    var gemm: GEMM.Library?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let device, device < 0 { throw ValidationError("--device must be a GPU ordinal (0, 1, …)") }
        if let w = winograd, !w.isAvailable { throw ValidationError("--winograd \(w.rawValue): those kernels do not run on this machine") }
    }

    /// The `cpu` settings: the environment's, overridden by the options given.
    func cpuConfiguration() throws -> CPUBackendConfiguration {
        var c = try CPUBackendConfiguration.fromEnvironment()
        let environment = ProcessInfo.processInfo.environment
        if environment["VGG_THREADS"] == nil, MPIEnvironment.isLaunched { c.threads = MPIEnvironment.defaultThreads(environment) }
        if let threads { c.threads = threads }
        if let convAlgorithm { c.convolutionAlgorithm = convAlgorithm }
        if let winograd { c.winograd = winograd }
        if let gemm { c.gemm = gemm }
        return c
    }

    /// The `cuda` settings: the environment's, overridden by the options given.
    func cudaConfiguration() throws -> CUDABackendConfiguration {
        var c = try CUDABackendConfiguration.fromEnvironment()
        if let device { c.device = device }
        return c
    }

    /// The backend these options describe.
    func makeBackend() throws -> any Backend {
        try (backend ?? BackendKind.fromEnvironment()).make(cpu: try cpuConfiguration(), cuda: try cudaConfiguration(),
                                                              precision: try precision ?? Precision.fromEnvironment(ProcessInfo.processInfo.environment))
    }
}
