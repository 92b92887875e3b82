import SafeTensorsFormat
import Foundation
import Support

/// Reads the tensors of a state_dict saved with `torch.save` (the zip format PyTorch has
/// written since 1.6) without Python and without running anything the file says.
///
/// The archive (a `PyTorchArchive`, read with ZIPFoundation) holds `<prefix>/data.pkl` (the pickled dict), `<prefix>/data/<key>` (one entry
/// of raw little-endian bytes per storage), `<prefix>/byteorder` and `<prefix>/version`.
/// `data.pkl` is read by a `RestrictedUnpickler` that lets through only the globals a
/// state_dict is made of: `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`,
/// `torch._utils._rebuild_parameter` and the storage classes (`torch.FloatStorage`,
/// `torch.HalfStorage`, `torch.BFloat16Storage`, `torch.LongStorage`, ...). Any other global
/// (such as `os.system` in a malicious file) is refused with an error naming it.
///
/// Tensors are views of storages with an offset, sizes and strides; non-contiguous views and
/// storages shared by several tensors are read as PyTorch would. F32, F16, BF16 (and F64 and
/// the integer types, for `num_batches_tracked`) are converted to Float.
///
/// Files in the legacy format (before PyTorch 1.6, or `_use_new_zipfile_serialization=False`)
/// are refused with a message saying how to re-save them.
public enum PyTorchFile {
    /// The globals `data.pkl` may name.
    public static let allowedGlobals: Set<String> = Set(
        ["collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter"]
            + TorchStorageReference.storageTypes.keys.map { "torch.\($0)" })

    /// How many elements the views of a file may copy out of their storages beyond the
    /// storages' own elements (64 MiB of Float): room for overlapping views such as `expand`'s.
    public static let maxExtraElements = 1 << 24

    /// Whether `data` begins as a zip archive does (`PK\3\4`), as `torch.save` files do.
    public static func hasZipSignature(_ data: Data) -> Bool { PyTorchArchive.hasSignature(data) }

    /// Whether `data` is a `torch.save` file of the legacy format: a bare pickle (protocol 2)
    /// starting with PyTorch's magic number, which a LONG1 opcode of 10 bytes holds.
    public static func isLegacyFormat(_ data: Data) -> Bool {
        data.count >= 4 && data.prefix(4).elementsEqual([0x80, 0x02, 0x8A, 0x0A])
    }

    /// Reads every tensor of the state_dict in the file at `url`: the archive is read from the
    /// file entry by entry (the storages one at a time), never whole.
    public static func read(contentsOf url: URL) throws -> [String: SafeTensor] {
        let data = try FileContents.read(url, options: .mappedIfSafe) { PyTorchFileError(path: url.path, problem: $0) }
        try checkSignature(data, path: url.path)
        return try read(try PyTorchArchive(contentsOf: url), path: url.path)
    }

    /// Reads every tensor of the state_dict held in `data`; `path` names the file in errors.
    public static func read(data: Data, path: String) throws -> [String: SafeTensor] {
        try checkSignature(data, path: path)
        return try read(try PyTorchArchive(data: data, path: path), path: path)
    }

    static func read(_ archive: PyTorchArchive, path: String) throws -> [String: SafeTensor] {
        let (prefix, references) = try tensorReferences(archive, path: path)
        var tensors: [String: SafeTensor] = [:]
        // Storages shared by several tensors are decoded once, and dropped after their last view.
        var storages: [String: [Float]] = [:]
        var uses: [String: Int] = [:]
        for (_, t) in references { uses[t.storage.key, default: 0] += 1 }
        let order = try byteOrder(archive, prefix: prefix, path: path)
        for (name, t) in references {
            let key = t.storage.key
            let values = try storages[key] ?? storageValues(t.storage, prefix: prefix, byteOrder: order, archive: archive, path: path)
            uses[key]! -= 1
            storages[key] = uses[key]! > 0 ? values : nil
            tensors[name] = SafeTensor(shape: t.shape, values: t.gather(from: values))
        }
        return tensors
    }

    /// The archive, its record prefix and the state_dict's tensors (name and view, in the
    /// file's order), checked against their storages' sizes but not yet read.
    public static func tensorReferences(data: Data, path: String) throws
        -> (archive: PyTorchArchive, prefix: String, tensors: [(name: String, tensor: TorchTensorReference)]) {
        try checkSignature(data, path: path)
        let archive = try PyTorchArchive(data: data, path: path)
        let (prefix, tensors) = try tensorReferences(archive, path: path)
        return (archive, prefix, tensors)
    }

