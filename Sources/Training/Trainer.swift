import Data
import Foundation
import NN
import Reports
import Support
import Tensors
import VGG

/// Trains a VGG network as in §3.1 of the paper, with progress lines, per-epoch
/// validation, `metrics.csv`, curves (and at the end a confusion matrix and a prediction grid),
/// and `last`/`best` checkpoints that make every run
/// resumable exactly (same weights as an uninterrupted run with the same seed).
///
/// The algorithm, step by step: prepare the data; build the model (or restore it from the
/// last checkpoint); then for each epoch, `step` through its batches (forward, loss,
/// backward, gradient synchronisation, update), checkpointing every few batches;
/// validate; schedule the learning rate; save. The whole position of the run is one
/// `TrainingState`. Only the root process of the `communicator` reports and writes files.
///
/// What can go wrong loses no work: the output directory is checked before anything else;
/// a first SIGINT or SIGTERM (once the `vgg` tool has installed `StopSignals`) ends the run
/// after the current batch with a checkpoint to resume from (`TrainingError.interrupted`);
/// a loss or model that becomes NaN or infinite ends it naming the step and the first layer
/// concerned, never overwriting the last checkpoint (`TrainingError.diverged`).
public final class Trainer {
    public let configuration: TrainingConfiguration
    public let outputDirectory: URL
    public let backend: any Backend
    public let communicator: any Communicator
    /// How gradients travel between the processes (buckets, overlap, precision).
    public var distributed = DistributedSettings()
    /// Mixed into the fingerprint every process must agree on at the start (the `vgg` tool
    /// puts its executable's checksum here: mismatched binaries are refused).
    public var fingerprint: UInt64 = 0
    public let log: (String) -> Void
    /// Told after every batch and epoch; may stop the run.
    public var observer: (any TrainingObserver)?
    private lazy var progress = ProgressLine(interactive: communicator.size == 1)
    /// What the checkpoint of a resumed run must match (the settings its command line named).
    public var resumeExpectation = CheckpointExpectation.any
    private lazy var checkpoints = CheckpointRotation(last: lastCheckpointURL)

    public init(configuration: TrainingConfiguration, outputDirectory: URL, backend: any Backend,
                communicator: any Communicator = SingleProcessCommunicator(),
                log: @escaping (String) -> Void = { print($0); fflush(stdout) }) {
        self.configuration = configuration
        self.outputDirectory = outputDirectory
        self.backend = backend
        self.communicator = communicator
        self.log = log
    }

    public var lastCheckpointURL: URL { outputDirectory.appendingPathComponent("last.ckpt") }
    public var bestCheckpointURL: URL { outputDirectory.appendingPathComponent("best.ckpt") }

    /// A run in progress: its settings, data, model and state.
    private final class Run {
        var config: TrainingConfiguration
        let data: TrainingData
        let model: TrainingModel
        var state: TrainingState
        /// Where the last checkpoint written (or resumed from) stands, for messages.
        var lastSaved: String?

        init(config: TrainingConfiguration, data: TrainingData, model: TrainingModel, state: TrainingState) {
            self.config = config; self.data = data; self.model = model; self.state = state
        }

        var header: CheckpointHeader {
            CheckpointHeader(configuration: config, preprocessing: data.preprocessing, classNames: data.classNames, state: state)
        }
    }

