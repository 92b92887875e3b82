import Foundation

/// Which OpenBLAS kernel set suits this CPU. OpenBLAS picks its kernels once, when loaded,
/// from `OPENBLAS_CORETYPE` when set, else from the CPU models of its release: on a newer
/// CPU, or one a virtual machine reports by a generic name, it falls back to `Prescott`
/// (SSE3 kernels, about a fifth of the AVX-512 speed). The `vgg` tool restarts itself once
/// with the better setting; library users set `OPENBLAS_CORETYPE` to `upgrade(…)`'s answer.
public enum BLASCoreSelection {
    /// The OpenBLAS core type that suits this CPU best, from its instruction set.
    public static func bestCoreType() -> String? {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if flags.contains("avx512f") && flags.contains("avx512bw") && flags.contains("avx512vl") { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The core type to switch to when the running one (`running`, as
    /// `openblas_get_corename` names it) is weaker than `best`, or nil when it is as good.
    public static func upgrade(running: String, best: String?) -> String? {
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
