import Foundation
import Kernels
import NN
import VGG

/// Everything needed to continue training exactly or to use a model: configuration,
/// preprocessing, class names, weights, running statistics, momentum buffers, schedule
/// and random states, and the position (epoch, batch) reached.
///
/// File layout: magic `VGGSWIFT`, format version (u32 LE), JSON header length (u64 LE),
/// the JSON header, then the float32 tensors named in the header, back to back, then an
/// 8-byte checksum of everything before it. Written to a temporary file, flushed and
/// renamed, so a crash or a full disk never leaves a half-written checkpoint in place.
public struct Checkpoint {
    public static let magic = Array("VGGSWIFT".utf8)
    public static let formatVersion: UInt32 = 1

    /// The JSON part.
    public struct Header: Codable {
        public var configuration: TrainingConfiguration
        public var preprocessing: Preprocessing
        public var classNames: [String]
        /// Epoch to continue from and batch index within it.
        public var epoch: Int
        public var batchInEpoch: Int
        public var sgdSteps: Int
        public var learningRate: Float
        public var scheduler: LearningRateScheduler
        public var dropoutStates: [UInt64]
        public var batchesTracked: [Int]
        public var history: [EpochMetrics]
        public var bestAccuracy: Double
        /// Partial sums of the current epoch (loss sum, correct, seen, seconds) for exact metrics after resume.
        public var epochProgress: [Double]
        /// Running training loss and accuracy during epochs: [fractional epoch, loss, accuracy] rows.
        public var batchCurve: [[Double]]
        /// (name, element count) of each stored tensor, in file order.
        public var tensors: [TensorEntry]

        enum CodingKeys: String, CodingKey {
            case configuration, preprocessing, classNames, epoch, batchInEpoch, sgdSteps, learningRate, scheduler
            case dropoutStates, batchesTracked, history, bestAccuracy, epochProgress, batchCurve, tensors
        }

        public init(configuration: TrainingConfiguration, preprocessing: Preprocessing, classNames: [String], epoch: Int,
                    batchInEpoch: Int, sgdSteps: Int, learningRate: Float, scheduler: LearningRateScheduler,
                    dropoutStates: [UInt64], batchesTracked: [Int], history: [EpochMetrics], bestAccuracy: Double,
                    epochProgress: [Double], batchCurve: [[Double]], tensors: [TensorEntry]) {
            self.configuration = configuration; self.preprocessing = preprocessing; self.classNames = classNames
            self.epoch = epoch; self.batchInEpoch = batchInEpoch; self.sgdSteps = sgdSteps; self.learningRate = learningRate
            self.scheduler = scheduler; self.dropoutStates = dropoutStates; self.batchesTracked = batchesTracked
            self.history = history; self.bestAccuracy = bestAccuracy; self.epochProgress = epochProgress
            self.batchCurve = batchCurve; self.tensors = tensors
        }

