import Backends
import CPUBackend
import Tensors

/// The backends the NN, VGG and Training tests run on: the environment's (`cpu` unless
/// `VGG_BACKEND` says otherwise, with `VGG_CONV_ALGORITHM`, `VGG_WINOGRAD`, `VGG_GEMM`) and
/// the reference.
public enum TestBackends {
    nonisolated(unsafe) public static let primary: any Backend = try! BackendKind.makeFromEnvironment()
    nonisolated(unsafe) public static let reference: any Backend = try! BackendKind.reference.make(cpu: CPUBackendConfiguration())
    public static var all: [any Backend] { primary.name == reference.name ? [primary] : [primary, reference] }
}
