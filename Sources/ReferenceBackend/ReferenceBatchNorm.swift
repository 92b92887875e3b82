import Foundation
@_spi(BackendImplementation) import Tensors

/// Batch normalisation from its definition, per channel over the n = N·H·W values of an
/// NHWC tensor, in `Double`:
///
///     μ = Σx/n,  σ² = Σ(x − μ)²/n,  x̂ = (x − μ)/√(σ² + ε),  y = γ·x̂ + β
///
/// in training (and `running ← (1 − m)·running + m·batch`, the variance made unbiased by
/// n/(n − 1), by 1 when n = 1), `y = γ·(x − running mean)/√(running variance + ε) + β` in
/// inference, and the backward of the training forward:
///
///     dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ/(n·√(σ² + ε)) · (n·dy − dβ − x̂·dγ).
final class ReferenceBatchNorm: BatchNormOp {
    let epsilon: Float
    let shape: [Int]
    private let threads: Int
    /// The last training forward's batch mean and biased variance.
    private var batchMean, batchVariance: [Double]

    init(shape: [Int], epsilon: Float, threads: Int) {
        self.shape = shape
        self.epsilon = epsilon
        self.threads = threads
        batchMean = [Double](repeating: 0, count: shape[1])
        batchVariance = [Double](repeating: 1, count: shape[1])
    }

    private var channels: Int { shape[1] }
    /// Values per channel.
    private var count: Int { shape[0] * shape[2] * shape[3] }

    /// Runs `body(c)` for every channel, channels split among the threads.
    private func perChannel(_ body: (Int) -> Void) {
        Loops.parallel(channels, threads: threads) { range in for c in range { body(c) } }
    }

    /// y = γ·(x − mean)/√(variance + ε) + β per channel.
    private func normalise(_ x: Tensor, _ y: Tensor, _ gamma: Tensor, _ beta: Tensor, mean: [Double], variance: [Double]) {
        let (C, n) = (channels, count)
        let xp = x.hostPointer, yp = y.hostPointer, gp = gamma.hostPointer, bp = beta.hostPointer
        let eps = Double(epsilon)
        perChannel { c in
            let scale = Double(gp[c]) / (variance[c] + eps).squareRoot()
            for e in 0..<n { yp[e * C + c] = Float((Double(xp[e * C + c]) - mean[c]) * scale + Double(bp[c])) }
        }
    }

    func forwardTraining(x: Tensor, gamma: Tensor, beta: Tensor, y: Tensor,
                         runningMean: Tensor, runningVariance: Tensor, momentum: Float) {
        let (C, n) = (channels, count)
        let xp = x.hostPointer
        var mean = [Double](repeating: 0, count: C), variance = [Double](repeating: 0, count: C)
        mean.withUnsafeMutableBufferPointer { mean in
            variance.withUnsafeMutableBufferPointer { variance in
                perChannel { c in
                    var sum = 0.0
                    for e in 0..<n { sum += Double(xp[e * C + c]) }
                    let mu = sum / Double(n)
                    var squares = 0.0
                    for e in 0..<n { let v = Double(xp[e * C + c]) - mu; squares += v * v }
                    mean[c] = mu
                    variance[c] = squares / Double(n)
                }
            }
        }
        batchMean = mean
        batchVariance = variance
        normalise(x, y, gamma, beta, mean: mean, variance: variance)
        let m = Double(momentum), unbias = n > 1 ? Double(n) / Double(n - 1) : 1
        let rm = runningMean.hostPointer, rv = runningVariance.hostPointer
        for c in 0..<C {
            rm[c] = Float((1 - m) * Double(rm[c]) + m * mean[c])
            rv[c] = Float((1 - m) * Double(rv[c]) + m * variance[c] * unbias)
        }
    }

    func forwardInference(x: Tensor, gamma: Tensor, beta: Tensor, y: Tensor, runningMean: Tensor, runningVariance: Tensor) {
        let C = channels
        let mean = (0..<C).map { Double(runningMean.hostPointer[$0]) }
        let variance = (0..<C).map { Double(runningVariance.hostPointer[$0]) }
        normalise(x, y, gamma, beta, mean: mean, variance: variance)
    }

    func backward(x: Tensor, gamma: Tensor, beta: Tensor, dy: Tensor, dx: Tensor, dgamma: Tensor, dbeta: Tensor) {
        let (C, n) = (channels, count)
        let xp = x.hostPointer, dyp = dy.hostPointer, dxp = dx.hostPointer, gp = gamma.hostPointer
        let dgp = dgamma.hostPointer, dbp = dbeta.hostPointer
        let (mean, variance, eps) = (batchMean, batchVariance, Double(epsilon))
        perChannel { c in
            let invStd = 1 / (variance[c] + eps).squareRoot()
            var sumDy = 0.0, sumDyXhat = 0.0
            for e in 0..<n {
                let d = Double(dyp[e * C + c])
                sumDy += d
                sumDyXhat += d * (Double(xp[e * C + c]) - mean[c]) * invStd
            }
            dbp[c] = Float(sumDy)
            dgp[c] = Float(sumDyXhat)
            let k = Double(gp[c]) * invStd / Double(n)
            for e in 0..<n {
                let xhat = (Double(xp[e * C + c]) - mean[c]) * invStd
                dxp[e * C + c] = Float(k * (Double(n) * Double(dyp[e * C + c]) - sumDy - xhat * sumDyXhat))
            }
        }
    }
}
