import Data
import Foundation

/// Which data set to read and where: Fashion-MNIST/MNIST IDX files, CIFAR-10/100 binary
/// files, or a folder of class sub-folders of JPEG/PNG images.
public struct DatasetSpec: Codable, Equatable, Sendable {
    /// The format of the data set: `idx` (Fashion-MNIST/MNIST IDX files, gzip or not), `cifar10`
    /// and `cifar100` (the binary versions), or `folder` (one sub-folder of JPEG/PNG images per class,
    /// as ImageNet's `train/<wnid>/`). ``detect(path:)`` tells it from the files.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case idx, cifar10, cifar100, folder
    }
    public var kind: Kind
    public var path: String

    /// Debian's `dataset-fashion-mnist` package: the embedded default.
    public static let fashionMNIST = DatasetSpec(kind: .idx, path: "/usr/share/datasets/fashion-mnist")

    public init(kind: Kind, path: String) { self.kind = kind; self.path = path }

    /// Guesses the kind from the files in `path`.
    public static func detect(path: String) throws -> DatasetSpec {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw DataError(.fileNotFound, path: path, "data directory does not exist")
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if files.contains(where: { $0.hasPrefix("train-images-idx3-ubyte") }) { return DatasetSpec(kind: .idx, path: path) }
        // The CIFAR archives unpack into these folders.
        if files.contains("cifar-10-batches-bin") { return DatasetSpec(kind: .cifar10, path: path) }
        if files.contains("cifar-100-binary") { return DatasetSpec(kind: .cifar100, path: path) }
        if files.contains(where: { $0.hasPrefix("data_batch_1") }) { return DatasetSpec(kind: .cifar10, path: path) }
        if files.contains("train.bin") { return DatasetSpec(kind: .cifar100, path: path) }
        if files.contains("train") && !files.contains(where: { $0.hasSuffix(".bin") }) {
            return DatasetSpec(kind: .folder, path: (path as NSString).appendingPathComponent("train"))
        }
        return DatasetSpec(kind: .folder, path: path)
    }

    /// Opens a split keeping only the samples of `classes` (nil: all), with labels renumbered
    /// 0..<k in that order when `remapLabels` (training) or kept as they are (features).
    public func open(split: DatasetSplit, limit: Int? = nil, skipBadImages: Bool = false, classes: [Int]?,
                     remapLabels: Bool = true) throws -> any ImageDataset {
        let all = try open(split: split, limit: limit, skipBadImages: skipBadImages)
        guard let classes else { return all }
        return try ClassSubset(base: all, classes: classes, remapLabels: remapLabels)
    }

    /// Opens the training or test split (for image folders, the test split is a sibling
    /// `val` or `test` folder when the path ends in `train`).
    public func open(split: DatasetSplit, limit: Int? = nil, skipBadImages: Bool = false) throws -> any ImageDataset {
        switch kind {
        case .idx: return try IDXDataset(directory: path, split: split, limit: limit)
        case .cifar10: return try CIFAR10Dataset(directory: path, split: split, limit: limit)
        case .cifar100: return try CIFAR100Dataset(directory: path, split: split, limit: limit)
        case .folder:
            var root = path
            if split == .test {
                let parent = (path as NSString).deletingLastPathComponent
                guard let sibling = ["val", "test"].map({ (parent as NSString).appendingPathComponent($0) })
                        .first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                    throw DataError(.fileNotFound, path: path, "no test split: expected a 'val' or 'test' folder beside it")
                }
                root = sibling
            }
            // Every file checked from its header and end before anything is read: the first
            // bad one stops here, or with `skipBadImages` they are left out and listed.
            return try ImageFolderDataset(root: root, skipBadImages: skipBadImages, limit: limit, screenFiles: true,
                                          workers: min(8, max(1, ProcessInfo.processInfo.activeProcessorCount)))
        }
    }
}
