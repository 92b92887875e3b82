import Data
import Foundation
import Kernels
import NN
import Reports
import VGG

/// Trains a VGG network as in §3.1 of the paper, with progress lines, per-epoch
/// validation, `metrics.csv`, curves, and `last`/`best` checkpoints that make every run
/// resumable exactly (same weights as an uninterrupted run with the same seed).
public final class Trainer {
    public let configuration: TrainingConfiguration
    public let outputDirectory: URL
    public let log: (String) -> Void
    /// For tests: stop (as if killed) after this many batches of the run, right after a checkpoint.
    public var stopAfterBatches: Int?

    public init(configuration: TrainingConfiguration, outputDirectory: URL, log: @escaping (String) -> Void = { print($0) }) {
        self.configuration = configuration
        self.outputDirectory = outputDirectory
        self.log = log
    }

    public var lastCheckpointURL: URL { outputDirectory.appendingPathComponent("last.ckpt") }
    public var bestCheckpointURL: URL { outputDirectory.appendingPathComponent("best.ckpt") }

    /// Runs (or continues, with `resume`) training; `initFrom` pre-initialises from a trained net A.
    @discardableResult
    public func run(resume: Bool = false, preprocessing given: Preprocessing? = nil, initFrom: URL? = nil) throws -> [EpochMetrics] {
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        var config = configuration
        var resumed: Checkpoint?
        if resume {
            guard FileManager.default.fileExists(atPath: lastCheckpointURL.path) else {
                throw CheckpointError(path: lastCheckpointURL.path, problem: "nothing to resume: no checkpoint here")
            }
            let ck = try Checkpoint.read(from: lastCheckpointURL)
            config = ck.header.configuration
            config.epochs = max(config.epochs, configuration.epochs)
            resumed = ck
            log("resuming from \(lastCheckpointURL.path): epoch \(ck.header.epoch + 1), batch \(ck.header.batchInEpoch)")
        }

        // Data.
        let fullTrain = try config.data.open(split: .train, limit: config.limitTrain, skipBadImages: config.skipBadImages)
        var train: any ImageDataset = fullTrain
        var validation: any ImageDataset
        if config.validationFraction > 0 {
            let split = try fullTrain.stratifiedSplit(validationFraction: config.validationFraction, seed: config.seed)
            train = split.train
            validation = split.validation
        } else {
            validation = try config.data.open(split: .test, limit: config.limitTest, skipBadImages: config.skipBadImages)
        }
        let classNames = fullTrain.classNames
        var preprocessing: Preprocessing
        if let ck = resumed {
            preprocessing = ck.header.preprocessing
        } else if let given {
            preprocessing = given
        } else {
            preprocessing = Preprocessing(mean: [])
        }
        if preprocessing.mean.isEmpty || (preprocessing.colorShift && preprocessing.eigenvalues.isEmpty) {
            let t0 = Date()
            let stats = try DatasetStatistics.compute(dataset: train, maxImages: 20_000, workers: config.workers)
            preprocessing.mean = stats.mean
            if preprocessing.std != nil { preprocessing.std = stats.std }
            preprocessing.eigenvalues = stats.eigenvalues
            preprocessing.eigenvectors = stats.eigenvectors
            log(String(format: "training-set statistics over %d images: mean %@ (%.1f s)", stats.imageCount,
                       stats.mean.map { String(format: "%.4f", $0) }.joined(separator: ", "), Date().timeIntervalSince(t0)))
        }
        let trainLoader = try DataLoader(dataset: train, pipeline: preprocessing.trainingPipeline(), batchSize: config.batchSize,
                                         shuffle: true, seed: config.seed, dropLast: train.count >= config.batchSize,
                                         workers: config.workers)
        let sample = trainLoader.sampleShape
        config.model.classes = classNames.count
        config.model.inputChannels = sample[0]
        config.model.inputHeight = sample[1]
        config.model.inputWidth = sample[2]

        // Model and optimiser.
        let network = try VGGBuilder.build(config.model, initializer: config.initializer, seed: config.seed)
        if let initFrom {
            let a = try Checkpoint.read(from: initFrom)
            let netA = try VGGBuilder.build(a.header.configuration.model, initializer: nil)
            try ModelState.load(a, into: netA, path: initFrom.path)
            let copied = try Preinitialization.copy(from: netA, into: network)
            log("pre-initialised from \(initFrom.path): " + copied.map { "\($0.0)→\($0.1)" }.joined(separator: ", "))
        }
        let store = network.materializeParameters()
        let sgd = SGD(store: store, learningRate: config.learningRate, momentum: config.momentum,
                      weightDecay: config.weightDecay, nesterov: config.nesterov)
        var scheduler = LearningRateScheduler(config.schedule, baseLearningRate: config.learningRate)
        var history: [EpochMetrics] = []
        var best = -1.0
        var startEpoch = 0, startBatch = 0
        var partial = [0.0, 0.0, 0.0, 0.0]
        var batchCurve: [[Double]] = []
        var window = (loss: 0.0, correct: 0.0, seen: 0.0)
        if let ck = resumed {
            guard ck.header.configuration.model == config.model else {
                throw CheckpointError(path: lastCheckpointURL.path, problem: "was saved for \(ck.header.configuration.model.summaryLine), not \(config.model.summaryLine)")
            }
            try ModelState.load(ck, into: network, path: lastCheckpointURL.path)
            if let m = ck.tensors["momentum"], m.count == sgd.momentumBuffer.count {
                m.withUnsafeBufferPointer { sgd.momentumBuffer.data.update(from: $0.baseAddress!, count: m.count) }
            }
            sgd.steps = ck.header.sgdSteps
            sgd.learningRate = ck.header.learningRate
            scheduler = ck.header.scheduler
            for (d, s) in zip(network.dropoutLayers, ck.header.dropoutStates) { d.random.state = s }
            let bns = network.layers.compactMap { $0.layer as? BatchNorm2d }
            for (b, n) in zip(bns, ck.header.batchesTracked) { b.batchesTracked = n }
            history = ck.header.history
            best = ck.header.bestAccuracy
            startEpoch = ck.header.epoch
            startBatch = ck.header.batchInEpoch
            partial = ck.header.epochProgress
            batchCurve = ck.header.batchCurve
        }
        log(config.model.summaryLine + String(format: ", %@ parameters", groupedDigits(network.parameterCount)))
        log("train \(train.count) images, validation \(validation.count), batch \(config.batchSize), \(trainLoader.batchesPerEpoch) batches/epoch, lr \(sgd.learningRate)\(config.labelSmoothing > 0 ? ", label smoothing \(config.labelSmoothing)" : ""), \(KernelRuntime.settingsSummary)")

        let loss = SoftmaxCrossEntropy(labelSmoothing: config.labelSmoothing)
        let input = Tensor(shape: [config.batchSize] + sample)
        let progress = ProgressLine()
        var batchesThisRun = 0

        func saveCheckpoint(epoch: Int, batch: Int, to urls: [URL]) throws {
            let (entries, values) = ModelState.tensors(of: network, momentum: sgd.momentumBuffer)
            let header = Checkpoint.Header(
                configuration: config, preprocessing: preprocessing, classNames: classNames, epoch: epoch, batchInEpoch: batch,
                sgdSteps: sgd.steps, learningRate: sgd.learningRate, scheduler: scheduler,
                dropoutStates: network.dropoutLayers.map(\.random.state),
                batchesTracked: network.layers.compactMap { ($0.layer as? BatchNorm2d)?.batchesTracked },
                history: history, bestAccuracy: best, epochProgress: partial, batchCurve: batchCurve, tensors: entries)
            let ck = Checkpoint(header: header, tensors: values)
            for u in urls { try ck.write(to: u) }
        }

        var epoch = startEpoch
        while epoch < config.epochs && !scheduler.isFinished {
            let iterator = trainLoader.batches(epoch: epoch, startingAt: startBatch)
            let epochStart = Date()
            var batchIndex = startBatch
            let total = trainLoader.batchesPerEpoch
            while let batch = try iterator.next() {
                if batch.count != config.batchSize { input.resize([batch.count] + sample) }
                input.data.update(from: batch.images, count: batch.elementCount)
                let logits = try network.forward(input, mode: .training)
                let l = loss.forward(logits: logits, labels: batch.labels)
                guard l.isFinite else {
                    progress.finish()
                    throw TrainingError.diverged(epoch: epoch + 1, batch: batchIndex + 1,
                                                 hint: config.initializer == .paper ? " (the paper's N(0, 1e-2) init is known to diverge without pre-training on deep nets; try --init xavier or kaiming, or a lower --lr)" : " (try a lower --lr)")
                }
                let classes = logits.shape[1]
                var correct = 0
                for i in 0..<batch.count {
                    let p = loss.probabilities.data + i * classes
                    var arg = 0
                    for j in 1..<classes where p[j] > p[arg] { arg = j }
                    if arg == Int(batch.labels[i]) { correct += 1 }
                }
                network.backward(loss.backward())
                sgd.step()
                if batch.count != config.batchSize { input.resize([config.batchSize] + sample) }
                batchIndex += 1
                batchesThisRun += 1
                window.loss += Double(l) * Double(batch.count); window.correct += Double(correct); window.seen += Double(batch.count)
                if batchIndex % max(1, total / 50) == 0 || batchIndex == total {
                    batchCurve.append([Double(epoch) + Double(batchIndex) / Double(total), window.loss / window.seen, window.correct / window.seen])
                    window = (0, 0, 0)
                }
                partial[0] += Double(l) * Double(batch.count)
                partial[1] += Double(correct)
                partial[2] += Double(batch.count)
                let elapsed = Date().timeIntervalSince(epochStart)
                let rate = Double((batchIndex - startBatch) * config.batchSize) / max(elapsed, 1e-9)
                progress.update(String(format: "epoch %d/%d  batch %d/%d  loss %.4f  acc %.4f  %.1f img/s  ETA %@",
                                       epoch + 1, config.epochs, batchIndex, total, partial[0] / partial[2], partial[1] / partial[2],
                                       rate, formatDuration(Double(total - batchIndex) * Double(config.batchSize) / max(rate, 1e-9))),
                                final: false)
                if config.checkpointEvery > 0 && batchIndex % config.checkpointEvery == 0 && batchIndex < total {
                    partial[3] += Date().timeIntervalSince(epochStart)
                    try saveCheckpoint(epoch: epoch, batch: batchIndex, to: [lastCheckpointURL])
                    partial[3] -= Date().timeIntervalSince(epochStart)
                }
                if let stop = stopAfterBatches, batchesThisRun >= stop {
                    iterator.cancel()
                    progress.finish()
                    log("stopping after \(batchesThisRun) batches (test hook)")
                    return history
                }
            }
            progress.finish()
            let trainSeconds = partial[3] + Date().timeIntervalSince(epochStart)
            let trainImages = partial[2]

            // Validation.
            let v0 = Date()
            let post = try Evaluator.posteriors(network: network, dataset: validation, pipeline: preprocessing.evaluationPipeline(),
                                                batchSize: config.batchSize, workers: config.workers)
            let result = Evaluator.score(probabilities: post.probabilities, labels: post.labels, classes: post.classes, classNames: classNames)
            let metrics = EpochMetrics(epoch: epoch + 1, learningRate: sgd.learningRate, trainLoss: partial[0] / max(trainImages, 1),
                                       trainAccuracy: partial[1] / max(trainImages, 1), validationLoss: result.loss,
                                       validationTop1: result.top1Accuracy, validationTop5: result.top5Accuracy,
                                       imagesPerSecond: trainImages / max(trainSeconds, 1e-9), seconds: trainSeconds)
            history.append(metrics)
            log(String(format: "epoch %d: train loss %.4f acc %.4f | val loss %.4f top-1 %.4f top-5 %.4f | %.1f img/s, %.0f s train + %.0f s eval",
                       epoch + 1, metrics.trainLoss, metrics.trainAccuracy, result.loss, result.top1Accuracy, result.top5Accuracy,
                       metrics.imagesPerSecond, trainSeconds, Date().timeIntervalSince(v0)))
            let newRate = scheduler.epochEnded(validationAccuracy: Float(result.top1Accuracy))
            if newRate != sgd.learningRate { log("learning rate \(sgd.learningRate) → \(newRate)") }
            sgd.learningRate = newRate
            partial = [0, 0, 0, 0]
            epoch += 1
            startBatch = 0
            let improved = result.top1Accuracy > best
            if improved { best = result.top1Accuracy }
            try saveCheckpoint(epoch: epoch, batch: 0, to: improved ? [lastCheckpointURL, bestCheckpointURL] : [lastCheckpointURL])
            try writeReports(history, batchCurve: batchCurve)
        }
        if scheduler.isFinished { log("validation accuracy plateaued after the last learning-rate drop: training stops") }
        return history
    }

