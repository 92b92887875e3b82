import Data
import Foundation
import NN
import Support
import Backends
import Tensors
import Training
import VGG

/// `vgg bench` of a network: the training step `vgg train` runs (`TrainingModel.step`:
/// forward, loss, backward, gradient synchronisation under mpirun, update) and inference,
/// with a per-layer table of forward/backward times and GFLOP/s.
extension BenchCommand {
    /// The learning rate of the timed steps.
    static let learningRate: Float = 1e-3

    /// The training model of `vgg train` for `options`, `globalBatch` images per step over the
    /// ranks (kaiming initialisation, seed 1; the paper's momentum and weight decay).
    func trainingModel(_ options: VGGOptions, globalBatch: Int, backend: any Backend, communicator: any Communicator) throws -> TrainingModel {
        var c = TrainingConfiguration(model: options, data: .fashionMNIST)  // the data is never opened
        c.batchSize = globalBatch
        c.learningRate = Self.learningRate
        c.initializer = .kaiming
        c.seed = 1
        return try TrainingModel(c, sampleShape: [options.inputChannels, options.inputHeight, options.inputWidth], on: backend,
                                 communicator: communicator, distributed: distributed.settings(for: communicator))
    }

    /// `n` random images (Gaussian) and labels for `options`, this rank's slice of a global batch of `ranks` × `n`.
    func randomBatch(_ options: VGGOptions, _ n: Int, rank: Int = 0, ranks: Int = 1, using rng: inout Xoshiro256) -> Batch {
        let shape = [n, options.inputChannels, options.inputHeight, options.inputWidth]
        let images = (0..<shape.reduce(1, *)).map { _ in Float(rng.nextGaussian()) }
        let labels = (0..<n).map { _ in Int32(rng.nextInt(below: options.classes)) }
        return Batch(images: images, shape: shape, labels: labels, globalCount: n * ranks, firstInGlobalBatch: n * rank)
    }

    /// Step times and per-layer times of the timed iterations.
    struct Timings {
        var steps: [Double] = []
        /// Mean seconds per timed iteration, per layer.
        var forward: [Double], backward: [Double]
        init(layers: Int) { forward = [Double](repeating: 0, count: layers); backward = forward }
    }

