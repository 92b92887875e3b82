import Foundation
import Support
import XCTest
@testable import Data

final class LoaderTests: XCTestCase {
    func makeDataset(_ n: Int = 23) throws -> InMemoryDataset {
        let images = (0..<n).map { patternImage(width: 12, height: 10, seed: $0) }
        return try InMemoryDataset(images: images, labels: (0..<n).map { $0 % 3 }, classNames: ["a", "b", "c"])
    }

    let pipeline = TransformPipeline([RescaleSmallestSide(range: 9...14), RandomCrop(8), RandomHorizontalFlip(),
                                      PCAColorShift(eigenvalues: [0.1, 0.05, 0.01], eigenvectors: [1, 0, 0, 0, 1, 0, 0, 0, 1])])

    func collect(_ it: EpochIterator) throws -> [(images: [Float], labels: [Int32], indices: [Int], shape: [Int])] {
        var out: [(images: [Float], labels: [Int32], indices: [Int], shape: [Int])] = []
        while let b = try it.next() { out.append((b.imageArray, b.labels, b.indices, b.shape)) }
        return out
    }

    func testSameBatchesForAnyWorkerCount() throws {
        let ds = try makeDataset()
        var runs: [[(images: [Float], labels: [Int32], indices: [Int], shape: [Int])]] = []
        for workers in [0, 1, 3] {
            let loader = try DataLoader(dataset: ds, pipeline: pipeline, batchSize: 5, seed: 11, workers: workers, prefetch: 2)
            runs.append(try collect(loader.batches(epoch: 2)))
        }
        XCTAssertEqual(runs[0].count, 5)
        for r in runs.dropFirst() {
            XCTAssertEqual(r.count, runs[0].count)
            for (x, y) in zip(r, runs[0]) {
                XCTAssertEqual(x.images, y.images)
                XCTAssertEqual(x.labels, y.labels)
                XCTAssertEqual(x.indices, y.indices)
            }
        }
        // Shapes, the partial final batch, labels matching indices, every sample once.
        XCTAssertEqual(runs[0].map { $0.shape[0] }, [5, 5, 5, 5, 3])
        XCTAssertEqual(runs[0][0].shape, [5, 3, 8, 8])
        XCTAssertEqual(runs[0].flatMap(\.indices).sorted(), Array(0..<23))
        for b in runs[0] { XCTAssertEqual(b.labels, b.indices.map { Int32($0 % 3) }) }
        XCTAssertEqual(runs[0].flatMap(\.indices), epochPermutation(count: 23, seed: 11, epoch: 2))
    }

    func testEpochsAndSeedsDiffer() throws {
        let ds = try makeDataset()
        let a = try DataLoader(dataset: ds, pipeline: pipeline, batchSize: 5, seed: 1, workers: 2)
        let b = try DataLoader(dataset: ds, pipeline: pipeline, batchSize: 5, seed: 2, workers: 2)
        let e0 = try collect(a.batches(epoch: 0)).flatMap(\.indices)
        let e1 = try collect(a.batches(epoch: 1)).flatMap(\.indices)
        let f0 = try collect(b.batches(epoch: 0)).flatMap(\.indices)
        XCTAssertNotEqual(e0, e1)
        XCTAssertNotEqual(e0, f0)
        XCTAssertEqual(try collect(a.batches(epoch: 0)).flatMap(\.indices), e0)
    }

    func testResumeFromBatchMatchesFullRun() throws {
        let ds = try makeDataset()
        let loader = try DataLoader(dataset: ds, pipeline: pipeline, batchSize: 4, seed: 5, workers: 2)
        let full = try collect(loader.batches(epoch: 3))
        let resumed = try collect(loader.batches(epoch: 3, startingAt: 4))
        XCTAssertEqual(resumed.count, full.count - 4)
        for (x, y) in zip(resumed, full.dropFirst(4)) {
            XCTAssertEqual(x.images, y.images)
            XCTAssertEqual(x.indices, y.indices)
        }
        let single = try loader.makeBatch(epoch: 3, batchIndex: 2)
        XCTAssertEqual(single.imageArray, full[2].images)
        XCTAssertEqual(try collect(loader.batches(epoch: 3, startingAt: 99)).count, 0)
    }

    func testDropLast() throws {
        let ds = try makeDataset()
        let keep = try DataLoader(dataset: ds, pipeline: pipeline, batchSize: 5, shuffle: false, dropLast: false, workers: 2)
        let drop = try DataLoader(dataset: ds, pipeline: pipeline, batchSize: 5, shuffle: false, dropLast: true, workers: 2)
        XCTAssertEqual(keep.batchesPerEpoch, 5)
        XCTAssertEqual(drop.batchesPerEpoch, 4)
        XCTAssertEqual(drop.samplesPerEpoch, 20)
        let k = try collect(keep.batches(epoch: 0))
        let d = try collect(drop.batches(epoch: 0))
        XCTAssertEqual(k.last!.indices, [20, 21, 22])
        XCTAssertEqual(d.count, 4)
        XCTAssertTrue(d.allSatisfy { $0.shape[0] == 5 })
        XCTAssertEqual(d.flatMap(\.indices), Array(0..<20))
        XCTAssertThrowsError(try DataLoader(dataset: ds, batchSize: 50, dropLast: true))
    }

    func testBatchContentIsPipelineOutputInCHW() throws {
        let ds = try makeDataset(4)
        let p = TransformPipeline([CenterCrop(width: 6, height: 4), Normalize(mean: [0.1, 0.2, 0.3])])
        let loader = try DataLoader(dataset: ds, pipeline: p, batchSize: 4, shuffle: false, workers: 1)
        let it = loader.batches(epoch: 0)
        let b = try XCTUnwrap(try it.next())
        XCTAssertEqual(b.shape, [4, 3, 4, 6])
        let expected = try p.apply(ds.loadImage(at: 2), seed: 0, epoch: 0, position: 2).chw()
        XCTAssertEqual(Array(b.imageBuffer[(2 * 72)..<(3 * 72)]), expected)
        XCTAssertNil(try it.next())
    }

    func testFashionMNISTStyleLoading() throws {
        let ds = try InMemoryDataset(images: (0..<10).map { patternImage(width: 28, height: 28, channels: 1, seed: $0) },
                                     labels: Array(0..<10), classNames: IDXDataset.digitClassNames)
        let loader = try DataLoader(dataset: ds, pipeline: TransformPipeline([Pad(2)]), batchSize: 4, workers: 2)
        XCTAssertEqual(loader.sampleShape, [1, 32, 32])
        let it = loader.batches(epoch: 0)
        let b = try XCTUnwrap(try it.next())
        XCTAssertEqual(b.shape, [4, 1, 32, 32])
        XCTAssertEqual(b.images[0], 0) // padding
        let src = ds.images[b.indices[0]]
        XCTAssertEqual(b.images[2 * 32 + 2], Float(src.pixels[0]) / 255, accuracy: 1e-7)
        let r = try LoaderBenchmark.run(loader: loader, batches: 1, warmupBatches: 0)
        XCTAssertEqual(r.images, 4)
        XCTAssertGreaterThan(r.imagesPerSecond, 0)
    }

    func testVariableSizeOutputIsAnError() throws {
        let images = [patternImage(width: 8, height: 8), patternImage(width: 9, height: 8)]
        let ds = try InMemoryDataset(images: images, labels: [0, 0], classNames: ["a"])
        let loader = try DataLoader(dataset: ds, batchSize: 2, shuffle: false, workers: 1)
        assertDataError(try loader.batches(epoch: 0).next(), contains: ["sample 1", "pipeline output is 3x8x9"])
    }
}
