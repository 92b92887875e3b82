import Foundation

/// MNIST-style datasets stored as IDX files (MNIST, Fashion-MNIST, KMNIST…):
/// `train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`, `t10k-…` for the test split.
/// All pixels are kept in memory as bytes; images are single-channel.
public final class IDXDataset: ImageDataset, @unchecked Sendable {
    /// How to name the classes.
    public enum ClassNames: Sendable {
        /// Fashion-MNIST names if the directory name contains "fashion", otherwise digits.
        case auto
        case fashionMNIST
        /// "0" … "9".
        case digits
        case custom([String])
    }

    /// The ten Fashion-MNIST class names, in label order.
    public static let fashionMNISTClassNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]
    /// "0" … "9".
    public static let digitClassNames = (0..<10).map(String.init)

    public let classNames: [String]
    public let width: Int
    public let height: Int
    public var channels: Int { 1 }
    public let count: Int
    /// All pixels, `count × height × width` bytes (possibly more if a limit was applied).
    public let pixels: [UInt8]
    public let labels: [UInt8]
    public let imagesPath: String
    public let labelsPath: String

    /// Opens the split in `directory`, looking for `train-images-idx3-ubyte`, `.gz`, and
    /// the `train-images.idx3-ubyte` spelling (`t10k-…` for the test split).
    public convenience init(directory: String, split: DatasetSplit, names: ClassNames = .auto, limit: Int? = nil) throws {
        guard FileIO.isDirectory(directory) else {
            throw DataError(.fileNotFound, path: directory, "IDX dataset directory not found")
        }
        let prefix = split == .train ? "train" : "t10k"
        func find(_ kind: String, _ rank: Int) throws -> String {
            let stems = ["\(prefix)-\(kind)-idx\(rank)-ubyte", "\(prefix)-\(kind).idx\(rank)-ubyte"]
            for stem in stems {
                for ext in ["", ".gz"] {
                    let p = FileIO.join(directory, stem + ext)
                    if FileIO.exists(p) { return p }
                }
            }
            throw DataError(.fileNotFound, path: FileIO.join(directory, stems[0] + "[.gz]"),
                            "IDX \(kind) file for the \(split.rawValue) split not found")
        }
        let imagesPath = try find("images", 3)
        let labelsPath = try find("labels", 1)
        let resolved: [String]
        switch names {
        case .auto:
            let base = URL(fileURLWithPath: directory).standardizedFileURL.path.lowercased()
            resolved = base.contains("fashion") ? IDXDataset.fashionMNISTClassNames : IDXDataset.digitClassNames
        case .fashionMNIST: resolved = IDXDataset.fashionMNISTClassNames
        case .digits: resolved = IDXDataset.digitClassNames
        case .custom(let n): resolved = n
        }
        try self.init(imagesPath: imagesPath, labelsPath: labelsPath, classNames: resolved, limit: limit)
    }

    /// Opens an explicit pair of IDX files.
    public init(imagesPath: String, labelsPath: String, classNames: [String], limit: Int? = nil) throws {
        if let limit, limit < 0 { throw DataError(.invalidArgument, path: imagesPath, "image limit \(limit) is negative") }
        let images = try IDXFile.read(path: imagesPath, expectedRank: 3)
        let labels = try IDXFile.read(path: labelsPath, expectedRank: 1)
        let n = images.dimensions[0]
        guard labels.dimensions[0] == n else {
            throw DataError(.mismatch, path: labelsPath,
                            "label count \(labels.dimensions[0]) does not match image count \(n) in \(imagesPath)")
        }
        guard images.dimensions[1] > 0, images.dimensions[2] > 0 else {
            throw DataError(.format, path: imagesPath, "image dimensions \(images.dimensions[1])x\(images.dimensions[2]) are empty")
        }
        guard !classNames.isEmpty else { throw DataError(.invalidArgument, path: labelsPath, "no class names given") }
        let used = Swift.min(n, limit ?? n)
        for i in 0..<used where Int(labels.bytes[i]) >= classNames.count {
            throw DataError(.format, path: labelsPath,
                            "label \(labels.bytes[i]) of sample \(i) is out of range 0..<\(classNames.count)")
        }
        self.imagesPath = imagesPath
        self.labelsPath = labelsPath
        self.classNames = classNames
        self.height = images.dimensions[1]
        self.width = images.dimensions[2]
        self.count = used
        self.pixels = images.bytes
        self.labels = labels.bytes
    }

    public func label(at index: Int) -> Int { Int(labels[index]) }

    public func loadImage(at index: Int) throws -> DecodedImage {
        precondition(index >= 0 && index < count, "IDXDataset: index \(index) out of range 0..<\(count)")
        let size = width * height
        return DecodedImage(width: width, height: height, channels: 1,
                            pixels: Array(pixels[(index * size)..<((index + 1) * size)]))
    }

    public func sourceDescription(at index: Int) -> String { "\(imagesPath)#\(index)" }
}
