import CDNNL
import CKernels
import COpenBLAS

/// Facts about this machine and its libraries, read once: the instruction set (the
/// hand-written kernels need AVX2 and FMA) and the versions and kernel sets of oneDNN and
/// OpenBLAS. Nothing here can be set.
public enum CPUFeatures {
    /// AVX2 and FMA: the hand-written Winograd transforms and max pooling run.
    public static let hasAVX2AndFMA: Bool = vgg_cpu_has_avx2_fma() != 0
    /// AVX-512 F, BW and VL.
    public static let hasAVX512: Bool = vgg_cpu_has_avx512() != 0

    /// oneDNN's version string.
    public static var dnnlVersion: String {
        guard let v = dnnl_version() else { return "?" }
        return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.patch)"
    }

    /// OpenBLAS's name for the kernel set it runs (e.g. `SkylakeX`, `Haswell`).
    public static var blasCore: String { String(cString: openblas_get_corename()) }
}
