@_spi(BackendImplementation) import Tensors

/// Adaptive average pooling on NHWC activations with PyTorch's bins, vectorised along the
/// channels by the compiler (VGG uses it once, before the classifier). In bf16 it reads x
/// and dy rounded and rounds y and dx (`BFloat16Rounding`).
final class AdaptiveAveragePoolKernel: AdaptiveAveragePoolOp {
    let inputShape: [Int]
    let outHeight, outWidth: Int
    private let rounding: BFloat16Rounding

    init(inputShape: [Int], outHeight: Int, outWidth: Int, rounding: BFloat16Rounding) {
        self.rounding = rounding
        self.inputShape = inputShape; self.outHeight = outHeight; self.outWidth = outWidth
    }

    private func bins(_ i: Int, _ inSize: Int, _ outSize: Int) -> Range<Int> {
        (i * inSize) / outSize ..< ((i + 1) * inSize + outSize - 1) / outSize
    }

    func forward(x: Tensor, y: Tensor) {
        rounding.reading(x) { x in forwardFloat(x: x, y: y) }
        rounding.write(y)
    }

    func backward(dy: Tensor, dx: Tensor) {
        rounding.reading(dy) { dy in backwardFloat(dy: dy, dx: dx) }
        rounding.write(dx)
    }

    private func forwardFloat(x: Tensor, y: Tensor) {
        let (n, c, h, w) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        let src = x.hostPointer, dst = y.hostPointer
        for b in 0..<n {
            for oy in 0..<outHeight {
                let ry = bins(oy, h, outHeight)
                for ox in 0..<outWidth {
                    let rx = bins(ox, w, outWidth)
                    let d = dst + ((b * outHeight + oy) * outWidth + ox) * c
                    d.update(repeating: 0, count: c)
                    for yy in ry { for xx in rx {
                        let s = src + ((b * h + yy) * w + xx) * c
                        for ch in 0..<c { d[ch] += s[ch] }
                    } }
                    let inv = 1 / Float(ry.count * rx.count)
                    for ch in 0..<c { d[ch] *= inv }
                }
            }
        }
    }

    private func backwardFloat(dy: Tensor, dx: Tensor) {
        let (n, c, h, w) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        let g = dy.hostPointer, d0 = dx.hostPointer
        d0.update(repeating: 0, count: dx.count)
        for b in 0..<n {
            for oy in 0..<outHeight {
                let ry = bins(oy, h, outHeight)
                for ox in 0..<outWidth {
                    let rx = bins(ox, w, outWidth)
                    let s = g + ((b * outHeight + oy) * outWidth + ox) * c
                    let inv = 1 / Float(ry.count * rx.count)
                    for yy in ry { for xx in rx {
                        let d = d0 + ((b * h + yy) * w + xx) * c
                        for ch in 0..<c { d[ch] += s[ch] * inv }
                    } }
                }
            }
        }
    }
}