    private func writeReports(_ history: [EpochMetrics], batchCurve: [[Double]]) throws {
        let csv = ([EpochMetrics.csvHeader] + history.map(\.csvRow)).joined(separator: "\n") + "\n"
        try AtomicFile.write(Data(csv.utf8), to: outputDirectory.appendingPathComponent("metrics.csv"))
        let epochs = history.map { Double($0.epoch) }
        let bx = batchCurve.map { $0[0] }
        let loss = CurvePlot.Panel(title: "loss", yLabel: "loss", series: [
            CurvePlot.Series(name: "train loss (running)", values: batchCurve.map { $0[1] }, x: bx, color: .blue),
            CurvePlot.Series(name: "val loss", values: history.map(\.validationLoss), x: epochs, color: .orange)])
        let acc = CurvePlot.Panel(title: "accuracy", yLabel: "accuracy (%)", series: [
            CurvePlot.Series(name: "train acc (running)", values: batchCurve.map { 100 * $0[2] }, x: bx, color: .blue),
            CurvePlot.Series(name: "val top-1", values: history.map { 100 * $0.validationTop1 }, x: epochs, color: .orange),
            CurvePlot.Series(name: "val top-5", values: history.map { 100 * $0.validationTop5 }, x: epochs, color: .green)])
        let plot = CurvePlot(title: configuration.model.summaryLine, panels: [loss, acc])
        try plot.write(to: outputDirectory.appendingPathComponent("curves.png").path)
    }
}

/// A progress line: rewritten in place on a terminal, printed every few seconds otherwise.
final class ProgressLine {
    private let isTerminal = isatty(1) != 0
    private var lastPrint = Date.distantPast
    private var pending = false

    func update(_ text: String, final: Bool) {
        if isTerminal {
            print("\r\u{1B}[K" + text, terminator: "")
            fflush(stdout)
            pending = true
        } else if Date().timeIntervalSince(lastPrint) >= 15 || final {
            print(text)
            fflush(stdout)
            lastPrint = Date()
        }
    }

    func finish() {
        if isTerminal && pending { print(""); pending = false }
    }
}

func formatDuration(_ s: Double) -> String {
    guard s.isFinite else { return "?" }
    let t = Int(s)
    return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
}

/// A training run that cannot go on.
public enum TrainingError: Error, CustomStringConvertible {
    case diverged(epoch: Int, batch: Int, hint: String)
    public var description: String {
        switch self {
        case let .diverged(e, b, hint): return "the loss became NaN or infinite at epoch \(e), batch \(b)\(hint)"
        }
    }
}
