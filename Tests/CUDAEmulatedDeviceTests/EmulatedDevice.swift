@testable import CUDABackend
import CUDAEmulation
import Foundation
import ReferenceBackend
@_spi(BackendImplementation) import Tensors

/// The `cuda` backend on an emulated device: its own op classes, grids and typed launches,
/// every kernel launch run by the host emulation of the `.cu` sources (Tests/CUDAEmulation),
/// tensors in host memory. cuDNN's convolutions are the `reference` backend's
/// (`ReferenceConvolutionPlan`), cuBLAS's sgemm a plain host loop (`hostSgemm`): the emulation
/// covers the backend's kernels, not NVIDIA's libraries. Tests only.
enum EmulatedDevice {
    /// Launch failures of the emulation (an unemulated feature, a bad grid), in order.
    nonisolated(unsafe) static var launchErrors: [String] = []
    /// The kernels launched so far, by name.
    nonisolated(unsafe) static var launched = Set<String>()

    /// In bf16 the backend rounds around the stand-ins, which compute in float32 (as cuDNN and
    /// cuBLAS do in the backend's bf16 on a GPU).
    static func makeBackend(precision: Precision = .fp32) -> CUDABackend {
        let device = CUDAEmulatedDevice(
            launch: { kernel, grid, block, arguments in
                launched.insert(kernel)
                let status = vgg_emu_launch(kernel, UInt32(grid.0), UInt32(grid.1), UInt32(grid.2),
                                            UInt32(block.0), UInt32(block.1), UInt32(block.2), arguments)
                if status != 0 { launchErrors.append("\(kernel): \(String(cString: vgg_emu_last_error()))") }
            },
            makeConvolution: { geometry, _ in ReferenceConvolutionPlan(geometry) },
            sgemm: hostSgemm,
            description: "kernels emulated on the host, convolutions by the reference backend, products by a host sgemm loop")
        return CUDABackend(emulatedDevice: device, precision: precision)
    }

    /// cublasSgemm's definition, column-major: C = α op(A) op(B) + β C, op(A) m × k, op(B) k × n,
    /// each product summed in double and rounded once.
    static func hostSgemm(_ transposeA: Int32, _ transposeB: Int32, _ m: Int32, _ n: Int32, _ k: Int32, _ alpha: Float,
                          _ a: UnsafePointer<Float>, _ lda: Int32, _ b: UnsafePointer<Float>, _ ldb: Int32, _ beta: Float,
                          _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) {
        let (m, n, k, lda, ldb, ldc) = (Int(m), Int(n), Int(k), Int(lda), Int(ldb), Int(ldc))
        for j in 0..<n {
            for i in 0..<m {
                var sum = 0.0
                for p in 0..<k {
                    let x = transposeA == 0 ? a[i + p * lda] : a[p + i * lda]
                    let y = transposeB == 0 ? b[p + j * ldb] : b[j + p * ldb]
                    sum += Double(x) * Double(y)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[i + j * ldc])
                c[i + j * ldc] = Float(Double(alpha) * sum + old)
            }
        }
    }
}

/// cuDNN's plan stood in for by the `reference` backend's convolution: the OHWI filter the
/// backend's `oihw_to_ohwi` kernel wrote is read back to OIHW on the host, the bias is zero
/// (the backend adds its own with `bias_add` and sums its gradient with `column_partials`),
/// and the filter gradient is written in OHWI for the backend's `ohwi_to_oihw`.
final class ReferenceConvolutionPlan: ConvolutionLibraryPlan {
    let geometry: ConvolutionGeometry
    let algorithms: [Int32] = [-1, -1, -1]
    let workspaces = [0, 0, 0]
    let workspaceBytes = 0
    private let op: any ConvolutionOp
    private let x, y, weight, bias, dweight, dbias: Tensor

    init(_ g: ConvolutionGeometry) {
        geometry = g
        op = try! ReferenceBackend(threads: 2).makeConvolution(g, propagateDown: true)
        x = Tensor(shape: [g.batch, g.inChannels, g.height, g.width], layout: .nhwc, on: HostMemory.shared)
        y = Tensor(shape: [g.batch, g.outChannels, g.outHeight, g.outWidth], layout: .nhwc, on: HostMemory.shared)
        weight = Tensor(shape: [g.outChannels, g.inChannels, g.kernelH, g.kernelW], on: HostMemory.shared)
        dweight = Tensor(shape: weight.shape, on: HostMemory.shared)
        bias = Tensor(shape: [g.outChannels], on: HostMemory.shared)
        dbias = Tensor(shape: [g.outChannels], on: HostMemory.shared)
    }

    private func load(_ t: Tensor, from p: UnsafeMutableRawPointer) {
        t.hostPointer.update(from: p.assumingMemoryBound(to: Float.self), count: t.count)
    }

    private func store(_ t: Tensor, to p: UnsafeMutableRawPointer) {
        p.assumingMemoryBound(to: Float.self).update(from: t.hostPointer, count: t.count)
    }

    /// OHWI (the backend's filter) to OIHW (the reference's weights), or back.
    private func transpose(ohwi: UnsafeMutablePointer<Float>, oihw: UnsafeMutablePointer<Float>, toOIHW: Bool) {
        let (o, i, hw) = (geometry.outChannels, geometry.inChannels, geometry.kernelH * geometry.kernelW)
        for a in 0..<o { for c in 0..<i { for s in 0..<hw {
            let krsc = (a * hw + s) * i + c, kcrs = (a * i + c) * hw + s
            if toOIHW { oihw[kcrs] = ohwi[krsc] } else { ohwi[krsc] = oihw[kcrs] }
        } } }
    }

    func forward(x xp: UnsafeMutableRawPointer, filter: UnsafeMutableRawPointer, y yp: UnsafeMutableRawPointer, workspace: UnsafeMutableRawPointer?) {
        load(x, from: xp)
        transpose(ohwi: filter.assumingMemoryBound(to: Float.self), oihw: weight.hostPointer, toOIHW: true)
        op.forward(x: x, weight: weight, bias: bias, y: y)
        store(y, to: yp)
    }

    func backwardData(filter: UnsafeMutableRawPointer, dy: UnsafeMutableRawPointer, dx: UnsafeMutableRawPointer, workspace: UnsafeMutableRawPointer?) {
        transpose(ohwi: filter.assumingMemoryBound(to: Float.self), oihw: weight.hostPointer, toOIHW: true)
        let d = Tensor(shape: y.shape, layout: .nhwc, on: HostMemory.shared), gx = Tensor(shape: x.shape, layout: .nhwc, on: HostMemory.shared)
        load(d, from: dy)
        op.backward(x: x, weight: weight, dy: d, dx: gx, dweight: dweight, dbias: dbias)
        store(gx, to: dx)
    }

    func backwardFilter(x xp: UnsafeMutableRawPointer, dy: UnsafeMutableRawPointer, dfilter: UnsafeMutableRawPointer, workspace: UnsafeMutableRawPointer?) {
        load(x, from: xp)
        let d = Tensor(shape: y.shape, layout: .nhwc, on: HostMemory.shared), gx = Tensor(shape: x.shape, layout: .nhwc, on: HostMemory.shared)
        load(d, from: dy)
        op.backward(x: x, weight: weight, dy: d, dx: gx, dweight: dweight, dbias: dbias)
        transpose(ohwi: dfilter.assumingMemoryBound(to: Float.self), oihw: dweight.hostPointer, toOIHW: false)
    }
}
