import Foundation
import Kernels

/// Soft-max cross-entropy (multinomial logistic regression), averaged over the batch.
///
/// With label smoothing ε (Szegedy et al. 2016; not in the VGG paper) the target of each image is
/// `(1 - ε)` on its label plus `ε / K` on every class, as in PyTorch's
/// `F.cross_entropy(label_smoothing: ε)`: the loss is `(1 - ε)·(-log p_y) + ε·mean_j(-log p_j)`.
public final class SoftmaxCrossEntropy {
    /// Soft-max probabilities of the last forward pass, `[N, K]`.
    public let probabilities = Tensor(shape: [0])
    /// Label smoothing ε in [0, 1); 0 is plain cross-entropy.
    public let labelSmoothing: Float
    private let gradient = Tensor(shape: [0])
    private var labels: [Int32] = []

    public init(labelSmoothing: Float = 0) {
        precondition(labelSmoothing >= 0 && labelSmoothing < 1, "label smoothing \(labelSmoothing) outside [0, 1)")
        self.labelSmoothing = labelSmoothing
    }

    /// Returns the mean loss over the batch.
    public func forward(logits: Tensor, labels: [Int32]) -> Float {
        let (n, k) = (logits.shape[0], logits.shape[1])
        precondition(labels.count == n, "\(labels.count) labels for a batch of \(n)")
        probabilities.resize([n, k])
        self.labels = labels
        var total: Double = 0
        for i in 0..<n {
            let z = logits.data + i * k
            let logSumExp = softmax(z, count: k, into: probabilities.data + i * k)
            let label = Int(labels[i])
            precondition(label >= 0 && label < k, "label \(label) outside 0..<\(k)")
            total += Double((1 - labelSmoothing) * (logSumExp - z[label]))
            if labelSmoothing > 0 {
                var sum: Float = 0
                for j in 0..<k { sum += z[j] }
                total += Double(labelSmoothing * (logSumExp - sum / Float(k)))
            }
        }
        return Float(total / Double(n))
    }

    /// Gradient of the mean loss with respect to the logits.
    public func backward() -> Tensor {
        let (n, k) = (probabilities.shape[0], probabilities.shape[1])
        gradient.resize([n, k])
        let inv = 1 / Float(n), uniform = labelSmoothing / Float(k)
        for i in 0..<n {
            let p = probabilities.data + i * k, g = gradient.data + i * k
            for j in 0..<k { g[j] = (p[j] - uniform) * inv }
            g[Int(labels[i])] -= (1 - labelSmoothing) * inv
        }
        return gradient
    }
}

/// Numerically stable soft-max of one row of scores.
public func softmax(_ z: UnsafePointer<Float>, count k: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: k) { p, initialized in
        _ = softmax(z, count: k, into: p.baseAddress!)
        initialized = k
    }
}

/// Writes the soft-max of one row of `k` scores into `p` and returns their log-sum-exp,
/// `log Σ_j exp z_j` (so that `-log p_y = logSumExp - z_y`).
public func softmax(_ z: UnsafePointer<Float>, count k: Int, into p: UnsafeMutablePointer<Float>) -> Float {
    var m = z[0]
    for j in 1..<k where z[j] > m { m = z[j] }
    var s: Float = 0
    for j in 0..<k { let e = expf(z[j] - m); p[j] = e; s += e }
    let inv = 1 / s
    for j in 0..<k { p[j] *= inv }
    return m + logf(s)
}