    func runNetwork(_ backend: any Backend, _ communicator: any Communicator) throws {
        let o = try model.options(defaultClasses: 10)
        let ranks = communicator.size
        print(o.summaryLine)
        print("\(backend.settingsSummary), batch \(batch)" + (ranks > 1 ? " per rank, \(ranks) ranks" : ""))
        var rng = Xoshiro256(seed: 7)
        // Inference alone needs no optimizer (its momentum would count in the peak memory).
        let trained = skipTraining ? nil : try trainingModel(o, globalBatch: batch * ranks, backend: backend, communicator: communicator)
        let net = try trained?.network ?? VGGBuilder.build(o, on: backend, initializer: .kaiming, seed: 1)
        let flopsPerImage = try NetworkSummary(network: net, inputShape: [o.inputChannels, o.inputHeight, o.inputWidth]).totalFLOPs
        var record = NetworkBenchRecord(arch: o.summaryLine, gflopPerImage: flopsPerImage / 1e9)
        let timer = LayerTimer(layers: net.layers.count, backend: backend)
        // The per-layer timer waits for the device after every layer: only when the table is
        // asked for. It runs before the gradient synchronisation's observer.
        if !noLayers { net.observers.insert(timer, at: 0) }

        var training: Timings?, trainMedian = Double.nan, allReduceLine: String?
        if let trained {
            let t = try timeTraining(trained, randomBatch(o, batch, rank: communicator.rank, ranks: ranks, using: &rng), timer)
            trainMedian = median(t.steps)
            record.batch = batch
            record.trainImgS = Double(batch) / trainMedian
            record.trainStepMs = trainMedian * 1e3
            record.trainStepsMs = t.steps.map { $0 * 1e3 }
            if let synchronizer = trained.synchronizer {
                allReduceLine = try timeAllReduce(trained, synchronizer, exposed: t.exposed, trainMedian: trainMedian, into: &record)
            }
            training = t.timings
        }
        let ib = inferenceBatch ?? batch
        var inference: Timings?, inferMedian = Double.nan
        if !skipInference {
            let t = try timeInference(net, randomBatch(o, ib, using: &rng), timer)
            inferMedian = median(t.steps)
            record.inferenceBatch = ib
            record.inferImgS = Double(ib) / inferMedian
            record.inferBatchMs = inferMedian * 1e3
            record.inferBatchesMs = t.steps.map { $0 * 1e3 }
            inference = t
        }
        if !noLayers { record.layers = try printLayerTable(net, o, training: training, inference: inference, inferenceBatch: ib) }
        print("")
        if trained != nil {
            print(String(format: "training:  %.1f img/s  (median step %.1f ms over %d steps, %.1f GFLOP/s counting 3× forward FLOPs)",
                         Double(batch) / trainMedian, trainMedian * 1e3, iterations, 3 * flopsPerImage * Double(batch) / trainMedian / 1e9)
                  + (ranks > 1 ? String(format: "; %d ranks: %.1f img/s in all", ranks, Double(ranks * batch) / trainMedian) : ""))
            if let allReduceLine { print(allReduceLine) }
        }
        if !skipInference {
            print(String(format: "inference: %.1f img/s  (median batch of %d: %.1f ms, %.1f GFLOP/s)",
                         Double(ib) / inferMedian, ib, inferMedian * 1e3, flopsPerImage * Double(ib) / inferMedian / 1e9))
        }
        print(String(format: "peak RSS:  %.0f MiB", peakRSSMiB()))
        let facts = BackendFacts(of: backend)
        if let peak = facts.peakDeviceBytes {
            print(String(format: "peak GPU memory: %.0f MiB (tensors, workspaces and scratch this process allocated)", Double(peak) / 1048576))
            record.peakGpuMib = Double(peak) / 1048576
            record.precision = facts.precision
        }
        try emit("network", backend, record)
    }

    /// Times `warmup` + `iterations` training steps on `batch` (waiting for the backend after
    /// each); with several ranks, also how long each step waited for its gradient sums.
    private func timeTraining(_ trained: TrainingModel, _ batch: Batch, _ timer: LayerTimer) throws -> (steps: [Double], exposed: [Double], timings: Timings) {
        var t = Timings(layers: trained.network.layers.count)
        var exposed: [Double] = []
        let backend = trained.network.backend
        for it in 0..<(warmup + iterations) {
            timer.reset()
            let t0 = Clock.now()
            _ = try trained.step(batch, index: it, learningRate: Self.learningRate)
            backend.synchronize()
            let dt = Clock.now() - t0
            guard it >= warmup else { continue }
            t.steps.append(dt)
            if let s = trained.synchronizer { exposed.append(s.lastWait) }
            for i in t.forward.indices {
                t.forward[i] += timer.forward[i] / Double(iterations); t.backward[i] += timer.backward[i] / Double(iterations)
            }
        }
        return (t.steps, exposed, t)
    }

    /// The gradient sums alone, nothing to hide them behind, against what the steps waited for them.
    private func timeAllReduce(_ trained: TrainingModel, _ synchronizer: GradientSynchronizer, exposed: [Double], trainMedian: Double,
                               into record: inout NetworkBenchRecord) throws -> String {
        let net = trained.network, communicator = trained.communicator, ranks = communicator.size
        var alone: [Double] = []
        for it in 0..<(warmup + iterations) {
            let t0 = Clock.now()
            try communicator.allReduceSum(net.store.gradients, label: "gradient all-reduce (benchmark)")
            if it >= warmup { alone.append(Clock.now() - t0) }
        }
        let total = median(alone), hidden = median(exposed)
        record.ranks = ranks
        record.globalImgS = Double(ranks * batch) / trainMedian
        record.allreduceMs = total * 1e3
        record.allreduceExposedMs = hidden * 1e3
        record.allreduceHiddenFraction = max(0, 1 - hidden / total)
        record.buckets = synchronizer.buckets.count
        record.overlap = synchronizer.settings.overlap
        return String(format: "gradients: %@ MiB in %d bucket(s)%@: all-reduce alone %.1f ms, exposed %.1f ms per step (%.0f %% hidden behind the backward pass)",
                      formatFixed(Double(net.store.count * 4) / 1048576, decimals: 1), synchronizer.buckets.count,
                      synchronizer.settings.overlap ? " overlapping the backward pass" : ", after it",
                      total * 1e3, hidden * 1e3, 100 * max(0, 1 - hidden / total))
    }

