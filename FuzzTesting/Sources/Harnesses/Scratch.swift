import Foundation

/// Files the harnesses hand to the readers: one directory per process (removed at exit),
/// rewritten for every input.
enum Scratch {
    static let directory: String = {
        let base = ProcessInfo.processInfo.environment["VGG_FUZZ_SCRATCH"] ?? NSTemporaryDirectory()
        let dir = (base as NSString).appendingPathComponent("vgg-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: Scratch.directory) }
        return dir
    }()

    /// A subdirectory of the scratch directory (created once).
    static func directory(_ name: String) -> String {
        let dir = (directory as NSString).appendingPathComponent(name)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Writes `bytes` to `name` in `dir` (default: the scratch directory) and returns its path.
    @discardableResult
    static func write(_ bytes: [UInt8], to name: String, in dir: String = directory) -> String {
        let path = (dir as NSString).appendingPathComponent(name)
        guard let f = fopen(path, "wb") else { fatalError("harness: cannot write \(path)") }
        if !bytes.isEmpty { precondition(fwrite(bytes, 1, bytes.count, f) == bytes.count, "harness: short write to \(path)") }
        fclose(f)
        return path
    }
}
