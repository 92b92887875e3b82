import ArgumentParser
import Foundation
import Kernels
import NN
import VGG

/// `vgg bench`: training and inference images/s of a network, a per-layer table of
/// forward/backward times and GFLOP/s, and the peak resident memory.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmark a network's training step and inference.")
    @OptionGroup var model: ModelOptions
    @OptionGroup var runtime: RuntimeOptions
    @Option(help: "Batch size.") var batch: Int = 128
    @Option(help: "Timed iterations.") var iterations: Int = 5
    @Option(help: "Untimed warm-up iterations.") var warmup: Int = 2
    @Option(name: .customLong("inference-batch"), help: "Batch size of the inference measurement (default: the training batch).")
    var inferenceBatch: Int?
    @Flag(name: .customLong("no-layers"), help: "Skip the per-layer table.") var noLayers = false

    func run() throws {
        runtime.apply()
        let o = try model.options(defaultClasses: 10)
        let net = try VGGBuilder.build(o, initializer: .kaiming, seed: 1)
        let store = net.materializeParameters()
        let sgd = SGD(store: store, learningRate: 1e-3)
        let loss = SoftmaxCrossEntropy()
        print(o.summaryLine)
        print("threads \(KernelRuntime.threads), oneDNN \(KernelRuntime.dnnlVersion), OpenBLAS core \(KernelRuntime.blasCore), batch \(batch)")
        var rng = RandomSource(seed: 7)
        func randomBatch(_ n: Int) -> (Tensor, [Int32]) {
            let x = Tensor(shape: [n, o.inputChannels, o.inputHeight, o.inputWidth], layout: .nhwc)
            for i in 0..<x.count { x[i] = rng.normal() }
            return (x, (0..<n).map { _ in Int32(rng.next() % UInt64(o.classes)) })
        }
        let (x, labels) = randomBatch(batch)
        let summary = try NetworkSummary(network: net, inputShape: [o.inputChannels, o.inputHeight, o.inputWidth])
        let flopsPerImage = summary.totalFLOPs

        // Training steps, timed per layer.
        try net.prepare(inputShape: x.shape)
        let n = net.layers.count
        var fwd = [Double](repeating: 0, count: n), bwd = [Double](repeating: 0, count: n)
        var stepTimes: [Double] = []
        for it in 0..<(warmup + iterations) {
            let t0 = now()
            var h = x
            var tf = [Double](repeating: 0, count: n), tb = tf
            for (i, l) in net.layers.enumerated() {
                let t = now(); h = l.layer.forward(h, mode: .training); tf[i] = now() - t
            }
            _ = loss.forward(logits: h, labels: labels)
            var g: Tensor? = loss.backward()
            for (i, l) in net.layers.enumerated().reversed() {
                guard let gg = g else { break }
                let t = now(); g = l.layer.backward(gg); tb[i] = now() - t
            }
            sgd.step()
            let dt = now() - t0
            if it >= warmup {
                stepTimes.append(dt)
                for i in 0..<n { fwd[i] += tf[i] / Double(iterations); bwd[i] += tb[i] / Double(iterations) }
            }
        }
        let trainMedian = median(stepTimes)
        // Inference.
        let ib = inferenceBatch ?? batch
        let (xi, _) = randomBatch(ib)
        var inferTimes: [Double] = []
        for it in 0..<(warmup + iterations) {
            let t0 = now()
            _ = try net.forward(xi, mode: .inference)
            if it >= warmup { inferTimes.append(now() - t0) }
        }
        let inferMedian = median(inferTimes)

        if !noLayers {
            print("")
            print("layer          type          output          fwd ms   fwd GF/s   bwd ms   bwd GF/s")
            var s = x.shape
            for (i, l) in net.layers.enumerated() {
                let f = l.layer.forwardFLOPs(for: s) 
                let out = try l.layer.outputShape(for: s)
                // Backward of a layer with parameters does two passes (data + weights), one for the first layer.
                let passes: Double = l.layer.parameters.isEmpty ? 0 : (i == net.layers.firstIndex(where: { !$0.layer.parameters.isEmpty }) ? 1 : 2)
                let fwdMs: Double = fwd[i] * 1e3, bwdMs: Double = bwd[i] * 1e3
                let fwdRate: Double = f > 0 ? f / fwd[i] / 1e9 : 0.0
                let bwdRate: Double = passes > 0 ? passes * f / bwd[i] / 1e9 : 0.0
                let line = padded(l.name, 15) + padded(l.layer.kind, 14) + padded(out.dropFirst().map(String.init).joined(separator: "×"), 14)
                    + String(format: "%7.2f %9.1f %8.2f %9.1f", fwdMs, fwdRate, bwdMs, bwdRate)
                print(line)
                s = out
            }
        }
        print("")
        print(String(format: "training:  %.1f img/s  (median step %.1f ms over %d steps, %.1f GFLOP/s counting 3× forward FLOPs)",
                     Double(batch) / trainMedian, trainMedian * 1e3, iterations, 3 * flopsPerImage * Double(batch) / trainMedian / 1e9))
        print(String(format: "inference: %.1f img/s  (median batch of %d: %.1f ms, %.1f GFLOP/s)",
                     Double(ib) / inferMedian, ib, inferMedian * 1e3, flopsPerImage * Double(ib) / inferMedian / 1e9))
        print(String(format: "peak RSS:  %.0f MiB", peakRSSMiB()))
    }
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
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

func padded(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
