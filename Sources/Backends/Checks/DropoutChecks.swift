import Tensors

extension BackendChecker {
    /// Dropout masks are a pure function of `DropoutKey`: the mask (a forward of ones), the
    /// output and the gradient must be bit-identical, with a key whose first sample is not 0
    /// and whose step needs more than 32 bits.
    func checkDropout() {
        let shapes: [[Int]] = options.quick ? [[4, 455], [3, 5, 7, 5]] : [[4, 455], [3, 5, 7, 5], [8, 4096], [2, 1], [5, 6], [4, 64, 56, 56]]
        let probabilities: [Float] = options.quick ? [0.5] : [0.5, 0.3]
        for xShape in shapes {
            for p in probabilities {
                check("dropout", "\(dims(xShape)), p \(p)", phases: ["forward", "backward"]) { data in
                    let count = xShape.reduce(1, *)
                    let x = data.gaussian(count), gradient = data.gaussian(count)
                    let key = DropoutKey(seed: options.seed, stream: 3, step: 0x1_0000_0007, firstSample: 5)
                    return { run in
                        let op = try run.backend.makeDropout(shape: xShape, probability: p)
                        let ones = run.tensor([Float](repeating: 1, count: count), xShape, layout: .nchw)
                        let mask = run.output(xShape, layout: .nchw)
                        op.forward(x: ones, y: mask, key: key)
                        run.record("forward", "mask", mask, .identical)
                        let xt = run.tensor(x, xShape, layout: .nchw), y = run.output(xShape, layout: .nchw)
                        run.timed("forward") { op.forward(x: xt, y: y, key: key) }
                        run.record("forward", "y", y, .identical)
                        let g = run.tensor(gradient, xShape, layout: .nchw)
                        run.timed("backward") { op.backward(gradient: g) }
                        run.record("backward", "dx", g, .identical)
                    }
                }
            }
        }
    }
}
