import Kernels
import XCTest

final class TensorTests: XCTestCase {
    func testPermutationRoundTrip() {
        let shape = [2, 3, 4, 5]
        let v = (0..<120).map(Float.init)
        let nhwc = Tensor(shape: shape, layout: .nhwc)
        v.withUnsafeBufferPointer { Tensor.permute(nchw: $0.baseAddress!, toNHWC: nhwc.data, shape: shape) }
        // Element (n=1, c=2, h=3, w=4) sits at ((1*4+3)*5+4)*3+2 in NHWC.
        XCTAssertEqual(nhwc[((1 * 4 + 3) * 5 + 4) * 3 + 2], v[((1 * 3 + 2) * 4 + 3) * 5 + 4])
        XCTAssertEqual(nhwc.nchwArray(), v)
    }

    func testGEMMMatchesNaiveProduct() {
        let a: [Float] = [1, 2, 3, 4, 5, 6]        // 2×3
        let b: [Float] = [7, 8, 9, 10, 11, 12]     // 3×2
        var c = [Float](repeating: 0, count: 4)
        c.withUnsafeMutableBufferPointer { GEMM.multiply(transposeA: false, transposeB: false, m: 2, n: 2, k: 3, a: a, b: b, c: $0.baseAddress!) }
        XCTAssertEqual(c, [58, 64, 139, 154])
    }

    func testResizeKeepsCapacityAndReshapeSharesMemory() {
        let t = Tensor(shape: [4, 4])
        t.resize([2, 2])
        XCTAssertEqual(t.count, 4)
        let v = t.reshaped([4])
        v[3] = 7
        XCTAssertEqual(t[3], 7)
    }
}