    /// Refuses files that are not zip archives, saying what they are if they are legacy PyTorch files.
    static func checkSignature(_ data: Data, path: String) throws {
        func fail(_ problem: String) -> PyTorchFileError { PyTorchFileError(path: path, problem: problem) }
        if isLegacyFormat(data) {
            throw fail("a PyTorch file in the legacy format (before PyTorch 1.6), which is not read here: re-save it with a recent "
                       + "PyTorch, e.g. torch.save(torch.load(\"old.pth\"), \"new.pth\"), or as safetensors")
        }
        guard hasZipSignature(data) else {
            throw fail("not a PyTorch zip file (torch.save since 1.6) nor a safetensors file: it does not start with PK\\3\\4")
        }
    }

    static func tensorReferences(_ archive: PyTorchArchive, path: String) throws
        -> (prefix: String, tensors: [(name: String, tensor: TorchTensorReference)]) {
        func fail(_ problem: String) -> PyTorchFileError { PyTorchFileError(path: path, problem: problem) }
        // Like PyTorch's reader: the prefix is the directory of the first entry ("archive" or the file's stem).
        guard let first = archive.entries.first, let slash = first.name.firstIndex(of: "/") else {
            throw fail("not a PyTorch file: the zip archive has no <prefix>/data.pkl")
        }
        let prefix = String(first.name[..<slash])
        guard let pickleEntry = archive.entry(named: "\(prefix)/data.pkl") else {
            throw fail("not a PyTorch file: the zip archive has no \(prefix)/data.pkl")
        }
        let pickle = try archive.withContents(of: pickleEntry) { Array($0) }

        var unpickler = RestrictedUnpickler(allowedGlobals: allowedGlobals, reduce: reduce)
        unpickler.build = { object, state in
            // OrderedDict's instance dict (state_dict's `_metadata`, layer versions): not needed.
            guard case .dict = object else { throw PickleError.refused("BUILD (setting the state of \(object.kind))") }
            return object
        }
        unpickler.persistentLoad = persistentLoad
        let root: PickleValue
        do { root = try unpickler.load(pickle) } catch let e as PickleError {
            if case .refusedGlobal(let name, _) = e {
                throw fail("refused: \(prefix)/data.pkl names the global \(name), which a state_dict does not need "
                           + "(allowed: \(allowedGlobals.sorted().joined(separator: ", "))). The file may be malicious; nothing in it was executed")
            }
            throw fail("\(prefix)/data.pkl: \(e)")
        }

        let tensors = try stateDict(root, path: path)
        for (name, t) in tensors {
            if let problem = t.problem() { throw fail("tensor '\(name)': \(problem)") }
            guard let entry = archive.entry(named: "\(prefix)/data/\(t.storage.key)") else {
                throw fail("tensor '\(name)': its storage \(prefix)/data/\(t.storage.key) is missing from the archive (truncated?)")
            }
            let (bytes, overflow) = t.storage.count.multipliedReportingOverflow(by: t.storage.dtype.bytes)
            guard !overflow, entry.uncompressedSize == bytes else {
                throw fail("tensor '\(name)': storage \(t.storage.key) has \(entry.uncompressedSize) bytes, "
                           + "but \(t.storage.count) elements of \(t.storage.dtype.rawValue) need \(overflow ? "too many" : String(bytes))")
            }
        }
        // A view of a whole storage shares its values; every other view is copied out, and
        // views that overlap (a stride of 0, as `expand` makes) can hold more elements than
        // their storage. Copies beyond the storages' own size plus `maxExtraElements` are
        // refused: many views of one storage would otherwise make a small file ask for any
        // amount of memory.
        func sum(_ a: Int, _ b: Int) -> Int { let (s, overflow) = a.addingReportingOverflow(b); return overflow ? .max : s }
        var storageElements: [String: Int] = [:]
        for (_, t) in tensors { storageElements[t.storage.key] = t.storage.count }
        let limit = sum(storageElements.values.reduce(0, sum), maxExtraElements)
        var copied = 0
        for (name, t) in tensors where !(t.offset == 0 && t.count == t.storage.count && t.isContiguous) {
            copied = sum(copied, t.count)
            guard copied <= limit else {
                throw fail("tensor '\(name)': the views up to it copy \(copied) elements out of their storages, more than the storages' "
                           + "\(limit - maxExtraElements) elements plus \(maxExtraElements): views that overlap this much are not read")
            }
        }
        return (prefix, tensors)
    }

    // MARK: the pickle's operations

