import Dispatch

/// The two helpers every reference op shares: a parallel loop over independent outputs and
/// a dot product of float vectors accumulated in double precision.
enum Loops {
    /// Runs `body` over `0..<count` split into at most `threads` contiguous chunks, on
    /// `DispatchQueue.concurrentPerform`. Every index must write outputs no other index writes.
    static func parallel(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        let chunks = min(max(threads, 1), count)
        guard chunks > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { t in
            body(count * t / chunks ..< count * (t + 1) / chunks)
        }
    }

    /// Σ a[i]·b[i] over `count` contiguous floats, each product and the sum in `Double`
    /// (partial sums in two vectors of eight, then added).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Double {
        var sum = 0.0
        var i = 0
        if count >= 8 {
            var sums0 = SIMD8<Double>(), sums1 = SIMD8<Double>()
            while i + 16 <= count {
                sums0 += SIMD8<Double>(load8(a + i)) * SIMD8<Double>(load8(b + i))
                sums1 += SIMD8<Double>(load8(a + i + 8)) * SIMD8<Double>(load8(b + i + 8))
                i += 16
            }
            if i + 8 <= count {
                sums0 += SIMD8<Double>(load8(a + i)) * SIMD8<Double>(load8(b + i))
                i += 8
            }
            sum = (sums0 + sums1).sum()
        }
        while i < count {
            sum += Double(a[i]) * Double(b[i])
            i += 1
        }
        return sum
    }

    @inline(__always)
    private static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// `source`, a row-major `rows × columns` matrix, written transposed into `destination`
    /// (`columns × rows`), in strips of 16 columns (a cache line of each source row).
    static func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int,
                          into destination: UnsafeMutablePointer<Float>, threads: Int) {
        let strip = 16
        parallel((columns + strip - 1) / strip, threads: threads) { strips in
            for s in strips {
                let strided = (s * strip)..<min(columns, (s + 1) * strip)
                for i in 0..<rows {
                    for j in strided { destination[j * rows + i] = source[i * columns + j] }
                }
            }
        }
    }
}
