import Data
import Foundation

/// CIFAR binary batches: the input is the test split's file of a CIFAR-10 or CIFAR-100
/// directory; every record's labels and (up to 64) images are read.
enum CIFARHarness {
    static func run10(_ bytes: [UInt8]) {
        let dir = Scratch.directory("cifar-10-batches-bin")
        let path = Scratch.write(bytes, to: "test_batch.bin", in: dir)
        do {
            let d = try CIFAR10Dataset(directory: dir, split: .test)
            FuzzCheck.expect(d.count == bytes.count / 3073, "\(d.count) records in \(bytes.count) bytes")
            for i in 0..<d.count {
                FuzzCheck.expect((0..<10).contains(d.label(at: i)), "label \(d.label(at: i))")
                if i < 64 { check(try d.loadImage(at: i)) }
            }
        } catch { FuzzCheck.namesFile(error, path) }
    }

    static func run100(_ bytes: [UInt8]) {
        let dir = Scratch.directory("cifar-100-binary")
        let path = Scratch.write(bytes, to: "test.bin", in: dir)
        for kind in [CIFAR100Dataset.LabelKind.fine, .coarse] {
            do {
                let d = try CIFAR100Dataset(directory: dir, split: .test, labelKind: kind)
                FuzzCheck.expect(d.count == bytes.count / 3074, "\(d.count) records in \(bytes.count) bytes")
                for i in 0..<d.count {
                    FuzzCheck.expect((0..<100).contains(d.fineLabel(at: i)) && (0..<20).contains(d.coarseLabel(at: i)), "labels of \(i)")
                    FuzzCheck.expect(d.label(at: i) < d.classNames.count, "label \(d.label(at: i)) of \(d.classNames.count) classes")
                    if i < 64 { check(try d.loadImage(at: i)) }
                }
            } catch { FuzzCheck.namesFile(error, path) }
        }
    }

    private static func check(_ image: DecodedImage) {
        FuzzCheck.expect(image.width == 32 && image.height == 32 && image.channels == 3 && image.pixels.count == 3072, "image shape")
    }

    static func seeds(labelBytes: Int) throws -> [(name: String, bytes: [UInt8])] {
        let dir = Scratch.directory("seeds")
        let images = (0..<3).map { k in
            DecodedImage(width: 32, height: 32, channels: 3, pixels: (0..<3072).map { UInt8(truncatingIfNeeded: $0 * (k + 3)) })
        }
        let path = (dir as NSString).appendingPathComponent("batch.bin")
        if labelBytes == 1 {
            try CIFAR10Dataset.writeBatch(labels: [3, 0, 9], images: images, to: path)
        } else {
            try CIFAR100Dataset.writeFile(coarseLabels: [19, 0, 4], fineLabels: [99, 0, 42], images: images, to: path)
        }
        let three = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let record = three.count / 3
        var bad = Array(three.prefix(record))
        bad[labelBytes - 1] = 200
        return [
            ("three-records.bin", three),
            ("one-record.bin", Array(three.prefix(record))),
            ("truncated-record.bin", Array(three.prefix(record + 100))),
            ("label-out-of-range.bin", bad),
            ("empty.bin", []),
            ("one-byte.bin", [1]),
        ]
    }
}
