/// The arithmetic of the `cuda` backend's convolutions and matrix products.
public enum CUDAPrecision: String, CaseIterable, Sendable, Codable {
    /// float32 on the FMA units (no TF32): results agree with the CPU backends to rounding.
    case fp32
    /// float32 storage, TF32 tensor cores for convolutions and matrix products (PyTorch's
    /// `allow_tf32`): about 10 bits of mantissa in the products, float32 sums.
    case tf32
    /// bfloat16 activations and weight copies with float32 master weights, statistics and
    /// loss. Not implemented yet: asking for it is an error.
    case bf16
}
