import Tensors

/// How a convolution is computed.
public enum ConvolutionAlgorithm: String, CaseIterable, Sendable, Codable {
    /// Direct convolution, activations read and written channels-last in place.
    case direct
    /// Winograd: 3×3 stride-1 kernels on about 2.25× (F(2×2,3×3)) or 4× (F(4×4,3×3))
    /// fewer multiplications, by the implementation `WinogradImplementation` names.
    case winograd
    /// Winograd where it pays off (measured by `vgg bench --conv` and the per-layer
    /// benchmark), direct elsewhere.
    case automatic

    /// Whether this geometry should use Winograd under this setting, with `implementation`.
    func prefersWinograd(_ g: ConvolutionGeometry, implementation: WinogradImplementation) -> Bool {
        guard WinogradConvolution.applies(to: g) else { return false }
        switch self {
        case .direct: return false
        case .winograd: return true
        case .automatic:
            switch implementation {
            case .onednn:
                return g.outHeight >= 4 && g.outWidth >= 4 && g.inChannels % 16 == 0 && g.outChannels % 16 == 0
            case .native:
                return WinogradConvolution.pays(for: g)
            }
        }
    }
}