        /// Fields added after format version 1 was first written default when absent.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            configuration = try c.decode(TrainingConfiguration.self, forKey: .configuration)
            preprocessing = try c.decode(Preprocessing.self, forKey: .preprocessing)
            classNames = try c.decode([String].self, forKey: .classNames)
            epoch = try c.decode(Int.self, forKey: .epoch)
            batchInEpoch = try c.decode(Int.self, forKey: .batchInEpoch)
            sgdSteps = try c.decode(Int.self, forKey: .sgdSteps)
            learningRate = try c.decode(Float.self, forKey: .learningRate)
            scheduler = try c.decode(LearningRateScheduler.self, forKey: .scheduler)
            dropoutStates = try c.decode([UInt64].self, forKey: .dropoutStates)
            batchesTracked = try c.decode([Int].self, forKey: .batchesTracked)
            history = try c.decode([EpochMetrics].self, forKey: .history)
            bestAccuracy = try c.decode(Double.self, forKey: .bestAccuracy)
            epochProgress = try c.decode([Double].self, forKey: .epochProgress)
            batchCurve = try c.decodeIfPresent([[Double]].self, forKey: .batchCurve) ?? []
            tensors = try c.decode([TensorEntry].self, forKey: .tensors)
        }
    }

    public struct TensorEntry: Codable, Equatable {
        public var name: String
        public var count: Int
    }

    public var header: Header
    /// Tensor data by name.
    public var tensors: [String: [Float]]

    public init(header: Header, tensors: [String: [Float]]) {
        self.header = header
        self.tensors = tensors
    }

    // MARK: writing

    public func write(to url: URL) throws {
        var body = Data()
        body.append(contentsOf: Checkpoint.magic)
        withUnsafeBytes(of: Checkpoint.formatVersion.littleEndian) { body.append(contentsOf: $0) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = try encoder.encode(header)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { body.append(contentsOf: $0) }
        body.append(json)
        for e in header.tensors {
            guard let values = tensors[e.name], values.count == e.count else {
                throw CheckpointError(path: url.path, problem: "tensor \(e.name) missing or of the wrong size while saving")
            }
            values.withUnsafeBytes { body.append(contentsOf: $0) }
        }
        let sum = Checkpoint.checksum(body)
        withUnsafeBytes(of: sum.littleEndian) { body.append(contentsOf: $0) }
        try AtomicFile.write(body, to: url)
    }

    // MARK: reading

    public static func read(from url: URL) throws -> Checkpoint {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw CheckpointError(path: path, problem: "no such checkpoint file")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CheckpointError(path: path, problem: "cannot be read (\(error.localizedDescription))")
        }
        guard data.count >= 28, Array(data.prefix(8)) == magic else {
            throw CheckpointError(path: path, problem: "not a vgg-swift checkpoint (bad magic)")
        }
        func u32(_ o: Int) -> UInt32 { data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt32.self) }.littleEndian }
        func u64(_ o: Int) -> UInt64 { data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt64.self) }.littleEndian }
        let version = u32(8)
        guard version == formatVersion else {
            throw CheckpointError(path: path, problem: "format version \(version) is not supported (this build reads version \(formatVersion))")
        }
        let stored = u64(data.count - 8)
        guard checksum(data.prefix(data.count - 8)) == stored else {
            throw CheckpointError(path: path, problem: "corrupt or truncated (checksum mismatch)")
        }
        let jsonLength = Int(u64(12))
        guard jsonLength > 0, 20 + jsonLength <= data.count - 8 else {
            throw CheckpointError(path: path, problem: "header length \(jsonLength) runs past the end of the file")
        }
        let header: Header
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { header = try decoder.decode(Header.self, from: data.subdata(in: 20..<(20 + jsonLength))) } catch {
            throw CheckpointError(path: path, problem: "unreadable header (\(error))")
        }
        var offset = 20 + jsonLength
        var tensors: [String: [Float]] = [:]
        for e in header.tensors {
            let bytes = e.count * 4
            guard e.count >= 0, offset + bytes <= data.count - 8 else {
                throw CheckpointError(path: path, problem: "tensor \(e.name) runs past the end of the file")
            }
            var values = [Float](repeating: 0, count: e.count)
            _ = values.withUnsafeMutableBytes { dst in data.copyBytes(to: dst, from: offset..<(offset + bytes)) }
            tensors[e.name] = values
            offset += bytes
        }
        guard offset == data.count - 8 else {
            throw CheckpointError(path: path, problem: "\(data.count - 8 - offset) unexpected bytes after the tensors")
        }
        return Checkpoint(header: header, tensors: tensors)
    }

    /// A fast 64-bit checksum (FNV-1a over 8-byte words, then the tail bytes).
    static func checksum<D: DataProtocol>(_ data: D) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let bytes = Data(data)
        bytes.withUnsafeBytes { raw in
            let n = raw.count / 8
            for i in 0..<n {
                h ^= raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                h = h &* 0x100_0000_01b3
                h ^= h >> 29
            }
            for i in (n * 8)..<raw.count { h ^= UInt64(raw[i]); h = h &* 0x100_0000_01b3 }
        }
        return h
    }
}

/// A checkpoint that cannot be read, written or used, naming the file.
public struct CheckpointError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}

/// Writes a file atomically: a temporary file in the same directory, flushed to disk,
/// then renamed over the target. On any failure the temporary is removed and the
/// previous file is left as it was.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent().path
        let tmp = (dir as NSString).appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw CheckpointError(path: url.path, problem: "not saved (cannot create \(tmp): \(String(cString: strerror(errno)))); the previous file is unchanged")
        }
        var ok = true
        var problem = ""
        data.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let r = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                if r <= 0 { ok = false; problem = String(cString: strerror(errno)); return }
                written += r
            }
        }
        if ok && fsync(fd) != 0 { ok = false; problem = "fsync: " + String(cString: strerror(errno)) }
        if close(fd) != 0 && ok { ok = false; problem = "close: " + String(cString: strerror(errno)) }
        if ok && rename(tmp, url.path) != 0 { ok = false; problem = "rename: " + String(cString: strerror(errno)) }
        if !ok {
            unlink(tmp)
            throw CheckpointError(path: url.path, problem: "not saved (\(problem)); the previous file is unchanged")
        }
    }
}
