import SafeTensorsFormat
/// A storage of a `torch.save` file as its persistent id names it:
/// `('storage', torch.FloatStorage, '0', 'cpu', 1728)` → key `0` (the archive entry
/// `<prefix>/data/0`), element type F32, 1728 elements. Two tensors that view one storage
/// hold the same key.
public struct TorchStorageReference: Equatable, Sendable {
    public let key: String
    public let dtype: SafeTensors.DType
    public let count: Int
    /// Where the storage lived when it was saved (`cpu`, `cuda:0`, ...): informative only.
    public let location: String

    public init(key: String, dtype: SafeTensors.DType, count: Int, location: String) {
        self.key = key
        self.dtype = dtype
        self.count = count
        self.location = location
    }

    /// The storage classes a state_dict's tensors are saved with, and their element types.
    /// All are plain data (no code runs to make them); anything else is refused.
    public static let storageTypes: [String: SafeTensors.DType] = [
        "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16, "DoubleStorage": .f64,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool,
    ]
}
