import Foundation

/// Whole-file atomic writes (see `AtomicFileWriter`).
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let w = try AtomicFileWriter(path: path)
        try w.write(data)
        try w.commit()
    }

    public static func write(_ bytes: [UInt8], to path: String) throws {
        let w = try AtomicFileWriter(path: path)
        try w.write(bytes)
        try w.commit()
    }

    public static func write(_ data: Data, to url: URL) throws { try write(data, to: url.path) }
}
