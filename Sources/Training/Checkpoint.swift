import Foundation
import NN
import Tensors
import VGG
import SafeTensorsFormat
import PyTorchFormat

/// Everything needed to continue training exactly or to use a model: the header
/// (configuration, preprocessing, class names, training state) and the weights, running
/// statistics and momentum buffers.
///
/// The file is a safetensors file, so other tools read it (`safetensors.torch.load_file`):
/// the network's tensors under torchvision's names (`features.0.weight`,
/// `features.1.running_mean`, `features.1.num_batches_tracked` as I64, …), the momentum
/// buffers as `momentum.<name>`, and in the metadata the header as JSON
/// (`vgg-swift.checkpoint`) and a CRC-32 of the whole file (`vgg-swift.crc32`).
///
/// Writing streams the tensors from the backend's memory into a temporary file that is
/// flushed and renamed (`SafeTensorsWriter`): no copy of the model is made, and a crash
/// or a full disk never leaves a half-written checkpoint in place. Reading maps the file,
/// checks the CRC, and copies each tensor straight into the network. Checkpoints of the
/// earlier format (version 1, `LegacyCheckpoint`) are read too.
public struct Checkpoint {
    public static let formatVersion = 2
    static let headerKey = "vgg-swift.checkpoint"
    static let checksumKey = "vgg-swift.crc32"
    /// Prefix of the momentum buffers' names.
    public static let momentumPrefix = "momentum."

    public let path: String
    public var header: CheckpointHeader
    private let file: SafeTensorsFile?
    private let legacy: LegacyCheckpoint?

    // MARK: writing

