import ArgumentParser
import Foundation
import NN
import Support
import Tensors
import Training

/// `vgg bench --conv`: one `Conv2d` forward and backward through the NN layer.
extension BenchCommand {
    func runConvolution(_ spec: String, _ backend: any Backend) throws {
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
        try emit("conv", backend, ConvolutionBenchRecord(
            conv: [cin, cout, size, k], batch: batch, gflopPerPass: flops / 1e9, forwardMs: f * 1e3, forwardGflops: flops / f / 1e9,
            backwardMs: b * 1e3, backwardGflops: 2 * flops / b / 1e9, implementations: implementations))
    }
}
