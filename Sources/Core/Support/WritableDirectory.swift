import Foundation

/// A directory that long work will write into, checked before the work starts: created
/// (with its parents) when missing, and tried with a small file of its own, so that a path
/// under a file, a read-only file system or a lack of permission is reported at once,
/// naming the path and the problem, instead of when the first result is saved.
public enum WritableDirectory {
    /// Creates `path` if need be and checks that files can be created in it; nothing that
    /// exists is changed.
    public static func prepare(_ path: String) throws {
        let path = path.isEmpty ? "." : path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw WritableDirectoryError(path: path, problem: "exists and is not a directory") }
        } else {
            try create(path)
        }
        let probe = (path as NSString).appendingPathComponent(".write-test-\(getpid())")
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw WritableDirectoryError(path: path, problem: "is not writable (\(String(cString: strerror(errno))))")
        }
        close(fd)
        unlink(probe)
    }

    /// Creates `path` and its missing parents, naming the part of the path that prevents it.
    private static func create(_ path: String) throws {
        // The deepest part of the path that exists must be a directory.
        var existing = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        while !existing.isEmpty && !FileManager.default.fileExists(atPath: existing, isDirectory: &isDirectory) {
            existing = (existing as NSString).deletingLastPathComponent
        }
        if !existing.isEmpty && !isDirectory.boolValue {
            throw WritableDirectoryError(path: path, problem: "cannot be created: \(existing) is a file, not a directory")
        }
        var built = ""
        for component in (path as NSString).pathComponents {
            built = built.isEmpty ? component : (built as NSString).appendingPathComponent(component)
            if mkdir(built, 0o755) != 0 && errno != EEXIST {
                throw WritableDirectoryError(path: path, problem: "cannot be created: mkdir \(built): \(String(cString: strerror(errno)))")
            }
        }
    }
}
