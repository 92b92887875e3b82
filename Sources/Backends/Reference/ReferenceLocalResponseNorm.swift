import Foundation
@_spi(BackendImplementation) import Tensors

/// Local response normalisation across channels from its definition (PyTorch's
/// `LocalResponseNorm`), on NHWC activations:
///
///     d_c = k + α/size · Σ_{j ∈ W(c)} a_j²,   b_c = a_c · d_c^(−β),
///
/// W(c) the channels c − size/2 … c + (size − 1)/2 that exist. Its gradient, derived by hand:
///
///     ∂L/∂a_j = dy_j · d_j^(−β) − (2αβ/size) · a_j · Σ_{c : j ∈ W(c)} dy_c · a_c · d_c^(−β−1),
///
/// where j ∈ W(c) ⟺ j − (size − 1)/2 ≤ c ≤ j + size/2. Everything in `Double`. In bf16
/// (`Rounding`) it reads x and dy rounded and rounds y and dx.
final class ReferenceLocalResponseNorm: LocalResponseNormOp {
    let parameters: LocalResponseNormParameters
    let shape: [Int]
    private let threads: Int
    private let rounding: Rounding

    init(shape: [Int], _ parameters: LocalResponseNormParameters, threads: Int, rounding: Rounding) {
        self.rounding = rounding
        self.shape = shape
        self.parameters = parameters
        self.threads = threads
    }

    /// d_c for the C channels at `a` (one position) into `d`.
    private func denominators(_ a: UnsafePointer<Float>, _ C: Int, into d: inout [Double]) {
        let size = parameters.size
        for c in 0..<C {
            var sum = 0.0
            for j in max(0, c - size / 2)...min(C - 1, c + (size - 1) / 2) { sum += Double(a[j]) * Double(a[j]) }
            d[c] = Double(parameters.k) + Double(parameters.alpha) / Double(size) * sum
        }
    }

    func forward(x: Tensor, y: Tensor) {
        let x = rounding.read(x)
        defer { rounding.write(y) }
        let C = shape[1], positions = shape[0] * shape[2] * shape[3]
        let xp = x.hostPointer, yp = y.hostPointer
        let beta = Double(parameters.beta)
        Loops.parallel(positions, threads: threads) { range in
            var d = [Double](repeating: 0, count: C)
            for e in range {
                let a = xp + e * C
                denominators(a, C, into: &d)
                for c in 0..<C { yp[e * C + c] = Float(Double(a[c]) * pow(d[c], -beta)) }
            }
        }
    }

    func backward(x: Tensor, dy: Tensor, dx: Tensor) {
        let (x, dy) = (rounding.read(x), rounding.read(dy))
        defer { rounding.write(dx) }
        let C = shape[1], positions = shape[0] * shape[2] * shape[3], size = parameters.size
        let xp = x.hostPointer, dyp = dy.hostPointer, dxp = dx.hostPointer
        let (alpha, beta) = (Double(parameters.alpha), Double(parameters.beta))
        Loops.parallel(positions, threads: threads) { range in
            var d = [Double](repeating: 0, count: C)
            var t = [Double](repeating: 0, count: C)   // t_c = dy_c · a_c · d_c^(−β−1)
            for e in range {
                let a = xp + e * C, g = dyp + e * C
                denominators(a, C, into: &d)
                for c in 0..<C { t[c] = Double(g[c]) * Double(a[c]) * pow(d[c], -beta - 1) }
                for j in 0..<C {
                    var sum = 0.0
                    for c in max(0, j - (size - 1) / 2)...min(C - 1, j + size / 2) { sum += t[c] }
                    dxp[e * C + j] = Float(Double(g[j]) * pow(d[j], -beta) - 2 * alpha * beta / Double(size) * Double(a[j]) * sum)
                }
            }
        }
    }
}
