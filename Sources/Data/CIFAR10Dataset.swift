/// CIFAR-10 in its binary distribution (`cifar-10-batches-bin`): `data_batch_1.bin` …
/// `data_batch_5.bin` (train), `test_batch.bin` (test), `batches.meta.txt` (class names).
/// Each record is 1 label byte + 3072 planar RGB bytes of a 32×32 image.
public final class CIFAR10Dataset: ImageDataset, @unchecked Sendable {
    public static let defaultClassNames = ["airplane", "automobile", "bird", "cat", "deer",
                                           "dog", "frog", "horse", "ship", "truck"]
    public let classNames: [String]
    public var channels: Int { 3 }
    public let count: Int
    public let directory: String
    let records: CIFARRecords

    /// `directory` may be `cifar-10-batches-bin` itself or its parent.
    public init(directory: String, split: DatasetSplit, limit: Int? = nil) throws {
        if let limit, limit < 0 { throw DataError(.invalidArgument, path: directory, "image limit \(limit) is negative") }
        let marker = split == .train ? "data_batch_1.bin" : "test_batch.bin"
        let dir = try CIFARRecords.resolve(directory: directory, subfolder: "cifar-10-batches-bin", marker: marker)
        let names = split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
        var records = CIFARRecords(labelBytes: 1)
        for n in names { try records.append(path: FileIO.join(dir, n)) }
        let meta = FileIO.join(dir, "batches.meta.txt")
        var classNames = CIFAR10Dataset.defaultClassNames
        if FileIO.exists(meta) {
            let lines = try FileIO.readLines(meta)
            guard lines.count == 10 else {
                throw DataError(.format, path: meta, "expected 10 class names, found \(lines.count)")
            }
            classNames = lines
        }
        let n = Swift.min(records.count, limit ?? records.count)
        try records.validateLabels(byte: 0, classes: 10, upTo: n)
        self.directory = dir
        self.records = records
        self.classNames = classNames
        self.count = n
    }

    public func label(at index: Int) -> Int { records.label(record: index, byte: 0) }
    public func loadImage(at index: Int) throws -> DecodedImage {
        precondition(index >= 0 && index < count, "CIFAR10Dataset: index \(index) out of range")
        return records.image(record: index)
    }
    public func sourceDescription(at index: Int) -> String {
        let f = records.file(of: index)
        return "\(f.path)#\(f.index)"
    }

    /// Writes records in the CIFAR-10 binary format (for tests and tools).
    public static func writeBatch(labels: [Int], images: [DecodedImage], to path: String) throws {
        try FileIO.write(CIFARRecords.encode(labels: labels.map { [UInt8($0)] }, images: images), to: path)
    }
}
