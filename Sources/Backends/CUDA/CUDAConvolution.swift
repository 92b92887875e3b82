import CCUDA
@_spi(BackendImplementation) import Tensors

/// A convolution on cuDNN: NHWC activations, filters transposed on the device from
/// PyTorch's OIHW to channels-last (KRSC, cuDNN's fast layout for NHWC), algorithms chosen
/// once per shape by cuDNN's search (timed on the device, within the workspace limit) and
/// shared by every layer of that shape. The bias is added by a kernel of the backend, and
/// its gradient is a deterministic sum over the pixels.
///
/// In bf16 cuDNN computes in float32 on bf16 values (docs/precision.md, point 4: the products
/// of bf16 operands are exact in float32, the sums float32): x, dy, the filter and the bias
/// are read as float32 copies of their values rounded to bf16, and y and dx are rounded once,
/// after the bias is added; dweight and dbias stay float32.
final class CUDAConvolution: ConvolutionOp {
    let geometry: ConvolutionGeometry
    let propagateDown: Bool
    /// Whether cuDNN's forward algorithm is one of its Winograd ones (6, 7).
    var usesWinograd: Bool { algorithms[0] >= 0 && [6, 7].contains(algorithms[0] % 100) }
    private unowned let backend: CUDABackend
    /// cuDNN's plan (on an emulated device, its stand-in).
    private let plan: any ConvolutionLibraryPlan
    private var algorithms: [Int32] { plan.algorithms }
    private var workspaceBytes: Int { plan.workspaceBytes }
    /// The filter in KRSC order (rewritten by every forward), and its gradient before the
    /// transpose back to OIHW.
    private let filter: Tensor
    private let filterGradient: Tensor
    private var filterSource: (UnsafeMutableRawPointer, Int)?

    init(_ g: ConvolutionGeometry, propagateDown: Bool, backend: CUDABackend) throws {
        geometry = g
        self.propagateDown = propagateDown
        self.backend = backend
        if let device = backend.emulatedDevice {
            plan = device.makeConvolution(g, propagateDown)
        } else {
            // Algorithms (with their workspace sizes) found for this shape before are reused;
            // should the libraries refuse them, the search runs again.
            let cached = backend.convolutionAlgorithms[g]
            let cuDNN = try CuDNNConvolutionPlan(g, propagateDown: propagateDown, math: backend.configuration.precision == .tf32 ? 1 : 0,
                                                 workspaceLimitBytes: backend.configuration.workspaceLimitBytes, cached: cached)
            plan = cuDNN
            if cached == nil || (propagateDown && cached!.algorithms[1] < 0) {
                backend.convolutionAlgorithms[g] = CUDABackend.ConvolutionChoice(algorithms: cuDNN.algorithms, workspaces: cuDNN.workspaces)
            }
        }
        let count = g.outChannels * g.inChannels * g.kernelH * g.kernelW
        filter = Tensor(shape: [count], on: backend.memory)
        filterGradient = Tensor(shape: [count], on: backend.memory)
    }

    var implementations: [String] {
        let forward = ["implicit GEMM", "implicit precomputed GEMM", "GEMM", "direct", "FFT", "FFT tiling", "Winograd", "Winograd nonfused"]
        let data = ["algo 0", "algo 1", "FFT", "FFT tiling", "Winograd", "Winograd nonfused"]
        let weights = ["algo 0", "algo 1", "FFT", "algo 3", "Winograd", "Winograd nonfused", "FFT tiling"]
        func name(_ v: Int32, _ names: [String]) -> String {
            guard v >= 0 else { return "none" }
            let a = Int(v % 100), math = v / 100
            return "cuDNN " + (a < names.count ? names[a] : "algo \(a)") + (math == 1 || math == 2 ? " (tensor cores)" : "")
        }
        return [name(algorithms[0], forward), name(algorithms[1], data), name(algorithms[2], weights)]
    }

    /// The filter in cuDNN's OHWI from the OIHW `weight` (in bf16, its bf16 copy).
    private func transposeFilter(from weight: Tensor) {
        let g = geometry
        backend.kernels.oihwToOhwi(elements: filter.count, src: weight.address, dst: filter.address, o: g.outChannels, in: g.inChannels,
                                   hw: g.kernelH * g.kernelW)
        if backend.roundsToBFloat16 { backend.bfloat16.round(filter.address, count: filter.count) }
    }

    /// What the op reads of `t`: `t` itself, or in bf16 a float32 copy of its rounded values.
    private func read(_ t: Tensor, slot: Int) -> UnsafeMutableRawPointer {
        backend.roundsToBFloat16 ? backend.bfloat16.rounded(t, into: slot) : t.address
    }

    func forward(x: Tensor, weight: Tensor, bias: Tensor, y: Tensor) {
        vgg_cuda_make_current()
        let k = backend.kernels
        transposeFilter(from: weight)
        filterSource = (weight.address, weight.count)
        let ws = backend.workspace(bytes: workspaceBytes)
        let (xv, biasv) = (read(x, slot: 0), read(bias, slot: 1))
        plan.forward(x: xv, filter: filter.address, y: y.address, workspace: ws)
        let rows = geometry.batch * geometry.outHeight * geometry.outWidth
        k.biasAdd(elements: rows * geometry.outChannels, y: y.address, b: biasv, rows: rows, cols: geometry.outChannels)
        if backend.roundsToBFloat16 { backend.bfloat16.round(y.address, count: y.count) }
    }

    func backward(x: Tensor, weight: Tensor, dy: Tensor, dx: Tensor?, dweight: Tensor, dbias: Tensor) {
        vgg_cuda_make_current()
        let k = backend.kernels
        let ws = backend.workspace(bytes: workspaceBytes)
        let (xv, dyv) = (read(x, slot: 0), read(dy, slot: 2))
        if propagateDown, let dx {
            // The forward's transposed filter, unless the weights given now are others.
            if filterSource == nil || filterSource! != (weight.address, weight.count) {
                transposeFilter(from: weight)
                filterSource = (weight.address, weight.count)
            }
            plan.backwardData(filter: filter.address, dy: dyv, dx: dx.address, workspace: ws)
            if backend.roundsToBFloat16 { backend.bfloat16.round(dx.address, count: dx.count) }
        }
        plan.backwardFilter(x: xv, dy: dyv, dfilter: filterGradient.address, workspace: ws)
        k.ohwiToOihw(elements: filter.count, src: filterGradient.address, dst: dweight.address, o: geometry.outChannels,
                     in: geometry.inChannels, hw: geometry.kernelH * geometry.kernelW)
        backend.columnSums(dyv, rows: geometry.batch * geometry.outHeight * geometry.outWidth, cols: geometry.outChannels,
                           into: dbias.address)
    }
}
