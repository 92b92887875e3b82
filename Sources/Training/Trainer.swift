import Data
import Foundation
import NN
import Support
import Tensors
import VGG

/// Trains a VGG network as in §3.1 of the paper, with per-epoch validation and `last`/`best`
/// checkpoints that make every run resumable exactly (same weights as an uninterrupted run
/// with the same seed). What a run reports goes through its `observers`: by default the
/// progress line, `metrics.csv`, and the pictures (curves, and at the end a confusion matrix
/// and a prediction grid); the `vgg` tool adds TensorBoard, a program its own.
///
/// The algorithm, step by step: prepare the data; build the model (or restore it from the
/// last checkpoint); then for each epoch, `step` through its batches (forward, loss,
/// backward, gradient synchronisation, update), checkpointing every few batches;
/// validate; schedule the learning rate; save. The whole position of the run, its step
/// count and learning rate included, is one `TrainingState`. Only the root process of the
/// `communicator` reports, tells observers and writes files.
///
/// What can go wrong loses no work: the output directory is checked before anything else;
/// a `stopToken` request (the `vgg` tool's: a first SIGINT or SIGTERM) ends the run after the
/// current batch with a checkpoint to resume from (`TrainingError.interrupted`); a loss or
/// model that becomes NaN or infinite ends it naming the step and the first layer concerned,
/// never overwriting the last checkpoint (`TrainingError.diverged`); a failed exchange
/// between processes is thrown as the communicator's error.
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
    /// Told, in this order, of the run's start, every batch and every validation (see
    /// `TrainingObserver`); by default a `ProgressReporter`, a `MetricsFileWriter` and a
    /// `ReportPicturesWriter` for the output directory. Append your own, or replace them.
    public var observers: [any TrainingObserver]
    /// Asked after every batch whether to stop (with a checkpoint); the `vgg` tool passes
    /// `StopToken.signals`.
    public var stopToken = StopToken()
    /// The terminal line of the default `ProgressReporter`, ended before the trainer logs.
    private let progressLine: ProgressLine
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
        progressLine = ProgressLine(interactive: communicator.size == 1)
        observers = [ProgressReporter(line: progressLine, log: log), MetricsFileWriter(directory: outputDirectory),
                     ReportPicturesWriter(directory: outputDirectory)]
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
        if communicator.isRoot, !data.leftOut.isEmpty {
            let list = outputDirectory.appendingPathComponent("skipped-images.txt").path
            try ImageFileProblem.writeList(data.leftOut, to: list)
            report(ImageFileProblem.summary(of: data.leftOut, total: data.imagesFound, listPath: list))
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
                      state: TrainingState(scheduler: LearningRateScheduler(config.schedule, baseLearningRate: config.learningRate)))
        if let resumed { try restore(run, from: resumed) }
        let start = TrainingStart(configuration: config, preprocessing: data.preprocessing, classNames: data.classNames, state: run.state,
                                  batchesPerEpoch: data.loader.batchesPerEpoch, trainingImages: data.train.count,
                                  validationImages: data.validationSize, outputDirectory: outputDirectory)
        try tellObservers { try $0.trainerStarted(start) }
        report(config.model.summaryLine + ", \(groupedDigits(model.network.parameterCount)) parameters")
        report("train \(data.train.count) images, validation \(data.validationSize), batch \(config.batchSize), "
               + "\(data.loader.batchesPerEpoch) batches/epoch, lr \(run.state.learningRate)"
               + (config.labelSmoothing > 0 ? ", label smoothing \(config.labelSmoothing)" : "") + ", \(backend.settingsSummary)"
               + (communicator.size > 1 ? ", \(communicator.size) processes (\(config.batchSize / communicator.size) images each per batch"
                  + (config.syncBatchNorm ? ", synchronised BatchNorm" : "") + (model.synchronizer.map { s in ", gradients in \(s.buckets.count) bucket(s)"
                  + (distributed.overlap ? " overlapping the backward pass" : "") + ", sent as \(distributed.precision.rawValue)" + (distributed.note.isEmpty ? "" : " (\(distributed.note))") } ?? "") + ")" : "")
               + (config.reproducibleShardSize.map { ", reproducible: shards of \($0) images added in a fixed order"
                  + (model.shardedSum?.exchange.map { " (\($0))" } ?? "")
                  + (model.network.batchNormLayers.isEmpty ? "" : ", BatchNorm per shard (ghost batches)") } ?? ""))

        // From here on, a stop request ends the run after the current batch.
        var finished = false
        try stopToken.guarding { finished = try trainEpochs(run) }
        guard finished else { return run.state.history }
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
    }

    /// Trains, validates and saves epoch after epoch; false when the observer stopped the run.
    private func trainEpochs(_ run: Run) throws -> Bool {
        while !isOver(run) {
            guard try trainEpoch(run) else { return false }
            try validateAndSave(run)
            // A signal during the validation: the epoch's checkpoint is written; stop there
            // unless the run is over anyway.
            if !isOver(run), try communicator.anyProcess(stopToken.isRequested, label: "whether to stop") { throw interruption(run) }
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
        defer { progressLine.finish() }
        var clock = Stopwatch()  // training time, checkpoint writes left out
        while let batch = try iterator.next() {
            let r = try run.model.step(batch, index: run.state.optimizerSteps, learningRate: run.state.learningRate) { stopToken.isRequested }
            guard r.loss.isFinite else { throw try divergence(run, batch) }
            run.state.recordBatch(loss: r.loss, correct: r.correct, images: batch.globalCount, batchesPerEpoch: total)
            let done = run.state.batchInEpoch
            // The observers first (the progress line, the TensorBoard scalars of this step), then a
            // checkpoint: a run killed between the two resumes after this step, which must then be
            // logged already.
            var decision = TrainingObserverDecision.proceed
            try tellObservers { o in
                if try o.trainerFinishedBatch(epoch: epoch, batch: done, state: run.state) == .stop { decision = .stop }
            }
            // A stop request, here or in another process: every process saves and stops after this batch.
            if r.stop {
                run.state.epochTotals.seconds += clock.elapsed
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

    /// Validates, closes the epoch (the scheduler sets the next learning rate), tells the
    /// observers and saves.
    private func validateAndSave(_ run: Run) throws {
        let clock = Stopwatch()
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
        let seconds = clock.elapsed
        let improved = result.top1Accuracy > run.state.bestAccuracy
        run.state.finishEpoch(metrics)
        // The observers (metrics.csv, the pictures, the TensorBoard scalars of this validation)
        // before the checkpoint: a run killed after that save resumes past this validation, which
        // must then be logged already; killed before it, the epoch is redone and logs the same again.
        let validation = TrainingValidation(metrics: metrics, result: result, state: run.state, network: run.model.network,
                                            isLast: isOver(run), outputDirectory: outputDirectory, configuration: run.config,
                                            dataset: run.data.validation, probabilities: post.probabilities, classes: post.classes,
                                            classNames: run.data.classNames, preprocessing: run.data.preprocessing, seconds: seconds)
        try tellObservers { try $0.trainerFinishedEpoch(metrics) }
        try tellObservers { try $0.trainerValidated(validation) }
        try save(run, to: improved ? [lastCheckpointURL, bestCheckpointURL] : [lastCheckpointURL])
    }

    // MARK: files and reports (root process only)

    /// Saves the run, unless its model is no longer finite (a NaN gradient under a finite
    /// loss): then the last checkpoint stays as it is and the run ends.
    private func save(_ run: Run, to urls: [URL]) throws {
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

    /// The error of a run stopped by a request (here or in another process), once its checkpoint is written.
    private func interruption(_ run: Run) -> TrainingError {
        .interrupted(signal: stopToken.signal ?? SIGTERM, at: run.state.position, checkpoint: lastCheckpointURL.path)
    }

    private func report(_ line: String) {
        guard communicator.isRoot else { return }
        progressLine.finish()
        log(line)
    }

    /// Tells every observer, in order, on the root process.
    private func tellObservers(_ event: (any TrainingObserver) throws -> Void) throws {
        guard communicator.isRoot else { return }
        for o in observers { try event(o) }
    }
}
