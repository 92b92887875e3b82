import Foundation

/// Separable resampling with a triangle (bilinear) filter. When shrinking with
/// `antialias`, the filter support is widened by the shrink factor, so each output pixel
/// averages all input pixels it covers (as PIL's `BILINEAR` resize does); when enlarging it
/// is ordinary bilinear interpolation with half-pixel centres and clamped edges.
public enum Resampling {
    /// Precomputed weights for one axis.
    struct Table {
        var starts: [Int]
        var counts: [Int]
        var stride: Int
        var weights: [Float]
    }

    static func table(input: Int, output: Int, antialias: Bool) -> Table {
        let scale = Double(input) / Double(output)
        let filterScale = antialias ? Swift.max(scale, 1.0) : 1.0
        let support = filterScale // triangle filter has radius 1
        let stride = Int(ceil(support)) * 2 + 1
        var starts = [Int](repeating: 0, count: output)
        var counts = [Int](repeating: 0, count: output)
        var weights = [Float](repeating: 0, count: output * stride)
        for i in 0..<output {
            let center = (Double(i) + 0.5) * scale
            var lo = Int(floor(center - support + 0.5))
            var hi = Int(floor(center + support + 0.5))
            lo = Swift.max(lo, 0)
            hi = Swift.min(hi, input)
            if hi - lo > stride { hi = lo + stride }
            var ws = [Double](repeating: 0, count: Swift.max(hi - lo, 0))
            var total = 0.0
            for j in lo..<hi {
                let x = (Double(j) + 0.5 - center) / filterScale
                let w = Swift.max(0, 1 - abs(x))
                ws[j - lo] = w
                total += w
            }
            if total <= 0 {
                // Degenerate (cannot happen for valid sizes): nearest neighbour.
                let n = Swift.min(Swift.max(Int(center), 0), input - 1)
                lo = n; ws = [1]; total = 1
            }
            starts[i] = lo
            counts[i] = ws.count
            for (k, w) in ws.enumerated() { weights[i * stride + k] = Float(w / total) }
        }
        return Table(starts: starts, counts: counts, stride: stride, weights: weights)
    }

    /// Resizes `image` to `width × height`.
    public static func resize(_ image: FloatImage, width: Int, height: Int, antialias: Bool = true) -> FloatImage {
        precondition(width > 0 && height > 0, "resize: target size must be positive")
        var current = image
        if width != image.width { current = resizeHorizontal(current, width: width, antialias: antialias) }
        if height != image.height { current = resizeVertical(current, height: height, antialias: antialias) }
        return current
    }

    static func resizeHorizontal(_ image: FloatImage, width: Int, antialias: Bool) -> FloatImage {
        let t = table(input: image.width, output: width, antialias: antialias)
        let c = image.channels, h = image.height, inW = image.width
        var out = [Float](repeating: 0, count: width * h * c)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                t.weights.withUnsafeBufferPointer { wts in
                    for y in 0..<h {
                        let row = src.baseAddress! + y * inW * c
                        let orow = dst.baseAddress! + y * width * c
                        for x in 0..<width {
                            let s = t.starts[x], n = t.counts[x]
                            let wp = wts.baseAddress! + x * t.stride
                            for ch in 0..<c {
                                var acc: Float = 0
                                var p = row + s * c + ch
                                for k in 0..<n { acc += wp[k] * p.pointee; p += c }
                                orow[x * c + ch] = acc
                            }
                        }
                    }
                }
            }
        }
        return FloatImage(width: width, height: h, channels: c, pixels: out)
    }

    static func resizeVertical(_ image: FloatImage, height: Int, antialias: Bool) -> FloatImage {
        let t = table(input: image.height, output: height, antialias: antialias)
        let rowLen = image.width * image.channels
        var out = [Float](repeating: 0, count: rowLen * height)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                t.weights.withUnsafeBufferPointer { wts in
                    for y in 0..<height {
                        let s = t.starts[y], n = t.counts[y]
                        let orow = dst.baseAddress! + y * rowLen
                        let wp = wts.baseAddress! + y * t.stride
                        for k in 0..<n {
                            let w = wp[k]
                            let irow = src.baseAddress! + (s + k) * rowLen
                            for i in 0..<rowLen { orow[i] += w * irow[i] }
                        }
                    }
                }
            }
        }
        return FloatImage(width: image.width, height: height, channels: image.channels, pixels: out)
    }
}