    /// Runs (or continues, with `resume`) training; `initFrom` pre-initialises from a trained net A.
    @discardableResult
    /// `finetune`: start from a trained network's matching tensors (ignored when resuming).
    public func run(resume: Bool = false, preprocessing: Preprocessing? = nil, initFrom: URL? = nil,
                    finetune: FineTuningSource? = nil) throws -> [EpochMetrics] {
        if communicator.isRoot {
            try WritableDirectory.prepare(outputDirectory.path)
            for url in [lastCheckpointURL, bestCheckpointURL, checkpoints.previousURL] {
                for leftover in AtomicFileWriter.removeLeftovers(of: url.path) { report("removed \(leftover), left by a process stopped while writing") }
            }
        }
        let resumed = resume ? try checkpointToResume() : nil
        var config = configuration
        if let resumed {
            config = resumed.header.configuration
            config.epochs = max(config.epochs, configuration.epochs)
        }
        guard config.batchSize % communicator.size == 0 else {
            throw TrainingError.batchNotDivisible(batchSize: config.batchSize, processes: communicator.size)
        }
        let shard = DataLoader.Shard(rank: communicator.rank, count: communicator.size)
        let given = resumed?.header.preprocessing ?? preprocessing ?? Preprocessing(mean: [])
        let data = try communicator.together("preparing the data") {
            try TrainingData(config, preprocessing: given, shard: shard, log: report)
        }
        try communicator.agree(on: Fingerprint.of(config, data.preprocessing, extra: fingerprint), what: "the configuration, the data's statistics or the vgg binary")
        config.model.classes = data.classNames.count
        (config.model.inputChannels, config.model.inputHeight, config.model.inputWidth) = (data.sampleShape[0], data.sampleShape[1], data.sampleShape[2])
        if let resumed { try Self.requireSameModel(resumed, config.model) }  // before the network is allocated
        let model = try TrainingModel(config, sampleShape: data.sampleShape, on: backend, communicator: communicator,
                                      distributed: distributed)
        if let initFrom { try preinitialize(model.network, from: initFrom) }
        if let finetune, resumed == nil {
            let outcome = finetune.copy(into: model.network)
            report("fine-tuning from \(finetune.path): \(outcome.copied.count) tensors copied"
                   + (outcome.fresh.isEmpty ? "" : "; initialised afresh: " + outcome.fresh.map { "\($0.name) (\($0.reason))" }.joined(separator: ", ")))
            if outcome.copied.isEmpty {
                throw CheckpointError(path: finetune.path, problem: "has no tensor this network can use (another architecture? give --arch and --batch-norm as the source was trained)")
            }
        }
        let run = Run(config: config, data: data, model: model,
                      state: TrainingState(learningRate: config.learningRate,
                                           scheduler: LearningRateScheduler(config.schedule, baseLearningRate: config.learningRate)))
        if let resumed { try restore(run, from: resumed) }
        observer?.trainerStarted(config, preprocessing: data.preprocessing, classNames: data.classNames, state: run.state)
        report(config.model.summaryLine + ", \(groupedDigits(model.network.parameterCount)) parameters")
        report("train \(data.train.count) images, validation \(data.validationSize), batch \(config.batchSize), "
               + "\(data.loader.batchesPerEpoch) batches/epoch, lr \(run.state.learningRate)"
               + (config.labelSmoothing > 0 ? ", label smoothing \(config.labelSmoothing)" : "") + ", \(backend.settingsSummary)"
               + (communicator.size > 1 ? ", \(communicator.size) processes (\(config.batchSize / communicator.size) images each per batch"
                  + (config.syncBatchNorm ? ", synchronised BatchNorm" : "") + ", gradients in \(model.synchronizer!.buckets.count) bucket(s)"
                  + (distributed.overlap ? " overlapping the backward pass" : "") + (distributed.precision == .bfloat16 ? ", sent as bfloat16" : "") + ")" : ""))

        // From here on, a first SIGINT or SIGTERM is a request to stop after the current batch.
        guard try StopSignals.deferring({ try trainEpochs(run) }) else { return run.state.history }
        if run.state.scheduler.isFinished { report("validation accuracy plateaued after the last learning-rate drop: training stops") }
        return run.state.history
    }

    // MARK: steps of the run

    private func checkpointToResume() throws -> Checkpoint {
        let (ck, line) = try checkpoints.checkpointToResume(expecting: resumeExpectation)  // last.ckpt, or the previous one
        report(line)
        return ck
    }

    /// §3.1: the first convolutions and the classifier of a trained net A.
    private func preinitialize(_ network: Sequential, from url: URL) throws {
        let a = try Checkpoint.read(from: url)
        let netA = try VGGBuilder.build(a.header.configuration.model, on: backend, initializer: nil)
        try a.loadModel(into: netA)
        let copied = try Preinitialization.copy(from: netA, into: network)
        report("pre-initialised from \(url.path): " + copied.map { "\($0.0)→\($0.1)" }.joined(separator: ", "))
    }

