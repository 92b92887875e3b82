import Foundation
import Support
import XCTest
@testable import Data

/// Data parallelism's loader: every shard of a batch is a contiguous slice of the
/// single-process batch (same samples, same augmentation, keyed by global position), the
/// slices cover it exactly, none padded or repeated, also for a partial last batch.
final class ShardTests: XCTestCase {
    func testShardsTileTheSingleProcessBatches() throws {
        let images = (0..<23).map { patternImage(width: 12, height: 10, seed: $0) }
        let ds = try InMemoryDataset(images: images, labels: (0..<23).map { $0 % 3 }, classNames: ["a", "b", "c"])
        let pipeline = TransformPipeline([RescaleSmallestSide(range: 9...14), RandomCrop(8), RandomHorizontalFlip()])
        let whole = try DataLoader(dataset: ds, pipeline: pipeline, batchSize: 6, seed: 5, workers: 1)
        for ranks in [2, 3, 4] {
            let shards = try (0..<ranks).map {
                try DataLoader(dataset: ds, pipeline: pipeline, batchSize: 6, seed: 5, workers: 1, shard: .init(rank: $0, count: ranks))
            }
            for batch in 0..<whole.batchesPerEpoch {
                let reference = try whole.makeBatch(epoch: 1, batchIndex: batch)
                var images: [Float] = [], labels: [Int32] = [], indices: [Int] = [], next = 0
                for loader in shards {
                    let part = try loader.makeBatch(epoch: 1, batchIndex: batch)
                    XCTAssertEqual(part.globalCount, reference.count)
                    XCTAssertEqual(part.firstInGlobalBatch, next, "slices are contiguous and in rank order")
                    next += part.count
                    images += part.imageArray; labels += part.labels; indices += part.indices
                }
                XCTAssertEqual(next, reference.count, "\(ranks) ranks, batch \(batch): the slices cover the batch")
                XCTAssertEqual(indices, reference.indices)
                XCTAssertEqual(labels, reference.labels)
                XCTAssertEqual(images, reference.imageArray, "augmentation keyed by global position")
            }
        }
        XCTAssertEqual(DataLoader.Shard(rank: 1, count: 4).range(of: 6), 1..<3)
        XCTAssertThrowsError(try DataLoader(dataset: ds, batchSize: 6, shard: .init(rank: 2, count: 2)))
    }
}
