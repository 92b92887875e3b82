/// Whether a tensor holds NaN or infinite values: checks made off the training's hot path
/// (before a checkpoint is written, after a step diverged), through host copies of at most
/// 1 Mi elements at a time.
extension Tensor {
    /// True when no element is NaN or infinite.
    public var isFinite: Bool {
        let chunk = 1 << 20
        var start = 0
        while start < count {
            let n = Swift.min(chunk, count - start)
            let values = view(offset: start, shape: [n]).toArray()
            // x − x is 0 for a finite x and NaN otherwise: one pass without branches.
            var sum: Float = 0
            for v in values { sum += v - v }
            if sum != 0 { return false }
            start += n
        }
        return true
    }
}
