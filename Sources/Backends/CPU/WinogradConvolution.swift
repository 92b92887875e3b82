import CKernels
import Tensors
import Foundation

/// Winograd convolution for 3×3 stride-1 kernels (Lavin & Gray 2016) on NHWC activations,
/// for machines where oneDNN 2.x has no Winograd kernels (everything below AVX-512).
///
/// A tile of m×m outputs (m = 4, or 2 on small outputs) costs (m+2)² products instead of
/// 9m²: 2.25× fewer multiplications for F(2×2,3×3), 4× for F(4×4,3×3). The hand-written
/// part is the tile transforms (`CKernels`, eight channels per AVX2 register, on
/// oneDNN's OpenMP threads); the products are P = (m+2)² matrix multiplications per
/// block of tiles on oneDNN's sgemm:
///
/// - forward: `M[p] = V[p] · U[p]ᵀ`, V the input tiles, U the transformed weights;
/// - backward data: `dV[p] = Mg[p] · U[p]`, Mg the transformed output gradient, then
///   the adjoint of the input transform adds the overlapping tiles into dx;
/// - backward weights: `dU[p] += Mg[p]ᵀ · V[p]`, then the adjoint of the weight transform.
///
/// The backward passes are the exact adjoints of the forward one, so the gradients are
/// those of the computed function. Tiles are processed in blocks whose transformed data
/// fit a scratch budget (`CPUBackendConfiguration.winogradScratchBytes`, default 16 MiB), held in the backend's
/// `ScratchBuffers`: no memory per layer.
final class WinogradConvolution {
    let geometry: ConvolutionGeometry
    let propagateDown: Bool
    /// Output tile side m: 4 (F(4×4,3×3)) or 2 (F(2×2,3×3)).
    let tileSize: Int
    private var plan: vgg_wino_plan
    /// Transformed tile elements, (m+2)².
    private let points: Int
    /// Tiles over the whole batch, and per block.
    private let tiles, blockTiles: Int

    /// Whether this CPU runs the transforms (AVX2 and FMA).
    static let isSupported: Bool = vgg_wino_supported() != 0

    /// The default scratch budget for one block's transformed input and output tiles (16 MiB;
    /// 8 and 32 measured slower).
    static let defaultScratchBytes = 16 << 20

    /// Whether Winograd computes this geometry: 3×3 kernels, stride 1.
    static func applies(to g: ConvolutionGeometry) -> Bool {
        g.kernelH == 3 && g.kernelW == 3 && g.stride == 1 && g.outHeight >= 1 && g.outWidth >= 1
    }

    /// Whether the native Winograd is faster than oneDNN's direct kernels for this geometry
    /// (`.automatic`): enough channels for the products to dominate the transforms.
    /// Measured with `vgg bench --conv IN,OUT,SIZE --batch-size 128` on 2 AVX2 threads, forward +
    /// backward, direct against native: 512→512 at 2×2 104 against 36 ms, 64→64 at 32×32
    /// 244 against 136 ms, 32→32 at 16×16 19.9 against 15.2 ms; 16→32 at 16×16 10.7 against
    /// 11.7 ms and 8→16 at 16×16 2.9 against 5.5 ms (slower).
    static func pays(for g: ConvolutionGeometry) -> Bool {
        applies(to: g) && g.inChannels >= 32 && g.outChannels >= 32
    }

    /// The tile side with fewer products for this output size (ties: the larger tile).
    static func tileSize(for g: ConvolutionGeometry) -> Int {
        func products(_ m: Int) -> Int {
            ((g.outHeight + m - 1) / m) * ((g.outWidth + m - 1) / m) * (m + 2) * (m + 2)
        }
        return products(4) <= products(2) ? 4 : 2
    }

    /// `tileSize` nil: the better one for the output size; `scratchBytes` bounds one block.
    private let scratch: ScratchBuffers
    private let gemm: GEMM.Library

