import CDNNL
import COpenBLAS

/// Matrix multiplication, row-major: `C = alpha · op(A) · op(B) + beta · C` with `op(A)`
/// m×k and `op(B)` k×n, on oneDNN's sgemm or OpenBLAS's.
///
/// oneDNN's runs on the same OpenMP threads as the convolutions. OpenBLAS keeps its own
/// pthreads, which compete with OpenMP's threads still spinning after a convolution: the
/// first fully-connected layer after the convolutions ran 7× slower on 16 threads
/// (8.1 ms against 1.1 ms for 128×512×4096) and 2× slower on 2.
public enum GEMM {
    /// The library that runs a matrix multiplication.
    public enum Library: String, Sendable, CaseIterable, Codable {
        case onednn, openblas
    }

    public static func multiply(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                beta: Float = 0, c: UnsafeMutablePointer<Float>, library: Library) {
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
