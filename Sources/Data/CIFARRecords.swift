/// Raw fixed-size records of the CIFAR binary format: `labelBytes` label bytes followed by
/// 3072 pixel bytes (1024 red, 1024 green, 1024 blue; rows of 32, top to bottom).
struct CIFARRecords {
    static let pixelBytes = 3 * 32 * 32
    let labelBytes: Int
    var recordSize: Int { labelBytes + CIFARRecords.pixelBytes }
    /// All records of all files, concatenated.
    var data: [UInt8] = []
    /// (path, first record, record count) per file, for error messages.
    var files: [(path: String, first: Int, count: Int)] = []
    var count: Int { files.last.map { $0.first + $0.count } ?? 0 }

    init(labelBytes: Int) { self.labelBytes = labelBytes }

    mutating func append(path: String) throws {
        let bytes = try FileIO.read(path)
        guard !bytes.isEmpty else { throw DataError(.format, path: path, "CIFAR batch file is empty") }
        guard bytes.count % recordSize == 0 else {
            throw DataError(.format, path: path,
                            "file size \(bytes.count) is not a multiple of the \(recordSize)-byte CIFAR record size "
                            + "(\(bytes.count / recordSize) whole records + \(bytes.count % recordSize) bytes); truncated or wrong variant?")
        }
        files.append((path, count, bytes.count / recordSize))
        data.append(contentsOf: bytes)
    }

    func label(record: Int, byte: Int) -> Int { Int(data[record * recordSize + byte]) }

    func file(of record: Int) -> (path: String, index: Int) {
        for f in files where record < f.first + f.count { return (f.path, record - f.first) }
        return ("?", record)
    }

    func validateLabels(byte: Int, classes: Int, upTo n: Int) throws {
        for r in 0..<n {
            let l = label(record: r, byte: byte)
            if l >= classes {
                let f = file(of: r)
                throw DataError(.format, path: f.path, "record \(f.index): label \(l) out of range 0..<\(classes)")
            }
        }
    }

    /// The image of record `r`, converted from planar to interleaved RGB.
    func image(record r: Int) -> DecodedImage {
        var out = [UInt8](repeating: 0, count: CIFARRecords.pixelBytes)
        let base = r * recordSize + labelBytes
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<1024 {
                    dst[3 * i] = src[base + i]
                    dst[3 * i + 1] = src[base + 1024 + i]
                    dst[3 * i + 2] = src[base + 2048 + i]
                }
            }
        }
        return DecodedImage(width: 32, height: 32, channels: 3, pixels: out)
    }

    /// Finds the directory holding `marker`: `directory` itself or `directory/subfolder`.
    static func resolve(directory: String, subfolder: String, marker: String) throws -> String {
        if FileIO.exists(FileIO.join(directory, marker)) { return directory }
        let sub = FileIO.join(directory, subfolder)
        if FileIO.exists(FileIO.join(sub, marker)) { return sub }
        if !FileIO.isDirectory(directory) {
            throw DataError(.fileNotFound, path: directory, "CIFAR dataset directory not found")
        }
        throw DataError(.fileNotFound, path: FileIO.join(directory, marker),
                        "CIFAR file not found (also looked in \(sub))")
    }

    /// Encodes records in the published binary format (for tests and tools).
    static func encode(labels: [[UInt8]], images: [DecodedImage]) -> [UInt8] {
        var out: [UInt8] = []
        for (l, im) in zip(labels, images) {
            precondition(im.width == 32 && im.height == 32 && im.channels == 3)
            out += l
            for c in 0..<3 { for i in 0..<1024 { out.append(im.pixels[3 * i + c]) } }
        }
        return out
    }
}
