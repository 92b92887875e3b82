import CCUDA
@_spi(BackendImplementation) import Tensors

/// cuDNN's plan of one convolution geometry: descriptors and the algorithms chosen by its
/// search (timed on the device, within the workspace limit), or those found for this shape
/// before, which are reused unless the library refuses them.
final class CuDNNConvolutionPlan: ConvolutionLibraryPlan {
    let geometry: ConvolutionGeometry
    private let plan: OpaquePointer
    let algorithms: [Int32]
    let workspaces: [Int]
    let workspaceBytes: Int

    init(_ g: ConvolutionGeometry, propagateDown: Bool, math: Int32, workspaceLimitBytes: Int,
         cached: CUDABackend.ConvolutionChoice?) throws {
        geometry = g
        var plan: OpaquePointer?
        func create(_ algorithms: [Int32], _ workspaces: [Int]) -> Int32 {
            vgg_conv_plan_create(&plan, Int32(g.batch), Int32(g.inChannels), Int32(g.height), Int32(g.width),
                                 Int32(g.outChannels), Int32(g.kernelH), Int32(g.kernelW), Int32(g.stride),
                                 Int32(g.padding), math, workspaceLimitBytes,
                                 algorithms, workspaces, propagateDown ? 1 : 0)
        }
        var status: Int32 = 1
        if let cached, !propagateDown || cached.algorithms[1] >= 0 {
            status = create(cached.algorithms, cached.workspaces)
        }
        if status != 0 { status = create([-1, -1, -1], [0, 0, 0]) }
        guard status == 0, let plan else { throw BackendError(operation: "cuda \(g)", problem: cudaLastError()) }
        self.plan = plan
        var chosen = [Int32](repeating: -1, count: 3)
        var sizes = [Int](repeating: 0, count: 3)
        var bytes = 0
        vgg_conv_plan_algorithms(plan, &chosen, &sizes, &bytes)
        algorithms = chosen
        workspaces = sizes
        workspaceBytes = bytes
    }

    deinit { vgg_conv_plan_destroy(plan) }

    private func f(_ p: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Float> { p.assumingMemoryBound(to: Float.self) }

    func forward(x: UnsafeMutableRawPointer, filter: UnsafeMutableRawPointer, y: UnsafeMutableRawPointer, workspace: UnsafeMutableRawPointer?) {
        cudaCheck(vgg_conv_forward(plan, f(x), f(filter), f(y), workspace, workspaceBytes), "\(geometry) forward")
    }

    func backwardData(filter: UnsafeMutableRawPointer, dy: UnsafeMutableRawPointer, dx: UnsafeMutableRawPointer, workspace: UnsafeMutableRawPointer?) {
        cudaCheck(vgg_conv_backward_data(plan, f(filter), f(dy), f(dx), workspace, workspaceBytes), "\(geometry) backward data")
    }

    func backwardFilter(x: UnsafeMutableRawPointer, dy: UnsafeMutableRawPointer, dfilter: UnsafeMutableRawPointer, workspace: UnsafeMutableRawPointer?) {
        cudaCheck(vgg_conv_backward_filter(plan, f(x), f(dy), f(dfilter), workspace, workspaceBytes), "\(geometry) backward filter")
    }
}
