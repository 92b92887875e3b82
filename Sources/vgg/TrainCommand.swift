import ArgumentParser
import Distributed
import Foundation
import NN
import Support
import Training
import VGG

/// `vgg train`: the paper's training recipe (§3.1), on Fashion-MNIST by default. Every
/// default comes from `TrainingConfiguration`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train a VGG network (paper recipe; Fashion-MNIST by default).")
    private static let defaults = TrainingConfiguration(model: VGGOptions(), data: .fashionMNIST)

    @OptionGroup var model: ModelOptions
    @Option(help: "Data directory: IDX (Fashion-MNIST/MNIST), CIFAR-10/100 binary, or an image folder root/<class>/<image>.")
    var data: String?
    @Option(help: "Epochs (default \(defaults.epochs)).") var epochs: Int?
    @Option(name: .customLong("batch-size"), help: "Mini-batch size (default \(defaults.batchSize), the paper's).") var batchSize: Int?
    @Option(help: "Learning rate (default \(defaults.learningRate), the paper's).") var lr: Float?
    @Option(help: "Momentum (default \(defaults.momentum)).") var momentum: Float?
    @Option(name: .customLong("weight-decay"), help: "L2 weight decay (default \(defaults.weightDecay)).") var weightDecay: Float?
    @Flag(help: "Nesterov momentum.") var nesterov = false
    @Option(help: "Learning-rate schedule: plateau (÷10 on validation plateau, ≤3 times; the default), step:EVERY:GAMMA, cosine, constant.")
    var schedule: String?
    @Option(help: "Epochs without validation improvement before the learning rate drops (default \(LearningRateSchedule.defaultPatience)).")
    var patience: Int = LearningRateSchedule.defaultPatience
    @Option(help: "Initialisation: kaiming (torchvision), xavier, paper (N(0, 1e-2): diverges on deep nets without pre-training). Default \(defaults.initializer.rawValue).")
    var `init`: Initializer?
    @Option(name: .customLong("init-from"), help: "Pre-initialise from a trained net A checkpoint (§3.1).") var initFrom: String?
    @Option(help: "Training scale S (smallest side).") var scale: Int?
    @Option(name: .customLong("scale-jitter"), help: "Scale jittering range SMIN,SMAX.") var scaleJitter: String?
    @Option(help: "Random crop size (square).") var crop: Int?
    @Option(help: "Zero padding on every side (default: 2 for 28-pixel IDX images, else 0).") var pad: Int?
    @Flag(help: "Random horizontal flips.") var flip = false
    @Flag(name: .customLong("color-shift"), help: "RGB colour shift (AlexNet PCA lighting).") var colorShift = false
    @Option(name: .customLong("random-erasing"), help: "Random erasing probability (Zhong et al.; not in the paper). Default: off.")
    var randomErasing: Double?
    @Option(name: .customLong("label-smoothing"), help: "Label smoothing of the training loss (Szegedy et al.; not in the paper). Default \(defaults.labelSmoothing): off. Validation loss stays plain cross-entropy.")
    var labelSmoothing: Float?
    @Flag(name: .customLong("normalize-std"), help: "Also divide by the training set's standard deviation.") var normalizeStd = false
    @Option(name: .customLong("val-fraction"), help: "Hold out this fraction of the training set for validation (default \(defaults.validationFraction): use the test set).")
    var valFraction: Double?
    @Option(help: "Random seed (default \(defaults.seed)).") var seed: UInt64?
    @Flag(name: .customLong("skip-bad-images"), help: "Skip unreadable images with a warning and a count (default: fail naming the file).")
    var skipBadImages = false
    @Option(help: "Data loading threads (default \(defaults.workers)).") var workers: Int?
    @Option(name: .customLong("limit-train"), help: "Use only the first N training images.") var limitTrain: Int?
    @Option(name: .customLong("limit-test"), help: "Use only the first N test images.") var limitTest: Int?
    @Option(name: .customLong("checkpoint-every"), help: "Also save the last checkpoint every N batches (default \(defaults.checkpointEvery); 0: epoch ends only).")
    var checkpointEvery: Int?
    @Option(help: "Output directory (metrics.csv, curves.png, last.ckpt, best.ckpt).") var out: String = "runs/train"
    @Flag(help: "Continue from OUT/last.ckpt.") var resume = false
    @Flag(name: .customLong("sync-batch-norm"), help: "Under mpirun: BatchNorm uses the statistics of the global batch (summed over the ranks), so N ranks train exactly as one process.")
    var syncBatchNorm = false
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var distributed: DistributedOptions

    func validate() throws {
        guard model.classes == nil, model.input == nil else {
            throw ValidationError("vgg train takes the classes and the input size from the data: drop --classes and --input")
        }
        if let labelSmoothing, !(0..<1).contains(labelSmoothing) { throw ValidationError("--label-smoothing must be in [0, 1)") }
        if let randomErasing, !(0...1).contains(randomErasing) { throw ValidationError("--random-erasing must be a probability in [0, 1]") }
        if let valFraction, !(0..<1).contains(valFraction) { throw ValidationError("--val-fraction must be in [0, 1)") }
        guard patience >= 1 else { throw ValidationError("--patience must be at least 1 epoch") }
    }

    func run() throws {
        // MPI is finalised only after success: a rank that fails exits without it, and
        // mpirun then ends the whole job (MPI_Finalize would wait for the others).
        let communicator = try distributed.makeCommunicator()
        let backend = try runtime.makeBackend()
        let spec = try data.map { try DatasetSpec.detect(path: $0) } ?? .fashionMNIST
        // Classes and input size are placeholders: the trainer sets them from the data.
        var c = TrainingConfiguration(model: try model.options(defaultClasses: 10, defaultInput: [1, 32, 32]), data: spec)
        if let epochs { c.epochs = epochs }
        if let batchSize { c.batchSize = batchSize }
        if let lr { c.learningRate = lr }
        if let momentum { c.momentum = momentum }
        if let weightDecay { c.weightDecay = weightDecay }
        if let initializer = `init` { c.initializer = initializer }
        if let seed { c.seed = seed }
        if let workers { c.workers = workers }
        if let checkpointEvery { c.checkpointEvery = checkpointEvery }
        c.nesterov = nesterov
        if let valFraction { c.validationFraction = valFraction }
        if let labelSmoothing { c.labelSmoothing = labelSmoothing }
        c.limitTrain = limitTrain; c.limitTest = limitTest
        c.skipBadImages = skipBadImages
        c.syncBatchNorm = syncBatchNorm
        if let schedule {
            c.schedule = try parsed { try CommandLineSyntax.schedule(schedule, patience: patience, epochs: c.epochs) }
        } else if patience != LearningRateSchedule.defaultPatience {
            c.schedule = .paper(patience: patience)
        }
        var pre = Preprocessing(mean: [])
        pre.pad = pad ?? (spec.kind == .idx ? 2 : 0)
        if let scale { pre.trainScale = [scale] }
        if let j = scaleJitter { pre.trainScale = try parsed { try CommandLineSyntax.scaleRange(j) } }
        pre.crop = crop
        pre.flip = flip
        pre.colorShift = colorShift
        if let randomErasing, randomErasing > 0 { pre.randomErasing = randomErasing }
        if normalizeStd { pre.std = [] }
        let trainer = Trainer(configuration: c, outputDirectory: URL(fileURLWithPath: out), backend: backend, communicator: communicator)
        trainer.distributed = distributed.settings
        if communicator.size > 1 { trainer.fingerprint = BinaryIdentity.checksum() }
        let clock = Stopwatch()
        let history = try trainer.run(resume: resume, preprocessing: pre, initFrom: initFrom.map { URL(fileURLWithPath: $0) })
        if let last = history.last, communicator.isRoot {
            print(String(format: "done in %.0f s: validation top-1 %.4f, top-5 %.4f; wrote %@/{metrics.csv,curves.png,last.ckpt,best.ckpt}",
                         clock.elapsed, last.validationTop1, last.validationTop5, out))
        }
        (communicator as? MPICommunicator)?.shutdown()
    }
}
