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
    @Option(help: "Training scale S (smallest side).") var scale: Int?
    @Option(name: .customLong("scale-jitter"), help: "Scale jittering range SMIN,SMAX.") var scaleJitter: String?
    @Option(help: "Random crop size (square).") var crop: Int?
    @Option(help: "Zero padding on every side (default: 2 for 28-pixel IDX images, else 0).") var pad: Int?
    @Flag(help: "Random horizontal flips.") var flip = false
    @Flag(name: .customLong("color-shift"), help: "RGB colour shift (AlexNet PCA lighting).") var colorShift = false
    @Option(name: .customLong("color-jitter"), help: "Colour jitter BRIGHTNESS[,CONTRAST[,SATURATION[,HUE]]].") var colorJitter: String?
    @Option(name: .customLong("random-erasing"), help: "Random erasing probability.") var randomErasing: Double?
    @Option(help: "Output PNG.") var out: String = "preview.png"

    func validate() throws {
        guard (1...256).contains(count) else { throw ValidationError("--count must be in 1...256") }
        guard DatasetSplit(rawValue: split) != nil else { throw ValidationError("--split must be train or test") }
        if let randomErasing, !(0...1).contains(randomErasing) { throw ValidationError("--random-erasing must be a probability in [0, 1]") }
    }

    func run() throws {
        let spec = try data.map { try DatasetSpec.detect(path: $0) } ?? .fashionMNIST
        let dataset = try spec.open(split: DatasetSplit(rawValue: split)!)
        var pre = Preprocessing(mean: [])
        pre.pad = pad ?? (spec.kind == .idx ? 2 : 0)
        if let scale { pre.trainScale = [scale] }
        if let j = scaleJitter {
            let p = j.split(separator: ",").compactMap { Int($0) }
            guard p.count == 2, p[0] <= p[1] else { throw ValidationError("--scale-jitter must be SMIN,SMAX") }
            pre.trainScale = p
        }
        pre.crop = crop
        pre.flip = flip
        pre.colorShift = colorShift
        if let colorJitter {
            do { pre.colorJitter = try ColorJitter(parsing: colorJitter) } catch { throw ValidationError("--color-jitter: \(error)") }
        }
        if let randomErasing, randomErasing > 0 { pre.randomErasing = randomErasing }
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
                         pre.pad > 0 ? "pad \(pre.pad)" : nil, crop.map { "crop \($0)" }, flip ? "flip" : nil,
                         colorShift ? "colour shift" : nil, pre.colorJitter.map { "colour jitter \($0.text)" },
                         pre.randomErasing.map { "random erasing \($0)" }].compactMap { $0 }
        let title = "\(URL(fileURLWithPath: spec.path).lastPathComponent) (\(split)): samples, then augmented" + (described.isEmpty ? " (none)" : ": " + described.joined(separator: ", "))
        try PredictionGrid(items: items, columns: columns, cellSize: 96, title: title).write(to: out)
        print("wrote \(out): \(picked.count) samples of \(dataset.count) and their augmented versions (\(described.isEmpty ? "no augmentation" : described.joined(separator: ", ")))")
    }
}