    /// Throws unless `ck` was saved for the network `model` describes.
    private static func requireSameModel(_ ck: Checkpoint, _ model: VGGOptions) throws {
        guard ck.header.configuration.model == model else {
            throw CheckpointError(path: ck.path, problem: "was saved for \(ck.header.configuration.model.summaryLine), not \(model.summaryLine)")
        }
    }

    private func restore(_ run: Run, from ck: Checkpoint) throws {
        try Self.requireSameModel(ck, run.config.model)
        try ck.loadModel(into: run.model.network)
        try ck.loadOptimizer(into: run.model.optimizer, network: run.model.network)
        run.state = ck.header.state
        run.lastSaved = run.state.position
        run.model.optimizer.steps = run.state.optimizerSteps
        run.model.optimizer.learningRate = run.state.learningRate
    }

    /// Trains, validates and saves epoch after epoch; false when the observer stopped the run.
    private func trainEpochs(_ run: Run) throws -> Bool {
        while !isOver(run) {
            guard try trainEpoch(run) else { return false }
            try validateAndSave(run)
            // A signal during the validation: the epoch's checkpoint is written; stop there
            // unless the run is over anyway.
            if !isOver(run), try communicator.anyProcess(StopSignals.received != nil, label: "whether to stop") { throw interruption(run) }
        }
        return true
    }

    /// Whether training is over: all epochs done, the schedule finished, or the step cap reached.
    private func isOver(_ run: Run) -> Bool {
        run.state.epoch >= run.config.epochs || run.state.scheduler.isFinished || reachedMaxSteps(run)
    }

    /// Whether the run has made the `--max-steps` optimizer steps it was given.
    private func reachedMaxSteps(_ run: Run) -> Bool {
        run.config.maxSteps.map { run.state.optimizerSteps >= $0 } ?? false
    }

    /// Trains on the rest of the current epoch (or up to the step cap); false when the
    /// observer stopped the run.
    private func trainEpoch(_ run: Run) throws -> Bool {
        let loader = run.data.loader, total = loader.batchesPerEpoch, epoch = run.state.epoch
        let iterator = loader.batches(epoch: epoch, startingAt: run.state.batchInEpoch)
        defer { progress.finish() }
        let epochClock = Stopwatch()
        var clock = Stopwatch()  // training time, checkpoint writes left out
        var imagesThisRun = 0
        while let batch = try iterator.next() {
            let r = try run.model.step(batch, index: run.state.optimizerSteps) { StopSignals.received != nil }
            guard r.loss.isFinite else { throw try divergence(run, batch) }
            run.state.recordBatch(loss: r.loss, correct: r.correct, images: batch.globalCount, batchesPerEpoch: total)
            imagesThisRun += batch.globalCount
            let done = run.state.batchInEpoch, totals = run.state.epochTotals
            let rate = Double(imagesThisRun) / max(epochClock.elapsed, 1e-9)
            reportProgress(String(format: "epoch %d/%d  batch %d/%d  loss %.4f  acc %.4f  %.1f img/s  ETA %@",
                                  epoch + 1, run.config.epochs, done, total, totals.meanLoss, totals.accuracy, rate,
                                  formatDuration(Double(total - done) * Double(run.config.batchSize) / max(rate, 1e-9))))
            // The observers first (the TensorBoard scalars of this step), then a checkpoint: a run
            // killed between the two resumes after this step, which must then be logged already.
            let decision = observer?.trainerFinishedBatch(epoch: epoch, batch: done, state: run.state)
            // A signal, here or in another process: every process saves and stops after this batch.
            if r.stop {
                run.state.epochTotals.seconds += clock.elapsed
                progress.finish()
                report("saving \(lastCheckpointURL.path) at \(run.state.position) before stopping")
                try save(run, to: [lastCheckpointURL])
                try communicator.barrier(label: "the checkpoint before stopping")  // no process ends before it is written
                throw interruption(run)
            }
            if run.config.checkpointEvery > 0 && done % run.config.checkpointEvery == 0 && done < total {
                run.state.epochTotals.seconds += clock.elapsed
                try save(run, to: [lastCheckpointURL])
                clock.reset()
            }
            if decision == .stop {
                iterator.cancel()
                return false
            }
            if reachedMaxSteps(run) {
                // The step cap: this (partial) epoch is validated and saved, and the run ends.
                iterator.cancel()
                if done < total { report("reached --max-steps \(run.config.maxSteps!) at \(run.state.position)") }
                break
            }
        }
        run.state.epochTotals.seconds += clock.elapsed
        return true
    }

