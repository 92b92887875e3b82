/// The test-time procedures of §3.2.
public enum TestMode: String, CaseIterable, Codable, Sendable {
    /// One centre crop of the image rescaled to Q (or the whole image when no crop is used).
    case single
    /// Fully-convolutional network over the whole rescaled image, class scores averaged over space.
    case dense
    /// A regular grid of crops (5×5 in the paper) of the image rescaled to Q.
    case multiCrop = "multi-crop"
}
