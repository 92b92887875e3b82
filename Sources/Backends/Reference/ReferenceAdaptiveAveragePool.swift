@_spi(BackendImplementation) import Tensors

/// Adaptive average pooling from PyTorch's definition on NHWC activations: output (i, j)
/// is the mean of input rows `floor(i·H/OH) ..< ceil((i+1)·H/OH)` and the columns likewise;
/// backward gives each input the sum of dy/(bin size) over the bins that contain it.
/// Sums in `Double`. In bf16 (`Rounding`) it reads x and dy rounded and rounds y and dx.
final class ReferenceAdaptiveAveragePool: AdaptiveAveragePoolOp {
    let inputShape: [Int]
    let outHeight, outWidth: Int
    private let threads: Int
    private let rounding: Rounding

    init(inputShape: [Int], outHeight: Int, outWidth: Int, threads: Int, rounding: Rounding) {
        self.rounding = rounding
        self.inputShape = inputShape; self.outHeight = outHeight; self.outWidth = outWidth
        self.threads = threads
    }

    /// The input indices averaged by output index `i` (of `outSize`) over `inSize` inputs.
    static func bin(_ i: Int, _ inSize: Int, _ outSize: Int) -> Range<Int> {
        (i * inSize) / outSize ..< ((i + 1) * inSize + outSize - 1) / outSize
    }

    func forward(x: Tensor, y: Tensor) {
        let x = rounding.read(x)
        defer { rounding.write(y) }
        let (N, C, H, W) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        let (OH, OW) = (outHeight, outWidth)
        let xp = x.hostPointer, yp = y.hostPointer
        Loops.parallel(N, threads: threads) { samples in
            for n in samples { for i in 0..<OH { for j in 0..<OW { for c in 0..<C {
                let rows = Self.bin(i, H, OH), columns = Self.bin(j, W, OW)
                var sum = 0.0
                for r in rows { for s in columns { sum += Double(xp[((n * H + r) * W + s) * C + c]) } }
                yp[((n * OH + i) * OW + j) * C + c] = Float(sum / Double(rows.count * columns.count))
            } } } }
        }
    }

    func backward(dy: Tensor, dx: Tensor) {
        let dy = rounding.read(dy)
        defer { rounding.write(dx) }
        let (N, C, H, W) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        let (OH, OW) = (outHeight, outWidth)
        let dyp = dy.hostPointer, dxp = dx.hostPointer
        Loops.parallel(N, threads: threads) { samples in
            var sums = [Double](repeating: 0, count: H * W * C)
            for n in samples {
                for k in sums.indices { sums[k] = 0 }
                for i in 0..<OH { for j in 0..<OW {
                    let rows = Self.bin(i, H, OH), columns = Self.bin(j, W, OW)
                    let size = Double(rows.count * columns.count)
                    for c in 0..<C {
                        let share = Double(dyp[((n * OH + i) * OW + j) * C + c]) / size
                        for r in rows { for s in columns { sums[(r * W + s) * C + c] += share } }
                    }
                } }
                for k in sums.indices { dxp[n * H * W * C + k] = Float(sums[k]) }
            }
        }
    }
}
