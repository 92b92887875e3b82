import Support

/// What a dropout mask is a function of: the run's seed, the dropout layer (`stream`), the
/// optimizer step and the global index of the batch's first sample (0 in one process; a
/// rank's offset in the global batch when several share it).
///
/// Element j of sample s (global index) is kept when `Philox.unit(word) ≥ p`, the word being
/// word j mod 4 of `Philox.block(counter: (j / 4, s, step_low, step_high), key: philoxKey)`.
public struct DropoutKey: Equatable, Hashable, Sendable {
    public var seed: UInt64
    public var stream: UInt64
    public var step: UInt64
    public var firstSample: Int

    public init(seed: UInt64, stream: UInt64, step: UInt64, firstSample: Int = 0) {
        self.seed = seed; self.stream = stream; self.step = step; self.firstSample = firstSample
    }

    /// The Philox key: a hash of (seed, stream).
    public var philoxKey: SIMD2<UInt32> {
        let h = SplitMix64.hash(seed, stream)
        return SIMD2(UInt32(truncatingIfNeeded: h), UInt32(truncatingIfNeeded: h >> 32))
    }

    /// The counter of the block holding element `element` of the batch's sample `sample`.
    public func counter(sample: Int, element: Int) -> SIMD4<UInt32> {
        SIMD4(UInt32(truncatingIfNeeded: element >> 2), UInt32(truncatingIfNeeded: firstSample + sample),
              UInt32(truncatingIfNeeded: step), UInt32(truncatingIfNeeded: step >> 32))
    }

    /// The uniform number in [0, 1) of element `element` of the batch's sample `sample`.
    public func uniform(sample: Int, element: Int) -> Float {
        Philox.unit(Philox.block(counter: counter(sample: sample, element: element), key: philoxKey)[element & 3])
    }
}
