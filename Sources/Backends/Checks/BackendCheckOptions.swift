/// What `BackendChecker` runs and how strictly it compares.
public struct BackendCheckOptions: Sendable, Equatable {
    /// Seeds every check's data (each check draws from its own stream, so `only` does not
    /// change what the others see).
    public var seed: UInt64
    /// The relative tolerance of the op checks: an output passes when
    /// `max|a − b| ≤ tolerance · max|ref|` over its elements.
    public var tolerance: Double
    /// Fewer and smaller shapes, for a run of a few seconds.
    public var quick: Bool
    /// Runs and reports only the checks whose name (`family.phase`, e.g. `convolution.backward`)
    /// contains this text; nil: every check.
    public var only: String?

    /// The end-to-end training check's tolerance: by default ten times the op tolerance (1e-3
    /// by default), for the errors a few layers and steps pile up. In bf16 a difference of one
    /// bf16 step (2⁻⁸ of a value) in one activation gradient is amplified by the small batches'
    /// BatchNorm backward, so bf16 needs far more here (docs/precision.md).
    public var networkTolerance: Double

    public init(seed: UInt64 = 1, tolerance: Double = 1e-4, networkTolerance: Double? = nil, quick: Bool = false, only: String? = nil) {
        self.seed = seed; self.tolerance = tolerance; self.quick = quick; self.only = only
        self.networkTolerance = networkTolerance ?? 10 * tolerance
    }

    /// Whether the check named `name` is selected by `only`.
    public func selects(_ name: String) -> Bool {
        guard let only, !only.isEmpty else { return true }
        return name.lowercased().contains(only.lowercased())
    }
}
