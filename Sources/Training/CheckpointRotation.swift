import Foundation
import NN
import Support

/// The run's `last.ckpt` and the good checkpoint before it, `previous.ckpt`, and how a
/// resumed run chooses between them.
///
/// Saving: the `last.ckpt` on disk, when it is a checkpoint this process wrote and read back
/// (or resumed from), is first hard-linked to a temporary name; the new `last.ckpt` is written
/// atomically (`Checkpoint.write`) and read back (`Checkpoint.read` checks its CRC-32 over the
/// whole file and its header); only then is the temporary link renamed over `previous.ckpt`. So
/// `last.ckpt` never stops existing, `previous.ckpt` is always a whole file, and a failed save (a
/// full disk) leaves both as they were. A `last.ckpt` that reads back bad is an error naming it,
/// and `previous.ckpt` stays. When `last.ckpt` is not known to be good (a
/// fresh run over an old directory, or a run resumed from `previous.ckpt`) it is not rotated:
/// a fresh run's first save removes another run's `previous.ckpt` instead, so the fallback never
/// reaches a file of another run.
///
/// Resuming (`checkpointToResume`): `last.ckpt` when it reads; when it is corrupt (a flipped bit,
/// truncated, empty) or missing, `previous.ckpt`, saying so in one line; when neither reads, one
/// error naming both. A readable checkpoint that does not match the command line
/// (`CheckpointExpectation`: another architecture, another run) is refused, without a fallback:
/// it is not damage, and the older file would be that other run's too.
public final class CheckpointRotation {
    public let lastURL: URL
    public let previousURL: URL
    /// Whether the `last.ckpt` on disk is known good, for this run: written and read back by this
    /// process, or resumed from.
    private var lastIsGood = false
    /// Whether `previous.ckpt` belongs to this run (resumed from, or rotated by this process).
    private var previousIsThisRun = false

    public init(last: URL) {
        lastURL = last
        previousURL = last.deletingLastPathComponent().appendingPathComponent("previous.ckpt")
    }

    // MARK: resuming

    /// The checkpoint to resume from, and the line that says which (the fallback, when taken).
    public func checkpointToResume(expecting expectation: CheckpointExpectation = .any) throws -> (Checkpoint, String) {
        let fm = FileManager.default
        let hasLast = fm.fileExists(atPath: lastURL.path), hasPrevious = fm.fileExists(atPath: previousURL.path)
        guard hasLast || hasPrevious else {
            throw CheckpointError(path: lastURL.path, problem: "nothing to resume: no checkpoint here")
        }
        var lastProblem = "missing"
        if hasLast {
            do {
                let ck: Checkpoint
                do { ck = try Checkpoint.read(from: lastURL) } catch let e as CheckpointError { throw UnreadableCheckpoint(error: e) }
                try Self.require(ck, expectation)  // a readable file of another run: refused, no fallback
                lastIsGood = true
                previousIsThisRun = true
                return (ck, "resuming from \(lastURL.path): \(Self.position(ck))")
            } catch let e as UnreadableCheckpoint {
                lastProblem = e.error.problem
                guard hasPrevious else { throw e.error }
            }
        }
        let ck: Checkpoint
        do {
            ck = try Checkpoint.read(from: previousURL)
        } catch let e as CheckpointError {
            throw CheckpointError(path: lastURL.path, problem: "\(lastProblem); the previous checkpoint, \(previousURL.path), too: \(e.problem): nothing to resume from")
        }
        try Self.require(ck, expectation)
        lastIsGood = false
        previousIsThisRun = true
        return (ck, "\(lastURL.path): \(lastProblem); resuming from the previous checkpoint, \(previousURL.path): \(Self.position(ck))")
    }


    /// `last.ckpt` could not be read (damage, not a mismatch): the previous one is tried.
    private struct UnreadableCheckpoint: Error { let error: CheckpointError }

    private static func require(_ ck: Checkpoint, _ expectation: CheckpointExpectation) throws {
        if let problem = expectation.mismatch(ck.header.configuration) {
            throw CheckpointError(path: ck.path, problem: problem + " (give the settings it was saved with, or another --out)")
        }
    }

    private static func position(_ ck: Checkpoint) -> String {
        "epoch \(ck.header.state.epoch + 1), batch \(ck.header.state.batchInEpoch)"
    }

    // MARK: saving

    /// Writes each of `others` (e.g. `best.ckpt`), then `last.ckpt`, keeping the previous good
    /// `last.ckpt` as `previous.ckpt`; each file is read back and its CRC checked.
    public func save(_ header: CheckpointHeader, network: Sequential, optimizer: SGD?, alsoTo others: [URL] = []) throws {
        // The good last.ckpt, held under a temporary name until the new one is written: a failed
        // save (a full disk) leaves both files as they were.
        var held: String?
        if lastIsGood {
            held = try holdLast()
        } else if !previousIsThisRun && FileManager.default.fileExists(atPath: previousURL.path) {
            unlink(previousURL.path)  // another run's: never a fallback for this one
        }
        defer { if let held { unlink(held) } }
        // The others (best.ckpt) first: a process killed between the two writes then leaves the
        // last.ckpt of before, the resumed run redoes the same work and writes the same files.
        // The other way round, a last.ckpt past a validation beside a best.ckpt of before it is
        // never repaired: the resumed run does not validate that epoch again.
        for url in others {
            try Checkpoint.write(header, network: network, optimizer: optimizer, to: url)
            try Self.readBack(url)
        }
        try Checkpoint.write(header, network: network, optimizer: optimizer, to: lastURL)
        lastIsGood = false
        try Self.readBack(lastURL)
        lastIsGood = true
        if let temporary = held {
            guard rename(temporary, previousURL.path) == 0 else {
                throw CheckpointError(path: previousURL.path, problem: "not kept (rename: \(String(cString: strerror(errno)))); \(lastURL.path) is saved")
            }
            held = nil
            previousIsThisRun = true
        }
    }

    /// Hard-links `last.ckpt` to a temporary name beside `previous.ckpt` (a copy where the file
    /// system has no hard links); returns that name.
    private func holdLast() throws -> String {
        let temporary = previousURL.deletingLastPathComponent().appendingPathComponent(".previous.ckpt.tmp-\(getpid())").path
        unlink(temporary)
        if link(lastURL.path, temporary) != 0 {
            let linkError = String(cString: strerror(errno))
            do { try FileManager.default.copyItem(atPath: lastURL.path, toPath: temporary) } catch {
                unlink(temporary)
                throw CheckpointError(path: previousURL.path, problem: "not kept (link: \(linkError); copy: \(error.localizedDescription)); \(lastURL.path) is unchanged")
            }
        }
        return temporary
    }

    /// Reads `url` back: the CRC over the whole file and the header must check.
    static func readBack(_ url: URL) throws {
        do { _ = try Checkpoint.read(from: url) } catch let e as CheckpointError {
            throw CheckpointError(path: url.path, problem: "written, but reading it back fails (\(e.problem)): a failing disk or file system?")
        }
    }
}
