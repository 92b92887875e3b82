@_spi(BackendImplementation) import Tensors

/// A fully connected layer from its definition, every entry one `Double` dot product of
/// two contiguous rows:
///
///     y[n, o] = b[o] + Σ_i x[n, i]·W[o, i]          (rows of x and W)
///     dW[o, i] = Σ_n dy[n, o]·x[n, i]                (rows of dyᵀ and xᵀ)
///     db[o] = Σ_n dy[n, o]
///     dx[n, i] = Σ_o dy[n, o]·W[o, i]                (rows of dy and Wᵀ)
///
/// The transposes are copied first. Outputs are computed in blocks of `block` rows of the
/// right-hand matrix so that a block stays in cache while every left-hand row passes by.
/// In bf16 (`Rounding`) it reads x, W, b and dy rounded and rounds y and dx; dW and db stay
/// float32.
final class ReferenceLinear: LinearOp {
    let batch, inFeatures, outFeatures: Int
    let propagateDown: Bool
    private let threads: Int
    private let block = 32
    private let rounding: Rounding

    init(batch: Int, inFeatures: Int, outFeatures: Int, propagateDown: Bool, threads: Int, rounding: Rounding) {
        self.rounding = rounding
        self.batch = batch; self.inFeatures = inFeatures; self.outFeatures = outFeatures
        self.propagateDown = propagateDown
        self.threads = threads
    }

    /// c[r, s] = Σ_k a[r, k]·b[s, k] (+ bias[s]) for row-major a (rows × k) and b (columns × k).
    private func products(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, rows: Int, columns: Int, k: Int,
                          bias: UnsafePointer<Float>?, into c: UnsafeMutablePointer<Float>) {
        let blocks = (columns + block - 1) / block
        Loops.parallel(blocks, threads: threads) { range in
            for blockIndex in range {
                let columnRange = (blockIndex * block)..<min(columns, (blockIndex + 1) * block)
                for r in 0..<rows {
                    for s in columnRange {
                        c[r * columns + s] = Float((bias.map { Double($0[s]) } ?? 0) + Loops.dot(a + r * k, b + s * k, k))
                    }
                }
            }
        }
    }

    func forward(x: Tensor, weight: Tensor, bias: Tensor, y: Tensor) {
        let (x, weight, bias) = (rounding.read(x), rounding.read(weight), rounding.read(bias))
        defer { rounding.write(y) }
        products(x.hostPointer, weight.hostPointer, rows: x.shape[0], columns: outFeatures, k: inFeatures,
                 bias: bias.hostPointer, into: y.hostPointer)
    }

    func backward(x: Tensor, weight: Tensor, dy: Tensor, dx: Tensor?, dweight: Tensor, dbias: Tensor) {
        // dweight and dbias stay float32; dx is rounded.
        let (x, weight, dy) = (rounding.read(x), rounding.read(weight), rounding.read(dy))
        defer { if propagateDown, let dx { rounding.write(dx) } }
        let n = dy.shape[0]
        let dyT = Tensor(shape: [outFeatures, n], on: HostMemory.shared)
        let xT = Tensor(shape: [inFeatures, n], on: HostMemory.shared)
        Loops.transpose(dy.hostPointer, rows: n, columns: outFeatures, into: dyT.hostPointer, threads: threads)
        Loops.transpose(x.hostPointer, rows: n, columns: inFeatures, into: xT.hostPointer, threads: threads)
        products(dyT.hostPointer, xT.hostPointer, rows: outFeatures, columns: inFeatures, k: n, bias: nil,
                 into: dweight.hostPointer)
        let dyTp = dyT.hostPointer, db = dbias.hostPointer
        for o in 0..<outFeatures {
            var sum = 0.0
            for i in 0..<n { sum += Double(dyTp[o * n + i]) }
            db[o] = Float(sum)
        }
        guard propagateDown, let dx else { return }
        let wT = Tensor(shape: [inFeatures, outFeatures], on: HostMemory.shared)
        Loops.transpose(weight.hostPointer, rows: outFeatures, columns: inFeatures, into: wT.hostPointer, threads: threads)
        products(dy.hostPointer, wT.hostPointer, rows: n, columns: inFeatures, k: outFeatures, bias: nil,
                 into: dx.hostPointer)
    }
}
