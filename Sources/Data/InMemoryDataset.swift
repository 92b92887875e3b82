import Foundation
import Support

/// A dataset held entirely in memory, built from decoded images and labels
/// (handy for tests, synthetic benchmarks and small experiments).
public final class InMemoryDataset: ImageDataset, @unchecked Sendable {
    public let images: [DecodedImage]
    public let labels: [Int]
    public let classNames: [String]
    public let channels: Int

    public init(images: [DecodedImage], labels: [Int], classNames: [String]) throws {
        guard images.count == labels.count else {
            throw DataError(.mismatch, "InMemoryDataset: \(images.count) images but \(labels.count) labels")
        }
        let ch = images.first?.channels ?? 3
        for (i, im) in images.enumerated() where im.channels != ch {
            throw DataError(.mismatch, "InMemoryDataset: image \(i) has \(im.channels) channels, expected \(ch)")
        }
        for (i, l) in labels.enumerated() where l < 0 || l >= classNames.count {
            throw DataError(.format, "InMemoryDataset: label \(l) of sample \(i) out of range 0..<\(classNames.count)")
        }
        self.images = images
        self.labels = labels
        self.classNames = classNames
        self.channels = ch
    }

    public var count: Int { images.count }
    public func label(at index: Int) -> Int { labels[index] }
    public func loadImage(at index: Int) throws -> DecodedImage { images[index] }
}
