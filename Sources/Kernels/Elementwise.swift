/// Hand-written element-wise kernels (no library offers them in a form that fits):
/// explicit SIMD so that they vectorise without branches.
public enum Elementwise {
    /// x ← max(x, 0)
    public static func relu(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        let raw = UnsafeMutableRawPointer(x)
        var i = 0
        while i + 16 <= n {
            var v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            v.replace(with: 0, where: v .< 0)
            raw.storeBytes(of: v, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { x[i] = max(x[i], 0); i += 1 }
    }

    /// g ← g where y > 0, else 0 (ReLU backward from its output y).
    public static func reluBackward(output y: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>, count n: Int) {
        let ry = UnsafeRawPointer(y), rg = UnsafeMutableRawPointer(g)
        var i = 0
        while i + 16 <= n {
            let yv = ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            var gv = rg.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            gv.replace(with: 0, where: yv .<= 0)
            rg.storeBytes(of: gv, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { if y[i] <= 0 { g[i] = 0 }; i += 1 }
    }

    /// y ← x ⊙ m
    public static func multiply(_ x: UnsafePointer<Float>, _ m: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        let rx = UnsafeRawPointer(x), rm = UnsafeRawPointer(m), ry = UnsafeMutableRawPointer(y)
        var i = 0
        while i + 16 <= n {
            let v = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * rm.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            ry.storeBytes(of: v, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { y[i] = x[i] * m[i]; i += 1 }
    }
}
