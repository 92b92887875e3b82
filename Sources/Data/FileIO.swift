import Foundation
import CZlibShim

/// Small file helpers: whole-file reads (gzip-transparent), writes, directory queries.
enum FileIO {
    static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    static func join(_ a: String, _ b: String) -> String {
        if a.isEmpty { return b }
        return a.hasSuffix("/") ? a + b : a + "/" + b
    }

    /// Reads a whole file into memory.
    static func read(_ path: String) throws -> [UInt8] {
        guard let f = fopen(path, "rb") else {
            let reason = String(cString: strerror(errno))
            if errno == ENOENT { throw DataError(.fileNotFound, path: path, "file not found") }
            throw DataError(.io, path: path, "cannot open: \(reason)")
        }
        defer { fclose(f) }
        var result: [UInt8] = []
        if fseeko(f, 0, SEEK_END) == 0 {
            let size = Int(ftello(f))
            fseeko(f, 0, SEEK_SET)
            if size > 0 {
                result = [UInt8](unsafeUninitializedCapacity: size) { buf, n in
                    n = fread(buf.baseAddress!, 1, size, f)
                }
                if result.count != size { throw DataError(.io, path: path, "short read (\(result.count) of \(size) bytes)") }
                return result
            }
        }
        // Not seekable: read in chunks.
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress!, 1, $0.count, f) }
            if n <= 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        if ferror(f) != 0 { throw DataError(.io, path: path, "read error") }
        return result
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        guard let f = fopen(path, "wb") else {
            throw DataError(.io, path: path, "cannot create: \(String(cString: strerror(errno)))")
        }
        defer { fclose(f) }
        let n = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        if n != bytes.count { throw DataError(.io, path: path, "short write") }
    }

    static func writeGzip(_ bytes: [UInt8], to path: String) throws {
        guard let gz = gzopen(path, "wb") else { throw DataError(.io, path: path, "cannot create") }
        let n = bytes.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
        gzclose(gz)
        if Int(n) != bytes.count { throw DataError(.io, path: path, "gzip write failed") }
    }

    /// Reads a text file as non-empty trimmed lines.
    static func readLines(_ path: String) throws -> [String] {
        let bytes = try read(path)
        let text = String(decoding: bytes, as: UTF8.self)
        return text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }
}
