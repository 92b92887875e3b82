import Foundation
import Support
import Tensors

extension Communicator {
    /// Runs `body` on every process; when it fails on any of them, every process fails (the
    /// failing ones with their own error, the others naming them) instead of waiting for
    /// them forever at the next collective operation.
    func together<T>(_ what: String, _ body: () throws -> T) throws -> T {
        var result: Result<T, Error>
        do { result = .success(try body()) } catch { result = .failure(error) }
        guard size > 1 else { return try result.get() }
        let failed = try allGather(result.isFailure ? 1 : 0, label: what)
        let ranks = failed.indices.filter { failed[$0] != 0 }
        if case let .failure(error) = result { throw error }
        guard ranks.isEmpty else {
            throw DistributedError(rank: rank, "\(ranks.map { name(ofRank: $0) }.joined(separator: ", ")) failed while \(what) (see \(ranks.count > 1 ? "their messages" : "its message"))")
        }
        return try result.get()
    }

    /// Whether `flag` is true on any process (every process gets the same answer).
    func anyProcess(_ flag: Bool, label: String) throws -> Bool {
        guard size > 1 else { return flag }
        return try allReduceSum([flag ? 1 : 0], label: label)[0] > 0
    }

    /// Checks that every process has the same `value` (a fingerprint of what must agree),
    /// naming the processes that differ from rank 0.
    func agree(on value: UInt64, what: String) throws {
        guard size > 1 else { return }
        let all = try allGather(value, label: "comparing \(what)")
        let differing = all.indices.filter { all[$0] != all[0] }
        guard differing.isEmpty else {
            throw DistributedError(rank: rank, "\(differing.map { name(ofRank: $0) }.joined(separator: ", ")) \(differing.count > 1 ? "differ" : "differs") from \(name(ofRank: 0)) in \(what): start every process with the same binary, options and data")
        }
    }
}

/// A 64-bit digest of everything the processes of one run must share.
enum Fingerprint {
    static func of(_ configuration: TrainingConfiguration, _ preprocessing: Preprocessing, extra: UInt64) throws -> UInt64 {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var crc = CRC32()
        crc.update(Array(try encoder.encode(configuration)))
        var second = CRC32()
        second.update(Array(try encoder.encode(preprocessing)))
        return SplitMix64.hash(UInt64(crc.value), UInt64(second.value), extra)
    }
}

extension Result {
    var isFailure: Bool { if case .failure = self { return true } else { return false } }
}
