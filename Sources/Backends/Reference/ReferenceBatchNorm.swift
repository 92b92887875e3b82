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
///
/// In bf16 (`Rounding`) it reads x, γ, β and dy rounded and rounds y and dx; the batch and
/// running statistics, dγ and dβ stay float32 (`Double` inside).
final class ReferenceBatchNorm: BatchNormOp {
    let epsilon: Float
    let shape: [Int]
    private let threads: Int
    /// The last training forward's batch mean and biased variance (global ones when synchronised).
    private var batchMean, batchVariance: [Double]
    /// The global count of the last synchronised forward (nil after an ordinary one).
    private var synchronizedCount: Double?
    private let rounding: Rounding

    init(shape: [Int], epsilon: Float, threads: Int, rounding: Rounding) {
        self.rounding = rounding
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
                         runningMean: Tensor, runningVariance: Tensor, momentum: Float,
                         synchronization: BatchNormSynchronization?) {
        let (x, gamma, beta) = (rounding.read(x), rounding.read(gamma), rounding.read(beta))
        defer { rounding.write(y) }
        if let synchronization {
            return synchronizedForward(x, gamma, beta, y, runningMean, runningVariance, momentum, synchronization)
        }
        synchronizedCount = nil
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
        let (x, gamma, beta) = (rounding.read(x), rounding.read(gamma), rounding.read(beta))
        defer { rounding.write(y) }
        let C = channels
        let mean = (0..<C).map { Double(runningMean.hostPointer[$0]) }
        let variance = (0..<C).map { Double(runningVariance.hostPointer[$0]) }
        normalise(x, y, gamma, beta, mean: mean, variance: variance)
    }

    func backward(x: Tensor, gamma: Tensor, beta: Tensor, dy: Tensor, dx: Tensor, dgamma: Tensor, dbeta: Tensor,
                  synchronization: BatchNormSynchronization?) {
        // dγ and dβ stay float32; dx is rounded.
        let (x, gamma, dy) = (rounding.read(x), rounding.read(gamma), rounding.read(dy))
        defer { rounding.write(dx) }
        if let synchronization { return synchronizedBackward(x, gamma, dy, dx, dgamma, dbeta, synchronization) }
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

    /// Synchronised: μ = S₁/n and σ² = S₂/n − μ² from the global count n and sums
    /// S₁ = Σx, S₂ = Σx² of every process.
    private func synchronizedForward(_ x: Tensor, _ gamma: Tensor, _ beta: Tensor, _ y: Tensor, _ runningMean: Tensor,
                                     _ runningVariance: Tensor, _ momentum: Float, _ synchronization: BatchNormSynchronization) {
        let (C, n) = (channels, count)
        let xp = x.hostPointer
        var sums = [Double](repeating: 0, count: 1 + 2 * C)
        sums[0] = Double(n)
        for c in 0..<C {
            for e in 0..<n { let v = Double(xp[e * C + c]); sums[1 + c] += v; sums[1 + C + c] += v * v }
        }
        let global = synchronization(sums)
        let total = global[0]
        let mean = (0..<C).map { global[1 + $0] / total }
        let variance = (0..<C).map { max(global[1 + C + $0] / total - mean[$0] * mean[$0], 0) }
        batchMean = mean
        batchVariance = variance
        synchronizedCount = total
        normalise(x, y, gamma, beta, mean: mean, variance: variance)
        let m = Double(momentum), unbias = total > 1 ? total / (total - 1) : 1
        let rm = runningMean.hostPointer, rv = runningVariance.hostPointer
        for c in 0..<C {
            rm[c] = Float((1 - m) * Double(rm[c]) + m * mean[c])
            rv[c] = Float((1 - m) * Double(rv[c]) + m * variance[c] * unbias)
        }
    }

    /// Synchronised: this slice's dβ = Σdy and dγ = Σdy·x̂, and dx from the global sums,
    /// dx = γ/√(σ² + ε) · (dy − ΣΣdy/n − x̂·ΣΣdy·x̂/n).
    private func synchronizedBackward(_ x: Tensor, _ gamma: Tensor, _ dy: Tensor, _ dx: Tensor, _ dgamma: Tensor, _ dbeta: Tensor,
                                      _ synchronization: BatchNormSynchronization) {
        guard let total = synchronizedCount else { preconditionFailure("synchronised backward after an ordinary forward") }
        let (C, n) = (channels, count)
        let xp = x.hostPointer, dyp = dy.hostPointer, dxp = dx.hostPointer, gp = gamma.hostPointer
        let eps = Double(epsilon)
        let invStd = batchVariance.map { 1 / ($0 + eps).squareRoot() }
        var sums = [Double](repeating: 0, count: 2 * C)
        for c in 0..<C {
            for e in 0..<n {
                let d = Double(dyp[e * C + c])
                sums[c] += d
                sums[C + c] += d * (Double(xp[e * C + c]) - batchMean[c]) * invStd[c]
            }
            dbeta.hostPointer[c] = Float(sums[c])
            dgamma.hostPointer[c] = Float(sums[C + c])
        }
        let global = synchronization(sums)
        for c in 0..<C {
            let k = Double(gp[c]) * invStd[c]
            for e in 0..<n {
                let xhat = (Double(xp[e * C + c]) - batchMean[c]) * invStd[c]
                dxp[e * C + c] = Float(k * (Double(dyp[e * C + c]) - global[c] / total - xhat * global[C + c] / total))
            }
        }
    }
}
