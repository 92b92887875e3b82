import XCTest
import CPUBackend

/// Both GEMM libraries against a naive triple loop, for every transpose combination,
/// with alpha and beta, on shapes that are not multiples of any vector width.
final class GEMMTests: XCTestCase {
    func testBothLibrariesMatchANaiveProduct() {
        let m = 7, n = 13, k = 19
        var seed: UInt32 = 12345
        func next() -> Float { seed = seed &* 1664525 &+ 1013904223; return Float(Int(seed >> 8) % 2001 - 1000) / 1000 }
        let a = (0..<(m * k)).map { _ in next() }, b = (0..<(k * n)).map { _ in next() }
        let c0 = (0..<(m * n)).map { _ in next() }
        let alpha: Float = 0.75, beta: Float = 0.5
        for library in GEMM.Library.allCases {
            for ta in [false, true] {
                for tb in [false, true] {
                    // a holds op(A) (m×k) stored as A (k×m when transposed); likewise b.
                    func opA(_ i: Int, _ p: Int) -> Float { ta ? a[p * m + i] : a[i * k + p] }
                    func opB(_ p: Int, _ j: Int) -> Float { tb ? b[j * k + p] : b[p * n + j] }
                    var c = c0
                    a.withUnsafeBufferPointer { pa in
                        b.withUnsafeBufferPointer { pb in
                            c.withUnsafeMutableBufferPointer { pc in
                                GEMM.multiply(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha,
                                              a: pa.baseAddress!, b: pb.baseAddress!, beta: beta,
                                              c: pc.baseAddress!, library: library)
                            }
                        }
                    }
                    for i in 0..<m {
                        for j in 0..<n {
                            var s: Float = 0
                            for p in 0..<k { s += opA(i, p) * opB(p, j) }
                            let expected = alpha * s + beta * c0[i * n + j]
                            XCTAssertEqual(c[i * n + j], expected, accuracy: 1e-4,
                                           "\(library) transposeA \(ta) transposeB \(tb) at (\(i), \(j))")
                        }
                    }
                }
            }
        }
    }
}
