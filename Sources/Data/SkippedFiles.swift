import Foundation

/// The distinct files a loader skipped as unreadable, safe to update from worker threads.
final class SkippedFiles: @unchecked Sendable {
    private let lock = NSLock()
    private var files: Set<String> = []

    /// Records `path`; true the first time it is seen (so each file is warned about once).
    func insert(_ path: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return files.insert(path).inserted
    }

    var sorted: [String] {
        lock.lock(); defer { lock.unlock() }
        return files.sorted()
    }

    var count: Int {
        lock.lock(); defer { lock.unlock() }
        return files.count
    }
}
