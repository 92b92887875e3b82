import XCTest
@testable import CPUBackend
import Tensors

/// oneDNN's ReLU against its definition, forward and backward, in place, on a size that
/// is not a multiple of any vector width and with exact zeros in the input.
final class ReLUKernelTests: XCTestCase {
    func testForwardAndBackwardFollowTheDefinition() throws {
        let n = 1_003
        var original = [Float](repeating: 0, count: n)
        for i in 0..<n where i % 7 != 0 { original[i] = Float((i * 37) % 201 - 100) / 10 }
        let kernel = try ReLUKernel(count: n, context: DNNLContext())
        let x = Tensor(original, shape: [n], on: HostMemory.shared)
        kernel.forward(x)
        let y = x.toArray()
        for i in 0..<n { XCTAssertEqual(y[i], max(original[i], 0), "forward at \(i)") }

        let incoming = (0..<n).map { Float($0 % 13) - 6.5 }
        let g = Tensor(incoming, shape: [n], on: HostMemory.shared)
        kernel.backward(output: x, gradient: g)
        let gv = g.toArray()
        for i in 0..<n { XCTAssertEqual(gv[i], original[i] > 0 ? incoming[i] : 0, "backward at \(i)") }
    }
}
