import Foundation

/// Eigen-decomposition of small real symmetric matrices by the cyclic Jacobi method.
public enum SymmetricEigen {
    /// Decomposes the row-major `n × n` symmetric `matrix`. Returns eigenvalues in
    /// descending order and the row-major matrix whose column k is the unit eigenvector of
    /// eigenvalue k (sign fixed so its largest-magnitude component is positive).
    public static func decompose(_ matrix: [Double], n: Int, maxSweeps: Int = 100) -> (values: [Double], vectors: [Double]) {
        precondition(matrix.count == n * n)
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<maxSweeps {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<Swift.max(p + 1, n) { off += a[p * n + q] * a[p * n + q] } }
            if off < 1e-30 { break }
            for p in 0..<n {
                for q in (p + 1)..<Swift.max(p + 1, n) {
                    let apq = a[p * n + q]
                    if abs(apq) < 1e-300 { continue }
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n { // A ← A·J
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n { // A ← Jᵀ·A
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n { // V ← V·J
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] > a[$1 * n + $1] }
        var values = [Double](repeating: 0, count: n)
        var vectors = [Double](repeating: 0, count: n * n)
        for (k, j) in order.enumerated() {
            values[k] = a[j * n + j]
            var col = (0..<n).map { v[$0 * n + j] }
            if let big = col.max(by: { abs($0) < abs($1) }), big < 0 { col = col.map { -$0 } }
            for i in 0..<n { vectors[i * n + k] = col[i] }
        }
        return (values, vectors)
    }
}
