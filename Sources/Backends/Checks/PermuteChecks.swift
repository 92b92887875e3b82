import Tensors

extension BackendChecker {
    /// Permutes NCHW → NHWC and back (how a network takes its input and hands out
    /// activations), and a same-layout copy; exact.
    func checkPermute() {
        let shapes: [[Int]] = options.quick ? [[3, 16, 9, 9], [2, 7, 5, 1]] : [[3, 16, 9, 9], [1, 3, 33, 33], [2, 7, 5, 1], [2, 1, 4, 3], [4, 3, 224, 224], [4, 64, 56, 56]]
        let pairs: [(MemoryLayout4D, MemoryLayout4D)] = [(.nchw, .nhwc), (.nhwc, .nchw), (.nhwc, .nhwc)]
        for xShape in shapes {
            for (from, to) in pairs {
                check("permute", "\(dims(xShape)), \(from.rawValue) → \(to.rawValue)", phases: ["forward"]) { data in
                    let x = data.gaussian(xShape.reduce(1, *))
                    return { run in
                        let xt = run.tensor(x, xShape, layout: from), y = run.output(xShape, layout: to)
                        run.timed("forward") { run.backend.permute(xt, into: y) }
                        run.record("forward", "y", y, .identical)
                    }
                }
            }
        }
    }
}
