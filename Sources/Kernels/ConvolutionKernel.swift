import CDNNL
import Foundation

/// The shape of a 2-D convolution: batch, channels, spatial size, kernel, stride, padding.
public struct ConvolutionGeometry: Equatable, Sendable {
    public var batch, inChannels, height, width: Int
    public var outChannels, kernelH, kernelW, stride, padding: Int

    public init(batch: Int, inChannels: Int, height: Int, width: Int,
                outChannels: Int, kernelH: Int, kernelW: Int, stride: Int = 1, padding: Int = 0) {
        self.batch = batch; self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels; self.kernelH = kernelH; self.kernelW = kernelW
        self.stride = stride; self.padding = padding
    }

    public var outHeight: Int { (height + 2 * padding - kernelH) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernelW) / stride + 1 }
    /// Multiply-adds of one forward pass over the batch, times two.
    public var forwardFLOPs: Double {
        2.0 * Double(batch * outChannels * outHeight * outWidth) * Double(inChannels * kernelH * kernelW)
    }
}

/// How a convolution is computed.
public enum ConvolutionAlgorithm: String, CaseIterable, Sendable {
    /// Direct convolution, activations read and written channels-last in place.
    case direct
    /// Winograd: 3×3 stride-1 kernels on about 2.25× (F(2×2,3×3)) or 4× (F(4×4,3×3))
    /// fewer multiplications, by the implementation `WinogradImplementation` names.
    case winograd
    /// Winograd where it pays off (measured by `vgg bench --conv` and the per-layer
    /// benchmark), direct elsewhere.
    case automatic

    /// The process-wide default: `VGG_CONV_ALGORITHM` (direct, winograd, automatic) or automatic.
    nonisolated(unsafe) public static var processDefault: ConvolutionAlgorithm =
        ProcessInfo.processInfo.environment["VGG_CONV_ALGORITHM"].flatMap(ConvolutionAlgorithm.init(rawValue:)) ?? .automatic

    /// Whether Winograd kernels run on this machine: oneDNN's (AVX-512 in oneDNN 2.x) or
    /// the native ones (AVX2 and FMA). Without them every convolution is direct.
    public static var isWinogradAvailable: Bool {
        WinogradImplementation.isOneDNNAvailable || WinogradConvolution.isSupported
    }

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

/// Which Winograd kernels run a convolution planned as `.winograd`.
public enum WinogradImplementation: String, CaseIterable, Sendable {
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
        return (try? DNNLConvolution(probe, winograd: true))?.algorithm == .winograd
    }()

    /// Whether these kernels run on this machine.
    public var isAvailable: Bool {
        switch self {
        case .onednn: return Self.isOneDNNAvailable
        case .native: return WinogradConvolution.isSupported
        }
    }

    /// The process-wide default: `VGG_WINOGRAD` (onednn, native), else oneDNN's where it
    /// has Winograd kernels and the native ones elsewhere.
    nonisolated(unsafe) public static var processDefault: WinogradImplementation =
        ProcessInfo.processInfo.environment["VGG_WINOGRAD"].flatMap(WinogradImplementation.init(rawValue:))
            ?? (isOneDNNAvailable ? .onednn : .native)
}

/// A planned convolution: forward and backward for one geometry, on oneDNN's primitives
/// or on the native Winograd kernels (`WinogradConvolution`), activations channels-last
/// (NHWC), weights in PyTorch's OIHW order, bias per output channel.
public final class ConvolutionKernel {
    public let geometry: ConvolutionGeometry
    public let propagateDown: Bool
    /// The algorithm in use (`.direct` or `.winograd`).
    public let algorithm: ConvolutionAlgorithm
    private let dnnl: DNNLConvolution?
    private let native: WinogradConvolution?

    /// Plans one geometry. `propagateDown` false skips the input gradient (Caffe's
    /// `propagate_down`, used for the first layer). `algorithm` picks Winograd or direct
    /// and `winograd` whose Winograd; when that Winograd is not available for the
    /// geometry on this machine the kernel is direct.
    public init(_ g: ConvolutionGeometry, propagateDown: Bool = true,
                algorithm: ConvolutionAlgorithm = ConvolutionAlgorithm.processDefault,
                winograd: WinogradImplementation = WinogradImplementation.processDefault) throws {
        geometry = g
        self.propagateDown = propagateDown
        let wantsWinograd = algorithm.prefersWinograd(g, implementation: winograd)
        if wantsWinograd && winograd == .native && WinogradConvolution.isSupported {
            native = WinogradConvolution(g, propagateDown: propagateDown)
            dnnl = nil
            self.algorithm = .winograd
        } else {
            let d = try DNNLConvolution(g, propagateDown: propagateDown, winograd: wantsWinograd && winograd == .onednn)
            dnnl = d
            native = nil
            self.algorithm = d.algorithm
        }
    }

    /// Names of the implementations in use (forward, backward data, backward weights).
    public var implementations: [String] {
        if let native { return native.implementations }
        return dnnl!.implementations
    }

    /// y = conv(x, weight) + bias. `x`, `y` NHWC; `weight` OIHW.
    public func forward(x: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>,
                        bias: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>) {
        if let native { native.forward(x: x, weight: weight, bias: bias, y: y) } else {
            dnnl!.forward(x: x, weight: weight, bias: bias, y: y)
        }
    }

    /// Gradients: dweight, dbias (overwritten), and dx when planned with `propagateDown`.
    public func backward(x: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>,
                         dy: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                         dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>) {
        if let native {
            native.backward(x: x, weight: weight, dy: dy, dx: propagateDown ? dx : nil, dweight: dweight, dbias: dbias)
        } else {
            dnnl!.backward(x: x, weight: weight, dy: dy, dx: dx, dweight: dweight, dbias: dbias)
        }
    }
}
