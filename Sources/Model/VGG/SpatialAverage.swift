import NN
import Tensors

/// Averages a `[N, C, H, W]` map over space into `[N, C]` (sum-pooling of the class score
/// map): the backend's adaptive average pool to 1×1, whose NHWC output is `[N, C]` in memory.
public final class SpatialAverage: Layer {
    public var kind: String { "spatial-mean" }
    private let pool = AdaptiveAvgPool2d(outHeight: 1, outWidth: 1)

    public init() {}

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 4 else { throw ShapeError("spatial average expects a rank-4 input, got \(input)") }
        return [input[0], input[1]]
    }

    public func prepare(inputShape: [Int], propagateDown: Bool, on backend: any Backend) throws {
        try pool.prepare(inputShape: inputShape, propagateDown: propagateDown, on: backend)
    }

    public func forward(_ x: Tensor, _ context: PassContext) -> Tensor {
        let y = pool.forward(x, context)
        return y.reshaped([y.shape[0], y.shape[1]], layout: .nchw)
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        pool.backward(dy.reshaped([dy.shape[0], dy.shape[1], 1, 1], layout: .nhwc))
    }
}
