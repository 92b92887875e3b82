import SafeTensorsFormat
/// A value on the stack of `RestrictedUnpickler`: the plain data a pickle can hold, a
/// reference to an allowed global (never resolved to code), and the two things a PyTorch
/// state_dict builds from them, storages and tensor views.
///
/// Lists and dicts are shared references (`PickleList`, `PickleDict`), as in Python: a
/// memoised dict that is filled after it was memoised is the same dict wherever it is fetched.
public indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// `module.name` of a GLOBAL or STACK_GLOBAL that the allow-list let through.
    case global(module: String, name: String)
    /// A storage named by a persistent id (its bytes are a separate archive entry).
    case storage(TorchStorageReference)
    /// A tensor view of a storage (`torch._utils._rebuild_tensor_v2`).
    case tensor(TorchTensorReference)

    /// The kind of value, for error messages ("a dict", "the global os.system", ...).
    public var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "a bool"
        case .int: return "an int"
        case .float: return "a float"
        case .string: return "a string"
        case .bytes: return "bytes"
        case .tuple(let t): return "a tuple of \(t.count)"
        case .list: return "a list"
        case .dict: return "a dict"
        case .global(let m, let n): return "the global \(m).\(n)"
        case .storage: return "a storage"
        case .tensor: return "a tensor"
        }
    }
}

/// A pickled list (shared by reference, see `PickleValue`).
public final class PickleList {
    public var items: [PickleValue] = []
    /// Nesting depth (for `RestrictedUnpickler`'s limit) and whether it was put in another
    /// container, after which the reader refuses to change it.
    var depth = 1, sealed = false
    public init() {}
}

/// A pickled dict (or `collections.OrderedDict`), in insertion order; a key set twice keeps
/// its first position and its last value, as in Python. Keys that are neither strings nor
/// ints are kept as given, without replacement.
public final class PickleDict {
    public private(set) var items: [(key: PickleValue, value: PickleValue)] = []
    private var stringIndex: [String: Int] = [:]
    private var intIndex: [Int: Int] = [:]
    /// As `PickleList`'s.
    var depth = 1, sealed = false

    public init() {}

    public func set(_ key: PickleValue, _ value: PickleValue) {
        switch key {
        case .string(let s):
            if let i = stringIndex[s] { items[i].value = value; return }
            stringIndex[s] = items.count
        case .int(let n):
            if let i = intIndex[n] { items[i].value = value; return }
            intIndex[n] = items.count
        default: break
        }
        items.append((key, value))
    }

    public subscript(key: String) -> PickleValue? { stringIndex[key].map { items[$0].value } }
}
