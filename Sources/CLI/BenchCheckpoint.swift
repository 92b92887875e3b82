import ArgumentParser
import Foundation
import NN
import Support
import Tensors
import Training
import VGG

/// `vgg bench --save-checkpoint PATH`: what writing a checkpoint costs in time and memory.
extension BenchCommand {
    func runCheckpointSave(_ path: String, _ backend: any Backend) throws {
        let o = try model.options(defaultClasses: 10)
        // One training step first, so that the momentum is there to save.
        let n = min(batch, 2)
        let trained = try trainingModel(o, globalBatch: n, backend: backend, communicator: SingleProcessCommunicator())
        var rng = Xoshiro256(seed: 7)
        _ = try trained.step(randomBatch(o, n, using: &rng), index: 0, learningRate: Self.learningRate)
        let net = trained.network, sgd = trained.optimizer
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
        try emit("checkpoint", backend, CheckpointBenchRecord(arch: o.summaryLine, tensorMib: bytes / 1048576, saveS: t,
                                                             peakRssBeforeMib: before, peakRssAfterMib: after, saveExtraMib: after - before))
    }
}
