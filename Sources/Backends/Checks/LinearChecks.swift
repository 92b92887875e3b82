import Tensors

extension BackendChecker {
    /// Fully connected layers forward (y) and backward (dweight, dbias and, with
    /// `propagateDown`, dx; without, dx must be left as it was).
    func checkLinear() {
        let shapes: [(n: Int, input: Int, output: Int)] = options.quick ? [(3, 13, 5), (4, 256, 64)]
            : [(3, 13, 5), (1, 7, 3), (4, 256, 64), (3, 257, 33), (8, 2048, 64), (2, 64, 1), (16, 4096, 1000)]
        for (n, input, output) in shapes {
            for propagateDown in [true, false] {
                let shape = "\(n)×\(input) → \(output)" + (propagateDown ? ", dx" : ", no dx")
                check("linear", shape, phases: ["forward", "backward"]) { data in
                    let x = data.gaussian(n * input), dy = data.gaussian(n * output)
                    let w = data.gaussian(output * input, scale: 1 / Float(input).squareRoot()), b = data.gaussian(output, scale: 0.1)
                    return { run in
                        let op = try run.backend.makeLinear(batch: n, inFeatures: input, outFeatures: output, propagateDown: propagateDown)
                        let xt = run.tensor(x, [n, input]), wt = run.tensor(w, [output, input]), bt = run.tensor(b, [output])
                        let y = run.output([n, output])
                        run.timed("forward") { op.forward(x: xt, weight: wt, bias: bt, y: y) }
                        run.record("forward", "y", y)
                        let dyt = run.tensor(dy, [n, output]), dx = run.output([n, input], filledWith: propagateDown ? .nan : 7)
                        let dw = run.output([output, input]), db = run.output([output])
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
