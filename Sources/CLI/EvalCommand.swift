import ArgumentParser
import Data
import Foundation
import Support
import Tensors
import Reports
import Training
import VGG

/// `vgg eval`: top-1/top-5 error, per-class accuracy, confusion matrix (text and PNG),
/// most confused pairs and a grid of sample predictions; §3.2 test-time combinations.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Evaluate a checkpoint on a test set.")
    @OptionGroup var checkpointOptions: CheckpointOptions
    @Option(help: "Data directory (default: the one the model was trained on).") var data: String?
    @Option(help: "Use only the first N test images.") var limitTest: Int?
    @Option(help: "Test scales Q, comma-separated (multi-scale: posteriors averaged), e.g. 256,384,512. Default: the paper's (§4.2) for the checkpoint's training scale S: S−32,S,S+32 (a step of S/8 below S=256, never below the crop), or Smin,(Smin+Smax)/2,Smax when S was jittered; a network trained without rescaling is tested as it was trained.") var scales: String?
    @Flag(help: "Average with the horizontally flipped image's posteriors.") var flip = false
    @Option(help: "Test modes, comma-separated, posteriors averaged: single (centre crop), dense (FC as convolutions over the whole image), multi-crop.")
    var modes: String = "single"
    @Option(help: "Grid of the multi-crop mode: N×N crops (the paper's: 5×5).") var grid: Int = defaults.grid
    @OptionGroup var batch: BatchOptions
    @OptionGroup var loading: DataLoadingOptions
    @Option(help: ArgumentHelp("Directory for confusion.png, predictions.png and eval.json (default: beside the checkpoint).", valueName: "dir"))
    var out: String?
    @Flag(help: "Write all numbers to OUT/eval.json.") var json = false
    @Option(help: "Format of the plots: png or svg (confusion.svg, predictions.svg).") var plotFormat: PlotFormat = .png
    @Flag(help: "Test on the data's test split even when the model was validated on images held out of its training data (--val-fraction, --train-per-class), which are the default then.")
    var testSplit = false
    @Flag(help: "Skip unreadable images with a warning instead of failing.") var skipBadImages = false
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var communication: CommunicationOptions
    private static let defaults = TestTimeProtocol()

    func run() throws {
        // Under mpirun each rank evaluates a contiguous part of the test set and the counts are
        // summed exactly; rank 0 reports (its part gives the prediction grid).
        let communicator = try communication.makeCommunicator()
        try communicator.running { try evaluate(with: communicator) }
    }

    private func evaluate(with communicator: any Communicator) throws {
        let url = checkpointOptions.url
        // Checked before the evaluation, which may take long.
        let outDir = URL(fileURLWithPath: out ?? url.deletingLastPathComponent().path)
        if communicator.isRoot { try WritableDirectory.prepare(outDir.path) }
        let model = try TrainedModel(contentsOf: url, on: try runtime.makeBackend())
        let spec = try data.map { try DatasetSpec.detect(path: $0) } ?? model.configuration.data
        // A model validated on images held out of its training data is tested on exactly those
        // (same data, same seed), unless other data is given; one trained on part of the
        // classes is tested on those classes.
        var dataset: any ImageDataset
        var splitDescription = "test split"
        let trained = model.configuration
        if !testSplit && trained.holdsOutValidation && spec == trained.data,
           let split = try trained.heldOutSplit(of: spec.open(split: .train, limit: trained.limitTrain, skipBadImages: skipBadImages,
                                                              classes: trained.classSubset)) {
            dataset = split.validation
            if let limitTest, limitTest < dataset.count { dataset = dataset.subset(Array(0..<limitTest)) }
            splitDescription = "the images held out in training"
        } else {
            dataset = try spec.open(split: .test, limit: limitTest, skipBadImages: skipBadImages, classes: trained.classSubset)
        }
        let testImages = dataset.count
        if communicator.isRoot, !dataset.leftOutFiles.isEmpty {
            let list = outDir.appendingPathComponent("skipped-images.txt").path
            try ImageFileProblem.writeList(dataset.leftOutFiles, to: list)
            let found = testImages + dataset.leftOutFiles.filter { $0.kind != .emptyClassFolder }.count
            print(ImageFileProblem.summary(of: dataset.leftOutFiles, total: found, listPath: list))
        }
        if communicator.size > 1 {
            guard testImages >= communicator.size else { throw ValidationError("\(testImages) test images cannot be shared among \(communicator.size) ranks") }
            dataset = dataset.subset(Array(DataLoader.Shard(rank: communicator.rank, count: communicator.size).range(of: testImages)))
        }
        try model.checkCompatible(with: dataset, path: spec.path)
        let qs: [Int?] = try scales.map { s in try parsed { try CommandLineSyntax.scales(s) } } ?? model.preprocessing.paperTestScales
        let testModes = try parsed { try CommandLineSyntax.testModes(modes) }
        // The scales actually used, as the report shows them (nil: the images as they are).
        let usedScales: String? = qs.contains { $0 != nil } ? qs.map { $0.map(String.init) ?? "as trained" }.joined(separator: ",") : nil
        let clock = Stopwatch()
        let test = TestTimeProtocol(modes: testModes, scales: qs, flip: flip, grid: grid, batchSize: batch.batchSize, workers: loading.workers)
        let interactive = isatty(1) != 0 && communicator.size == 1
        let averaged = try test.posteriors(model: model, dataset: dataset) { what, done, total in
            if interactive { print("\r\u{1B}[K\(what) evaluation \(done)/\(total)", terminator: ""); fflush(stdout) }
        }
        if interactive { print("") }
        let (avg, classes, variants) = (averaged.probabilities, averaged.classes, averaged.variants)
        let result = try Evaluator.score(probabilities: avg, labels: averaged.labels, classes: classes, classNames: model.classNames)
            .merged(across: communicator)
        let seconds = clock.elapsed
        guard communicator.isRoot else { return }

        print("model: \(model.configuration.model.summaryLine)")
        print("data: \(spec.path) (\(splitDescription), \(result.count) images\(communicator.size > 1 ? " over \(communicator.size) ranks" : "")), modes \(modes), \(variants) averaged posterior set(s)" +
              (usedScales.map { ", scales \($0)" } ?? "") + (flip ? ", flip averaging" : ""))
        print(String(format: "top-1 accuracy %.4f (error %.2f %%), top-5 accuracy %.4f (error %.2f %%), loss %.4f, %.1f s",
                     result.top1Accuracy, 100 * result.top1Error, result.top5Accuracy, 100 * result.top5Error, result.loss, seconds))
        print("")
        print(TextTable.perClassAccuracy(counts: result.confusion, classNames: model.classNames).render())
        if classes <= 20 {
            print("")
            print(TextTable.confusionMatrix(counts: result.confusion, classNames: model.classNames).render())
        }
        print("\nmost confused (true → predicted):")
        for p in result.mostConfusedPairs(5) {
            print("  \(model.classNames[p.trueClass]) → \(model.classNames[p.predicted]): \(p.count)")
        }

        let confusionPath = outDir.appendingPathComponent(plotFormat.fileName("confusion.png")).path
        try ConfusionMatrixPlot(counts: result.confusion, classNames: model.classNames,
                                title: "Confusion matrix, top-1 \(String(format: "%.2f", 100 * result.top1Accuracy)) %").write(to: confusionPath, format: plotFormat)
        let gridPath = outDir.appendingPathComponent(plotFormat.fileName("predictions.png")).path
        try writePredictionGrid(model: model, dataset: dataset, probabilities: avg, classes: classes, to: gridPath)
        print("\nwrote \(confusionPath) and \(gridPath)")
        if json {
            let report = EvalReport(checkpoint: checkpointOptions.checkpoint, data: spec.path, modes: modes, variants: variants, scales: usedScales, flip: flip,
                                    top1Accuracy: result.top1Accuracy, top5Accuracy: result.top5Accuracy, top1Error: result.top1Error,
                                    top5Error: result.top5Error, loss: result.loss, count: result.count, classNames: model.classNames,
                                    perClassAccuracy: result.perClassAccuracy.map { $0.isNaN ? -1 : $0 }, confusion: result.confusion)
            let jsonPath = outDir.appendingPathComponent("eval.json")
            try AtomicFile.write(try JSONReport.document(report), to: jsonPath)
            print("wrote \(jsonPath.path)")
        }
    }

    /// 16 wrong and 16 right predictions from the start of the test set.
    func writePredictionGrid(model: TrainedModel, dataset: any ImageDataset, probabilities: [Float], classes: Int, to path: String) throws {
        try PredictionGridSampler.grid(dataset: dataset, probabilities: probabilities, classes: classes, classNames: model.classNames,
                                       preprocessing: model.preprocessing).write(to: path, format: plotFormat)
    }
}
