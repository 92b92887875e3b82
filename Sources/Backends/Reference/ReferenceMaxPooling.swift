@_spi(BackendImplementation) import Tensors

/// Max pooling from its definition on NHWC activations: each output is the largest input
/// of its window, positions in the padding counting as −∞. The window is scanned in
/// row-major order and a value replaces the best so far when it is larger or NaN
/// (PyTorch's `if v > best || isnan(v)`), so the first maximum wins ties and a NaN wins.
/// The winner's position is kept for `backward`, which routes each dy to it (sums in `Double`
/// where windows overlap). In bf16 (`Rounding`) the forward is exact on bf16 inputs (it
/// copies them) and is left alone; the backward reads dy rounded and rounds dx, which
/// changes only sums where windows overlap.
final class ReferenceMaxPooling: MaxPoolingOp {
    let geometry: PoolingGeometry
    private let threads: Int
    /// For each output element, the index (within the input tensor) of its window's winner.
    private var winners: [Int]
    private let rounding: Rounding

    init(_ geometry: PoolingGeometry, threads: Int, rounding: Rounding) {
        self.rounding = rounding
        self.geometry = geometry
        self.threads = threads
        winners = [Int](repeating: 0, count: geometry.batch * geometry.outHeight * geometry.outWidth * geometry.channels)
    }

    func forward(x: Tensor, y: Tensor) {
        let g = geometry
        let (C, H, W, OH, OW) = (g.channels, g.height, g.width, g.outHeight, g.outWidth)
        let xp = x.hostPointer, yp = y.hostPointer
        winners.withUnsafeMutableBufferPointer { winners in
            Loops.parallel(g.batch * OH, threads: threads) { rows in
                for row in rows {
                    let (n, i) = (row / OH, row % OH)
                    for j in 0..<OW {
                        for c in 0..<C {
                            var best = -Float.infinity
                            var at = -1
                            for p in 0..<g.kernel {
                                let r = i * g.stride - g.padding + p
                                guard r >= 0 && r < H else { continue }
                                for q in 0..<g.kernel {
                                    let s = j * g.stride - g.padding + q
                                    guard s >= 0 && s < W else { continue }
                                    let e = ((n * H + r) * W + s) * C + c
                                    if at < 0 { at = e }   // PyTorch's initial index: the first position in the input
                                    if xp[e] > best || xp[e].isNaN { best = xp[e]; at = e }
                                }
                            }
                            let o = ((n * OH + i) * OW + j) * C + c
                            yp[o] = best
                            winners[o] = at
                        }
                    }
                }
            }
        }
    }

    func backward(dy: Tensor, dx: Tensor) {
        let dy = rounding.read(dy)
        defer { rounding.write(dx) }
        let dyp = dy.hostPointer, dxp = dx.hostPointer
        let g = geometry
        let perSampleIn = g.height * g.width * g.channels, perSampleOut = g.outHeight * g.outWidth * g.channels
        winners.withUnsafeBufferPointer { winners in
            // Windows overlap within a sample only, so samples are independent.
            Loops.parallel(g.batch, threads: threads) { samples in
                var sums = [Double](repeating: 0, count: perSampleIn)
                for n in samples {
                    for k in sums.indices { sums[k] = 0 }
                    for o in (n * perSampleOut)..<((n + 1) * perSampleOut) where winners[o] >= 0 {
                        sums[winners[o] - n * perSampleIn] += Double(dyp[o])
                    }
                    for k in sums.indices { dxp[n * perSampleIn + k] = Float(sums[k]) }
                }
            }
        }
    }
}
