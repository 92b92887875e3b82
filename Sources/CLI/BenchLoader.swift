import ArgumentParser
import Data
import Foundation
import Support
import Training

/// `vgg bench --data`: the data loader's throughput.
extension BenchCommand {
    /// Loader throughput: Fashion-MNIST-style batches (padded to 32×32), CIFAR, or decoding and
    /// augmenting JPEGs to 224 crops (rescale S∈[256,512], random crop, flip, colour shift, mean).
    func runLoader(_ spec: String) throws {
        var dataset: any ImageDataset
        var pipeline: TransformPipeline
        var source = spec
        if spec == "synthetic-jpeg" {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-bench-jpeg-\(getpid())").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try LoaderBenchmark.makeSyntheticJPEGFolder(at: dir, classes: 4, imagesPerClass: 128, width: 256, height: 256)
            dataset = try ImageFolderDataset(root: dir)
            let stats = try DatasetStatistics.compute(dataset: dataset, maxImages: 64)
            pipeline = .vggTraining(scales: 256...512, crop: 224, mean: stats.mean, colorShift: PCAColorShift(statistics: stats))
            source = "\(dataset.count) synthetic 256×256 JPEGs → scale jitter [256,512], 224 crop, flip, colour shift"
            return try measureLoader(dataset, pipeline, source)
        }
        let d = try (spec == "fashion-mnist" ? DatasetSpec.fashionMNIST : DatasetSpec.detect(path: spec)).open(split: .train)
        dataset = d
        var t: [any ImageTransform] = []
        if d.channels == 1 { t.append(Pad(2)) } else { t += [Pad(4), RandomCrop(32), RandomHorizontalFlip()] }
        t.append(Normalize(mean: [Float](repeating: 0.3, count: d.channels)))
        pipeline = TransformPipeline(t)
        source = "\(d.count) images of \(spec)" + (d.channels == 1 ? ", padded to 32×32" : ", pad 4 + random 32 crop + flip")
        try measureLoader(dataset, pipeline, source)
    }

    func measureLoader(_ dataset: any ImageDataset, _ pipeline: TransformPipeline, _ source: String) throws {
        let loader = try DataLoader(dataset: dataset, pipeline: pipeline, batchSize: batch, shuffle: true, seed: 1,
                                    dropLast: true, workers: workers)
        let batches = min(loader.batchesPerEpoch, max(iterations, 1) * 10)
        let r = try LoaderBenchmark.run(loader: loader, epoch: 0, batches: batches, warmupBatches: 1)
        print("data: \(source); batch \(batch), \(workers) worker(s)")
        print(String(format: "loader: %.0f images/s (%d images in %.2f s)", r.imagesPerSecond, r.images, r.seconds))
    }
}
