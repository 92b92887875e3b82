import ArgumentParser
import Backends
import CPUBackend
import CUDABackend
import NN
import Tensors
import Training

// The enums that are command-line option values, parsed by their raw values.
extension BackendKind: ExpressibleByArgument {}
extension ConvolutionAlgorithm: ExpressibleByArgument {}
extension WinogradImplementation: ExpressibleByArgument {}
extension GEMM.Library: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}
extension Initializer: ExpressibleByArgument {}
extension TestMode: ExpressibleByArgument {}

/// A structured option value parsed by `CommandLineSyntax`, its syntax errors reported as
/// ArgumentParser's validation errors (with the usage).
func parsed<T>(_ parse: () throws -> T) throws -> T {
    do { return try parse() } catch let e as CommandLineSyntaxError { throw ValidationError(e.description) }
}
