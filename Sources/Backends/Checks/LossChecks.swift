import Tensors

extension BackendChecker {
    /// `[N, K]` shapes of the loss checks, with the spread of the logits.
    var lossShapes: [(n: Int, k: Int, scale: Float)] {
        options.quick ? [(3, 10, 1), (4, 1000, 4)] : [(3, 10, 1), (1, 5, 3), (4, 1000, 4), (5, 2, 2), (7, 3, 0.5), (2, 1, 1), (64, 10, 3), (128, 1000, 4)]
    }

    /// Row-wise soft-max of logits around 50: one that does not subtract the maximum overflows.
    func checkSoftmax() {
        for (n, k, scale) in lossShapes {
            check("softmax", "\(n)×\(k)", phases: ["forward"]) { data in
                let logits = data.gaussian(n * k, mean: 50, scale: scale)
                return { run in
                    let z = run.tensor(logits, [n, k]), p = run.output([n, k])
                    run.timed("forward") { run.backend.softmax(z, into: p) }
                    run.record("forward", "probabilities", p)
                }
            }
        }
    }

    /// Soft-max cross-entropy with and without label smoothing: probabilities, mean loss and
    /// top-1 count (exact); its gradient with a normalizer that is not the batch size (the
    /// global batch of several processes).
    func checkSoftmaxCrossEntropy() {
        for (n, k, scale) in lossShapes {
            for smoothing in options.quick ? [Float(0.1)] : [0, 0.1] {
                let normalizer = 3 * n + 1
                let shape = "\(n)×\(k), smoothing \(smoothing), normalizer \(normalizer)"
                check("cross-entropy", shape, phases: ["forward", "backward"]) { data in
                    let logits = data.gaussian(n * k, mean: -20, scale: scale), labels = data.labels(n, classes: k)
                    return { run in
                        let z = run.tensor(logits, [n, k]), l = run.tensor(labels, [n])
                        let p = run.output([n, k]), statistics = run.output([2])
                        run.timed("forward") {
                            run.backend.softmaxCrossEntropy(logits: z, labels: l, labelSmoothing: smoothing, probabilities: p, statistics: statistics)
                        }
                        let s = statistics.toArray()
                        run.record("forward", "probabilities", p)
                        run.record("forward", "mean loss", values: [s[0]])
                        run.record("forward", "top-1 count", values: [s[1]], .equal)
                        let g = run.output([n, k])
                        run.timed("backward") {
                            run.backend.softmaxCrossEntropyBackward(probabilities: p, labels: l, labelSmoothing: smoothing,
                                                                    normalizer: normalizer, gradient: g)
                        }
                        run.record("backward", "dlogits", g)
                    }
                }
            }
        }
    }
}
