import Foundation
import Tensors

/// Every setting of the `cuda` backend: which GPU, which arithmetic, how much scratch memory
/// cuDNN's convolution algorithms may use.
public struct CUDABackendConfiguration: Equatable, Sendable {
    /// The GPU's ordinal (`--device`), 0 for the first.
    public var device: Int
    /// fp32, tf32 or bf16 (`--precision`; bf16 keeps bf16 values in float32 tensors, docs/precision.md).
    public var precision: CUDAPrecision
    /// The largest workspace a convolution algorithm may ask for; faster algorithms that
    /// need more are passed over.
    public var workspaceLimitBytes: Int

    public init(device: Int = 0, precision: CUDAPrecision = .fp32, workspaceLimitBytes: Int = 1 << 30) {
        self.device = device
        self.precision = precision
        self.workspaceLimitBytes = workspaceLimitBytes
    }

    /// The defaults, changed by `VGG_DEVICE`, `VGG_PRECISION` (fp32, tf32, bf16) and
    /// `VGG_CUDA_WORKSPACE_MB` where set; other values are errors.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> CUDABackendConfiguration {
        var c = CUDABackendConfiguration()
        if let v = environment["VGG_DEVICE"], !v.isEmpty {
            guard let n = Int(v), n >= 0 else { throw BackendError(operation: "VGG_DEVICE=\(v)", problem: "not a device ordinal (0, 1, …)") }
            c.device = n
        }
        c.precision = try Precision.fromEnvironment(environment)
        if let v = environment["VGG_CUDA_WORKSPACE_MB"], !v.isEmpty {
            guard let n = Int(v), n >= 0 else { throw BackendError(operation: "VGG_CUDA_WORKSPACE_MB=\(v)", problem: "not a size in MiB") }
            c.workspaceLimitBytes = n << 20
        }
        return c
    }
}