    /// Times `warmup` + `iterations` inference passes on `batch`'s images, channels-last as the
    /// network's first layer takes them.
    private func timeInference(_ net: Sequential, _ batch: Batch, _ timer: LayerTimer) throws -> Timings {
        let x = Tensor(Array(batch.imageBuffer), shape: batch.shape, layout: .nhwc, on: net.backend)
        try net.prepare(inputShape: x.shape, training: !skipTraining)
        var t = Timings(layers: net.layers.count)
        for it in 0..<(warmup + iterations) {
            timer.reset()
            let t0 = Clock.now()
            _ = try net.forward(x, .inference)
            net.backend.synchronize()
            guard it >= warmup else { continue }
            t.steps.append(Clock.now() - t0)
            for i in t.forward.indices { t.forward[i] += timer.forward[i] / Double(iterations) }
        }
        return t
    }

    /// Prints the per-layer table and returns its rows.
    private func printLayerTable(_ net: Sequential, _ o: VGGOptions, training: Timings?, inference: Timings?,
                                 inferenceBatch ib: Int) throws -> [NetworkBenchRecord.Layer] {
        var headers = ["layer", "type", "output"]
        if training != nil { headers += ["fwd ms", "fwd GF/s", "bwd ms", "bwd GF/s"] }
        if inference != nil { headers += ["inf ms", "inf GF/s"] }
        var table = TextTable(headers: headers, alignments: [.left, .left, .left] + Array(repeating: .right, count: headers.count - 3))
        var s = [batch, o.inputChannels, o.inputHeight, o.inputWidth]
        let firstWithParameters = net.layers.firstIndex(where: { !$0.layer.parameters.isEmpty })
        var rows: [NetworkBenchRecord.Layer] = []
        func ms(_ t: Double) -> String { formatFixed(t * 1e3, decimals: 2) }
        func rate(_ r: Double) -> String { formatFixed(r, decimals: 1) }
        for (i, l) in net.layers.enumerated() {
            let f = l.layer.forwardFLOPs(for: s)
            let out = try l.layer.outputShape(for: s)
            // Backward of a layer with parameters does two passes (data + weights), one for the first layer.
            let passes: Double = l.layer.parameters.isEmpty ? 0 : (i == firstWithParameters ? 1 : 2)
            let winograd = (l.layer as? Conv2d)?.plannedOp?.usesWinograd
            var cells = [l.name, l.layer.kind + (winograd == true ? " W" : ""), out.dropFirst().map(String.init).joined(separator: "×")]
            var row = NetworkBenchRecord.Layer(name: l.name, kind: l.layer.kind, output: Array(out.dropFirst()),
                                               algorithm: winograd.map { $0 ? "winograd" : "direct" })
            if let training {
                let (fw, bw) = (training.forward[i], training.backward[i])
                cells += [ms(fw), rate(f > 0 ? f / fw / 1e9 : 0), ms(bw), rate(passes > 0 ? passes * f / bw / 1e9 : 0)]
                row.fwdMs = fw * 1e3; row.bwdMs = bw * 1e3
            }
            if let inference {
                // FLOPs scale with the batch; `f` was computed for the training batch.
                let fi = f * Double(ib) / Double(batch)
                cells += [ms(inference.forward[i]), rate(fi > 0 ? fi / inference.forward[i] / 1e9 : 0)]
                row.infMs = inference.forward[i] * 1e3
            }
            table.addRow(cells)
            rows.append(row)
            s = out
        }
        print("")
        print(table.render())
        print("(W: Winograd convolution; GF/s count the direct algorithm's FLOPs, so Winograd layers can exceed the machine's FMA peak)")
        return rows
    }
}
