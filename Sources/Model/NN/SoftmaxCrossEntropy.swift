import Tensors

/// Soft-max cross-entropy (multinomial logistic regression), averaged over the batch, on a
/// backend.
///
/// With label smoothing ε (Szegedy et al. 2016; not in the VGG paper) the target of each image is
/// `(1 - ε)` on its label plus `ε / K` on every class, as in PyTorch's
/// `F.cross_entropy(label_smoothing: ε)`: the loss is `(1 - ε)·(-log p_y) + ε·mean_j(-log p_j)`.
public final class SoftmaxCrossEntropy {
    /// Label smoothing ε in [0, 1); 0 is plain cross-entropy.
    public let labelSmoothing: Float
    public let backend: any Backend
    /// Soft-max probabilities of the last forward pass, `[N, K]`.
    public private(set) var probabilities: Tensor?
    private var labels: Tensor?
    private var gradient: Tensor?
    private let statistics: Tensor

    /// The mean loss of a batch and how many of its samples were classified right (top-1).
    public struct Result: Equatable, Sendable {
        public var loss: Float
        public var correct: Int
        public init(loss: Float, correct: Int) { self.loss = loss; self.correct = correct }
    }

    public init(labelSmoothing: Float = 0, on backend: any Backend) {
        precondition(labelSmoothing >= 0 && labelSmoothing < 1, "label smoothing \(labelSmoothing) outside [0, 1)")
        self.labelSmoothing = labelSmoothing
        self.backend = backend
        statistics = Tensor(shape: [2], on: backend)
    }

    /// The mean loss over the batch and the number right; copies the labels to the backend
    /// and the two numbers back.
    public func forward(logits: Tensor, labels classes: [Int32]) -> Result {
        let (n, k) = (logits.shape[0], logits.shape[1])
        precondition(classes.count == n, "\(classes.count) labels for a batch of \(n)")
        if let bad = classes.first(where: { $0 < 0 || Int($0) >= k }) { preconditionFailure("label \(bad) outside 0..<\(k)") }
        let p = Tensor.reusing(probabilities, shape: [n, k], on: backend)
        let l = Tensor.reusing(labels, shape: [n], on: backend)
        l.copy(from: classes.map { Float($0) })
        probabilities = p
        labels = l
        backend.softmaxCrossEntropy(logits: logits, labels: l, labelSmoothing: labelSmoothing, probabilities: p, statistics: statistics)
        let s = statistics.toArray()
        return Result(loss: s[0], correct: Int(s[1]))
    }

    /// Gradient with respect to the logits of the last forward pass of the batch's mean loss,
    /// or, with `globalBatch`, of the loss summed over this batch divided by the size of the
    /// global batch it is a slice of (summed over the processes, that is the gradient of the
    /// global batch's mean loss).
    public func backward(globalBatch: Int? = nil) -> Tensor {
        let p = probabilities!
        let g = Tensor.reusing(gradient, shape: p.shape, on: backend)
        gradient = g
        backend.softmaxCrossEntropyBackward(probabilities: p, labels: labels!, labelSmoothing: labelSmoothing,
                                            normalizer: globalBatch ?? p.shape[0], gradient: g)
        return g
    }
}
