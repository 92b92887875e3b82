import Tensors

/// The arithmetic of the `cuda` backend: the shared `Precision` (fp32, tf32; bf16 is refused
/// until its kernels exist).
public typealias CUDAPrecision = Precision
