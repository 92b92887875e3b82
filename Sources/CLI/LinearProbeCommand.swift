import ArgumentParser
import Foundation
import Reports
import Support
import Training

/// `vgg linear-probe`: a linear classifier trained on the features of `vgg features`,
/// scored on another set of them: top-1, per-class accuracy and confusion matrix.
struct LinearProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linear-probe",
        abstract: "Train a linear classifier on extracted features and test it.",
        discussion: """
        The classes are those present in the training features (labels keep the data set's numbering \
        and names). Features are standardised with the training rows' mean and standard deviation \
        (--no-standardize: as they are). The objective is the mean loss plus weight-decay/2·‖W‖² \
        (the bias is not penalised), minimised by L-BFGS for at most --epochs iterations, or by \
        full-batch gradient descent with step --lr (--optimizer gd). logistic: multinomial logistic \
        regression (scikit-learn's LogisticRegression with C = 1/(n·weight-decay)); svm: one-vs-rest \
        linear SVMs with the squared hinge loss.
        """)
    @Option(help: "Training features (safetensors from vgg features).") var train: String
    @Option(help: "Test features.") var test: String
    @Option(help: "logistic or svm.") var classifier: String = "logistic"
    @Option(help: "Iterations of the optimiser.") var epochs: Int = LinearProbe.Options().iterations
    @Option(help: "Step of gradient descent (--optimizer gd only).") var lr: Double = LinearProbe.Options().learningRate
    @Option(help: "L2 penalty λ of λ/2·‖W‖².")
    var weightDecay: Double = LinearProbe.Options().weightDecay
    @Option(help: "lbfgs or gd (full-batch gradient descent).") var optimizer: String = "lbfgs"
    @Flag(help: "Use the features as they are, not standardised.") var noStandardize = false
    @Option(help: ArgumentHelp("Directory for linear-probe-confusion.png and linear-probe.json (default: beside the test features).", valueName: "dir"))
    var out: String?
    @Flag(help: "Write all numbers to OUT/linear-probe.json.") var json = false
    @Option(help: "Format of the plot: png or svg (linear-probe-confusion.svg).") var plotFormat: PlotFormat = .png

    func run() throws {
        var options = LinearProbe.Options()
        guard let loss = LinearProbe.Loss(rawValue: classifier) else { throw ValidationError("--classifier must be logistic or svm") }
        guard let opt = LinearProbe.Optimizer(rawValue: optimizer) else { throw ValidationError("--optimizer must be lbfgs or gd") }
        guard epochs >= 1, weightDecay >= 0, lr > 0 else { throw ValidationError("--epochs ≥ 1, --weight-decay ≥ 0 and --lr > 0") }
        options.loss = loss; options.optimizer = opt; options.iterations = epochs
        options.learningRate = lr; options.weightDecay = weightDecay; options.standardize = !noStandardize

        let trainSet = try FeatureSet(contentsOf: URL(fileURLWithPath: train))
        let testSet = try FeatureSet(contentsOf: URL(fileURLWithPath: test))
        guard trainSet.dimension == testSet.dimension else {
            throw ValidationError("training features have \(trainSet.dimension) dimensions, test features \(testSet.dimension)")
        }
        let repeated = testSet.rowsRepeating(trainSet)
        let overlapWarning = repeated == 0 ? nil :
            "warning: \(repeated) of \(testSet.count) test rows repeat a training row (same label and features), so the test score is not "
            + "held out; were both files extracted from the same split? (\(provenance(trainSet, train)); \(provenance(testSet, test)))"
        if let overlapWarning { FileHandle.standardError.write(Data("vgg linear-probe: \(overlapWarning)\n".utf8)) }
        // The probe's classes: the labels present in the training features, in order.
        let present = Array(Set(trainSet.labels)).sorted()
        let position = Dictionary(uniqueKeysWithValues: present.enumerated().map { ($1, $0) })
        if let missing = testSet.labels.first(where: { position[$0] == nil }) {
            throw ValidationError("test label \(missing) (\(testSet.classNames[missing])) has no training features")
        }
        let names = present.map { trainSet.classNames[$0] }
        let clock = Stopwatch()
        let probe = try LinearProbe.train(features: trainSet.features, labels: trainSet.labels.map { position[$0]! },
                                          dimension: trainSet.dimension, classes: present.count, options: options)
        let seconds = clock.elapsed
        let trainAccuracy = zip(probe.predictions(trainSet.features), trainSet.labels).filter { $0 == position[$1]! }.count
        let result = Evaluator.score(probabilities: probe.probabilities(testSet.features), labels: testSet.labels.map { position[$0]! },
                                     classes: present.count, classNames: names)

        print("features: \(trainSet.count) training, \(testSet.count) test rows of \(trainSet.dimension) dimensions" +
              (trainSet.metadata["layer"].map { " (layer \($0))" } ?? "") + ", \(present.count) classes")
        print(String(format: "%@ probe, %@, weight decay %g: %d iterations, objective %.5f, %.1f s; training top-1 %.4f",
                     classifier, optimizer, weightDecay, probe.iterations, probe.objective, seconds,
                     Double(trainAccuracy) / Double(max(trainSet.count, 1))))
        print(String(format: "test top-1 accuracy %.4f (error %.2f %%; chance %.4f)", result.top1Accuracy, 100 * result.top1Error,
                     1 / Double(present.count)))
        if let overlapWarning { print(overlapWarning) }
        print("")
        print(TextTable.perClassAccuracy(counts: result.confusion, classNames: names).render())
        if present.count <= 20 {
            print("")
            print(TextTable.confusionMatrix(counts: result.confusion, classNames: names).render())
        }
        let outDir = URL(fileURLWithPath: out ?? URL(fileURLWithPath: test).deletingLastPathComponent().path)
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        let png = outDir.appendingPathComponent(plotFormat.fileName("linear-probe-confusion.png")).path
        try ConfusionMatrixPlot(counts: result.confusion, classNames: names,
                                title: "Linear probe, top-1 \(String(format: "%.2f", 100 * result.top1Accuracy)) %").write(to: png, format: plotFormat)
        print("\nwrote \(png)")
        if json {
            let report = LinearProbeReport(train: train, test: test, classifier: classifier, optimizer: optimizer, weightDecay: weightDecay,
                                           iterations: probe.iterations, objective: probe.objective, standardized: !noStandardize,
                                           dimension: trainSet.dimension, trainCount: trainSet.count, testCount: testSet.count,
                                           trainTop1Accuracy: Double(trainAccuracy) / Double(max(trainSet.count, 1)),
                                           top1Accuracy: result.top1Accuracy, top1Error: result.top1Error, classLabels: present,
                                           classNames: names, perClassAccuracy: result.perClassAccuracy.map { $0.isNaN ? -1 : $0 },
                                           confusion: result.confusion)
            let path = outDir.appendingPathComponent("linear-probe.json")
            try AtomicFile.write(try JSONReport.document(report), to: path)
            print("wrote \(path.path)")
        }
    }

    /// Where a feature file's rows come from, as its metadata says.
    func provenance(_ set: FeatureSet, _ path: String) -> String {
        "\(path): split \(set.metadata["split"] ?? "not recorded")" + (set.metadata["data"].map { " of \($0)" } ?? "")
    }
}