    init(_ g: ConvolutionGeometry, propagateDown: Bool, tileSize m: Int? = nil, scratch: ScratchBuffers,
         scratchBytes: Int = defaultScratchBytes, gemm: GEMM.Library = .onednn) {
        precondition(Self.applies(to: g), "Winograd needs a 3×3 stride-1 convolution, got \(g)")
        let m = m ?? Self.tileSize(for: g)
        precondition(m == 2 || m == 4, "Winograd tile size must be 2 or 4")
        geometry = g
        self.propagateDown = propagateDown
        self.scratch = scratch
        self.gemm = gemm
        tileSize = m
        let th = (g.outHeight + m - 1) / m, tw = (g.outWidth + m - 1) / m
        plan = vgg_wino_plan(m: Int32(m), batch: Int32(g.batch), height: Int32(g.height), width: Int32(g.width),
                             in_channels: Int32(g.inChannels), out_height: Int32(g.outHeight),
                             out_width: Int32(g.outWidth), out_channels: Int32(g.outChannels),
                             pad: Int32(g.padding), tiles_h: Int32(th), tiles_w: Int32(tw))
        points = (m + 2) * (m + 2)
        tiles = g.batch * th * tw
        let perTile = points * (g.inChannels + g.outChannels) * MemoryLayout<Float>.size
        blockTiles = min(tiles, max(1, scratchBytes / perTile))
    }

    /// Names in the style of oneDNN's implementation names.
    var implementations: [String] {
        let name = "native:wino_f\(tileSize)x\(tileSize)_3x3"
        return [name, propagateDown ? name : "-", name]
    }

    private func acquire(_ floats: Int) -> ScratchBuffers.Buffer {
        scratch.acquire(floats * MemoryLayout<Float>.size)
    }

    /// y = conv(x, weight) + bias.
    func forward(x: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>,
                 bias: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>) {
        let c = geometry.inChannels, k = geometry.outChannels
        let ub = acquire(points * k * c), vb = acquire(points * blockTiles * c), mb = acquire(points * blockTiles * k)
        defer { [ub, vb, mb].forEach(scratch.release) }
        let u = ub.pointer.assumingMemoryBound(to: Float.self)
        let v = vb.pointer.assumingMemoryBound(to: Float.self), mt = mb.pointer.assumingMemoryBound(to: Float.self)
        vgg_wino_transform_weights(&plan, weight, u)
        var t0 = 0
        while t0 < tiles {
            let t1 = min(tiles, t0 + blockTiles), n = t1 - t0
            vgg_wino_transform_input(&plan, x, t0, t1, v)
            for p in 0..<points {
                GEMM.multiply(transposeA: false, transposeB: true, m: n, n: k, k: c,
                              a: v + p * n * c, b: u + p * k * c, c: mt + p * n * k, library: gemm)
            }
            vgg_wino_transform_output(&plan, mt, bias, t0, t1, y)
            t0 = t1
        }
    }

    /// dweight, dbias (overwritten) and, when `dx` is given, the input gradient.
    func backward(x: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>,
                  dy: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                  dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>) {
        let g = geometry, c = g.inChannels, k = g.outChannels
        vgg_bias_gradient(dy, g.batch * g.outHeight * g.outWidth, Int32(k), dbias)
        let dub = acquire(points * k * c), vb = acquire(points * blockTiles * c), mb = acquire(points * blockTiles * k)
        let ub = dx == nil ? nil : acquire(points * k * c)
        defer {
            [dub, vb, mb].forEach(scratch.release)
            if let ub { scratch.release(ub) }
        }
        let du = dub.pointer.assumingMemoryBound(to: Float.self)
        let v = vb.pointer.assumingMemoryBound(to: Float.self), mg = mb.pointer.assumingMemoryBound(to: Float.self)
        let u = ub?.pointer.assumingMemoryBound(to: Float.self)
        if let dx, let u {
            vgg_wino_transform_weights(&plan, weight, u)
            dx.update(repeating: 0, count: g.batch * g.height * g.width * c)
        }
        var t0 = 0
        while t0 < tiles {
            let t1 = min(tiles, t0 + blockTiles), n = t1 - t0
            vgg_wino_transform_input(&plan, x, t0, t1, v)
            vgg_wino_transform_output_gradient(&plan, dy, t0, t1, mg)
            for p in 0..<points {
                GEMM.multiply(transposeA: true, transposeB: false, m: k, n: c, k: n,
                              a: mg + p * n * k, b: v + p * n * c, beta: t0 == 0 ? 0 : 1, c: du + p * k * c, library: gemm)
                if let u {
                    // The input tiles of this point are used up: their slot takes dV.
                    GEMM.multiply(transposeA: false, transposeB: false, m: n, n: c, k: k,
                                  a: mg + p * n * k, b: u + p * k * c, c: v + p * n * c, library: gemm)
                }
            }
            if let dx { vgg_wino_accumulate_input_gradient(&plan, v, t0, t1, dx) }
            t0 = t1
        }
        vgg_wino_transform_weight_gradient(&plan, du, dweight)
    }
}