    /// REDUCE of an allowed callable.
    static func reduce(_ module: String, _ name: String, _ args: [PickleValue]) throws -> PickleValue {
        switch "\(module).\(name)" {
        case "collections.OrderedDict":
            let d = PickleDict()
            if args.isEmpty { return .dict(d) }
            // OrderedDict([(k, v), ...])
            guard args.count == 1, case .list(let pairs) = args[0] else { throw PickleError.refused("OrderedDict with arguments \(args.map(\.kind))") }
            for pair in pairs.items {
                guard case .tuple(let kv) = pair, kv.count == 2 else { throw PickleError.refused("OrderedDict item \(pair.kind)") }
                d.set(kv[0], kv[1])
            }
            return .dict(d)
        case "torch._utils._rebuild_tensor_v2":
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard args.count == 6 || args.count == 7, case .storage(let storage) = args[0], case .int(let offset) = args[1],
                  let shape = ints(args[2]), let strides = ints(args[3]) else {
                throw PickleError.refused("_rebuild_tensor_v2 with arguments (\(args.map(\.kind).joined(separator: ", ")))")
            }
            return .tensor(TorchTensorReference(storage: storage, offset: offset, shape: shape, strides: strides))
        case "torch._utils._rebuild_parameter":
            // (data, requires_grad, backward_hooks)
            guard args.count == 3, case .tensor = args[0] else {
                throw PickleError.refused("_rebuild_parameter with arguments (\(args.map(\.kind).joined(separator: ", ")))")
            }
            return args[0]
        default:
            throw PickleError.refused("calling \(module).\(name) (REDUCE)")
        }
    }

    /// BINPERSID: `('storage', torch.FloatStorage, key, location, numel)`.
    static func persistentLoad(_ id: PickleValue) throws -> PickleValue {
        guard case .tuple(let t) = id, t.count == 5, case .string("storage") = t[0] else {
            throw PickleError.refused("the persistent id \(id.kind) (only ('storage', type, key, location, numel) is read)")
        }
        guard case .global("torch", let typeName) = t[1], let dtype = TorchStorageReference.storageTypes[typeName] else {
            throw PickleError.refused("a storage of type \(t[1].kind)")
        }
        guard case .string(let key) = t[2], !key.contains("/"), !key.contains(".."), case .string(let location) = t[3],
              case .int(let count) = t[4], count >= 0 else {
            throw PickleError.refused("a storage id of (\(t.map(\.kind).joined(separator: ", ")))")
        }
        return .storage(TorchStorageReference(key: key, dtype: dtype, count: count, location: location))
    }

    static func ints(_ v: PickleValue) -> [Int]? {
        guard case .tuple(let items) = v else { return nil }
        var out: [Int] = []
        for item in items {
            guard case .int(let n) = item else { return nil }
            out.append(n)
        }
        return out
    }

    /// The name → tensor pairs of the unpickled root: a dict whose values are all tensors, or
    /// a checkpoint dict holding one under "state_dict" or "model".
    static func stateDict(_ root: PickleValue, path: String) throws -> [(name: String, tensor: TorchTensorReference)] {
        func tensors(_ v: PickleValue) -> (pairs: [(name: String, tensor: TorchTensorReference)], problem: String?) {
            guard case .dict(let d) = v else { return ([], "the file holds \(v.kind), not a state_dict") }
            var out: [(name: String, tensor: TorchTensorReference)] = []
            for (key, value) in d.items {
                guard case .string(let name) = key else { return ([], "a key is \(key.kind), not a tensor name") }
                guard case .tensor(let t) = value else { return ([], "'\(name)' holds \(value.kind), not a tensor") }
                out.append((name, t))
            }
            return (out, nil)
        }
        let top = tensors(root)
        guard let problem = top.problem else { return top.pairs }
        if case .dict(let d) = root {
            for key in ["state_dict", "model"] {
                if let inner = d[key] {
                    let nested = tensors(inner)
                    if nested.problem == nil { return nested.pairs }
                }
            }
        }
        throw PyTorchFileError(path: path, problem: "not a state_dict of tensors: \(problem)")
    }

    // MARK: storages

    static func byteOrder(_ archive: PyTorchArchive, prefix: String, path: String) throws -> String {
        guard archive.entry(named: "\(prefix)/byteorder") != nil else { return "little" } // files before PyTorch 1.10 say nothing
        let text = String(decoding: try archive.contents(of: "\(prefix)/byteorder"), as: UTF8.self)
        guard text == "little" || text == "big" else { throw PyTorchFileError(path: path, problem: "unknown byte order '\(text)'") }
        return text
    }

    static func storageValues(_ s: TorchStorageReference, prefix: String, byteOrder: String, archive: PyTorchArchive, path: String) throws -> [Float] {
        let entry = archive.entry(named: "\(prefix)/data/\(s.key)")!
        return try archive.withContents(of: entry) { raw in
            if byteOrder == "little" || s.dtype.bytes == 1 {
                return SafeTensors.decode(raw, at: 0, count: s.count, dtype: s.dtype)
            }
            var swapped = [UInt8](raw)
            let w = s.dtype.bytes
            for i in stride(from: 0, to: swapped.count / w * w, by: w) { swapped[i..<(i + w)].reverse() }
            return swapped.withUnsafeBytes { SafeTensors.decode($0, at: 0, count: s.count, dtype: s.dtype) }
        }
    }
}
