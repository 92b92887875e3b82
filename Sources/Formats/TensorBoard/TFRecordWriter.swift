import Foundation

/// Appends TFRecord records to a file, each in one `write` straight to the file descriptor
/// (no buffering in the process), so that a run killed at any moment keeps every record it
/// wrote before.
public final class TFRecordWriter {
    public let path: String
    private let handle: FileHandle

    /// Opens `url` for appending, creating it when it does not exist.
    public init(appendingTo url: URL) throws {
        path = url.path
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw TFRecordError(path: path, problem: "cannot be created (is the directory writable?)")
            }
        }
        do {
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch {
            throw TFRecordError(path: path, problem: "cannot be opened for appending (\(error.localizedDescription))")
        }
    }

    deinit { try? handle.close() }

    /// Appends one record holding `data`.
    public func write(_ data: [UInt8]) throws {
        do { try handle.write(contentsOf: Data(TFRecordFraming.frame(data))) } catch {
            throw TFRecordError(path: path, problem: "cannot be written (\(error.localizedDescription))")
        }
    }

    /// Forces what was written to the disk (it survives a crash of the machine, not just of the process).
    public func synchronize() throws {
        do { try handle.synchronize() } catch {
            throw TFRecordError(path: path, problem: "cannot be synchronised (\(error.localizedDescription))")
        }
    }
}