    /// Writes `network`'s tensors (and `optimizer`'s momentum) with `header` to `url`, atomically.
    public static func write(_ header: CheckpointHeader, network: Sequential, optimizer: SGD? = nil, to url: URL) throws {
        var entries: [(name: String, source: SafeTensorsWriter.Source)] = []
        for (name, p) in network.namedParameters + network.namedBuffers { entries.append((name, .tensor(p.value))) }
        for (name, layer) in network.layers {
            if let bn = layer as? BatchNorm2d { entries.append(("\(name).num_batches_tracked", .integer(Int64(bn.batchesTracked)))) }
        }
        if let optimizer {
            for (name, p) in network.namedParameters {
                guard let m = optimizer.momentum(of: p) else { continue }
                entries.append((momentumPrefix + name, .tensor(m)))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = String(decoding: try encoder.encode(header), as: UTF8.self)
        do {
            try SafeTensorsWriter.write(entries, metadata: ["format": "pt", headerKey: json], checksumKey: checksumKey, to: url.path)
        } catch let e as SafeTensorsError {
            throw CheckpointError(path: url.path, problem: e.problem)
        }
    }

    // MARK: reading

    /// Opens a checkpoint (either format) and checks its integrity; tensors are read on demand.
    /// The header is checked too: the network it describes must be one that can be built and
    /// whose values the file holds (so that a header claiming a huge network allocates nothing),
    /// and its preprocessing must make pipelines (`Preprocessing.problem`).
    public static func read(from url: URL) throws -> Checkpoint {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw CheckpointError(path: path, problem: "no such checkpoint file") }
        if LegacyCheckpoint.isLegacy(url) {
            let old = try LegacyCheckpoint.read(from: url)
            return try Checkpoint(path: path, header: old.header, file: nil, legacy: old).checked()
        }
        if let head = try? FileHandle(forReadingFrom: url).read(upToCount: 4),
           WeightsFile.format(of: head) != .safetensors {
            throw CheckpointError(path: path, problem: "a PyTorch .pth file, not a checkpoint (a state_dict? make a checkpoint of it with `vgg import --weights`)")
        }
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(contentsOf: url) } catch let e as SafeTensorsError {
            throw CheckpointError(path: path, problem: "not a readable checkpoint (\(e.problem))")
        }
        guard let json = file.metadata[headerKey] else {
            throw CheckpointError(path: path, problem: "a safetensors file without a vgg-swift header: not a checkpoint (weights only? try `vgg import`)")
        }
        guard file.verifyChecksum(key: checksumKey) == true else {
            throw CheckpointError(path: path, problem: "corrupt or truncated (checksum mismatch)")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let header: CheckpointHeader
        do { header = try decoder.decode(CheckpointHeader.self, from: Data(json.utf8)) } catch {
            throw CheckpointError(path: path, problem: "unreadable header (\(error))")
        }
        guard header.formatVersion == formatVersion else {
            throw CheckpointError(path: path, problem: "format version \(header.formatVersion) is not supported (this build reads versions 1 and \(formatVersion))")
        }
        return try Checkpoint(path: path, header: header, file: file, legacy: nil).checked()
    }

    /// Self, after checking that the header describes a network this file can fill and
    /// preprocessing that makes pipelines.
    private func checked() throws -> Checkpoint {
        let model = header.configuration.model
        let needed: Int
        do { needed = try VGGBuilder.storedValueCount(model) } catch {
            throw CheckpointError(path: path, problem: "describes a network that cannot be built: \(error)")
        }
        guard needed <= storedValueCount else {
            throw CheckpointError(path: path, problem: "describes \(model.summaryLine), a network of \(needed) values, but holds only \(storedValueCount): corrupt, or not this network's checkpoint")
        }
        if let problem = header.preprocessing.problem { throw CheckpointError(path: path, problem: "unusable preprocessing: \(problem)") }
        return self
    }

    /// How many values the file's tensors hold in all.
    public var storedValueCount: Int {
        if let file { return file.header.entries.reduce(0) { $0 + $1.count } }
        return legacy!.tensors.values.reduce(0) { $0 + $1.count }
    }

    /// Names of the stored tensors, in file order.
    public var tensorNames: [String] { file?.names ?? legacy!.tensors.keys.sorted() }

    /// A host copy of one stored tensor's values.
    public func values(_ name: String) throws -> [Float] {
        if let file {
            do { return try file.values(name) } catch let e as SafeTensorsError { throw CheckpointError(path: path, problem: e.problem) }
        }
        guard let v = legacy!.tensors[name] else { throw CheckpointError(path: path, problem: "no tensor '\(name)'") }
        return v
    }

    /// Copies the weights, running statistics and BatchNorm batch counts into `network`,
    /// after checking that every tensor is present with the right size (all problems named).
    public func loadModel(into network: Sequential) throws {
        var problems: [String] = []
        var pairs: [(String, Parameter)] = []
        for (name, p) in network.namedParameters + network.namedBuffers {
            let key = legacy == nil ? name : (p.isTrainable ? "param." : "buffer.") + name
            guard let n = count(of: key) else { problems.append("missing \(name)"); continue }
            guard n == p.count else { problems.append("\(name) has \(n) values, the network needs \(p.count) (shape \(p.shape))"); continue }
            pairs.append((key, p))
        }
        guard problems.isEmpty else {
            throw CheckpointError(path: path, problem: "does not fit this network: " + problems.prefix(8).joined(separator: "; "))
        }
        for (key, p) in pairs { try load(key, into: p.value) }
        if let legacy {
            for (bn, n) in zip(network.batchNormLayers, legacy.batchesTracked) { bn.batchesTracked = n }
        } else {
            for (name, layer) in network.layers {
                guard let bn = layer as? BatchNorm2d, let v = try? values("\(name).num_batches_tracked").first else { continue }
                guard let n = TorchvisionStateDict.batchCount(v) else {
                    throw CheckpointError(path: path, problem: "\(name).num_batches_tracked is \(v), not a count")
                }
                bn.batchesTracked = n
            }
        }
    }

    /// Copies the momentum buffers into `optimizer` (whose store is `network`'s).
    public func loadOptimizer(into optimizer: SGD, network: Sequential) throws {
        if let legacy {
            guard let m = legacy.tensors["momentum"], m.count == optimizer.momentumBuffer.count else { return }
            optimizer.momentumBuffer.copy(from: m)
            return
        }
        for (name, p) in network.namedParameters {
            guard let m = optimizer.momentum(of: p), count(of: Self.momentumPrefix + name) != nil else { continue }
            try load(Self.momentumPrefix + name, into: m)
        }
    }

    private func count(of name: String) -> Int? {
        if let file { return file.entry(name)?.count }
        return legacy!.tensors[name]?.count
    }

    private func load(_ name: String, into tensor: Tensor) throws {
        if let file {
            do { try file.load(name, into: tensor) } catch let e as SafeTensorsError { throw CheckpointError(path: path, problem: e.problem) }
        } else {
            tensor.copy(from: legacy!.tensors[name]!)
        }
    }
}
