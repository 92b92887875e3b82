import Foundation

/// Whole files as `Data` for the readers, mapped when asked. An empty file is
/// reported as such without asking Foundation: on Linux its `Data(contentsOf:)` leaks a 4 KiB
/// buffer for every empty file it reads (the zero-size path meant for /proc files).
public enum FileContents {
    /// The file's bytes; `fail` turns a problem ("file is empty", "cannot read file (…)") into the reader's error.
    public static func read(_ url: URL, options: Data.ReadingOptions, fail: (String) -> Error) throws -> Data {
        var info = stat()
        if stat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size == 0 {
            throw fail("file is empty")
        }
        do { return try Data(contentsOf: url, options: options) } catch {
            throw fail("cannot read file (\(error.localizedDescription))")
        }
    }
}
