import Support
import Foundation

/// Measures loader throughput (decode + augment + batch assembly), for `vgg bench --data`.
public enum LoaderBenchmark {
    /// A throughput measurement.
    public struct Result: Sendable, CustomStringConvertible {
        public var batches: Int
        public var images: Int
        public var seconds: Double
        public var imagesPerSecond: Double { seconds > 0 ? Double(images) / seconds : 0 }
        public var description: String {
            String(format: "%d images in %d batches, %.3f s: %.1f images/s", images, batches, seconds, imagesPerSecond)
        }
    }

    /// Consumes up to `batches` batches of `epoch` (all if nil) after `warmupBatches`
    /// untimed ones, touching every batch's first value, and returns the rate.
    public static func run(loader: DataLoader, epoch: Int = 0, batches: Int? = nil, warmupBatches: Int = 1) throws -> Result {
        let it = loader.batches(epoch: epoch)
        var sink: Float = 0
        for _ in 0..<warmupBatches {
            guard let b = try it.next() else { break }
            sink += b.images[0]
        }
        let limit = batches ?? Int.max
        var n = 0, images = 0
        let t0 = Clock.now()
        while n < limit, let b = try it.next() {
            sink += b.images[0]
            n += 1
            images += b.count
        }
        let t1 = Clock.now()
        if sink.isNaN { print("") } // keep the reads alive
        return Result(batches: n, images: images, seconds: t1 - t0)
    }

    /// Writes a synthetic `root/<class>/<image>.jpg` folder of smooth random `width × height`
    /// JPEGs (deterministic in `seed`), for benchmarking decoding without a real dataset.
    public static func makeSyntheticJPEGFolder(at root: String, classes: Int = 4, imagesPerClass: Int = 64,
                                               width: Int = 256, height: Int = 256, quality: Int = 90,
                                               seed: UInt64 = 0) throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var rng = Xoshiro256(seed: seed)
        for c in 0..<classes {
            let dir = FileIO.join(root, String(format: "%03d.class%d", c + 1, c))
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for i in 0..<imagesPerClass {
                var px = [UInt8](repeating: 0, count: width * height * 3)
                let f = (0..<6).map { _ in rng.nextUnit() * 0.1 + 0.01 }
                let noise = UInt64(rng.next())
                for y in 0..<height {
                    for x in 0..<width {
                        for ch in 0..<3 {
                            let v = 127.5 + 100 * sin(Double(x) * f[ch] + Double(y) * f[ch + 3])
                            let n = Double((noise >> UInt64((x + y + ch) % 56)) & 15)
                            px[(y * width + x) * 3 + ch] = UInt8(Swift.max(0, Swift.min(255, v + n)))
                        }
                    }
                }
                let jpeg = try ImageEncoder.jpeg(DecodedImage(width: width, height: height, channels: 3, pixels: px), quality: quality)
                try FileIO.write(jpeg, to: FileIO.join(dir, String(format: "%04d.jpg", i)))
            }
        }
    }
}
