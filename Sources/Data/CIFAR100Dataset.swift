/// CIFAR-100 in its binary distribution (`cifar-100-binary`): `train.bin`, `test.bin`,
/// optional `fine_label_names.txt` / `coarse_label_names.txt`. Each record is a coarse label
/// byte, a fine label byte and 3072 planar RGB bytes of a 32×32 image.
public final class CIFAR100Dataset: ImageDataset, @unchecked Sendable {
    /// Which of the two label sets to expose.
    public enum LabelKind: String, Sendable { case fine, coarse }

    public static let defaultFineClassNames = [
        "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
        "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
        "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
        "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
        "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
        "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
        "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
        "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
        "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
        "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
    ]
    public static let defaultCoarseClassNames = [
        "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables",
        "household_electrical_devices", "household_furniture", "insects", "large_carnivores",
        "large_man-made_outdoor_things", "large_natural_outdoor_scenes", "large_omnivores_and_herbivores",
        "medium_mammals", "non-insect_invertebrates", "people", "reptiles", "small_mammals", "trees",
        "vehicles_1", "vehicles_2",
    ]

    public let classNames: [String]
    public var channels: Int { 3 }
    public let count: Int
    public let labelKind: LabelKind
    public let directory: String
    let records: CIFARRecords

    /// `directory` may be `cifar-100-binary` itself or its parent.
    public init(directory: String, split: DatasetSplit, labelKind: LabelKind = .fine, limit: Int? = nil) throws {
        if let limit, limit < 0 { throw DataError(.invalidArgument, path: directory, "image limit \(limit) is negative") }
        let file = split == .train ? "train.bin" : "test.bin"
        let dir = try CIFARRecords.resolve(directory: directory, subfolder: "cifar-100-binary", marker: file)
        var records = CIFARRecords(labelBytes: 2)
        try records.append(path: FileIO.join(dir, file))
        let classes = labelKind == .fine ? 100 : 20
        let namesFile = FileIO.join(dir, labelKind == .fine ? "fine_label_names.txt" : "coarse_label_names.txt")
        var names = labelKind == .fine ? CIFAR100Dataset.defaultFineClassNames : CIFAR100Dataset.defaultCoarseClassNames
        if FileIO.exists(namesFile) {
            let lines = try FileIO.readLines(namesFile)
            guard lines.count == classes else {
                throw DataError(.format, path: namesFile, "expected \(classes) class names, found \(lines.count)")
            }
            names = lines
        }
        let n = Swift.min(records.count, limit ?? records.count)
        try records.validateLabels(byte: 0, classes: 20, upTo: n)
        try records.validateLabels(byte: 1, classes: 100, upTo: n)
        self.directory = dir
        self.records = records
        self.labelKind = labelKind
        self.classNames = names
        self.count = n
    }

    public func label(at index: Int) -> Int { records.label(record: index, byte: labelKind == .fine ? 1 : 0) }
    /// The coarse (super-class) label of sample `index`, whatever `labelKind` is.
    public func coarseLabel(at index: Int) -> Int { records.label(record: index, byte: 0) }
    /// The fine label of sample `index`, whatever `labelKind` is.
    public func fineLabel(at index: Int) -> Int { records.label(record: index, byte: 1) }
    public func loadImage(at index: Int) throws -> DecodedImage {
        precondition(index >= 0 && index < count, "CIFAR100Dataset: index \(index) out of range")
        return records.image(record: index)
    }
    public func sourceDescription(at index: Int) -> String {
        let f = records.file(of: index)
        return "\(f.path)#\(f.index)"
    }

    /// Writes records in the CIFAR-100 binary format (for tests and tools).
    public static func writeFile(coarseLabels: [Int], fineLabels: [Int], images: [DecodedImage], to path: String) throws {
        let labels = zip(coarseLabels, fineLabels).map { [UInt8($0.0), UInt8($0.1)] }
        try FileIO.write(CIFARRecords.encode(labels: labels, images: images), to: path)
    }
}
