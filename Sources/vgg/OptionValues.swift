import ArgumentParser
import Backends
import CPUBackend
import CUDABackend
import NN
import Training

// The enums that are command-line option values, parsed by their raw values.
extension BackendKind: ExpressibleByArgument {}
extension ConvolutionAlgorithm: ExpressibleByArgument {}
extension WinogradImplementation: ExpressibleByArgument {}
extension GEMM.Library: ExpressibleByArgument {}
extension CUDAPrecision: ExpressibleByArgument {}
extension Initializer: ExpressibleByArgument {}
extension TestMode: ExpressibleByArgument {}
