import ArgumentParser
import Data
import Foundation
import Reports
import Support
import Training

/// `vgg preview`: a picture of the data as the network will see it: samples drawn at random
/// (seeded) with their labels, each followed by the same image after the training
/// augmentation given (the options of `vgg train`), de-normalised for display.
struct PreviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview", abstract: "Draw dataset samples with their labels, and the same samples after the training augmentation.")
    @Option(help: "Data directory as in vgg train (default: Fashion-MNIST).") var data: String?
    @Option(help: "Split: train or test.") var split: String = "train"
    @Option(help: "Samples to draw.") var count: Int = 16
    @Option(help: "Random seed (which samples, which augmentation).") var seed: UInt64 = 0
    @OptionGroup var augmentation: AugmentationOptions
    @Option(help: ArgumentHelp("Picture file to write (its extension becomes that of --plot-format).", valueName: "file"))
    var out: String = "preview.png"
    @Option(help: "Format of the picture: png or svg.") var plotFormat: PlotFormat = .png

    func validate() throws {
        guard (1...256).contains(count) else { throw ValidationError("--count must be in 1...256") }
        guard DatasetSplit(rawValue: split) != nil else { throw ValidationError("--split must be train or test") }
    }

    func run() throws {
        let spec = try data.map { try DatasetSpec.detect(path: $0) } ?? .fashionMNIST
        let dataset = try spec.open(split: DatasetSplit(rawValue: split)!)
        var pre = try augmentation.preprocessing(for: spec)
        // The mean (and colour PCA) as training would compute them, from a smaller sample.
        let stats = try DatasetStatistics.compute(dataset: dataset, sample: 2000, seed: seed, workers: 2)
        pre.mean = stats.mean
        pre.eigenvalues = stats.eigenvalues
        pre.eigenvectors = stats.eigenvectors
        let pipeline = pre.trainingPipeline()

        let picked = DatasetStatistics.sampleIndices(count: dataset.count, size: min(count, dataset.count), seed: seed &+ 1)
        let columns = min(8, picked.count)
        var items: [PredictionGrid.Item] = []
        // Rows of originals, each followed by a row of the same samples augmented.
        for start in stride(from: 0, to: picked.count, by: columns) {
            let row = picked[start..<min(start + columns, picked.count)]
            for i in row {
                let image = try dataset.loadImage(at: i)
                items.append(PredictionGrid.Item(image: PixelImage(width: image.width, height: image.height, channels: image.channels,
                                                                   bytes: image.pixels, layout: .hwc),
                                                 note: dataset.classNames[dataset.label(at: i)]))
            }
            for i in row {
                let augmented = try pipeline.apply(dataset.loadImage(at: i), seed: seed, epoch: 0, position: i)
                items.append(PredictionGrid.Item(image: PixelImage(width: augmented.width, height: augmented.height,
                                                                   channels: augmented.channels, values: augmented.chw(),
                                                                   layout: .chw, mean: pre.mean),
                                                 note: "augmented"))
            }
        }
        let described = [pre.trainScale.map { $0.count == 1 ? "scale \($0[0])" : "scale jitter \($0[0])–\($0[1])" },
                         pre.pad > 0 ? "pad \(pre.pad)" : nil, pre.crop.map { "crop \($0)" }, pre.flip ? "flip" : nil,
                         pre.colorShift ? "colour shift" : nil, pre.colorJitter.map { "colour jitter \($0.text)" },
                         pre.randomErasing.map { "random erasing \($0)" }].compactMap { $0 }
        let title = "\(URL(fileURLWithPath: spec.path).lastPathComponent) (\(split)): samples, then augmented" + (described.isEmpty ? " (none)" : ": " + described.joined(separator: ", "))
        let out = plotFormat.fileName(self.out)
        try PredictionGrid(items: items, columns: columns, cellSize: 96, title: title).write(to: out, format: plotFormat)
        print("wrote \(out): \(picked.count) samples of \(dataset.count) and their augmented versions (\(described.isEmpty ? "no augmentation" : described.joined(separator: ", ")))")
    }
}
