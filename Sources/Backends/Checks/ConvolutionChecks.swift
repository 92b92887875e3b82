import Tensors

extension BackendChecker {
    /// The geometries of the convolution checks: VGG's 3×3 padding 1 stride 1 on several
    /// widths and sizes, 1×1, 5×5 padding 2, stride 2, odd channel counts and sizes, batches 1
    /// to 3, and (not `quick`) three layers of the real network's sizes.
    var convolutionGeometries: [ConvolutionGeometry] {
        func g(_ n: Int, _ c: Int, _ h: Int, _ w: Int, _ o: Int, _ k: Int, stride: Int = 1, padding: Int) -> ConvolutionGeometry {
            ConvolutionGeometry(batch: n, inChannels: c, height: h, width: w, outChannels: o, kernelH: k, kernelW: k,
                                stride: stride, padding: padding)
        }
        if options.quick {
            return [g(3, 3, 9, 11, 16, 3, padding: 1), g(1, 16, 7, 7, 7, 1, padding: 0), g(3, 7, 6, 5, 3, 5, padding: 2),
                    g(1, 16, 9, 9, 16, 3, stride: 2, padding: 1)]
        }
        return [
            g(3, 3, 32, 32, 16, 3, padding: 1),          // a VGG first layer
            g(1, 16, 17, 17, 64, 3, padding: 1),
            g(3, 64, 8, 8, 64, 3, padding: 1),           // Winograd-friendly widths
            g(1, 1, 5, 5, 7, 3, padding: 1),
            g(3, 7, 11, 13, 3, 3, padding: 1),
            g(3, 16, 9, 9, 7, 1, padding: 0),            // 1×1
            g(1, 64, 5, 7, 16, 1, stride: 2, padding: 0),
            g(1, 3, 15, 15, 16, 5, padding: 2),          // 5×5 pad 2
            g(3, 7, 6, 9, 7, 5, padding: 2),
            g(3, 16, 16, 16, 16, 3, stride: 2, padding: 1),
            g(1, 3, 33, 33, 7, 3, stride: 2, padding: 0),
            // Layers of the real network's sizes: many tiles, blocks and channel groups.
            g(1, 3, 224, 224, 64, 3, padding: 1),
            g(2, 128, 28, 28, 128, 3, padding: 1),
            g(2, 256, 14, 14, 256, 3, padding: 1),
        ]
    }

    /// Forward (y) and backward (dx, dweight, dbias) against the other backend, with and
    /// without `propagateDown` (then dx must be left as it was).
    func checkConvolutions() {
        for g in convolutionGeometries {
            for propagateDown in [true, false] {
                let xShape = [g.batch, g.inChannels, g.height, g.width], yShape = [g.batch, g.outChannels, g.outHeight, g.outWidth]
                let wShape = [g.outChannels, g.inChannels, g.kernelH, g.kernelW]
                let shape = "\(dims(xShape)) → \(g.outChannels), \(g.kernelH)×\(g.kernelW)/\(g.stride) pad \(g.padding)"
                    + (propagateDown ? ", dx" : ", no dx")
                check("convolution", shape, phases: ["forward", "backward"]) { data in
                    let x = data.gaussian(xShape.reduce(1, *)), dy = data.gaussian(yShape.reduce(1, *))
                    let w = data.gaussian(wShape.reduce(1, *), scale: 1 / Float(g.inChannels * g.kernelH * g.kernelW).squareRoot())
                    let b = data.gaussian(g.outChannels, scale: 0.1)
                    return { run in
                        let op = try run.backend.makeConvolution(g, propagateDown: propagateDown)
                        let xt = run.tensor(x, xShape), wt = run.tensor(w, wShape, layout: .nchw), bt = run.tensor(b, [g.outChannels])
                        let y = run.output(yShape)
                        run.timed("forward") { op.forward(x: xt, weight: wt, bias: bt, y: y) }
                        run.record("forward", "y", y)
                        let dyt = run.tensor(dy, yShape)
                        let dx = run.output(xShape, filledWith: propagateDown ? .nan : 7)
                        let dw = run.output(wShape, layout: .nchw), db = run.output([g.outChannels])
                        run.timed("backward") { op.backward(x: xt, weight: wt, dy: dyt, dx: dx, dweight: dw, dbias: db) }
                        run.record("backward", "dweight", dw)
                        run.record("backward", "dbias", db)
                        run.record("backward", propagateDown ? "dx" : "dx left alone", dx, propagateDown ? nil : .identical)
                    }
                }
            }
        }
    }
}
