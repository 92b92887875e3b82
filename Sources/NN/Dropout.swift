import Kernels

/// Inverted dropout: in training, zeroes each element with probability `p` and scales the
/// rest by 1/(1−p); in inference, the identity. Its random state is saved with checkpoints.
public final class Dropout: Layer {
    public let probability: Float
    public var kind: String { "dropout" }
    /// The mask generator's state (restored on resume for exact continuation).
    public var random: RandomSource
    private let output = Tensor(shape: [0])
    private let mask = Tensor(shape: [0])
    private var lastWasTraining = false

    public init(probability: Float = 0.5, seed: UInt64 = 0) {
        precondition(probability >= 0 && probability < 1, "dropout probability must be in [0, 1)")
        self.probability = probability
        random = RandomSource(seed: seed)
    }

    public func outputShape(for input: [Int]) throws -> [Int] { input }

    public func prepare(inputShape: [Int], propagateDown: Bool) throws {
        output.resize(inputShape)
        mask.resize(inputShape)
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        guard mode == .training, probability > 0 else { lastWasTraining = false; return x }
        lastWasTraining = true
        let scale = 1 / (1 - probability)
        let m = mask.data, y = output.data, xs = x.data
        for i in 0..<x.count {
            let keep: Float = random.uniform() >= probability ? scale : 0
            m[i] = keep
            y[i] = xs[i] * keep
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard lastWasTraining else { return dy }
        Elementwise.multiply(dy.data, mask.data, into: dy.data, count: dy.count)
        return dy
    }
}

/// Flattens `[N, C, H, W]` to `[N, C·H·W]` in PyTorch's (NCHW) element order, so that
/// fully connected weights are interchangeable with torchvision's.
public final class Flatten: Layer {
    public var kind: String { "flatten" }
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    private var inputShape: [Int] = []

    public init() {}

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count >= 2 else { throw ShapeError("flatten expects a batch, got \(input)") }
        return [input[0], input.dropFirst().reduce(1, *)]
    }

    public func prepare(inputShape: [Int], propagateDown: Bool) throws {
        output.resize(try outputShape(for: inputShape))
        if propagateDown { inputGradient.resize(inputShape, layout: .nhwc) }
        self.inputShape = inputShape
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        if x.shape.count == 4 && x.layout == .nhwc {
            Tensor.permute(nhwc: x.data, toNCHW: output.data, shape: x.shape)
        } else {
            output.copy(from: x)
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        inputGradient.resize(inputShape, layout: .nhwc)
        if inputShape.count == 4 {
            Tensor.permute(nchw: dy.data, toNHWC: inputGradient.data, shape: inputShape)
        } else {
            inputGradient.copy(from: dy)
        }
        return inputGradient
    }
}

/// Average pooling to a fixed output size (torchvision's VGG uses 7×7), with PyTorch's
/// bin boundaries `floor(i·H/out)` to `ceil((i+1)·H/out)`.
public final class AdaptiveAvgPool2d: Layer {
    public let outHeight, outWidth: Int
    public var kind: String { "avgpool\(outHeight)x\(outWidth)" }
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    private var shape: [Int] = []

    public init(outHeight: Int, outWidth: Int) { self.outHeight = outHeight; self.outWidth = outWidth }

    public func outputShape(for input: [Int]) throws -> [Int] {
        try requireRank(input, 4, kind)
        return [input[0], input[1], outHeight, outWidth]
    }

    public func prepare(inputShape: [Int], propagateDown: Bool) throws {
        output.resize(try outputShape(for: inputShape), layout: .nhwc)
        if propagateDown { inputGradient.resize(inputShape, layout: .nhwc) }
        shape = inputShape
    }

    private func bins(_ i: Int, _ inSize: Int, _ outSize: Int) -> Range<Int> {
        let start = (i * inSize) / outSize
        let end = ((i + 1) * inSize + outSize - 1) / outSize
        return start..<end
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let src = x.data, dst = output.data
        for b in 0..<n {
            for oy in 0..<outHeight {
                let ry = bins(oy, h, outHeight)
                for ox in 0..<outWidth {
                    let rx = bins(ox, w, outWidth)
                    let d = dst + ((b * outHeight + oy) * outWidth + ox) * c
                    d.update(repeating: 0, count: c)
                    for y in ry { for xx in rx {
                        let s = src + ((b * h + y) * w + xx) * c
                        for ch in 0..<c { d[ch] += s[ch] }
                    } }
                    let inv = 1 / Float(ry.count * rx.count)
                    for ch in 0..<c { d[ch] *= inv }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        inputGradient.resize(shape, layout: .nhwc)
        let g = dy.data, dx = inputGradient.data
        dx.update(repeating: 0, count: inputGradient.count)
        for b in 0..<n {
            for oy in 0..<outHeight {
                let ry = bins(oy, h, outHeight)
                for ox in 0..<outWidth {
                    let rx = bins(ox, w, outWidth)
                    let s = g + ((b * outHeight + oy) * outWidth + ox) * c
                    let inv = 1 / Float(ry.count * rx.count)
                    for y in ry { for xx in rx {
                        let d = dx + ((b * h + y) * w + xx) * c
                        for ch in 0..<c { d[ch] += s[ch] * inv }
                    } }
                }
            }
        }
        return inputGradient
    }
}
