import CMPIShim

/// The bfloat16 copy of a gradient buffer that `--allreduce-dtype bfloat16` sends: allocated once
/// at the largest size asked for and reused, so that an exchange neither allocates nor faults in
/// fresh pages every step. Used by the communication thread only (not thread-safe).
final class BFloat16Staging {
    private var storage: UnsafeMutablePointer<UInt16>?
    private var capacity = 0

    /// A buffer of at least `count` values (its contents undefined).
    func buffer(_ count: Int) -> UnsafeMutablePointer<UInt16> {
        if count > capacity {
            storage?.deallocate()
            storage = .allocate(capacity: count)
            capacity = count
        }
        return storage!
    }

    /// `values` rounded to bfloat16 into the buffer (nearest, ties to even; NaNs quieted).
    func round(_ values: UnsafePointer<Float>, _ count: Int) -> UnsafeMutablePointer<UInt16> {
        let b = buffer(count)
        vgg_bf16_from_floats(values, b, count)
        return b
    }

    /// The buffer's first `count` values widened back into `values` (exact).
    func widen(into values: UnsafeMutablePointer<Float>, _ count: Int) {
        vgg_bf16_to_floats(storage!, values, count)
    }

    deinit { storage?.deallocate() }
}
