import COpenBLAS
import CDNNL
import Foundation

/// Matrix multiplication (OpenBLAS sgemm), row-major:
/// `C = alpha * op(A) * op(B) + beta * C` with `op(A)` m×k and `op(B)` k×n.
public enum GEMM {
    public static func multiply(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                beta: Float = 0, c: UnsafeMutablePointer<Float>) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(transposeA ? m : k),
                    b, Int32(transposeB ? k : n), beta, c, Int32(n))
    }
}

/// Process-wide kernel settings: thread counts and the BLAS kernel in use.
public enum KernelRuntime {
    /// Sets the number of threads of oneDNN (OpenMP) and OpenBLAS.
    public static func setThreads(_ n: Int) {
        let n = max(1, n)
        omp_set_num_threads(Int32(n))
        openblas_set_num_threads(Int32(n))
        threads = n
    }

    /// Thread count last set (defaults to the number of cores).
    public private(set) static var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    /// OpenBLAS's name for the kernel set it runs (e.g. `SkylakeX`, `Haswell`).
    public static var blasCore: String { String(cString: openblas_get_corename()) }

    /// oneDNN's version string.
    public static var dnnlVersion: String {
        guard let v = dnnl_version() else { return "?" }
        return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.patch)"
    }

    /// The OpenBLAS core type that suits this CPU best, from its instruction set.
    public static func bestBLASCoreType() -> String? {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if flags.contains("avx512f") && flags.contains("avx512bw") && flags.contains("avx512vl") { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The OpenBLAS core type to switch to when the running one (`running`, as
    /// `openblas_get_corename` names it) is weaker than `best`, or nil when it is as good.
    /// OpenBLAS's own detection knows only the CPU models of its release: on a newer CPU,
    /// or one a virtual machine reports by a generic name, it falls back to `Prescott`
    /// (SSE3 kernels, about a fifth of the AVX-512 speed), so the running core is checked,
    /// not only a preset `OPENBLAS_CORETYPE`.
    public static func blasCoreUpgrade(running: String, best: String?) -> String? {
        guard let best else { return nil }
        let avx512 = ["skylakex", "cooperlake", "sapphirerapids"]
        let atLeast: [String]
        switch best.lowercased() {
        case "skylakex": atLeast = avx512
        case "haswell": atLeast = ["haswell", "zen"] + avx512
        default: atLeast = [best.lowercased()]
        }
        return atLeast.contains(running.lowercased()) ? nil : best
    }
}
