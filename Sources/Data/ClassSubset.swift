import Foundation
import Support

/// The samples of another dataset whose labels are among `classes` (`--classes-subset`):
/// with `remapLabels`, the labels become positions in `classes` (0..<k) and the class names
/// are the selected ones, in that order (training on part of the classes); without, the
/// labels and class names stay those of the base dataset (features of held-out classes).
public final class ClassSubset: ImageDataset, @unchecked Sendable {
    public let base: any ImageDataset
    /// The selected classes: labels of `base`, in the order that numbers them when remapped.
    public let classes: [Int]
    public let remapLabels: Bool
    /// Indices into `base` of the samples kept, increasing.
    public let indices: [Int]
    private let newLabel: [Int: Int]

    /// Keeps the samples of `base` labelled with one of `classes` (distinct labels of `base`).
    public init(base: any ImageDataset, classes: [Int], remapLabels: Bool) throws {
        guard !classes.isEmpty else { throw DataError(.invalidArgument, "the class subset is empty") }
        guard Set(classes).count == classes.count else { throw DataError(.invalidArgument, "the class subset \(classes) names a class twice") }
        if let bad = classes.first(where: { $0 < 0 || $0 >= base.classNames.count }) {
            throw DataError(.invalidArgument, "class \(bad) is not among the data's \(base.classNames.count) classes (0-\(base.classNames.count - 1))")
        }
        self.base = base
        self.classes = classes
        self.remapLabels = remapLabels
        newLabel = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        indices = (0..<base.count).filter { [newLabel] in newLabel[base.label(at: $0)] != nil }
    }

    /// Class indices `parse` accepts are below this: no data set has a hundred thousand classes
    /// (ImageNet-21k has 21,841), and a range up to 2⁶³ would otherwise be expanded in memory.
    public static let maxClassIndex = 100_000

    /// Parses `0-4`, `0,1,2,3,4` or a mix (`0-2,7,9`) into class indices, in the order given.
    /// `text` without leading and trailing white space (Swift's own, cheaper than Foundation's).
    private static func trimmingSpaces(_ text: Substring) -> Substring {
        let start = text.drop(while: \.isWhitespace)
        guard let last = start.lastIndex(where: { !$0.isWhitespace }) else { return start[start.startIndex..<start.startIndex] }
        return start[...last]
    }

    public static func parse(_ text: String) throws -> [Int] {
        var out: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let p = Self.trimmingSpaces(part)
            let ends = p.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            if let big = ends.compactMap({ $0 }).first(where: { $0 >= maxClassIndex }) {
                throw DataError(.invalidArgument, "class subset '\(text)': class index \(big) is implausibly large (at most \(maxClassIndex - 1))")
            }
            if ends.count == 1, let a = ends[0], a >= 0 { out.append(a); continue }
            guard ends.count == 2, let a = ends[0], let b = ends[1], a >= 0, a <= b else {
                throw DataError(.invalidArgument, "class subset '\(text)': '\(p)' is not a class index or a range A-B")
            }
            out += Array(a...b)
            guard out.count <= maxClassIndex else { throw DataError(.invalidArgument, "class subset '\(text)' names a class twice") }
        }
        guard Set(out).count == out.count else { throw DataError(.invalidArgument, "class subset '\(text)' names a class twice") }
        return out
    }

    public var count: Int { indices.count }
    public var classNames: [String] { remapLabels ? classes.map { base.classNames[$0] } : base.classNames }
    public var channels: Int { base.channels }
    public func label(at index: Int) -> Int {
        let l = base.label(at: indices[index])
        return remapLabels ? newLabel[l]! : l
    }
    public func loadImage(at index: Int) throws -> DecodedImage { try base.loadImage(at: indices[index]) }
    public func sourceDescription(at index: Int) -> String { base.sourceDescription(at: indices[index]) }
    public var skipsBadImages: Bool { base.skipsBadImages }
    public var leftOutFiles: [ImageFileProblem] { base.leftOutFiles }
    public func noteSkipped(index: Int, error: Error) -> Bool { base.noteSkipped(index: indices[index], error: error) }
}
