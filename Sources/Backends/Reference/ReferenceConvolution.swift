@_spi(BackendImplementation) import Tensors

/// Convolution from its definition, NHWC activations, OIHW weights:
///
///     y[n, i, j, o] = bias[o] + Σ_{c, p, q} x[n, i·s − pad + p, j·s − pad + q, c] · w[o, c, p, q]
///
/// (terms outside the input are zero), and its exact adjoints for dx, dweight and dbias.
/// Every output is one `Double` sum. The weights are first copied into the order the inner
/// loop wants (OHWI forward, HWIO for dx) so that it runs over contiguous memory: in the
/// forward, one kernel row's taps over all channels at once. In bf16 (`Rounding`) it reads
/// x, the weights, the bias and dy rounded and rounds y and dx; dweight and dbias stay float32.
final class ReferenceConvolution: ConvolutionOp {
    let geometry: ConvolutionGeometry
    let propagateDown: Bool
    var usesWinograd: Bool { false }
    var implementations: [String] { ["reference", propagateDown ? "reference" : "-", "reference"] }
    private let threads: Int
    private let rounding: Rounding

    init(_ geometry: ConvolutionGeometry, propagateDown: Bool, threads: Int, rounding: Rounding) {
        self.geometry = geometry
        self.propagateDown = propagateDown
        self.threads = threads
        self.rounding = rounding
    }

    /// The input row (or column) under kernel tap `p` of output row `i`, if it exists.
    @inline(__always)
    private func inputIndex(_ i: Int, _ p: Int, size: Int) -> Int? {
        let r = i * geometry.stride - geometry.padding + p
        return r >= 0 && r < size ? r : nil
    }

    func forward(x: Tensor, weight: Tensor, bias: Tensor, y: Tensor) {
        let (x, weight, bias) = (rounding.read(x), rounding.read(weight), rounding.read(bias))
        defer { rounding.write(y) }
        let g = geometry
        let (C, H, W, O, KH, KW, OH, OW) = (g.inChannels, g.height, g.width, g.outChannels, g.kernelH, g.kernelW,
                                            g.outHeight, g.outWidth)
        // w[o, c, p, q] → wOHWI[o, p, q, c]
        var wOHWI = [Float](repeating: 0, count: O * KH * KW * C)
        let w = weight.hostPointer
        for o in 0..<O { for c in 0..<C { for p in 0..<KH { for q in 0..<KW {
            wOHWI[((o * KH + p) * KW + q) * C + c] = w[((o * C + c) * KH + p) * KW + q]
        } } } }
        let xp = x.hostPointer, yp = y.hostPointer, b = bias.hostPointer
        wOHWI.withUnsafeBufferPointer { wt in
            let wt = wt.baseAddress!
            Loops.parallel(g.batch * OH, threads: threads) { rows in
                for row in rows {
                    let (n, i) = (row / OH, row % OH)
                    for j in 0..<OW {
                        // The taps q0...q1 whose column exists: a contiguous run of (column,
                        // channel) in x and of (q, c) in a row of wOHWI.
                        guard let q0 = (0..<KW).first(where: { inputIndex(j, $0, size: W) != nil }),
                              let q1 = (0..<KW).last(where: { inputIndex(j, $0, size: W) != nil }) else {
                            for o in 0..<O { yp[((n * OH + i) * OW + j) * O + o] = b[o] }
                            continue
                        }
                        let s0 = j * g.stride - g.padding + q0, length = (q1 - q0 + 1) * C
                        for o in 0..<O {
                            var sum = Double(b[o])
                            for p in 0..<KH {
                                guard let r = inputIndex(i, p, size: H) else { continue }
                                sum += Loops.dot(xp + ((n * H + r) * W + s0) * C, wt + ((o * KH + p) * KW + q0) * C, length)
                            }
                            yp[((n * OH + i) * OW + j) * O + o] = Float(sum)
                        }
                    }
                }
            }
        }
    }

