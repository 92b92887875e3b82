@_spi(BackendImplementation) import Tensors

/// The device scratch through which the ops of a `cuda` backend in bf16 read and write their
/// activations (docs/precision.md, "Storage on the cuda backend"). Tensors between ops are
/// float32 buffers holding bf16 values, as on the `reference` backend; inside an op, the
/// activations it reads are rounded (`f32_to_bf16`) into 2-byte buffers here, the bf16
/// kernels compute from and into those, and what they write is widened (`bf16_to_f32`, exact)
/// into the op's float32 output. Where a library computes (cuDNN, cuBLAS), the op reads a
/// float32 copy of rounded values instead (`rounded`), and rounds what the library wrote in
/// place (`round`).
///
/// One scratch per backend: ops run one at a time on one stream, and nothing here outlives
/// the op that filled it. Bit slot 0 is the temporary of `rounded` and `round`; ops load
/// into slots 1 and up. Each slot grows to the largest size asked for; a buffer replaced
/// while kernels may still read it is released after the stream is drained.
final class CUDABFloat16Scratch {
    private unowned let backend: CUDABackend
    private var bitSlots: [Tensor?] = []
    private var floatSlots: [Tensor?] = []

    init(backend: CUDABackend) { self.backend = backend }

    private var kernels: CUDAKernels { backend.kernels }

    /// A buffer of at least `floats` float32 elements in `slots[slot]`.
    private func buffer(_ slots: inout [Tensor?], _ slot: Int, floats: Int) -> UnsafeMutableRawPointer {
        while slots.count <= slot { slots.append(nil) }
        if let t = slots[slot], t.count >= floats { return t.address }
        if slots[slot] != nil { backend.synchronize() }
        slots[slot] = nil
        let t = Tensor(shape: [max(floats, 1)], on: backend.memory)
        slots[slot] = t
        return t.address
    }

    /// Room for `count` bf16 values (2 bytes each) in bit slot `slot`, contents undefined.
    func bits(_ slot: Int, count: Int) -> UnsafeMutableRawPointer {
        buffer(&bitSlots, slot, floats: (count + 1) / 2)
    }

    /// `t`'s values rounded to bf16 (`bf16_round`, point 3's rounding) in bit slot `slot`.
    func load(_ t: Tensor, into slot: Int) -> UnsafeMutableRawPointer {
        let p = bits(slot, count: t.count)
        if t.count > 0 { kernels.f32ToBf16(elements: t.count, x: t.address, y: p, n: t.count) }
        return p
    }

    /// The `t.count` bf16 values at `bits` written into `t` as float32 (exact).
    func store(_ bits: UnsafeMutableRawPointer, into t: Tensor) {
        if t.count > 0 { kernels.bf16ToF32(elements: t.count, x: bits, y: t.address, n: t.count) }
    }

    /// A float32 copy of `t`'s values rounded to bf16, in float slot `slot`: what cuDNN,
    /// cuBLAS and the float32 kernels read in bf16 (inputs, the weights' and biases' bf16 copy).
    func rounded(_ t: Tensor, into slot: Int) -> UnsafeMutableRawPointer {
        let out = buffer(&floatSlots, slot, floats: t.count)
        guard t.count > 0 else { return out }
        let b = bits(0, count: t.count)
        kernels.f32ToBf16(elements: t.count, x: t.address, y: b, n: t.count)
        kernels.bf16ToF32(elements: t.count, x: b, y: out, n: t.count)
        return out
    }

    /// Rounds the `count` float32 values at `address` to bf16 in place (an output a library or
    /// a float32 kernel computed), through bit slot 0.
    func round(_ address: UnsafeMutableRawPointer, count: Int) {
        guard count > 0 else { return }
        let b = bits(0, count: count)
        kernels.f32ToBf16(elements: count, x: address, y: b, n: count)
        kernels.bf16ToF32(elements: count, x: b, y: address, n: count)
    }
}
