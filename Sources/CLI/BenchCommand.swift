import ArgumentParser
import CPUBackend
import CUDABackend
import Data
import Distributed
import Foundation
import NN
import Support
@_spi(BackendImplementation) import Tensors
import Training
import VGG

/// `vgg bench`: training and inference images/s of a network, a per-layer table of
/// forward/backward times and GFLOP/s, and the peak resident memory.
///
/// Two single-kernel modes measure the machine rather than a network:
/// `--conv IN,OUT,SIZE` times one `Conv2d` (3×3, padding 1) forward and backward (dx + dW)
/// through the NN layer, and `--sgemm N` times OpenBLAS sgemm N×N×N (the practical peak).
/// `--json` adds one machine-readable line (a JSON object) at the end of the output.
/// `--save-checkpoint PATH` measures what writing a checkpoint of the network (weights,
/// running statistics, momentum) costs in time and in peak memory above the model's own.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmark a network's training step and inference, one convolution, or sgemm.")
    @OptionGroup var model: ModelOptions
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var distributed: DistributedOptions
    @Option(help: "Time all-reduces of this many MiB across the ranks of mpirun (float32 and bfloat16): algorithm and bus bandwidth.")
    var allreduce: Double?
    @Option(help: "Batch size.") var batch: Int = 128
    @Option(help: "Timed iterations.") var iterations: Int = 5
    @Option(help: "Untimed warm-up iterations.") var warmup: Int = 2
    @Option(name: .customLong("inference-batch"), help: "Batch size of the inference measurement (default: the training batch).")
    var inferenceBatch: Int?
    @Flag(name: .customLong("no-layers"), help: "Skip the per-layer table.") var noLayers = false
    @Flag(name: .customLong("skip-training"), help: "Do not measure the training step.") var skipTraining = false
    @Flag(name: .customLong("skip-inference"), help: "Do not measure inference.") var skipInference = false
    @Flag(help: "Also print the results as one JSON object on the last line.") var json = false
    @Option(help: "Time one Conv2d instead of a network: IN,OUT,SIZE[,KERNEL] (e.g. 128,128,16; padding keeps the size).")
    var conv: String?
    @Option(help: "Time OpenBLAS sgemm N×N×N instead of a network (e.g. 1024).") var sgemm: Int?
    @Option(help: "Time the data loader instead of a network: 'fashion-mnist', a data directory (IDX, CIFAR, image folder), or 'synthetic-jpeg' (256×256 JPEGs).")
    var data: String?
    @Option(help: "Loader threads for --data.") var workers: Int = 2
    @Option(name: .customLong("save-checkpoint"), help: "Measure writing a checkpoint of the network (after one training step) to this path: time and peak memory above the model's own.")
    var saveCheckpoint: String?

    func validate() throws {
        guard batch > 0, iterations > 0, warmup >= 0 else { throw ValidationError("--batch and --iterations must be positive") }
        if skipTraining && skipInference && conv == nil && sgemm == nil && data == nil && saveCheckpoint == nil && allreduce == nil {
            throw ValidationError("--skip-training and --skip-inference leave nothing to measure")
        }
        if let n = sgemm, n <= 0 { throw ValidationError("--sgemm needs a positive size") }
    }

    func run() throws {
        if let d = data { return try runLoader(d) }
        let communicator = try distributed.makeCommunicator()
        // Under mpirun, rank 0 reports; every rank runs the same measurement.
        if !communicator.isRoot { _ = freopen("/dev/null", "w", stdout) }
        try communicator.running { try measure(communicator) }
    }

    private func measure(_ communicator: any Communicator) throws {
        if let mb = allreduce { return try runAllReduce(mb, communicator) }
        let backend = try runtime.makeBackend()
        if let n = sgemm { return try runSGEMM(n, backend) }
        if let spec = conv { return try runConvolution(spec, backend) }
        if let path = saveCheckpoint { return try runCheckpointSave(path, backend) }
        try runNetwork(backend, communicator)
    }

    private func baseRecord(_ mode: String, _ backend: any Backend) -> [String: Any] {
        var r: [String: Any] = ["mode": mode, "backend": backend.name, "settings": backend.settingsSummary,
                                "iterations": iterations, "warmup": warmup]
        if let cpu = backend as? CPUBackend {
            let c = cpu.configuration
            r.merge(["threads": c.threads, "onednn": CPUFeatures.dnnlVersion, "blas_core": CPUFeatures.blasCore, "gemm": c.gemm.rawValue,
                     "conv_algorithm": c.convolutionAlgorithm.rawValue, "winograd": c.winograd.rawValue]) { $1 }
        }
        return r
    }

    private func emit(_ record: [String: Any]) {
        guard json else { return }
        var r = record
        r["peak_rss_mib"] = (peakRSSMiB() * 10).rounded() / 10
        if let data = try? JSONSerialization.data(withJSONObject: r, options: [.sortedKeys]),
           let s = String(data: data, encoding: .utf8) {
            print(s)
        }
    }

    // MARK: - data loader

    /// Loader throughput: Fashion-MNIST-style batches (padded to 32×32), CIFAR, or decoding and
    /// augmenting JPEGs to 224 crops (rescale S∈[256,512], random crop, flip, colour shift, mean).
    private func runLoader(_ spec: String) throws {
        var dataset: any ImageDataset
        var pipeline: TransformPipeline
        var source = spec
        if spec == "synthetic-jpeg" {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-bench-jpeg-\(getpid())").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try LoaderBenchmark.makeSyntheticJPEGFolder(at: dir, classes: 4, imagesPerClass: 128, width: 256, height: 256)
            dataset = try ImageFolderDataset(root: dir)
            let stats = try DatasetStatistics.compute(dataset: dataset, maxImages: 64)
            pipeline = .vggTraining(scales: 256...512, crop: 224, mean: stats.mean, colorShift: PCAColorShift(statistics: stats))
            source = "\(dataset.count) synthetic 256×256 JPEGs → scale jitter [256,512], 224 crop, flip, colour shift"
            return try measureLoader(dataset, pipeline, source)
        }
        let d = try (spec == "fashion-mnist" ? DatasetSpec.fashionMNIST : DatasetSpec.detect(path: spec)).open(split: .train)
        dataset = d
        var t: [any ImageTransform] = []
        if d.channels == 1 { t.append(Pad(2)) } else { t += [Pad(4), RandomCrop(32), RandomHorizontalFlip()] }
        t.append(Normalize(mean: [Float](repeating: 0.3, count: d.channels)))
        pipeline = TransformPipeline(t)
        source = "\(d.count) images of \(spec)" + (d.channels == 1 ? ", padded to 32×32" : ", pad 4 + random 32 crop + flip")
        try measureLoader(dataset, pipeline, source)
    }

    private func measureLoader(_ dataset: any ImageDataset, _ pipeline: TransformPipeline, _ source: String) throws {
        let loader = try DataLoader(dataset: dataset, pipeline: pipeline, batchSize: batch, shuffle: true, seed: 1,
                                    dropLast: true, workers: workers)
        let batches = min(loader.batchesPerEpoch, max(iterations, 1) * 10)
        let r = try LoaderBenchmark.run(loader: loader, epoch: 0, batches: batches, warmupBatches: 1)
        print("data: \(source); batch \(batch), \(workers) worker(s)")
        print(String(format: "loader: %.0f images/s (%d images in %.2f s)", r.imagesPerSecond, r.images, r.seconds))
    }

    // MARK: - sgemm

    private func runSGEMM(_ n: Int, _ backend: any Backend) throws {
        guard backend is CPUBackend else { throw ValidationError("--sgemm measures the cpu backend's sgemm libraries: use --backend cpu") }
        // 64-byte aligned host buffers, as the network's tensors are (OpenBLAS's packing is
        // measurably slower from the 16-byte alignment of Swift arrays).
        var rng = Xoshiro256(seed: 3)
        let a = Tensor((0..<(n * n)).map { _ in Float(rng.nextGaussian()) }, shape: [n, n], on: HostMemory.shared)
        let b = Tensor((0..<(n * n)).map { _ in Float(rng.nextGaussian()) }, shape: [n, n], on: HostMemory.shared)
        let c = Tensor(shape: [n, n], on: HostMemory.shared)
        let flops = 2 * Double(n) * Double(n) * Double(n)
        print(backend.settingsSummary)
        var r = baseRecord("sgemm", backend)
        r["size"] = n
        // OpenBLAS first: its rate is the machine's reference ("gflops"); oneDNN's follows.
        for library in [GEMM.Library.openblas, .onednn] {
            var times: [Double] = []
            for it in 0..<(warmup + iterations) {
                let t0 = Clock.now()
                GEMM.multiply(transposeA: false, transposeB: false, m: n, n: n, k: n, a: a.hostPointer, b: b.hostPointer,
                              c: c.hostPointer, library: library)
                if it >= warmup { times.append(Clock.now() - t0) }
            }
            let t = median(times)
            print("sgemm \(n)×\(n)×\(n) (\(library.rawValue)): " + String(format: "median %.2f ms, %.1f GFLOP/s (best %.1f)",
                         t * 1e3, flops / t / 1e9, flops / times.min()! / 1e9))
            if library == .openblas { r["median_ms"] = t * 1e3; r["gflops"] = flops / t / 1e9 }
            else { r["gflops_onednn"] = flops / t / 1e9 }
        }
        print(String(format: "peak RSS:  %.0f MiB", peakRSSMiB()))
        emit(r)
    }

    // MARK: - one convolution

    private func runConvolution(_ spec: String, _ backend: any Backend) throws {
        let (cin, cout, size, k) = try parsed { try CommandLineSyntax.convolution(spec) }
        let layer = Conv2d(cin, cout, kernelSize: k, padding: (k - 1) / 2)
        let inShape = [batch, cin, size, size]
        try layer.prepare(inputShape: inShape, propagateDown: true, on: backend)
        let outShape = try layer.outputShape(for: inShape)
        var rng = Xoshiro256(seed: 5)
        let scale = Float(sqrt(2.0 / Double(cin * k * k)))
        layer.weight.value.copy(from: (0..<layer.weight.count).map { _ in Float(rng.nextGaussian()) * scale })
        let x = Tensor((0..<inShape.reduce(1, *)).map { _ in Float(rng.nextGaussian()) }, shape: inShape, layout: .nhwc, on: backend)
        let dy = Tensor((0..<outShape.reduce(1, *)).map { _ in Float(rng.nextGaussian()) }, shape: outShape, layout: .nhwc, on: backend)
        var fwd: [Double] = [], bwd: [Double] = []
        for it in 0..<(warmup + iterations) {
            var t = Clock.now()
            _ = layer.forward(x, .training(step: it))
            backend.synchronize()
            let tf = Clock.now() - t
            t = Clock.now()
            _ = layer.backward(dy)
            backend.synchronize()
            let tb = Clock.now() - t
            if it >= warmup { fwd.append(tf); bwd.append(tb) }
        }
        let flops = layer.forwardFLOPs(for: inShape)
        let f = median(fwd), b = median(bwd)
        let implementations = layer.plannedOp?.implementations ?? []
        print(backend.settingsSummary)
        print("Conv2d(\(cin), \(cout), \(k)×\(k), padding \((k - 1) / 2)) on N=\(batch) \(size)×\(size): "
              + String(format: "%.3f GFLOP per pass", flops / 1e9))
        print("implementations (forward, backward data, backward weights): \(implementations.joined(separator: ", "))")
        print(String(format: "forward:          %8.2f ms  %7.1f GFLOP/s", f * 1e3, flops / f / 1e9))
        print(String(format: "backward (dx+dW): %8.2f ms  %7.1f GFLOP/s", b * 1e3, 2 * flops / b / 1e9))
        print(String(format: "forward+backward: %8.2f ms  %7.1f GFLOP/s", (f + b) * 1e3, 3 * flops / (f + b) / 1e9))
        print(String(format: "peak RSS:  %.0f MiB", peakRSSMiB()))
        var r = baseRecord("conv", backend)
        r["conv"] = [cin, cout, size, k]; r["batch"] = batch; r["gflop_per_pass"] = flops / 1e9
        r["forward_ms"] = f * 1e3; r["forward_gflops"] = flops / f / 1e9
        r["backward_ms"] = b * 1e3; r["backward_gflops"] = 2 * flops / b / 1e9
        r["implementations"] = implementations
        emit(r)
    }

    // MARK: - all-reduce bandwidth

    /// Median time of all-reduces of `mb` MiB, as float32 and bfloat16, with the bus
    /// bandwidth of nccl-tests (2(N−1)/N · bytes / time: what each link carries).
    private func runAllReduce(_ mb: Double, _ communicator: any Communicator) throws {
        let n = communicator.size
        guard n > 1 else { throw ValidationError("--allreduce measures the ranks of a job: run it under mpirun -np N") }
        let count = max(1, Int(mb * 1048576 / 4))
        let t = Tensor([Float](repeating: 1, count: count), shape: [count], on: HostMemory.shared)
        var record = baseRecord("allreduce", try runtime.makeBackend())
        record["ranks"] = n; record["mib"] = mb
        print("all-reduce of \(formatFixed(mb, decimals: 1)) MiB of float32 gradients across \(n) ranks")
        for precision in AllReducePrecision.allCases {
            var times: [Double] = []
            for it in 0..<(warmup + iterations) {
                try communicator.barrier(label: "benchmark barrier")
                let t0 = Clock.now()
                try communicator.startAllReduceSum(t, precision: precision, label: "benchmark all-reduce").wait()
                if it >= warmup { times.append(Clock.now() - t0) }
            }
            let m = median(times), sent = Double(count * (precision == .float32 ? 4 : 2))
            let bus = 2 * Double(n - 1) / Double(n) * sent / m
            print(String(format: "%@: median %.2f ms, algorithm bandwidth %.2f GB/s, bus bandwidth %.2f GB/s",
                         precision.rawValue, m * 1e3, sent / m / 1e9, bus / 1e9))
            record["\(precision.rawValue)_ms"] = m * 1e3
            record["\(precision.rawValue)_bus_gb_s"] = bus / 1e9
        }
        emit(record)
    }

    // MARK: - a checkpoint

    private func runCheckpointSave(_ path: String, _ backend: any Backend) throws {
        let o = try model.options(defaultClasses: 10)
        let net = try VGGBuilder.build(o, on: backend, initializer: .kaiming, seed: 1)
        let sgd = SGD(store: net.store, learningRate: 1e-3)
        let loss = SoftmaxCrossEntropy(on: backend)
        var rng = Xoshiro256(seed: 7)
        let n = min(batch, 2)
        let x = Tensor((0..<(n * o.inputChannels * o.inputHeight * o.inputWidth)).map { _ in Float(rng.nextGaussian()) },
                       shape: [n, o.inputChannels, o.inputHeight, o.inputWidth], on: backend)
        _ = loss.forward(logits: try net.forward(x, .training(step: 0)), labels: (0..<n).map { Int32($0 % o.classes) })
        net.backward(loss.backward())
        sgd.step()
        let header = TorchvisionWeights.header(options: o, classNames: (0..<o.classes).map { "class \($0)" })
        let before = peakRSSMiB()
        let bytes = Double(4 * (net.store.count * 2 + net.bufferStore.count))
        var times: [Double] = []
        for _ in 0..<iterations {
            let t0 = Clock.now()
            try Checkpoint.write(header, network: net, optimizer: sgd, to: URL(fileURLWithPath: path))
            times.append(Clock.now() - t0)
        }
        let after = peakRSSMiB()
        let t = median(times)
        print(o.summaryLine + ", \(groupedDigits(net.parameterCount)) parameters; " + backend.settingsSummary)
        print(String(format: "checkpoint %@: %.0f MiB of tensors (weights, statistics, momentum), median %.2f s (%.0f MiB/s) over %d writes",
                     path, bytes / 1048576, t, bytes / 1048576 / t, iterations))
        print(String(format: "peak RSS: %.0f MiB before saving, %.0f MiB after: %.1f MiB for the saving", before, after, after - before))
        var r = baseRecord("checkpoint", backend)
        r["arch"] = o.summaryLine; r["tensor_mib"] = bytes / 1048576; r["save_s"] = t
        r["peak_rss_before_mib"] = before; r["peak_rss_after_mib"] = after; r["save_extra_mib"] = after - before
        emit(r)
    }

    // MARK: - a network

    private func runNetwork(_ backend: any Backend, _ communicator: any Communicator) throws {
        let o = try model.options(defaultClasses: 10)
        let net = try VGGBuilder.build(o, on: backend, initializer: .kaiming, seed: 1)
        let loss = SoftmaxCrossEntropy(on: backend)
        print(o.summaryLine)
        let ranks = communicator.size
        print("\(backend.settingsSummary), batch \(batch)" + (ranks > 1 ? " per rank, \(ranks) ranks" : ""))
        var rng = Xoshiro256(seed: 7)
        func randomBatch(_ n: Int) -> (Tensor, [Int32]) {
            let shape = [n, o.inputChannels, o.inputHeight, o.inputWidth]
            let x = Tensor((0..<shape.reduce(1, *)).map { _ in Float(rng.nextGaussian()) }, shape: shape, layout: .nhwc, on: backend)
            return (x, (0..<n).map { _ in Int32(rng.nextInt(below: o.classes)) })
        }
        let summary = try NetworkSummary(network: net, inputShape: [o.inputChannels, o.inputHeight, o.inputWidth])
        let flopsPerImage = summary.totalFLOPs
        let n = net.layers.count
        var record = baseRecord("network", backend)
        record["arch"] = o.summaryLine; record["gflop_per_image"] = flopsPerImage / 1e9
        let timer = LayerTimer(layers: n, backend: backend)
        // The per-layer timer waits for the device after every layer: only when the table is asked for.
        net.observers = noLayers ? [] : [timer]
        let synchronizer = ranks > 1 ? GradientSynchronizer(network: net, communicator: communicator, settings: distributed.settings) : nil
        if let synchronizer { net.observers.append(synchronizer) }
        var exposed: [Double] = []

        // Training steps, timed per layer.
        var fwd = [Double](repeating: 0, count: n), bwd = fwd, inf = fwd
        var trainMedian = Double.nan
        var allReduceLine: String?
        if !skipTraining {
            let sgd = SGD(store: net.store, learningRate: 1e-3)
            let (x, labels) = randomBatch(batch)
            try net.prepare(inputShape: x.shape)
            var stepTimes: [Double] = []
            for it in 0..<(warmup + iterations) {
                timer.reset()
                let t0 = Clock.now()
                _ = loss.forward(logits: try net.forward(x, .training(step: it)), labels: labels)
                net.backward(loss.backward())
                if let synchronizer {
                    try synchronizer.finishStep()
                    if it >= warmup { exposed.append(synchronizer.lastWait) }
                }
                sgd.step()
                backend.synchronize()
                let dt = Clock.now() - t0
                if it >= warmup {
                    stepTimes.append(dt)
                    for i in 0..<n { fwd[i] += timer.forward[i] / Double(iterations); bwd[i] += timer.backward[i] / Double(iterations) }
                }
            }
            trainMedian = median(stepTimes)
            record["batch"] = batch
            record["train_img_s"] = Double(batch) / trainMedian
            record["train_step_ms"] = trainMedian * 1e3
            record["train_steps_ms"] = stepTimes.map { $0 * 1e3 }
            if let synchronizer {
                // The same sums alone, nothing to hide them behind.
                var alone: [Double] = []
                for it in 0..<(warmup + iterations) {
                    let t0 = Clock.now()
                    try communicator.allReduceSum(net.store.gradients, label: "gradient all-reduce (benchmark)")
                    if it >= warmup { alone.append(Clock.now() - t0) }
                }
                let total = median(alone), hidden = median(exposed)
                record["ranks"] = ranks
                record["global_img_s"] = Double(ranks * batch) / trainMedian
                record["allreduce_ms"] = total * 1e3
                record["allreduce_exposed_ms"] = hidden * 1e3
                record["allreduce_hidden_fraction"] = max(0, 1 - hidden / total)
                record["buckets"] = synchronizer.buckets.count
                record["overlap"] = synchronizer.settings.overlap
                allReduceLine = String(format: "gradients: %@ MiB in %d bucket(s)%@: all-reduce alone %.1f ms, exposed %.1f ms per step (%.0f %% hidden behind the backward pass)",
                                       formatFixed(Double(net.store.count * 4) / 1048576, decimals: 1), synchronizer.buckets.count,
                                       synchronizer.settings.overlap ? " overlapping the backward pass" : ", after it",
                                       total * 1e3, hidden * 1e3, 100 * max(0, 1 - hidden / total))
            }
        }
        // Inference, timed per layer (the input is already channels-last).
        let ib = inferenceBatch ?? batch
        var inferMedian = Double.nan
        if !skipInference {
            let (xi, _) = randomBatch(ib)
            try net.prepare(inputShape: xi.shape, training: !skipTraining)
            var inferTimes: [Double] = []
            for it in 0..<(warmup + iterations) {
                timer.reset()
                let t0 = Clock.now()
                _ = try net.forward(xi, .inference)
                backend.synchronize()
                if it >= warmup {
                    inferTimes.append(Clock.now() - t0)
                    for i in 0..<n { inf[i] += timer.forward[i] / Double(iterations) }
                }
            }
            inferMedian = median(inferTimes)
            record["inference_batch"] = ib
            record["infer_img_s"] = Double(ib) / inferMedian
            record["infer_batch_ms"] = inferMedian * 1e3
            record["infer_batches_ms"] = inferTimes.map { $0 * 1e3 }
        }

        if !noLayers {
            var headers = ["layer", "type", "output"]
            if !skipTraining { headers += ["fwd ms", "fwd GF/s", "bwd ms", "bwd GF/s"] }
            if !skipInference { headers += ["inf ms", "inf GF/s"] }
            var table = TextTable(headers: headers, alignments: [.left, .left, .left] + Array(repeating: .right, count: headers.count - 3))
            var s = [batch, o.inputChannels, o.inputHeight, o.inputWidth]
            let firstWithParameters = net.layers.firstIndex(where: { !$0.layer.parameters.isEmpty })
            var rows: [[String: Any]] = []
            func ms(_ t: Double) -> String { formatFixed(t * 1e3, decimals: 2) }
            func rate(_ r: Double) -> String { formatFixed(r, decimals: 1) }
            for (i, l) in net.layers.enumerated() {
                let f = l.layer.forwardFLOPs(for: s)
                let out = try l.layer.outputShape(for: s)
                // Backward of a layer with parameters does two passes (data + weights), one for the first layer.
                let passes: Double = l.layer.parameters.isEmpty ? 0 : (i == firstWithParameters ? 1 : 2)
                let winograd = (l.layer as? Conv2d)?.plannedOp?.usesWinograd
                var cells = [l.name, l.layer.kind + (winograd == true ? " W" : ""), out.dropFirst().map(String.init).joined(separator: "×")]
                var row: [String: Any] = ["name": l.name, "kind": l.layer.kind, "output": Array(out.dropFirst())]
                if let winograd { row["algorithm"] = winograd ? "winograd" : "direct" }
                if !skipTraining {
                    cells += [ms(fwd[i]), rate(f > 0 ? f / fwd[i] / 1e9 : 0), ms(bwd[i]), rate(passes > 0 ? passes * f / bwd[i] / 1e9 : 0)]
                    row["fwd_ms"] = fwd[i] * 1e3; row["bwd_ms"] = bwd[i] * 1e3
                }
                if !skipInference {
                    // FLOPs scale with the batch; `f` was computed for the training batch.
                    let fi = f * Double(ib) / Double(batch)
                    cells += [ms(inf[i]), rate(fi > 0 ? fi / inf[i] / 1e9 : 0)]
                    row["inf_ms"] = inf[i] * 1e3
                }
                table.addRow(cells)
                rows.append(row)
                s = out
            }
            print("")
            print(table.render())
            print("(W: Winograd convolution; GF/s count the direct algorithm's FLOPs, so Winograd layers can exceed the machine's FMA peak)")
            record["layers"] = rows
        }
        print("")
        if !skipTraining {
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
        if let cuda = backend as? CUDABackend {
            print(String(format: "peak GPU memory: %.0f MiB (tensors, workspaces and scratch this process allocated)",
                         Double(cuda.peakBytesHeld) / 1048576))
            record["peak_gpu_mib"] = Double(cuda.peakBytesHeld) / 1048576
            record["precision"] = cuda.configuration.precision.rawValue
        }
        emit(record)
    }
}

func median(_ v: [Double]) -> Double {
    let s = v.sorted()
    return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2]))
}

func peakRSSMiB() -> Double {
    var u = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    return Double(u.ru_maxrss) / 1024
}


/// Times each layer of a network through `Sequential`'s observer hook (waiting for the
/// backend before reading the clock).
final class LayerTimer: LayerObserver {
    private(set) var forward: [Double]
    private(set) var backward: [Double]
    private let backend: any Backend
    private var start = 0.0

    init(layers: Int, backend: any Backend) {
        forward = [Double](repeating: 0, count: layers)
        backward = forward
        self.backend = backend
    }

    func reset() {
        for i in forward.indices { forward[i] = 0; backward[i] = 0 }
    }

    func willRun(layer index: Int, pass: LayerPass) {
        backend.synchronize()
        start = Clock.now()
    }

    func didRun(layer index: Int, pass: LayerPass) {
        backend.synchronize()
        let t = Clock.now() - start
        switch pass {
        case .forward: forward[index] += t
        case .backward: backward[index] += t
        }
    }
}
