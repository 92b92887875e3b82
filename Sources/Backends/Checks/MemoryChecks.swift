import Tensors

extension BackendChecker {
    /// The memory half of a backend, exact: host → device → host round trips (whole tensors
    /// and views at an offset), fresh tensors are zero, `fill` of a tensor and of a view,
    /// copies between storages at offsets (through `Tensor` views and through the memory
    /// space's own call) and from the host into a view; then ops that read and write views
    /// at odd offsets into larger storages, which must leave the elements around them alone.
    func checkMemory() {
        let size = 1000
        check("memory", "\(size) floats", phases: ["round-trip", "zeros", "fill", "copy"]) { data in
            let values = data.gaussian(size), host = data.gaussian(50)
            return { run in
                let a = run.tensor(values, [size])
                run.record("round-trip", "tensor", a, .identical)
                run.record("round-trip", "view at 77", a.view(offset: 77, shape: [123]), .identical)
                run.record("round-trip", "view of a view", a.view(offset: 500, shape: [400]).view(offset: 99, shape: [3, 7]), .identical)

                run.record("zeros", "new tensor", Tensor(shape: [333], on: run.backend), .identical)

                let f = run.output([size], filledWith: 3.5)
                run.timed("fill") {
                    f.view(offset: 101, shape: [257]).fill(-2)
                    f.view(offset: size - 1, shape: [1]).fill(0)
                }
                run.record("fill", "tensor", f, .identical)

                let c = run.output([size], filledWith: 0)
                run.timed("copy") {
                    c.view(offset: 17, shape: [300]).copy(from: a.view(offset: 333, shape: [300]))
                    run.backend.memory.copy(from: a.storage, offset: 5, to: c.storage, offset: 600, count: 100)
                    c.view(offset: 900, shape: [50]).copy(from: host)
                }
                run.record("copy", "tensor", c, .identical)
            }
        }

        let (n, input, output) = (3, 37, 11)
        check("memory", "ops on views at offsets", phases: ["views"]) { data in
            let x = data.gaussian(n * input), w = data.gaussian(output * input, scale: 0.2), b = data.gaussian(output)
            let r = data.gaussian(101)
            return { run in
                // Inputs at odd offsets of one storage, the output in the middle of another;
                // 7 everywhere else.
                let inputs = run.output([2000], filledWith: 7), outputs = run.output([300], filledWith: 7)
                let (xAt, wAt, bAt, yAt) = (13, 211, 1501, 101)
                inputs.view(offset: xAt, shape: [n * input]).copy(from: x)
                inputs.view(offset: wAt, shape: [output * input]).copy(from: w)
                inputs.view(offset: bAt, shape: [output]).copy(from: b)
                let y = outputs.view(offset: yAt, shape: [n, output])
                y.fill(.nan)
                let op = try run.backend.makeLinear(batch: n, inFeatures: input, outFeatures: output, propagateDown: true)
                run.timed("views") {
                    op.forward(x: inputs.view(offset: xAt, shape: [n, input]), weight: inputs.view(offset: wAt, shape: [output, input]),
                               bias: inputs.view(offset: bAt, shape: [output]), y: y)
                }
                run.record("views", "linear y", y)
                let around = outputs.toArray()
                run.record("views", "linear: elements around y", values: Array(around[..<yAt] + around[(yAt + n * output)...]), .identical)

                let relu = try run.backend.makeReLU(count: r.count)
                let buffer = run.output([300], filledWith: -7)
                buffer.view(offset: 57, shape: [r.count]).copy(from: r)
                run.timed("views") { relu.forward(buffer.view(offset: 57, shape: [r.count])) }
                run.record("views", "relu in place, with the elements around", buffer, .equal)
            }
        }
    }
}
