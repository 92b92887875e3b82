import Foundation
import Support
import ZIPFoundation

/// The zip container of a `torch.save` file, read with ZIPFoundation: the central directory
/// once when it is opened (its entries indexed by name), each entry's bytes on demand,
/// streamed from the file in chunks.
///
/// What a corrupt or hostile file could make expensive is checked before anything is
/// allocated for it: an entry may not claim more compressed bytes than the archive has, a
/// stored entry no more bytes than it stores, a deflated one no more than deflate can make of
/// its compressed bytes (1032:1); reading stops as soon as an entry gives more bytes than
/// its directory record says, and every entry read is checked against its CRC-32 and size.
/// Before ZIPFoundation sees the file, `ZipDirectoryBounds` checks that every offset and size
/// of its directory lies within the file (ZIPFoundation traps on values of 2^63 or more).
/// Errors are `PyTorchFileError`s naming the file.
public final class PyTorchArchive {
    /// One member of the archive, as its central directory record describes it.
    public struct Entry {
        public let name: String
        public let isCompressed: Bool
        public let crc32: UInt32
        public let compressedSize: Int
        public let uncompressedSize: Int
        fileprivate let entry: ZIPFoundation.Entry
    }

    /// Deflate expands its input at most 1032 times (zlib's documented limit).
    public static let maxDeflateRatio = 1032
    /// The most bytes read from the file (and inflated) at a time.
    static let chunkBytes = 1 << 20

    /// The file the archive was read from (in errors).
    public let path: String
    /// The entries, in central-directory order.
    public let entries: [Entry]
    private let archive: Archive
    private let index: [String: Int]

    /// Whether `bytes` begin like a zip file (a local file header, `PK\3\4`).
    public static func hasSignature(_ bytes: Data) -> Bool {
        bytes.count >= 4 && bytes.prefix(4).elementsEqual([0x50, 0x4B, 0x03, 0x04])
    }

