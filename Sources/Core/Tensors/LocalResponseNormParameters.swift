/// Local response normalisation across channels (AlexNet's, PyTorch's and Caffe's):
/// `b_c = a_c / (k + alpha / size · Σ a_j²)^beta`, the sum over the `size` channels
/// `c - size/2 … c + (size-1)/2` that exist. VGG's A-LRN uses size 5, α 1e-4, β 0.75, k 2.
public struct LocalResponseNormParameters: Equatable, Hashable, Sendable {
    public var size: Int
    public var alpha, beta, k: Float

    public init(size: Int = 5, alpha: Float = 1e-4, beta: Float = 0.75, k: Float = 2) {
        self.size = size; self.alpha = alpha; self.beta = beta; self.k = k
    }
}
