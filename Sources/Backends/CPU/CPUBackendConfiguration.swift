import Foundation
import Tensors

/// Every setting of the `cpu` backend, in one value: threads, convolution algorithm, whose
/// Winograd kernels, GEMM library, the Winograd scratch budget and the precision. Nothing of it is
/// process-wide state: two backends with different settings can live side by side
/// (except the thread count, which OpenMP and OpenBLAS keep per process: the last backend
/// created sets it).
public struct CPUBackendConfiguration: Equatable, Sendable {
    /// Threads of oneDNN (OpenMP), OpenBLAS and the optimizer update.
    public var threads: Int
    /// Direct, Winograd, or Winograd where it pays off.
    public var convolutionAlgorithm: ConvolutionAlgorithm
    /// oneDNN's Winograd kernels (AVX-512 in oneDNN 2.x) or the native ones.
    public var winograd: WinogradImplementation
    /// The sgemm of the fully connected layers and the native Winograd products.
    public var gemm: GEMM.Library
    /// Scratch budget for one block of native Winograd tiles.
    public var winogradScratchBytes: Int
    /// `fp32` or `bf16` (docs/precision.md); `BackendKind.make` sets it from `--precision`
    /// and refuses `tf32` (no TF32 units) before a backend is made.
    public var precision: Precision

    /// All cores, automatic algorithm, the best Winograd kernels of this machine, oneDNN's sgemm.
    public init(threads: Int? = nil, convolutionAlgorithm: ConvolutionAlgorithm = .automatic,
                winograd: WinogradImplementation? = nil, gemm: GEMM.Library = .onednn,
                winogradScratchBytes: Int = 16 << 20, precision: Precision = .fp32) {
        self.threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        self.convolutionAlgorithm = convolutionAlgorithm
        self.winograd = winograd ?? .best
        self.gemm = gemm
        self.winogradScratchBytes = max(1 << 20, winogradScratchBytes)
        self.precision = precision
    }

    /// The defaults, changed by `VGG_THREADS`, `VGG_CONV_ALGORITHM` (direct, winograd,
    /// automatic), `VGG_WINOGRAD` (onednn, native), `VGG_GEMM` (onednn, openblas) and
    /// `VGG_WINOGRAD_SCRATCH_MB` where set; a value that is not one of these is an error.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> CPUBackendConfiguration {
        func value<T: RawRepresentable & CaseIterable>(_ name: String, _: T.Type) throws -> T? where T.RawValue == String {
            guard let v = environment[name], !v.isEmpty else { return nil }
            guard let t = T(rawValue: v.lowercased()) else {
                throw BackendError(operation: "\(name)=\(v)", problem: "not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return t
        }
        func integer(_ name: String) throws -> Int? {
            guard let v = environment[name], !v.isEmpty else { return nil }
            guard let n = Int(v), n > 0 else { throw BackendError(operation: "\(name)=\(v)", problem: "not a positive integer") }
            return n
        }
        var c = CPUBackendConfiguration(threads: try integer("VGG_THREADS"),
                                        convolutionAlgorithm: try value("VGG_CONV_ALGORITHM", ConvolutionAlgorithm.self) ?? .automatic,
                                        winograd: try value("VGG_WINOGRAD", WinogradImplementation.self),
                                        gemm: try value("VGG_GEMM", GEMM.Library.self) ?? .onednn)
        if let mb = try integer("VGG_WINOGRAD_SCRATCH_MB") { c.winogradScratchBytes = mb << 20 }
        return c
    }

    /// Checks that the chosen kernels run on this machine and that the precision is one the
    /// backend has (fp32, bf16).
    public func validate() throws {
        guard precision != .tf32 else {
            throw BackendError(operation: "cpu --precision tf32", problem: "the cpu backend has no TF32 arithmetic; use fp32 or bf16 (or tf32 on --backend cuda)")
        }
        guard winograd.isAvailable else {
            throw BackendError(operation: "Winograd kernels '\(winograd.rawValue)'", problem: "they do not run on this machine")
        }
    }
}