    /// Opens the archive in the file at `url`, which is read as needed, never whole.
    public convenience init(contentsOf url: URL) throws {
        // Mapped, not read: only the directory at the end is looked at here.
        let bytes: Data
        do { bytes = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw PyTorchFileError(path: url.path, problem: "cannot read the file: \(error.localizedDescription)")
        }
        try bytes.withUnsafeBytes { try ZipDirectoryBounds.check($0, path: url.path) }
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .read) } catch {
            throw PyTorchFileError(path: url.path, problem: Self.describe(error))
        }
        try self.init(archive, byteCount: bytes.count, path: url.path)
    }

    /// Opens the archive whose bytes are `data`; `path` names the file in errors.
    ///
    /// The bytes are read through a temporary file (removed when the archive is released):
    /// ZIPFoundation 0.9.20's in-memory backing traps on a seek past the end of the data,
    /// which a corrupt directory asks for, while a file answers such a read with no bytes.
    public convenience init(data: Data, path: String) throws {
        try data.withUnsafeBytes { try ZipDirectoryBounds.check($0, path: path) }
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("vgg-pth-\(getpid())-\(UUID().uuidString).zip")
        do { try data.write(to: scratch) } catch {
            throw PyTorchFileError(path: path, problem: "cannot stage the archive in \(scratch.path): \(error.localizedDescription)")
        }
        // The open FILE keeps the bytes readable after the name is gone.
        defer { try? FileManager.default.removeItem(at: scratch) }
        let archive: Archive
        do { archive = try Archive(url: scratch, accessMode: .read) } catch {
            throw PyTorchFileError(path: path, problem: Self.describe(error))
        }
        try self.init(archive, byteCount: data.count, path: path)
    }

    private init(_ archive: Archive, byteCount: Int, path: String) throws {
        self.archive = archive
        self.path = path
        var entries: [Entry] = []
        var index: [String: Int] = [:]
        for e in archive {
            let name = e.path
            func fail(_ problem: String) -> PyTorchFileError { PyTorchFileError(path: path, problem: "entry '\(name)': \(problem)") }
            guard e.type == .file else { continue }
            guard e.compressedSize <= UInt64(byteCount) else {
                throw fail("claims \(e.compressedSize) compressed bytes, more than the whole file has (\(byteCount)): truncated or corrupt")
            }
            let compressed = Int(e.compressedSize)
            if e.isCompressed {
                let (bound, overflow) = compressed.multipliedReportingOverflow(by: Self.maxDeflateRatio)
                guard overflow || e.uncompressedSize <= UInt64(bound + 1024) else {
                    throw fail("the directory says \(e.uncompressedSize) bytes from \(compressed) compressed ones, more than deflate "
                               + "can expand to (\(Self.maxDeflateRatio):1): the file is corrupt")
                }
            } else {
                guard e.uncompressedSize == e.compressedSize else {
                    throw fail("stored entry with compressed size \(e.compressedSize) ≠ size \(e.uncompressedSize): the file is corrupt")
                }
            }
            if index[name] == nil { index[name] = entries.count }
            entries.append(Entry(name: name, isCompressed: e.isCompressed, crc32: e.checksum, compressedSize: compressed,
                                 uncompressedSize: Int(e.uncompressedSize), entry: e))
        }
        self.entries = entries
        self.index = index
    }

    /// The entry called `name`, if there is one.
    public func entry(named name: String) -> Entry? { index[name].map { entries[$0] } }

    /// Calls `body` with the uncompressed bytes of `entry`, after checking their size and CRC-32.
    public func withContents<R>(of entry: Entry, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        func fail(_ problem: String) -> PyTorchFileError { PyTorchFileError(path: path, problem: "entry '\(entry.name)': \(problem)") }
        let expected = entry.uncompressedSize
        var bytes = [UInt8]()
        bytes.reserveCapacity(expected)
        var crc = Support.CRC32()
        do {
            _ = try archive.extract(entry.entry, bufferSize: max(1, min(Self.chunkBytes, entry.compressedSize)), skipCRC32: true) { chunk in
                guard chunk.count <= expected - bytes.count else { throw TooLong() }
                chunk.withUnsafeBytes { crc.update($0) }
                bytes.append(contentsOf: chunk)
            }
        } catch is TooLong {
            throw fail("gives more than the \(expected) bytes its directory record says: the file is corrupt")
        } catch {
            throw fail(Self.describe(error))
        }
        guard bytes.count == expected else {
            throw fail("\(bytes.count) bytes where the directory says \(expected): the file is truncated or corrupt")
        }
        guard crc.value == entry.crc32 else {
            throw fail("CRC-32 mismatch (stored \(Self.hex(entry.crc32)), computed \(crc.hex)): the file is corrupt")
        }
        return try bytes.withUnsafeBytes(body)
    }

    /// The uncompressed bytes of the entry called `name`.
    public func contents(of name: String) throws -> Data {
        guard let e = entry(named: name) else { throw PyTorchFileError(path: path, problem: "no entry '\(name)' in the archive") }
        return try withContents(of: e) { Data($0) }
    }

    private struct TooLong: Error {}

    private static func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }

    /// ZIPFoundation's errors in words.
    static func describe(_ error: Error) -> String {
        switch error {
        case Archive.ArchiveError.missingEndOfCentralDirectoryRecord:
            return "no end of central directory record: not a zip file, or truncated"
        case Archive.ArchiveError.unreadableArchive:
            return "the zip archive cannot be read (truncated or corrupt)"
        case Archive.ArchiveError.invalidCompressionMethod:
            return "compression method not supported (only stored and deflate)"
        case Archive.ArchiveError.invalidEntrySize, Archive.ArchiveError.invalidLocalHeaderDataOffset,
             Archive.ArchiveError.invalidLocalHeaderSize, Archive.ArchiveError.invalidCentralDirectoryOffset,
             Archive.ArchiveError.invalidCentralDirectorySize, Archive.ArchiveError.invalidCentralDirectoryEntryCount:
            return "sizes or offsets beyond what a file can hold (\(error)): the file is corrupt"
        case let e as POSIXError:
            return "cannot read the file (\(e.code))"
        default:
            // ZIPFoundation's `Data.CompressionError` (corruptedData, invalidStream) is not public.
            let text = String(describing: error)
            return text.contains("corrupted") || text.contains("invalidStream") ? "corrupt deflate data" : "cannot read the zip archive (\(text))"
        }
    }
}
