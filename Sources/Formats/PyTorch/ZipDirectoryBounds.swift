import Foundation

/// A bounds check of a zip file's directory, made before ZIPFoundation reads it.
///
/// ZIPFoundation 0.9.20 converts the offsets and sizes of the directory to `off_t` with a
/// trapping conversion, so a value of 2^63 or more (which a corrupt ZIP64 record or extra
/// field can hold) stops the process instead of failing the read. This check reads the
/// records ZIPFoundation reads, where it reads them, and refuses the file unless every offset
/// and size in them lies within the file:
///
/// - the end of central directory record (the last `PK\5\6` in the final 65,557 bytes, as
///   ZIPFoundation finds the last one scanning back from the end);
/// - the ZIP64 end of central directory locator and record just before it, when their
///   signatures are there (ZIPFoundation then uses the record's values): the record's offset
///   in the locator, the directory's offset, size and entry count;
/// - each central directory entry: its name, extra field and comment inside the directory,
///   and its local header offset, compressed size and uncompressed size, both the 32-bit
///   fields and the values of a ZIP64 extended information extra field (0x0001). The
///   uncompressed size may exceed the file (deflate) but not `maxDeflateRatio` times it.
///
/// It is not a zip reader: it checks numbers and leaves everything else to ZIPFoundation.
/// It reads only the directory, in time linear in its size.
enum ZipDirectoryBounds {
    /// The largest comment an end of central directory record can have, plus the record.
    static let endRecordWindow = 22 + 0xFFFF

    /// Throws a `PyTorchFileError` naming `path` unless the directory of the zip archive in
    /// `bytes` lies within the file.
    static func check(_ bytes: UnsafeRawBufferPointer, path: String) throws {
        let size = bytes.count
        func fail(_ problem: String) -> PyTorchFileError { PyTorchFileError(path: path, problem: "not a valid .pth: \(problem)") }
        func u16(_ at: Int) -> UInt64 { UInt64(bytes[at]) | UInt64(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt64 { u16(at) | u16(at + 2) << 16 }
        func u64(_ at: Int) -> UInt64 { u32(at) | u32(at + 4) << 32 }
        func signature(_ at: Int, _ value: UInt64) -> Bool { at >= 0 && at <= size - 4 && u32(at) == value }
        /// Whether `offset + length` fits in the file (no overflow).
        func fits(_ offset: UInt64, _ length: UInt64) -> Bool { offset <= UInt64(size) && length <= UInt64(size) - offset }

        // The end of central directory record, as ZIPFoundation finds it: the last one.
        guard size >= 22 else { throw fail("\(size) bytes are too few for a zip archive's end of central directory record (22)") }
        var end = size - 22
        while end >= max(0, size - endRecordWindow), !signature(end, 0x0605_4B50) { end -= 1 }
        guard end >= 0, end >= size - endRecordWindow else {
            throw fail("no end of central directory record (PK\\5\\6) in the last \(min(size, endRecordWindow)) bytes: not a zip archive, or truncated")
        }
        var entryCount = u16(end + 10)
        var directorySize = u32(end + 12)
        var directoryOffset = u32(end + 16)

        // ZIP64: a locator (20 bytes) right before it and a record (56 bytes) right before that.
        let locator = end - 20, record = end - 20 - 56
        let isZIP64 = record > 0 && signature(locator, 0x0706_4B50) && signature(record, 0x0606_4B50)
        if isZIP64 {
            entryCount = u64(record + 32)
            directorySize = u64(record + 40)
            directoryOffset = u64(record + 48)
        }
        guard fits(directoryOffset, directorySize) else {
            throw fail("the central directory (offset \(directoryOffset), \(directorySize) bytes) lies beyond the file's \(size) bytes")
        }
        // ZIPFoundation looks for the ZIP64 record right before the locator; the locator's offset must agree.
        if isZIP64, u64(locator + 8) != UInt64(record) {
            throw fail("the ZIP64 end of central directory locator puts the record at offset \(u64(locator + 8)), not at \(record) "
                       + "(the file's \(size) bytes)")
        }
        guard entryCount <= directorySize / 46 else {
            throw fail("the central directory claims \(entryCount) entries, more than its \(directorySize) bytes can hold (46 each at least)")
        }

        // The entries, as ZIPFoundation's iterator walks them: it stops at the first record it cannot read.
        let (deflated, overflow) = UInt64(size).multipliedReportingOverflow(by: UInt64(PyTorchArchive.maxDeflateRatio))
        let uncompressedLimit = overflow ? UInt64(Int.max) : min(deflated + 1024, UInt64(Int.max))
        var at = Int(directoryOffset)
        for n in 0..<Int(entryCount) {
            guard at <= size - 46, signature(at, 0x0201_4B50) else { return }
            let nameLength = Int(u16(at + 28)), extraLength = Int(u16(at + 30)), commentLength = Int(u16(at + 32))
            guard fits(UInt64(at + 46), UInt64(nameLength + extraLength + commentLength)) else {
                throw fail("central directory entry \(n) runs past the end of the file's \(size) bytes")
            }
            let uncompressed32 = u32(at + 24), compressed32 = u32(at + 20), offset32 = u32(at + 42)
            // ZIP64 extended information: 8-byte values for the 32-bit fields that are 0xFFFFFFFF, in this order.
            var uncompressed64: UInt64?, compressed64: UInt64?, offset64: UInt64?
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = u16(extra), length = Int(u16(extra + 2))
                if id == 0x0001 {
                    var value = extra + 4
                    let valuesEnd = min(value + length, extraEnd)
                    func next(if placeholder: UInt64) -> UInt64? {
                        guard placeholder == 0xFFFF_FFFF, value + 8 <= valuesEnd else { return nil }
                        defer { value += 8 }
                        return u64(value)
                    }
                    uncompressed64 = next(if: uncompressed32)
                    compressed64 = next(if: compressed32)
                    offset64 = next(if: offset32)
                    break
                }
                extra += 4 + length
            }
            // The values ZIPFoundation uses: the ZIP64 one where there is one, else the 32-bit one.
            let offset = offset64 ?? offset32, compressed = compressed64 ?? compressed32, uncompressed = uncompressed64 ?? uncompressed32
            guard fits(offset, 30) else { throw fail("central directory entry \(n) offset \(offset) beyond the file's \(size) bytes") }
            guard compressed <= UInt64(size) else {
                throw fail("central directory entry \(n) compressed size \(compressed) beyond the file's \(size) bytes")
            }
            guard uncompressed <= uncompressedLimit else {
                throw fail("central directory entry \(n) size \(uncompressed) beyond what the file's \(size) bytes can hold, "
                           + "even deflated (\(PyTorchArchive.maxDeflateRatio):1)")
            }
            at += 46 + nameLength + extraLength + commentLength
        }
    }
}
