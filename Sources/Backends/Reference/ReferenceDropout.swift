@_spi(BackendImplementation) import Tensors

/// Inverted dropout from `DropoutKey`'s definition: element j of sample s is kept when
/// `key.uniform(sample: s, element: j) ≥ p` and then multiplied by `1 / (1 − p)` computed
/// in `Float`, else zeroed. The mask (that factor or 0 per element) is kept for `backward`.
/// In bf16 (`Rounding`) it reads x and the gradient rounded and rounds the products (the
/// factor itself stays float32).
final class ReferenceDropout: DropoutOp {
    let shape: [Int]
    let probability: Float
    private let threads: Int
    private var mask: [Float]
    private let rounding: Rounding

    init(shape: [Int], probability: Float, threads: Int, rounding: Rounding) {
        self.rounding = rounding
        self.shape = shape
        self.probability = probability
        self.threads = threads
        mask = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    func forward(x: Tensor, y: Tensor, key: DropoutKey) {
        let x = rounding.read(x)
        defer { rounding.write(y) }
        let samples = shape[0], perSample = shape.dropFirst().reduce(1, *)
        let scale: Float = 1 / (1 - probability)
        let p = probability, xp = x.hostPointer, yp = y.hostPointer
        mask.withUnsafeMutableBufferPointer { mask in
            Loops.parallel(samples, threads: threads) { range in
                for s in range {
                    for j in 0..<perSample {
                        let e = s * perSample + j
                        mask[e] = key.uniform(sample: s, element: j) >= p ? scale : 0
                        yp[e] = xp[e] * mask[e]
                    }
                }
            }
        }
    }

    func backward(gradient: Tensor) {
        rounding.write(gradient)   // the incoming gradient as read (already bf16 in a network)
        defer { rounding.write(gradient) }
        let g = gradient.hostPointer
        mask.withUnsafeBufferPointer { mask in
            Loops.parallel(mask.count, threads: threads) { range in
                for e in range { g[e] *= mask[e] }
            }
        }
    }
}
