@_spi(BackendImplementation) import Tensors

/// What stands in for the GPU when the backend's op classes run on the host emulation of its
/// kernels, in the tests only (`CUDABackend(emulatedDevice:)` is internal: `--backend` and every
/// other place a user sees know nothing of it). Memory is host memory; every kernel launch goes
/// to `launch` with the driver's argument convention; cuDNN and cuBLAS, which the emulation does
/// not cover, are replaced by `makeConvolution` and `sgemm`.
struct CUDAEmulatedDevice {
    /// Runs `kernel` on `grid` blocks of `block` threads; `arguments[i]` points at the value of
    /// the kernel's i-th parameter (cuLaunchKernel's convention).
    var launch: (_ kernel: String, _ grid: (Int, Int, Int), _ block: (Int, Int, Int),
                 _ arguments: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> Void
    /// The stand-in for cuDNN's plan of one convolution geometry.
    var makeConvolution: (ConvolutionGeometry, _ propagateDown: Bool) -> any ConvolutionLibraryPlan
    /// The stand-in for `cublasSgemm` (column-major, cuBLAS's parameters; transposes 0 or 1).
    var sgemm: (_ transposeA: Int32, _ transposeB: Int32, _ m: Int32, _ n: Int32, _ k: Int32, _ alpha: Float,
                _ a: UnsafePointer<Float>, _ lda: Int32, _ b: UnsafePointer<Float>, _ ldb: Int32, _ beta: Float,
                _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) -> Void
    /// The line `settingsSummary` shows, saying what runs where.
    var description: String
}

/// cuDNN's three calls for one convolution geometry on NHWC activations and an OHWI (KRSC)
/// filter, all pointers in the backend's memory.
protocol ConvolutionLibraryPlan: AnyObject {
    /// Per direction (forward, data, filter) the algorithm (+ 100 × math type), -1 for none.
    var algorithms: [Int32] { get }
    /// Per direction the workspace bytes.
    var workspaces: [Int] { get }
    /// The workspace the three calls need.
    var workspaceBytes: Int { get }
    func forward(x: UnsafeMutableRawPointer, filter: UnsafeMutableRawPointer, y: UnsafeMutableRawPointer, workspace: UnsafeMutableRawPointer?)
    func backwardData(filter: UnsafeMutableRawPointer, dy: UnsafeMutableRawPointer, dx: UnsafeMutableRawPointer, workspace: UnsafeMutableRawPointer?)
    func backwardFilter(x: UnsafeMutableRawPointer, dy: UnsafeMutableRawPointer, dfilter: UnsafeMutableRawPointer, workspace: UnsafeMutableRawPointer?)
}
