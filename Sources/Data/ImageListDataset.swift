import Foundation

/// Images given as an explicit list of files and labels, e.g. the flat ImageNet validation
/// folder with labels from the devkit ground-truth file. Files are decoded on demand (JPEG or
/// PNG, returned as RGB).
public final class ImageListDataset: ImageDataset, @unchecked Sendable {
    public let files: [String]
    public let labels: [Int32]
    public let classNames: [String]
    public var channels: Int { 3 }
    public var count: Int { files.count }
    public let skipsBadImages: Bool
    private let skipped = SkippedFiles()

    /// Checks that the lists have equal length and every label is a valid class; with
    /// `checkFilesExist`, that every file exists (naming the first missing one).
    public init(files: [String], labels: [Int], classNames: [String], skipBadImages: Bool = false,
                checkFilesExist: Bool = true) throws {
        guard files.count == labels.count else {
            throw DataError(.mismatch, "ImageListDataset: \(files.count) files but \(labels.count) labels")
        }
        for (i, l) in labels.enumerated() where l < 0 || l >= classNames.count {
            throw DataError(.format, path: files[i], "label \(l) out of range 0..<\(classNames.count)")
        }
        if checkFilesExist, let missing = files.first(where: { !FileIO.exists($0) }) {
            throw DataError(.fileNotFound, path: missing, "image file not found")
        }
        self.files = files
        self.labels = labels.map { Int32($0) }
        self.classNames = classNames
        self.skipsBadImages = skipBadImages
    }

    public func label(at index: Int) -> Int { Int(labels[index]) }
    public func loadImage(at index: Int) throws -> DecodedImage { try ImageDecoder.decodeFile(files[index]) }
    public func sourceDescription(at index: Int) -> String { files[index] }
    public func noteSkipped(index: Int, error: Error) -> Bool {
        skipped.insert(files[index])
    }
    /// Files the loader has skipped so far, sorted.
    public var skippedFiles: [String] {
        skipped.sorted
    }
}