    /// Validates, schedules the learning rate, closes the epoch, saves and reports.
    private func validateAndSave(_ run: Run) throws {
        let clock = Stopwatch()
        try averageRunningStatistics(run)
        let post = try Evaluator.posteriors(network: run.model.network, dataset: run.data.validation,
                                            pipeline: run.data.preprocessing.evaluationPipeline(),
                                            batchSize: run.config.batchSize, workers: run.config.workers)
        let result = try Evaluator.score(probabilities: post.probabilities, labels: post.labels, classes: post.classes,
                                         classNames: run.data.classNames).merged(across: communicator)
        let t = run.state.epochTotals
        let metrics = EpochMetrics(epoch: run.state.epoch + 1, learningRate: run.state.learningRate, trainLoss: t.meanLoss,
                                   trainAccuracy: t.accuracy, validationLoss: result.loss, validationTop1: result.top1Accuracy,
                                   validationTop5: result.top5Accuracy, imagesPerSecond: t.images / max(t.seconds, 1e-9),
                                   seconds: t.seconds)
        report(String(format: "epoch %d: train loss %.4f acc %.4f | val loss %.4f top-1 %.4f top-5 %.4f | %.1f img/s, %.0f s train + %.0f s eval",
                      metrics.epoch, metrics.trainLoss, metrics.trainAccuracy, result.loss, result.top1Accuracy, result.top5Accuracy,
                      metrics.imagesPerSecond, metrics.seconds, clock.elapsed))
        let newRate = run.state.scheduler.epochEnded(validationAccuracy: Float(result.top1Accuracy))
        if newRate != run.state.learningRate { report("learning rate \(run.state.learningRate) → \(newRate)") }
        let improved = result.top1Accuracy > run.state.bestAccuracy
        run.state.finishEpoch(metrics, learningRate: newRate)
        run.model.optimizer.learningRate = newRate
        // The reports and the observers (the TensorBoard scalars of this validation) before the
        // checkpoint: a run killed after that save resumes past this validation, which must then
        // be logged already; killed before it, the epoch is redone and logs the same again.
        try writeReports(run)
        let isLast = isOver(run)
        if isLast { try writeFinalReports(run, result: result, probabilities: post.probabilities, classes: post.classes) }
        observer?.trainerFinishedEpoch(metrics)
        observer?.trainerValidated(TrainingValidation(metrics: metrics, result: result, state: run.state, network: run.model.network,
                                                      isLast: isLast, outputDirectory: outputDirectory))
        try save(run, to: improved ? [lastCheckpointURL, bestCheckpointURL] : [lastCheckpointURL])
    }

    // MARK: files and reports (root process only)

    /// BatchNorm's running statistics differ between processes that normalise their own
    /// slices: all take the average, so that every process holds one model.
    private func averageRunningStatistics(_ run: Run) throws {
        guard communicator.size > 1, !run.config.syncBatchNorm, run.model.network.bufferStore.count > 0 else { return }
        try communicator.allReduceAverage(run.model.network.bufferStore.values, label: "BatchNorm running statistics")
    }

    /// Saves the run, unless its model is no longer finite (a NaN gradient under a finite
    /// loss): then the last checkpoint stays as it is and the run ends.
    private func save(_ run: Run, to urls: [URL]) throws {
        try averageRunningStatistics(run)
        if let cause = run.model.explainNonFiniteModel(afterStep: run.state.optimizerSteps) {
            throw diverged(run, at: "\(run.state.position) (step \(run.state.optimizerSteps))", cause: cause)
        }
        try communicator.barrier(label: "checkpoint")
        run.lastSaved = run.state.position
        guard communicator.isRoot else { return }
        try checkpoints.save(run.header, network: run.model.network, optimizer: run.model.optimizer, alsoTo: urls.filter { $0 != lastCheckpointURL })
    }

