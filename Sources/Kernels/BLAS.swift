import COpenBLAS
import CDNNL
import Foundation

/// Matrix multiplication, row-major: `C = alpha * op(A) * op(B) + beta * C` with `op(A)`
/// m×k and `op(B)` k×n, on oneDNN's sgemm (the default) or OpenBLAS's.
///
/// oneDNN's runs on the same OpenMP threads as the convolutions. OpenBLAS keeps its own
/// pthreads, which compete with OpenMP's threads still spinning after a convolution: the
/// first fully-connected layer after the convolutions ran 7× slower on 16 threads
/// (8.1 ms against 1.1 ms for 128×512×4096) and 2× slower on 2.
public enum GEMM {
    /// The library that runs a matrix multiplication.
    public enum Library: String, Sendable, CaseIterable {
        case onednn, openblas
    }

    /// The process-wide default: `VGG_GEMM` (onednn, openblas) or oneDNN.
    public static let library: Library = {
        guard let v = ProcessInfo.processInfo.environment["VGG_GEMM"], !v.isEmpty else { return .onednn }
        guard let l = Library(rawValue: v.lowercased()) else {
            FileHandle.standardError.write(Data("VGG_GEMM=\(v) is not one of onednn, openblas; using onednn\n".utf8))
            return .onednn
        }
        return l
    }()

    public static func multiply(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                beta: Float = 0, c: UnsafeMutablePointer<Float>, library: Library = GEMM.library) {
        let lda = transposeA ? m : k, ldb = transposeB ? k : n
        switch library {
        case .onednn:
            let status = dnnl_sgemm(CChar(UInt8(ascii: transposeA ? "T" : "N")), CChar(UInt8(ascii: transposeB ? "T" : "N")),
                                    Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(n))
            precondition(status == dnnl_success, "dnnl_sgemm failed (\(status)) for m \(m), n \(n), k \(k)")
        case .openblas:
            cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(n))
        }
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

    /// The kernel settings in effect, as `vgg bench` and `vgg train` print them: threads,
    /// oneDNN version, OpenBLAS kernel set, GEMM library, convolution algorithm and whose
    /// Winograd kernels.
    public static var settingsSummary: String {
        "threads \(threads), oneDNN \(dnnlVersion), OpenBLAS core \(blasCore), GEMM \(GEMM.library.rawValue), "
            + "convolutions \(ConvolutionAlgorithm.processDefault.rawValue), Winograd \(WinogradImplementation.processDefault.rawValue)"
    }

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
