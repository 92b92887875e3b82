import Data
import Foundation

/// IDX files (raw or gzip: `IDXFile.read` inflates transparently) read as an image file of
/// an `IDXDataset` (with a matching label file) and as a label file (with matching images).
enum IDXHarness {
    static func run(_ bytes: [UInt8]) {
        let dir = Scratch.directory("idx")
        let path = Scratch.write(bytes, to: "input-idx-ubyte", in: dir)
        let file: IDXFile
        do { file = try IDXFile.read(path: path) } catch { FuzzCheck.namesFile(error, path); return }
        let total = file.dimensions.reduce(1, *)
        FuzzCheck.expect(file.bytes.count == total, "\(file.bytes.count) bytes for dimensions \(file.dimensions)")
        guard let n = file.dimensions.first, n <= 4096 else { return }
        if file.dimensions.count == 3 {
            let labels = Scratch.write(IDXFile.encode(dimensions: [n], bytes: (0..<n).map { UInt8($0 % 10) }), to: "labels", in: dir)
            open(images: path, labels: labels, dir: dir)
        } else if file.dimensions.count == 1 {
            let images = Scratch.write(IDXFile.encode(dimensions: [n, 2, 3], bytes: [UInt8](repeating: 7, count: n * 6)), to: "images", in: dir)
            open(images: images, labels: path, dir: dir)
        }
    }

    private static func open(images: String, labels: String, dir: String) {
        do {
            let d = try IDXDataset(imagesPath: images, labelsPath: labels, classNames: IDXDataset.digitClassNames)
            for i in 0..<min(d.count, 64) {
                FuzzCheck.expect((0..<10).contains(d.label(at: i)), "label \(d.label(at: i)) of \(i)")
                let image = try d.loadImage(at: i).rgb()
                FuzzCheck.expect(image.pixels.count == d.width * d.height * 3, "image \(i) has \(image.pixels.count) bytes")
            }
        } catch { FuzzCheck.namesFile(error, dir) }
    }

    static func seeds(gzip: Bool) throws -> [(name: String, bytes: [UInt8])] {
        var out: [(String, [UInt8])] = []
        let images = (0..<(3 * 4 * 5)).map { UInt8(truncatingIfNeeded: $0 * 37) }
        let valid: [(String, [UInt8])] = [
            ("images-3x4x5", IDXFile.encode(dimensions: [3, 4, 5], bytes: images)),
            ("labels-7", IDXFile.encode(dimensions: [7], bytes: [0, 1, 2, 3, 9, 8, 7])),
            ("images-1x28x28", IDXFile.encode(dimensions: [1, 28, 28], bytes: [UInt8](repeating: 200, count: 784))),
            ("rank4-2x1x2x2", IDXFile.encode(dimensions: [2, 1, 2, 2], bytes: [1, 2, 3, 4, 5, 6, 7, 8])),
            ("empty-0x28x28", IDXFile.encode(dimensions: [0, 28, 28], bytes: [])),
        ]
        let edge: [(String, [UInt8])] = [
            ("truncated-data", Array(IDXFile.encode(dimensions: [3, 4, 5], bytes: images).dropLast(7))),
            ("truncated-header", [0, 0, 8, 3, 0, 0, 0]),
            ("huge-count-2pow31", IDXFile.encode(dimensions: [1 << 31, 28, 28], bytes: [1, 2, 3])),
            ("huge-dims", IDXFile.encode(dimensions: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], bytes: [])),
            ("trailing-bytes", IDXFile.encode(dimensions: [2], bytes: [1, 2, 3])),
            ("bad-type-float", [0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]),
            ("rank-0", [0, 0, 8, 0]),
            ("label-out-of-range", IDXFile.encode(dimensions: [2], bytes: [3, 200])),
        ]
        for (name, bytes) in valid + edge {
            out.append(gzip ? (name + ".gz", try Gzip.compress(bytes)) : (name, bytes))
        }
        if gzip {
            let whole = try Gzip.compress(IDXFile.encode(dimensions: [3, 4, 5], bytes: images))
            out.append(("truncated-stream.gz", Array(whole.prefix(whole.count / 2))))
            out.append(("bad-crc.gz", Array(whole.dropLast(8)) + [0xDE, 0xAD, 0xBE, 0xEF] + Array(whole.suffix(4))))
            out.append(("two-members.gz", whole + whole))
            out.append(("zeros-1mib-bomb.gz", try Gzip.compress(IDXFile.encode(dimensions: [1 << 20], bytes: [UInt8](repeating: 0, count: 1 << 20)))))
        }
        return out
    }
}
