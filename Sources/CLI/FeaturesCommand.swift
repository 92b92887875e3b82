import ArgumentParser
import Data
import Foundation
import Support
import Training

/// `vgg features`: one layer's activations for every image of a split, as a safetensors
/// file for `vgg linear-probe` or other tools (see `FeatureSet` for the format).
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Extract image features (fc7, fc6, pool5 or any layer) from a checkpoint into a safetensors file.",
        discussion: """
        Writes `features` (F32, N×D) and `labels` (I64, N: the data set's own class indices, also \
        with --classes-subset), and in the metadata `class_names` (JSON array), layer, checkpoint, split \
        and how the features were aggregated. fc6/fc7 are the first/second fully connected layers' \
        outputs after their ReLU (classifier.1/classifier.4); pool5 the last max pooling; other \
        layers by their torchvision names (classifier.3: fc7 before its ReLU).

        Without --scales (and without --dense): each image through the checkpoint's evaluation \
        pipeline (test scale, centre crop), the layer's output flattened in (C, H, W) order. With \
        --scales or --dense: the paper's transfer protocol (Appendix B): the network applied densely \
        (fully connected layers as convolutions) to the whole image at each scale, the layer's map \
        averaged over space, then over the scales. --flip averages with the flipped image; \
        --l2-normalize scales each final descriptor to unit length.
        """)
    @OptionGroup var checkpointOptions: CheckpointOptions
    @Option(help: "fc7, fc6, pool5 or a layer name (features.20, classifier.3).") var layer: String = "fc7"
    @Option(help: "Data directory (default: the one the model was trained on).") var data: String?
    /// No default: features of one split written twice, as train and as test, made a probe
    /// score its own training rows.
    @Option(help: "Split: train or test (required: a probe needs the features of both).") var split: String
    @Option(help: "Use only the first N images of the split (before --classes-subset).") var limit: Int?
    @Option(help: "Keep only these classes, e.g. 5-9 or 5,6,7 (labels stay the data set's).")
    var classesSubset: String?
    @Option(help: "Dense application at these scales Q (smallest side), comma-separated, e.g. 256,384,512; descriptors averaged over the scales. 'as-is' keeps the images' own size.")
    var scales: String?
    @Flag(help: "Dense application at the checkpoint's evaluation scale (implied by --scales).") var dense = false
    @Flag(help: "Average with the horizontally flipped image.") var flip = false
    @Flag(help: "Scale every descriptor to unit L2 norm.") var l2Normalize = false
    @OptionGroup var batch: BatchOptions
    @OptionGroup var loading: DataLoadingOptions
    @Option(help: ArgumentHelp("safetensors file to write the features to.", valueName: "file")) var out: String
    @Flag(help: "Skip unreadable images with a warning instead of failing.") var skipBadImages = false
    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard split == "train" || split == "test" else { throw ValidationError("--split must be train or test") }
    }

    func run() throws {
        let model = try TrainedModel(contentsOf: checkpointOptions.url, on: try runtime.makeBackend())
        let extractor = try FeatureExtractor(model: model, layer: layer)
        let spec = try data.map { try DatasetSpec.detect(path: $0) } ?? model.configuration.data
        let classes: [Int]?
        do { classes = try classesSubset.map(ClassSubset.parse) } catch { throw ValidationError("--classes-subset: \(error)") }
        let dataset = try spec.open(split: split == "train" ? .train : .test, limit: limit, skipBadImages: skipBadImages,
                                    classes: classes, remapLabels: false)
        if !dataset.leftOutFiles.isEmpty {
            let list = ((out as NSString).deletingLastPathComponent.isEmpty ? "." : (out as NSString).deletingLastPathComponent)
                + "/skipped-images.txt"
            try ImageFileProblem.writeList(dataset.leftOutFiles, to: list)
            let found = dataset.count + dataset.leftOutFiles.filter { $0.kind != .emptyClassFolder }.count
            print(ImageFileProblem.summary(of: dataset.leftOutFiles, total: found, listPath: list))
        }
        let qs: [Int?]? = try scales.map { s in
            try s.split(separator: ",").map {
                if $0 == "as-is" { return nil }
                guard let q = Int($0), q > 0 else { throw ValidationError("--scales takes positive integers or 'as-is'") }
                return q
            }
        }
        let useDense = dense || qs != nil
        let interactive = isatty(1) != 0
        func progress(_ done: Int, _ total: Int) {
            if interactive { print("\r\u{1B}[K\(layer) features \(done)/\(total)", terminator: ""); fflush(stdout) }
        }
        let clock = Stopwatch()
        let r = useDense
            ? try extractor.denseFeatures(dataset: dataset, scales: qs ?? [model.preprocessing.evaluationScale],
                                          flip: flip, batchSize: min(batch.batchSize, 32), progress: progress)
            : try extractor.features(dataset: dataset, flip: flip, batchSize: batch.batchSize, workers: loading.workers, progress: progress)
        if interactive { print("") }
        let scaleText = useDense ? (qs ?? [model.preprocessing.evaluationScale]).map { $0.map(String.init) ?? "as-is" }.joined(separator: ",") : nil
        var set = FeatureSet(features: r.features, labels: r.labels, dimension: r.dimension, classNames: dataset.classNames, metadata: [
            "layer": extractor.layer.name, "requested_layer": layer, "checkpoint": checkpointOptions.checkpoint, "data": spec.path, "split": split,
            "aggregation": useDense ? "dense, spatial mean, scales \(scaleText!)" : "evaluation pipeline (centre crop)",
            "flip": String(flip), "l2_normalized": String(l2Normalize),
        ].merging(classes.map { ["classes_subset": $0.map(String.init).joined(separator: ",")] } ?? [:]) { a, _ in a })
        if l2Normalize { set.l2Normalize() }
        try set.write(to: URL(fileURLWithPath: out))
        print(String(format: "%@ (%@) features of %d %@ images, %d dimensions%@%@%@: wrote %@ (%.1f s)",
                     layer, extractor.layer.name, set.count, split, set.dimension,
                     useDense ? ", dense at scales \(scaleText!)" : "", flip ? ", flip-averaged" : "", l2Normalize ? ", L2-normalised" : "",
                     out, clock.elapsed))
    }
}
