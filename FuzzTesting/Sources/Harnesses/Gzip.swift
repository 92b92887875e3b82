import CZlibShim
import Foundation

/// gzip streams for seeds, written with zlib's gzip writer (as `IDXFile.write` does).
enum Gzip {
    static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        let path = (Scratch.directory as NSString).appendingPathComponent("seed.gz")
        guard let gz = gzopen(path, "wb") else { throw CocoaError(.fileWriteUnknown) }
        let n = bytes.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
        gzclose(gz)
        guard Int(n) == bytes.count else { throw CocoaError(.fileWriteUnknown) }
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
