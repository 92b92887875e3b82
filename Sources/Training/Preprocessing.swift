import Data

/// The preprocessing of a model, stored in its checkpoints so that evaluation and
/// prediction see images exactly as training did: scale, padding, crop, mean (and
/// optionally std) computed on the training set, and the training-only augmentations.
public struct Preprocessing: Codable, Equatable, Sendable {
    /// Per-channel mean of the training set, in [0, 1] units.
    public var mean: [Float]
    /// Per-channel standard deviation, when inputs are also divided by it.
    public var std: [Float]?
    /// Zero padding on every side (Fashion-MNIST: 2, turning 28 into 32).
    public var pad: Int = 0
    /// Training scale S (smallest side), a single value or a jitter range [Smin, Smax].
    public var trainScale: [Int]?
    /// Test scale Q (defaults to the training scale, or its midpoint when jittered).
    public var testScale: Int?
    /// Crop size (square); nil keeps the image as it is after scaling and padding.
    public var crop: Int?
    public var flip: Bool = false
    /// RGB colour shift (AlexNet PCA lighting) with these eigenvalues and eigenvectors.
    public var colorShift: Bool = false
    public var eigenvalues: [Float] = []
    public var eigenvectors: [Float] = []
    /// torchvision's colour jitter (brightness, contrast, saturation, hue) after the flip; nil: off.
    public var colorJitter: ColorJitter?
    /// Probability of random erasing (Zhong et al.) after normalisation; nil or 0: off.
    public var randomErasing: Double?

    public init(mean: [Float]) { self.mean = mean }

    /// Why these settings cannot make the pipelines (nil when they can): a scale, crop or
    /// padding out of range (sizes 1…`CommandLineSyntax.maxSize`), a jitter range that is not
    /// one value or two ordered ones, a std of another length than the mean or not positive,
    /// colour-shift eigenvectors that do not fit the eigenvalues, a random-erasing probability
    /// outside [0, 1]. Checked when a checkpoint is read, since its header may be anything.
    public var problem: String? {
        let sizes = 1...CommandLineSyntax.maxSize
        if let s = trainScale {
            guard (1...2).contains(s.count), s.allSatisfy(sizes.contains), s.first! <= s.last! else {
                return "training scale \(s) is not S or SMIN, SMAX with 1 ≤ SMIN ≤ SMAX ≤ \(sizes.upperBound)"
            }
        }
        if let q = testScale, !sizes.contains(q) { return "test scale \(q) is not in \(sizes)" }
        if let c = crop, !sizes.contains(c) { return "crop \(c) is not in \(sizes)" }
        guard (0...CommandLineSyntax.maxSize).contains(pad) else { return "padding \(pad) is not in 0...\(CommandLineSyntax.maxSize)" }
        if let std, std.count != mean.count || !std.allSatisfy({ $0 > 0 && $0.isFinite }) {
            return "std \(std) does not fit the mean \(mean) (one positive value per channel)"
        }
        if colorShift, eigenvalues.count == 3, eigenvectors.count != 9 {
            return "colour shift with \(eigenvectors.count) eigenvector values for 3 eigenvalues (needs 9)"
        }
        if let p = randomErasing, !(0...1).contains(p) { return "random-erasing probability \(p) is not in [0, 1]" }
        return nil
    }

    /// The evaluation scale Q.
    public var evaluationScale: Int? {
        if let testScale { return testScale }
        guard let s = trainScale else { return nil }
        return s.count == 1 ? s[0] : (s[0] + s[1]) / 2
    }

    /// The test scales of the paper's multi-scale evaluation (§4.2) for a network trained at
    /// this scale: Q ∈ {S − 32, S, S + 32} for a fixed S, {Smin, (Smin + Smax)/2, Smax} for a
    /// jittered S; a network trained without rescaling (28- or 32-pixel images) has the one
    /// scale it was trained at (nil: the images as they are). Below S = 256 the step is S/8
    /// (32 at the paper's 256), so that a 48-pixel net is tested at 42, 48 and 54 rather than
    /// at 16, where its crop or its five poolings do not fit; no scale goes below the crop.
    public var paperTestScales: [Int?] {
        guard let s = trainScale else { return [nil] }
        guard s.count == 1 else { return [s[0], (s[0] + s[1]) / 2, s[1]] }
        let step = min(32, s[0] / 8)
        return [max(s[0] - step, crop ?? 1), s[0], s[0] + step].reduce(into: [Int?]()) { if !$0.contains($1) { $0.append($1) } }
    }

    public func trainingPipeline() -> TransformPipeline {
        var t: [any ImageTransform] = []
        if let s = trainScale {
            t.append(s.count == 1 ? RescaleSmallestSide(s[0]) : RescaleSmallestSide(range: s[0]...s[1]))
        }
        if pad > 0 { t.append(Pad(pad)) }
        if let crop { t.append(RandomCrop(crop)) }
        if flip { t.append(RandomHorizontalFlip()) }
        if let colorJitter { t.append(colorJitter) }
        if colorShift, eigenvalues.count == 3 { t.append(PCAColorShift(eigenvalues: eigenvalues, eigenvectors: eigenvectors)) }
        t.append(Normalize(mean: mean, std: std))
        if let p = randomErasing, p > 0 { t.append(RandomErasing(probability: p)) }
        return TransformPipeline(t)
    }

    /// Evaluation at scale `q` (default: the stored test scale), single centre crop.
    public func evaluationPipeline(scale q: Int? = nil, crop overrideCrop: Int?? = nil) -> TransformPipeline {
        var t: [any ImageTransform] = []
        if let q = q ?? evaluationScale { t.append(RescaleSmallestSide(q)) }
        if pad > 0 { t.append(Pad(pad)) }
        let c: Int? = overrideCrop ?? crop
        if let c { t.append(CenterCrop(c)) }
        t.append(Normalize(mean: mean, std: std))
        return TransformPipeline(t)
    }
}
