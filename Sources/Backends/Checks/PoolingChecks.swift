import Tensors

extension BackendChecker {
    /// Max pooling 2×2/2 (VGG's), 3×3/2 padding 1 and 3×3/1 padding 1 on odd and even sizes.
    var maxPoolingGeometries: [PoolingGeometry] {
        func g(_ n: Int, _ c: Int, _ h: Int, _ w: Int, _ k: Int, _ s: Int, padding: Int = 0) -> PoolingGeometry {
            PoolingGeometry(batch: n, channels: c, height: h, width: w, kernel: k, stride: s, padding: padding)
        }
        if options.quick { return [g(3, 16, 8, 8, 2, 2), g(1, 7, 9, 7, 2, 2), g(3, 5, 7, 5, 3, 2, padding: 1)] }
        return [
            g(3, 16, 32, 32, 2, 2), g(1, 64, 8, 8, 2, 2), g(1, 7, 33, 33, 2, 2), g(3, 3, 5, 5, 2, 2),
            g(3, 16, 17, 17, 3, 2, padding: 1), g(1, 5, 8, 8, 3, 2, padding: 1), g(3, 7, 9, 9, 3, 1, padding: 1),
            g(4, 64, 56, 56, 2, 2),
        ]
    }

    /// Inputs with distinct values (no ties): the forward must be bit-identical (a maximum is
    /// exact); the backward within the tolerance (overlapping windows add gradients).
    func checkMaxPooling() {
        for g in maxPoolingGeometries {
            let xShape = [g.batch, g.channels, g.height, g.width], yShape = [g.batch, g.channels, g.outHeight, g.outWidth]
            let shape = "\(dims(xShape)), \(g.kernel)×\(g.kernel)/\(g.stride) pad \(g.padding)"
            check("maxpool", shape, phases: ["forward", "backward"]) { data in
                let x = data.distinct(xShape.reduce(1, *)), dy = data.gaussian(yShape.reduce(1, *))
                return { run in
                    let op = try run.backend.makeMaxPooling(g)
                    let xt = run.tensor(x, xShape), y = run.output(yShape)
                    run.timed("forward") { op.forward(x: xt, y: y) }
                    run.record("forward", "y", y, .identical)
                    let dyt = run.tensor(dy, yShape), dx = run.output(xShape)
                    run.timed("backward") { op.backward(dy: dyt, dx: dx) }
                    run.record("backward", "dx", dx)
                }
            }
        }
    }

    /// Adaptive average pooling to 7×7 (torchvision's `avgpool`) from 7×7 (the identity),
    /// 14×14, 5×9 (bins that overlap) and 1×1 (replication).
    func checkAdaptiveAveragePooling() {
        let inputs: [[Int]] = options.quick ? [[3, 16, 14, 14], [2, 7, 5, 9]]
            : [[3, 16, 7, 7], [2, 16, 14, 14], [3, 7, 5, 9], [2, 64, 1, 1], [4, 512, 14, 14]]
        for xShape in inputs {
            let yShape = [xShape[0], xShape[1], 7, 7]
            check("avgpool", "\(dims(xShape)) → 7×7", phases: ["forward", "backward"]) { data in
                let x = data.gaussian(xShape.reduce(1, *)), dy = data.gaussian(yShape.reduce(1, *))
                return { run in
                    let op = try run.backend.makeAdaptiveAveragePool(inputShape: xShape, outHeight: 7, outWidth: 7)
                    let xt = run.tensor(x, xShape), y = run.output(yShape)
                    run.timed("forward") { op.forward(x: xt, y: y) }
                    run.record("forward", "y", y)
                    let dyt = run.tensor(dy, yShape), dx = run.output(xShape)
                    run.timed("backward") { op.backward(dy: dyt, dx: dx) }
                    run.record("backward", "dx", dx)
                }
            }
        }
    }
}
