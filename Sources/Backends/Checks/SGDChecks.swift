import Tensors

extension BackendChecker {
    /// The optimizer step over flat buffers: three segments with their own learning rate and
    /// weight decay and elements in none (which must keep their bits), the first step (the
    /// buffer starts as the gradient) and two later ones, with and without momentum,
    /// dampening and Nesterov.
    func checkSGD() {
        let settings: [(momentum: Float, dampening: Float, nesterov: Bool)] = options.quick ? [(0.9, 0, false), (0.9, 0, true)]
            : [(0.9, 0, false), (0.9, 0.1, false), (0.9, 0, true), (0.5, 0.5, true), (0, 0, false)]
        for size in options.quick ? [1000] : [1000, 300_007] {
            let segments = [
                SGDUpdate.Segment(offset: 3, count: size * 2 / 5, learningRate: 0.1, weightDecay: 5e-4),
                SGDUpdate.Segment(offset: size * 9 / 20, count: size * 37 / 100, learningRate: 0.02, weightDecay: 0),
                SGDUpdate.Segment(offset: size * 82 / 100, count: size / 10 + 1, learningRate: 0.05, weightDecay: 1e-3),
            ]
            var isInside = [Bool](repeating: false, count: size)
            for segment in segments { for i in segment.offset..<(segment.offset + segment.count) { isInside[i] = true } }
            let inside = (0..<size).filter { isInside[$0] }, outside = (0..<size).filter { !isInside[$0] }
            for s in settings {
                let shape = "\(size), \(segments.count) segments, momentum \(s.momentum) dampening \(s.dampening)" + (s.nesterov ? " nesterov" : "")
                check("sgd", shape, phases: ["first-step", "later-steps"]) { data in
                    let values = data.gaussian(size), buffer = data.gaussian(size)
                    let gradients = (0..<3).map { _ in data.gaussian(size) }
                    return { run in
                        let w = run.tensor(values, [size]), b = run.tensor(buffer, [size])
                        for (step, gradient) in gradients.enumerated() {
                            let phase = step == 0 ? "first-step" : "later-steps"
                            let g = run.tensor(gradient, [size])
                            run.timed(phase) {
                                run.backend.sgdUpdate(SGDUpdate(values: w, gradients: g, momentumBuffer: b, segments: segments,
                                                                momentum: s.momentum, dampening: s.dampening, nesterov: s.nesterov,
                                                                isFirstStep: step == 0))
                            }
                            guard step == 0 || step == gradients.count - 1 else { continue }
                            let (wv, bv) = (w.toArray(), b.toArray())
                            run.record(phase, "values", values: inside.map { wv[$0] })
                            run.record(phase, "momentum", values: inside.map { bv[$0] })
                            run.record(phase, "values outside segments", values: outside.map { wv[$0] }, .identical)
                            run.record(phase, "momentum outside segments", values: outside.map { bv[$0] }, .identical)
                        }
                    }
                }
            }
        }
    }
}