    func backward(x: Tensor, weight: Tensor, dy: Tensor, dx: Tensor?, dweight: Tensor, dbias: Tensor) {
        // dweight and dbias stay float32; dx is rounded.
        let (x, weight, dy) = (rounding.read(x), rounding.read(weight), rounding.read(dy))
        defer { if propagateDown, let dx { rounding.write(dx) } }
        let g = geometry
        let (N, C, H, W, O, KH, KW, OH, OW) = (g.batch, g.inChannels, g.height, g.width, g.outChannels, g.kernelH, g.kernelW,
                                               g.outHeight, g.outWidth)
        let xp = x.hostPointer, dyp = dy.hostPointer

        // dbias[o] = Σ_{n,i,j} dy[n, i, j, o]
        let db = dbias.hostPointer
        Loops.parallel(O, threads: threads) { outs in
            for o in outs {
                var sum = 0.0
                for e in 0..<(N * OH * OW) { sum += Double(dyp[e * O + o]) }
                db[o] = Float(sum)
            }
        }

        // dweight[o, c, p, q] = Σ_{n,i,j} dy[n, i, j, o] · x[n, i·s − pad + p, j·s − pad + q, c],
        // accumulated per output channel o over contiguous runs of c.
        let dw = dweight.hostPointer
        Loops.parallel(O, threads: threads) { outs in
            var sums = [Double](repeating: 0, count: KH * KW * C)
            for o in outs {
                for k in sums.indices { sums[k] = 0 }
                sums.withUnsafeMutableBufferPointer { acc in
                    for n in 0..<N { for i in 0..<OH { for j in 0..<OW {
                        let d = Double(dyp[((n * OH + i) * OW + j) * O + o])
                        for p in 0..<KH {
                            guard let r = inputIndex(i, p, size: H) else { continue }
                            for q in 0..<KW {
                                guard let s = inputIndex(j, q, size: W) else { continue }
                                let xr = xp + ((n * H + r) * W + s) * C, a = acc.baseAddress! + (p * KW + q) * C
                                for c in 0..<C { a[c] += d * Double(xr[c]) }
                            }
                        }
                    } } }
                }
                for c in 0..<C { for p in 0..<KH { for q in 0..<KW {
                    dw[((o * C + c) * KH + p) * KW + q] = Float(sums[(p * KW + q) * C + c])
                } } }
            }
        }

        // dx[n, r, s, c] = Σ over the taps (p, q) and outputs (i, j) with i·s − pad + p = r and
        // j·s − pad + q = s of Σ_o dy[n, i, j, o] · w[o, c, p, q].
        guard propagateDown, let dx else { return }
        var wHWIO = [Float](repeating: 0, count: KH * KW * C * O)
        let w = weight.hostPointer
        for o in 0..<O { for c in 0..<C { for p in 0..<KH { for q in 0..<KW {
            wHWIO[((p * KW + q) * C + c) * O + o] = w[((o * C + c) * KH + p) * KW + q]
        } } } }
        let dxp = dx.hostPointer
        let (stride, pad) = (g.stride, g.padding)
        /// The output index whose tap `p` reads input index `r`, if any.
        func outputIndex(_ r: Int, _ p: Int, size: Int) -> Int? {
            let t = r + pad - p
            guard t >= 0, t % stride == 0, t / stride < size else { return nil }
            return t / stride
        }
        wHWIO.withUnsafeBufferPointer { wt in
            let wt = wt.baseAddress!
            Loops.parallel(N * H, threads: threads) { rows in
                for row in rows {
                    let (n, r) = (row / H, row % H)
                    for s in 0..<W {
                        for c in 0..<C {
                            var sum = 0.0
                            for p in 0..<KH {
                                guard let i = outputIndex(r, p, size: OH) else { continue }
                                for q in 0..<KW {
                                    guard let j = outputIndex(s, q, size: OW) else { continue }
                                    sum += Loops.dot(dyp + ((n * OH + i) * OW + j) * O, wt + ((p * KW + q) * C + c) * O, O)
                                }
                            }
                            dxp[((n * H + r) * W + s) * C + c] = Float(sum)
                        }
                    }
                }
            }
        }
    }
}
