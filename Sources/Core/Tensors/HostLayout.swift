/// NCHW ↔ NHWC reordering of host arrays (fixtures, test inputs, reports). Tensors on a
/// device are reordered by `Backend.permute`.
public enum HostLayout {
    /// `values` in NCHW order, logical shape `[n, c, h, w]`, rewritten in NHWC order.
    public static func nhwc(fromNCHW values: [Float], shape: [Int]) -> [Float] {
        reorder(values, shape: shape, toNHWC: true)
    }

    /// `values` in NHWC order, logical shape `[n, c, h, w]`, rewritten in NCHW order.
    public static func nchw(fromNHWC values: [Float], shape: [Int]) -> [Float] {
        reorder(values, shape: shape, toNHWC: false)
    }

    private static func reorder(_ v: [Float], shape: [Int], toNHWC: Bool) -> [Float] {
        precondition(shape.count == 4 && v.count == shape.reduce(1, *), "\(v.count) values for shape \(shape)")
        let (n, c, hw) = (shape[0], shape[1], shape[2] * shape[3])
        guard c > 1 else { return v }
        var out = [Float](repeating: 0, count: v.count)
        for b in 0..<n {
            for ch in 0..<c {
                for p in 0..<hw {
                    let nchw = (b * c + ch) * hw + p, nhwc = (b * hw + p) * c + ch
                    if toNHWC { out[nhwc] = v[nchw] } else { out[nchw] = v[nhwc] }
                }
            }
        }
        return out
    }
}
