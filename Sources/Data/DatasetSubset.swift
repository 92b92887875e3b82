import Foundation
import Support

/// A view of some samples of another dataset (a prefix, a train/validation part, …).
public final class DatasetSubset: ImageDataset, @unchecked Sendable {
    public let base: any ImageDataset
    /// Indices into `base`.
    public let indices: [Int]

    public init(base: any ImageDataset, indices: [Int]) {
        for i in indices { precondition(i >= 0 && i < base.count, "DatasetSubset: index \(i) out of range") }
        self.base = base
        self.indices = indices
    }

    public var count: Int { indices.count }
    public var classNames: [String] { base.classNames }
    public var channels: Int { base.channels }
    public func label(at index: Int) -> Int { base.label(at: indices[index]) }
    public func loadImage(at index: Int) throws -> DecodedImage { try base.loadImage(at: indices[index]) }
    public func sourceDescription(at index: Int) -> String { base.sourceDescription(at: indices[index]) }
    public var skipsBadImages: Bool { base.skipsBadImages }
    public var leftOutFiles: [ImageFileProblem] { base.leftOutFiles }
    public func noteSkipped(index: Int, error: Error) -> Bool { base.noteSkipped(index: indices[index], error: error) }
}