    // MARK: how a run ends early

    /// The error of a step whose loss is not finite, naming where it first went non-finite.
    private func divergence(_ run: Run, _ batch: Batch) throws -> TrainingError {
        let cause = try run.model.explainNonFiniteLoss(batch, index: run.state.optimizerSteps)
        let s = run.state
        return diverged(run, at: "epoch \(s.epoch + 1), batch \(s.batchInEpoch + 1) (step \(s.optimizerSteps + 1))",
                        cause: "the loss is NaN or infinite; \(cause)")
    }

    private func diverged(_ run: Run, at position: String, cause: String) -> TrainingError {
        let kept = run.lastSaved.map { "\(lastCheckpointURL.path) (\($0)) is kept, nothing later was saved" } ?? "no checkpoint was saved"
        let hint = run.config.initializer == .paper
            ? " (the paper's N(0, 1e-2) init is known to diverge without pre-training on deep nets; try --init xavier or kaiming, or a lower --lr)"
            : " (try a lower --lr)"
        return .diverged(at: position, cause: cause, kept: kept, hint: hint)
    }

    /// The error of a run stopped by a signal, once its checkpoint is written.
    private func interruption(_ run: Run) -> TrainingError {
        .interrupted(signal: StopSignals.received ?? SIGTERM, at: run.state.position, checkpoint: lastCheckpointURL.path)
    }

    private func report(_ line: String) { if communicator.isRoot { log(line) } }
    private func reportProgress(_ line: String) { if communicator.isRoot { progress.update(line) } }

    /// The run's last validation as pictures: `confusion.png` (the whole validation set) and
    /// `predictions.png` (the root process's share of it).
    private func writeFinalReports(_ run: Run, result: EvaluationResult, probabilities: [Float], classes: Int) throws {
        guard communicator.isRoot else { return }
        try ConfusionMatrixPlot(counts: result.confusion, classNames: run.data.classNames,
                                title: "Confusion matrix, top-1 \(String(format: "%.2f", 100 * result.top1Accuracy)) %")
            .write(to: outputDirectory.appendingPathComponent("confusion.png").path)
        try PredictionGridSampler.grid(dataset: run.data.validation, probabilities: probabilities, classes: classes,
                                       classNames: run.data.classNames, preprocessing: run.data.preprocessing)
            .write(to: outputDirectory.appendingPathComponent("predictions.png").path)
    }

    private func writeReports(_ run: Run) throws {
        guard communicator.isRoot else { return }
        let history = run.state.history, curve = run.state.curve
        let csv = ([EpochMetrics.csvHeader] + history.map(\.csvRow)).joined(separator: "\n") + "\n"
        try AtomicFile.write(Data(csv.utf8), to: outputDirectory.appendingPathComponent("metrics.csv"))
        let epochs = history.map { Double($0.epoch) }
        let bx = curve.map(\.epoch)
        let loss = CurvePlot.Panel(title: "loss", yLabel: "loss", series: [
            CurvePlot.Series(name: "train loss (running)", values: curve.map(\.loss), x: bx, color: .blue),
            CurvePlot.Series(name: "val loss", values: history.map(\.validationLoss), x: epochs, color: .orange)])
        let acc = CurvePlot.Panel(title: "accuracy", yLabel: "accuracy (%)", series: [
            CurvePlot.Series(name: "train acc (running)", values: curve.map { 100 * $0.accuracy }, x: bx, color: .blue),
            CurvePlot.Series(name: "val top-1", values: history.map { 100 * $0.validationTop1 }, x: epochs, color: .orange),
            CurvePlot.Series(name: "val top-5", values: history.map { 100 * $0.validationTop5 }, x: epochs, color: .green)])
        try CurvePlot(title: run.config.model.summaryLine, panels: [loss, acc])
            .write(to: outputDirectory.appendingPathComponent("curves.png").path)
    }
}
