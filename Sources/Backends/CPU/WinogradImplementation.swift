import Tensors

/// Which Winograd kernels run a convolution planned as `.winograd`.
public enum WinogradImplementation: String, CaseIterable, Sendable, Codable {
    /// oneDNN's `jit_wino_4x3` kernels (oneDNN 2.x: AVX-512 only), activations staged
    /// through its blocked layout.
    case onednn
    /// `WinogradConvolution`: hand-written tile transforms (F(4×4,3×3), or F(2×2,3×3)
    /// on outputs smaller than 4×4) around oneDNN's sgemm, on NHWC activations.
    case native

    /// Whether this machine's oneDNN has Winograd kernels.
    public static let isOneDNNAvailable: Bool = {
        let probe = ConvolutionGeometry(batch: 1, inChannels: 16, height: 8, width: 8, outChannels: 16,
                                        kernelH: 3, kernelW: 3, stride: 1, padding: 1)
        return (try? DNNLConvolution(probe, context: DNNLContext(), scratch: ScratchBuffers(), winograd: true))?.algorithm == .winograd
    }()

    /// Whether these kernels run on this machine.
    public var isAvailable: Bool {
        switch self {
        case .onednn: return Self.isOneDNNAvailable
        case .native: return WinogradConvolution.isSupported
        }
    }

    /// oneDNN's where it has Winograd kernels, the native ones elsewhere.
    public static var best: WinogradImplementation { isOneDNNAvailable ? .onednn : .native }
}
