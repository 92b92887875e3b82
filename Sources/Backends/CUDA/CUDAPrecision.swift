import Tensors

/// The arithmetic of the `cuda` backend: the shared `Precision` (fp32; tf32 on tensor cores;
/// bf16 with the rounding points of its definition, bf16 values in float32 tensors between the
/// ops: docs/precision.md).
public typealias CUDAPrecision = Precision
