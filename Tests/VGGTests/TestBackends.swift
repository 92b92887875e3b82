import Backends
import CPUBackend
import Tensors

/// The backends the tests run on: the environment's (`cpu` unless `VGG_BACKEND` says
/// otherwise, with `VGG_CONV_ALGORITHM`, `VGG_WINOGRAD`, `VGG_GEMM`) and the reference.
enum TestBackends {
    nonisolated(unsafe) static let primary: any Backend = try! BackendKind.makeFromEnvironment()
    nonisolated(unsafe) static let reference: any Backend = try! BackendKind.reference.make(cpu: CPUBackendConfiguration())
    static var all: [any Backend] { primary.name == reference.name ? [primary] : [primary, reference] }
}
