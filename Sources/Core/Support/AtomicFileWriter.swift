import Foundation

/// Writes a file atomically, streamed: the bytes go to a temporary file in the same
/// directory, which `commit` flushes to disk and renames over the target. Until then the
/// target is untouched; on any failure (or `abort`, or when the writer is dropped without
/// a commit) the temporary file is removed. Nothing is buffered here beyond what `write`
/// is given, so a large file (a checkpoint) costs no memory of its own.
public final class AtomicFileWriter {
    public let path: String
    public let temporaryPath: String
    private var fd: Int32
    /// Bytes written so far.
    public private(set) var offset: Int = 0

    public init(path: String) throws {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !base.isEmpty else { throw AtomicFileError(path: path, reason: "the path names a directory, not a file") }
        temporaryPath = (directory.isEmpty ? "/" : directory + "/") + ".\(base).tmp-\(getpid())"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw AtomicFileError(path: path, reason: "cannot create \(temporaryPath): \(String(cString: strerror(errno)))")
        }
    }

    deinit { if fd >= 0 { abort() } }

    /// Removes the temporary files that processes no longer running left beside `path`
    /// (killed while writing it); returns their paths. The target itself is never touched.
    @discardableResult
    public static func removeLeftovers(of path: String) -> [String] {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let prefix = "." + (slash.map { String(path[path.index(after: $0)...]) } ?? path) + ".tmp-"
        let folder = directory.isEmpty ? "/" : directory
        var removed: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(prefix) {
            guard let pid = pid_t(name.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0 && errno == ESRCH else { continue }
            let leftover = (folder as NSString).appendingPathComponent(name)
            if unlink(leftover) == 0 { removed.append(leftover) }
        }
        return removed
    }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try write(bytes, at: nil)
        offset += bytes.count
    }

    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
    public func write(_ data: Data) throws { try data.withUnsafeBytes { try write($0) } }

    /// Overwrites bytes already written at `position` (e.g. a checksum reserved in a header).
    public func overwrite(_ bytes: [UInt8], at position: Int) throws {
        precondition(position >= 0 && position + bytes.count <= offset, "overwrite past the bytes written")
        try bytes.withUnsafeBytes { try write($0, at: position) }
    }

    private func write(_ bytes: UnsafeRawBufferPointer, at position: Int?) throws {
        precondition(fd >= 0, "write after commit or abort")
        var done = 0
        while done < bytes.count {
            let n = position.map { pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t($0 + done)) }
                ?? Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason = n < 0 ? String(cString: strerror(errno)) : "short write"
                abort()
                throw AtomicFileError(path: path, reason: reason)
            }
            done += n
        }
    }

    /// Flushes the file to disk and renames it over the target.
    public func commit() throws {
        precondition(fd >= 0, "commit after commit or abort")
        var reason: String?
        if fsync(fd) != 0 { reason = "fsync: " + String(cString: strerror(errno)) }
        if close(fd) != 0 && reason == nil { reason = "close: " + String(cString: strerror(errno)) }
        fd = -1
        if reason == nil && rename(temporaryPath, path) != 0 { reason = "rename: " + String(cString: strerror(errno)) }
        if let reason {
            unlink(temporaryPath)
            throw AtomicFileError(path: path, reason: reason)
        }
    }

    /// Gives up: removes the temporary file; the target stays as it was.
    public func abort() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(temporaryPath)
    }
}
