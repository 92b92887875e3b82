import XCTest
@testable import Kernels

/// oneDNN's ReLU against its definition, forward and backward, in place, on a size that
/// is not a multiple of any vector width and with exact zeros in the input.
final class ReLUKernelTests: XCTestCase {
    func testForwardAndBackwardFollowTheDefinition() throws {
        let n = 1_003
        var x = [Float](repeating: 0, count: n)
        for i in 0..<n where i % 7 != 0 { x[i] = Float((i * 37) % 201 - 100) / 10 }
        let original = x
        let kernel = try ReLUKernel(count: n)
        x.withUnsafeMutableBufferPointer { kernel.forward($0.baseAddress!) }
        for i in 0..<n { XCTAssertEqual(x[i], max(original[i], 0), "forward at \(i)") }

        var g = [Float](repeating: 0, count: n)
        for i in 0..<n { g[i] = Float(i % 13) - 6.5 }
        let incoming = g
        x.withUnsafeMutableBufferPointer { y in
            g.withUnsafeMutableBufferPointer { kernel.backward(output: y.baseAddress!, gradient: $0.baseAddress!) }
        }
        for i in 0..<n { XCTAssertEqual(g[i], original[i] > 0 ? incoming[i] : 0, "backward at \(i)") }
    }
}
