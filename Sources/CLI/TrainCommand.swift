import ArgumentParser
import Backends
import Data
import Distributed
import Foundation
import NN
import Reports
import Support
import Tensors
import Training
import VGG

/// `vgg train`: the paper's training recipe (§3.1), on Fashion-MNIST by default. Every
/// default comes from `TrainingConfiguration`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train a VGG network (paper recipe; Fashion-MNIST by default).")
    private static let defaults = TrainingConfiguration(model: VGGOptions(), data: .fashionMNIST)
    /// Where a run is written without --out (`vgg launch` reads it too).
    static let defaultOut = "runs/train"

    @OptionGroup var model: ModelOptions
    @Option(help: "Data directory: IDX (Fashion-MNIST/MNIST), CIFAR-10/100 binary, or an image folder root/<class>/<image>.")
    var data: String?
    @Option(help: "Epochs (default \(defaults.epochs)).") var epochs: Int?
    @OptionGroup var batch: BatchOptions
    @Option(help: "Learning rate (default \(defaults.learningRate), the paper's).") var lr: Float?
    @Option(help: "Momentum (default \(defaults.momentum)).") var momentum: Float?
    @Option(help: "L2 weight decay (default \(defaults.weightDecay)).") var weightDecay: Float?
    @Flag(help: "Nesterov momentum.") var nesterov = false
    @Option(help: "Learning-rate schedule: plateau (÷10 on validation plateau, ≤3 times; the default), step:EVERY:GAMMA, cosine, constant.")
    var schedule: String?
    @Option(help: "Epochs without validation improvement before the learning rate drops.")
    var patience: Int = LearningRateSchedule.defaultPatience
    @Option(help: "Initialisation: kaiming (torchvision's: fan-out convolutions, N(0, 0.01) linear layers), he (N(0, 2/fan_in) everywhere), xavier, paper (N(0, 1e-2): diverges on deep nets without pre-training). Default: kaiming with --batch-norm, he without.")
    var `init`: Initializer?
    @Option(help: "Pre-initialise from a trained net A checkpoint (§3.1).") var initFrom: String?
    @Option(help: "Start from a trained network: a vgg checkpoint or torchvision weights (safetensors or .pth). Tensors whose name and shape match are copied, the rest (a last layer for another class count) initialised afresh; the architecture follows the source unless given. E.g. the paper's S=384 net: --finetune runs/s256/best.ckpt --scale 384 --lr 1e-3.")
    var finetune: String?
    @Option(help: "Freeze the layers up to this one (features, conv4_3, fc6, features.20, …): no updates, no backward pass through them.")
    var freeze: String?
    @Option(help: "Multiply the learning rate of the convolutional layers by this (fine-tuning with a gentler backbone).")
    var lrMultFeatures: Float?
    @OptionGroup var augmentation: AugmentationOptions
    @Option(help: "Label smoothing of the training loss (Szegedy et al.; not in the paper). Default \(defaults.labelSmoothing): off. Validation loss stays plain cross-entropy.")
    var labelSmoothing: Float?
    @Flag(help: "Also divide by the training set's standard deviation.") var normalizeStd = false
    @Option(help: "Train on this many images of every class, drawn at random from the training data (seeded), and validate on the rest (single-folder datasets; the paper's Caltech protocol). vgg eval of the checkpoint then tests on the held-out images.")
    var trainPerClass: Int?
    @Option(help: "Hold out this fraction of the training set for validation (default \(defaults.validationFraction): use the test set).")
    var valFraction: Double?
    @Option(help: "Random seed (default \(defaults.seed)).") var seed: UInt64?
    @Flag(help: "Skip unreadable images with a warning and a count (default: fail naming the file).")
    var skipBadImages = false
    @OptionGroup var loading: DataLoadingOptions
    @Option(help: "Use only the first N training images.") var limitTrain: Int?
    @Option(help: "Use only the first N test images.") var limitTest: Int?
    @Option(help: "Also save the last checkpoint every N batches (default \(defaults.checkpointEvery); 0: epoch ends only).")
    var checkpointEvery: Int?
    @Option(help: ArgumentHelp("Output directory (metrics.csv, curves.png, confusion.png, predictions.png, last.ckpt, best.ckpt, TensorBoard events).",
                               valueName: "dir"))
    var out: String = Self.defaultOut
    @Option(help: "Format of the plots besides PNG (which TensorBoard shows): png, or svg for curves.svg, confusion.svg and predictions.svg as well.") var plotFormat: PlotFormat = .png
    @Flag(help: "Continue from OUT/last.ckpt.") var resume = false
    @Flag(help: "Under mpirun: BatchNorm uses the statistics of the global batch (summed over the ranks), so N ranks train exactly as one process.")
    var syncBatchNorm = false
    @Flag(help: "Bit-identical weights for one process and any power-of-two number of mpirun ranks (one host or several) with the same --batch-size and seed: the global batch is cut into shards of --shard-size images, each shard's gradient computed on its own and all added in one fixed order. With --batch-norm, each shard is normalised with its own statistics (ghost batches) and the running statistics are updated once per step from every shard's. Costs time (one pass per shard) and, under mpirun with N ≥ 4 ranks, a gradient exchange N / 2 times as large (2 ranks: the same size as without it).")
    var reproducible = false
    @Option(help: "With --reproducible: images per shard (default: a quarter of --batch-size, 16 at 64, for 1, 2 or 4 processes; half or all of it where 4 does not divide it); --batch-size must be a multiple, and its shards must divide among the ranks. Smaller shards allow more ranks but cost time (shorter kernel calls, one more gradient addition per shard).")
    var shardSize: Int?
    @Option(help: "Train and validate on these classes only, e.g. 0-4 or 0,1,2,3,4 (labels renumbered in this order, class names kept). Default: all.")
    var classesSubset: String?
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var distributed: DistributedOptions

    @Flag(name: .customLong("tensorboard"), inversion: .prefixedNo,
          help: "Log the run for TensorBoard: OUT/events.out.tfevents.* (`tensorboard --logdir OUT`).")
    var tensorBoard = true
    @Flag(name: .customLong("tb-histograms"), help: "Also log every parameter's histogram to TensorBoard after each validation.")
    var tensorBoardHistograms = false

    @Option(help: "Stop after this many optimizer steps (the paper: 370K), with a validation and a checkpoint, even within an epoch. Default: --epochs alone decide.")
    var maxSteps: Int?

    func validate() throws {
        if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1") }
        guard model.classes == nil, model.input == nil else {
            throw ValidationError("vgg train takes the classes and the input size from the data: drop --classes and --input")
        }
        if let labelSmoothing, !(0..<1).contains(labelSmoothing) { throw ValidationError("--label-smoothing must be in [0, 1)") }
        if let valFraction, !(0..<1).contains(valFraction) { throw ValidationError("--val-fraction must be in [0, 1)") }
        if let trainPerClass, trainPerClass < 1 { throw ValidationError("--train-per-class must be at least 1") }
        if trainPerClass != nil && valFraction != nil { throw ValidationError("--train-per-class and --val-fraction both split the training data: give one") }
        if shardSize != nil && !reproducible { throw ValidationError("--shard-size is a setting of --reproducible: give both") }
        if let shardSize, shardSize < 1 { throw ValidationError("--shard-size must be at least 1") }
        if reproducible && syncBatchNorm {
            throw ValidationError("--reproducible normalises each shard with its own BatchNorm statistics (ghost batches), the same in every layout: drop --sync-batch-norm")
        }
        if reproducible && (runtime.backend ?? (try? BackendKind.fromEnvironment()) ?? .cpu) == .cpu && runtime.threads == nil && ProcessInfo.processInfo.environment["VGG_THREADS"] == nil {
            throw ValidationError("--reproducible: give --threads (or VGG_THREADS), the same in every run to compare: the CPU kernels' sums depend on the number of threads per process, whose default differs between layouts (all cores for one process, the cores divided by the ranks under mpirun)")
        }
        if reproducible && distributed.allReduceDType == .bfloat16 { throw ValidationError("--reproducible adds the gradients in float32: drop --allreduce-dtype bfloat16") }
        if reproducible && distributed.communication.allReduceScheme != .flat {
            throw ValidationError("--reproducible's exact sums were checked with the flat all-reduce: drop --allreduce-scheme \(distributed.communication.allReduceScheme.rawValue)")
        }
        guard patience >= 1 else { throw ValidationError("--patience must be at least 1 epoch") }
    }

    func run() throws {
        // The communicator finishes only after success: a rank that fails aborts, and under
        // mpirun the whole job then ends (MPI_Finalize would wait for the others).
        let communicator = try distributed.makeCommunicator()
        try communicator.running { try train(with: communicator) }
    }

    private func train(with communicator: any Communicator) throws {
        // Ctrl-C or a SIGTERM during training (`StopToken.signals`): the trainer finishes the batch, saves and
        // throws `.interrupted`; a second signal exits at once (checkpoints are written to a
        // temporary file and renamed, so none is ever left half-written). Under mpirun the
        // ranks agree at the loss all-reduce to stop after the same batch, and rank 0 writes
        // the checkpoint. A SIGTERM sent to the ranks (one is enough) leaves them all the time
        // they need; mpirun turns its own SIGINT or SIGTERM into a SIGTERM to every rank after
        // odls_base_sigkill_timeout seconds (default 1) and a SIGKILL as long after, so the
        // checkpoint is written only if the batch and the write fit in that time (else the
        // previous checkpoint stays, whole).
        StopSignals.install(notice: communicator.isRoot
            ? "\nvgg train: stopping after this batch, with a checkpoint (interrupt again to quit at once, without it)\n" : "")
        let backend = try runtime.makeBackend()
        let spec = try data.map { try DatasetSpec.detect(path: $0) } ?? .fashionMNIST
        // Classes and input size are placeholders: the trainer sets them from the data.
        let source = try finetune.map { try FineTuningSource.read(URL(fileURLWithPath: $0), on: backend) }
        var options = try model.options(defaultClasses: 10, defaultInput: [1, 32, 32])
        if let source {
            if let base = source.model {
                options = try model.options(base: base, defaultInput: [1, 32, 32])
            } else {
                // torchvision weights: sizes read off the tensors, BatchNorm from their names.
                let hasBatchNorm = source.tensors.keys.contains { $0.hasSuffix(".running_mean") }
                options = TorchvisionStateDict.options(configuration: options.configuration, batchNorm: options.batchNorm || hasBatchNorm,
                                                       input: [3, 224, 224], matching: source.tensors)
            }
        }
        var c = TrainingConfiguration(model: options, data: spec)
        if let epochs { c.epochs = epochs }
        c.maxSteps = maxSteps
        c.freezeThrough = freeze
        c.featuresLearningRateMultiplier = lrMultFeatures
        c.batchSize = batch.batchSize
        if let lr { c.learningRate = lr }
        if let momentum { c.momentum = momentum }
        if let weightDecay { c.weightDecay = weightDecay }
        if let initializer = `init` { c.initializer = initializer }
        if let seed { c.seed = seed }
        c.workers = loading.workers
        if let checkpointEvery { c.checkpointEvery = checkpointEvery }
        c.nesterov = nesterov
        if let valFraction { c.validationFraction = valFraction }
        c.trainPerClass = trainPerClass
        if let labelSmoothing { c.labelSmoothing = labelSmoothing }
        c.limitTrain = limitTrain; c.limitTest = limitTest
        c.skipBadImages = skipBadImages
        c.syncBatchNorm = syncBatchNorm
        if reproducible { c.reproducibleShardSize = shardSize ?? ShardedGradientSum.defaultShardSize(batch: c.batchSize) }
        if let classesSubset {
            do { c.classSubset = try ClassSubset.parse(classesSubset) } catch { throw ValidationError("--classes-subset: \(error)") }
        }
        if let schedule {
            c.schedule = try parsed { try CommandLineSyntax.schedule(schedule, patience: patience, epochs: c.epochs) }
        } else if patience != LearningRateSchedule.defaultPatience {
            c.schedule = .paper(patience: patience)
        }
        var pre = try augmentation.preprocessing(for: spec)
        if normalizeStd { pre.std = [] }
        let trainer = Trainer(configuration: c, outputDirectory: URL(fileURLWithPath: out), backend: backend, communicator: communicator)
        trainer.distributed = distributed.settings(for: communicator, reproducible: reproducible)
        trainer.stopToken = .signals
        for case let pictures as ReportPicturesWriter in trainer.observers {
            pictures.formats = plotFormat == .png ? [.png] : [.png, plotFormat]
        }
        // What the command line names, a resumed checkpoint must match (a bare --resume: anything).
        trainer.resumeExpectation = CheckpointExpectation(model: model.arch != nil ? options : nil, data: data != nil ? spec : nil, seed: seed)
        if tensorBoard && communicator.isRoot {
            trainer.observers.append(TensorBoardLogger(directory: URL(fileURLWithPath: out), histograms: tensorBoardHistograms))
        }
        if communicator.size > 1 { trainer.fingerprint = BinaryIdentity.checksum() }
        let clock = Stopwatch()
        let history: [EpochMetrics]
        do {
            history = try trainer.run(resume: resume, preprocessing: pre, initFrom: initFrom.map { URL(fileURLWithPath: $0) },
                                      finetune: source)
        } catch let error as TrainingError {
            guard case let .interrupted(signal, _, _) = error else { throw error }
            if communicator.isRoot {
                let message = "vgg train: \(error)\nto continue from there: \(Self.resumeCommand())"
                    + (communicator.size > 1 ? " (under mpirun, as before)" : "") + "\n"
                FileHandle.standardError.write(Data(message.utf8))
            }
            throw ExitCode(StopSignals.exitStatus(for: signal))
        }
        if let last = history.last, communicator.isRoot {
            print(String(format: "done in %.0f s: validation top-1 %.4f, top-5 %.4f; wrote %@/{metrics.csv,curves.png,confusion.png,predictions.png,last.ckpt,best.ckpt%@}",
                         clock.elapsed, last.validationTop1, last.validationTop5, out, tensorBoard ? ",events.out.tfevents.*" : ""))
        }
    }

    /// This command line with `--resume`: a resumed run takes its settings from the
    /// checkpoint, so the same options (and `--epochs` to extend it) are all it needs.
    static func resumeCommand() -> String {
        var words = CommandLine.arguments
        if !words.contains("--resume") { words.append("--resume") }
        return words.map(shellQuoted).joined(separator: " ")
    }
}

/// `word` as a POSIX shell reads it back: unchanged when it is plain, else in single quotes.
func shellQuoted(_ word: String) -> String {
    let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
        CharacterSet.alphanumerics.contains($0) || "-_./=,:+@%".unicodeScalars.contains($0)
    }
    return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
