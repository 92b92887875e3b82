import Foundation
@_spi(BackendImplementation) import Tensors

/// The `reference` backend: every op written as plain Swift loops straight from its
/// definition, the oracle the `cpu` backend is tested against. Whatever is summed
/// (convolutions, products, statistics, window sums, soft-max sums, the loss) is summed in
/// `Double` and rounded to `Float` once. Independent outputs are computed in parallel on
/// `DispatchQueue.concurrentPerform` (`threads` chunks); inner loops run over contiguous
/// memory, which is all the speed it aims at.
///
/// Tensors live in host memory (`HostMemory.shared`), like the `cpu` backend's, so the two
/// can be handed the same tensors. Activations are read and written channels-last (NHWC)
/// as `Backend` specifies; dropout masks follow `DropoutKey` bit for bit.
///
/// `precision` is `fp32` (the default) or `bf16`, with the rounding points of `Precision`
/// (docs/precision.md): in bf16 each op reads its inputs, weights and biases rounded to
/// bf16 (the float32 masters are untouched) and rounds its activation outputs and
/// activation-input gradients; weight and bias gradients, statistics, probabilities, the
/// loss and the SGD step stay float32.
public final class ReferenceBackend: Backend {
    /// The number of chunks each parallel loop is split into.
    public let threads: Int
    /// `fp32` or `bf16` (docs/precision.md); `tf32` is refused (there is no TF32 arithmetic here).
    public let precision: Precision
    private let rounding: Rounding

    /// `threads` defaults to the active processor count. In `bf16` every op rounds where
    /// `Precision` says (see `Rounding`); `fp32`, the default, rounds nowhere. `tf32` is a
    /// programming error here (`BackendKind.make` refuses it with an error first).
    public init(threads: Int? = nil, precision: Precision = .fp32) {
        precondition(precision != .tf32, "the reference backend has no TF32 arithmetic")
        self.threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        self.precision = precision
        rounding = Rounding(precision)
    }

    public var name: String { "reference" }
    public var memory: any MemorySpace { HostMemory.shared }
    public var settingsSummary: String { "backend reference (plain Swift loops, double accumulation), threads \(threads), precision \(precision.rawValue)" }
    public func synchronize() {}

    // MARK: planned ops

    public func makeConvolution(_ geometry: ConvolutionGeometry, propagateDown: Bool) throws -> any ConvolutionOp {
        ReferenceConvolution(geometry, propagateDown: propagateDown, threads: threads, rounding: rounding)
    }

    public func makeMaxPooling(_ geometry: PoolingGeometry) throws -> any MaxPoolingOp {
        ReferenceMaxPooling(geometry, threads: threads, rounding: rounding)
    }

    public func makeLocalResponseNorm(shape: [Int], _ parameters: LocalResponseNormParameters) throws -> any LocalResponseNormOp {
        ReferenceLocalResponseNorm(shape: shape, parameters, threads: threads, rounding: rounding)
    }

    public func makeBatchNorm(shape: [Int], epsilon: Float) throws -> any BatchNormOp {
        ReferenceBatchNorm(shape: shape, epsilon: epsilon, threads: threads, rounding: rounding)
    }

    public func makeLinear(batch: Int, inFeatures: Int, outFeatures: Int, propagateDown: Bool) throws -> any LinearOp {
        ReferenceLinear(batch: batch, inFeatures: inFeatures, outFeatures: outFeatures, propagateDown: propagateDown,
                        threads: threads, rounding: rounding)
    }

    public func makeReLU(count: Int) throws -> any ReLUOp { ReferenceReLU(count: count, threads: threads) }

    public func makeDropout(shape: [Int], probability: Float) throws -> any DropoutOp {
        ReferenceDropout(shape: shape, probability: probability, threads: threads, rounding: rounding)
    }

    public func makeAdaptiveAveragePool(inputShape: [Int], outHeight: Int, outWidth: Int) throws -> any AdaptiveAveragePoolOp {
        ReferenceAdaptiveAveragePool(inputShape: inputShape, outHeight: outHeight, outWidth: outWidth, threads: threads, rounding: rounding)
    }

    // MARK: stateless ops

    /// Element (b, c, i, j) of the logical shape moves from its place in `x`'s layout to its
    /// place in `y`'s.
    public func permute(_ x: Tensor, into y: Tensor) {
        precondition(x.shape == y.shape && x.shape.count == 4, "permute \(x.shape) into \(y.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let src = x.hostPointer, dst = y.hostPointer
        if x.layout == y.layout {
            dst.update(from: src, count: x.count)
            return
        }
        func index(_ layout: MemoryLayout4D, _ b: Int, _ ch: Int, _ i: Int, _ j: Int) -> Int {
            switch layout {
            case .nchw: return ((b * c + ch) * h + i) * w + j
            case .nhwc: return ((b * h + i) * w + j) * c + ch
            }
        }
        for b in 0..<n { for ch in 0..<c { for i in 0..<h { for j in 0..<w {
            dst[index(y.layout, b, ch, i, j)] = src[index(x.layout, b, ch, i, j)]
        } } } }
    }

    /// p_j = exp(z_j − max z) / Σ_k exp(z_k − max z), in `Double`.
    public func softmax(_ logits: Tensor, into probabilities: Tensor) {
        let (n, k) = (logits.shape[0], logits.shape[1])
        let logits = rounding.read(logits)
        let z = logits.hostPointer, p = probabilities.hostPointer
        withExtendedLifetime(logits) {
            Loops.parallel(n, threads: threads) { rows in
                for i in rows { _ = Self.softmaxRow(z + i * k, count: k, into: p + i * k) }
            }
        }
    }

    /// Per sample, with ε the label smoothing and K the classes (PyTorch's definition):
    /// `loss = (1 − ε)·(−log p_y) + ε·(1/K)·Σ_j (−log p_j)`, where −log p_j = LSE(z) − z_j.
    /// `statistics[0]` is the mean loss over the batch, `statistics[1]` the number of samples
    /// whose first largest probability is at their label.
    public func softmaxCrossEntropy(logits: Tensor, labels: Tensor, labelSmoothing: Float, probabilities: Tensor, statistics: Tensor) {
        let (n, k) = (logits.shape[0], logits.shape[1])
        let logits = rounding.read(logits)   // probabilities, loss and accuracy stay float32
        let z0 = logits.hostPointer, p0 = probabilities.hostPointer, l = labels.hostPointer
        let epsilon = Double(labelSmoothing)
        var total = 0.0
        var correct = 0
        for i in 0..<n {
            let z = z0 + i * k, p = p0 + i * k
            let logSumExp = Self.softmaxRow(z, count: k, into: p)
            let label = Int(l[i])
            precondition(label >= 0 && label < k, "label \(l[i]) outside 0..<\(k)")
            var sumNegativeLog = 0.0
            for j in 0..<k { sumNegativeLog += logSumExp - Double(z[j]) }
            total += (1 - epsilon) * (logSumExp - Double(z[label])) + epsilon * sumNegativeLog / Double(k)
            var best = 0
            for j in 0..<k where p[j] > p[best] { best = j }
            if best == label { correct += 1 }
        }
        statistics.hostPointer[0] = Float(total / Double(max(n, 1)))
        statistics.hostPointer[1] = Float(correct)
    }

    /// ∂(summed loss / normalizer)/∂z_j = (p_j − t_j) / normalizer with the smoothed target
    /// t = (1 − ε)·onehot(y) + ε/K.
    public func softmaxCrossEntropyBackward(probabilities: Tensor, labels: Tensor, labelSmoothing: Float, normalizer: Int, gradient: Tensor) {
        let (n, k) = (probabilities.shape[0], probabilities.shape[1])
        let p = probabilities.hostPointer, l = labels.hostPointer, g = gradient.hostPointer
        let epsilon = Double(labelSmoothing)
        for i in 0..<n {
            let label = Int(l[i])
            for j in 0..<k {
                let target = (j == label ? 1 - epsilon : 0) + epsilon / Double(k)
                g[i * k + j] = Float((Double(p[i * k + j]) - target) / Double(normalizer))
            }
        }
        rounding.write(gradient)
    }

    /// `SGDUpdate`'s element formula, in `Float`, over the elements of its segments only.
    /// In bf16 too it updates the float32 master and momentum and rounds nothing: the bf16
    /// copy of the weights that point 7 of `Precision` writes is made by every op when it
    /// reads its weights (`Rounding.read`), which gives the same values.
    public func sgdUpdate(_ u: SGDUpdate) {
        let w = u.values.hostPointer, g = u.gradients.hostPointer, b = u.momentumBuffer.hostPointer
        let mu = u.momentum, tau = u.dampening
        for segment in u.segments {
            let eta = segment.learningRate, lambda = segment.weightDecay
            Loops.parallel(segment.count, threads: threads) { range in
                for i in range {
                    let e = segment.offset + i
                    let d = g[e] + lambda * w[e]
                    if mu == 0 {
                        w[e] = w[e] - eta * d
                        continue
                    }
                    b[e] = u.isFirstStep ? d : mu * b[e] + (1 - tau) * d
                    w[e] = w[e] - eta * (u.nesterov ? d + mu * b[e] : b[e])
                }
            }
        }
    }

    /// One `Float` addition per element, in every precision (gradient sums stay float32).
    public func add(_ x: Tensor, to y: Tensor) {
        precondition(x.count == y.count, "add of \(x.shape) to \(y.shape)")
        let a = x.hostPointer, b = y.hostPointer
        Loops.parallel(x.count, threads: threads) { range in
            for i in range { b[i] = b[i] + a[i] }
        }
    }

    /// The soft-max of one row of `k` scores into `p`; returns log Σ_j exp z_j (in `Double`).
    static func softmaxRow(_ z: UnsafePointer<Float>, count k: Int, into p: UnsafeMutablePointer<Float>) -> Double {
        guard k > 0 else { return -.infinity }
        var m = Double(z[0])
        for j in 0..<k { m = max(m, Double(z[j])) }
        var sum = 0.0
        for j in 0..<k { sum += exp(Double(z[j]) - m) }
        for j in 0..<k { p[j] = Float(exp(Double(z[j]) - m) / sum) }
        return m + log(sum)
    }
}
