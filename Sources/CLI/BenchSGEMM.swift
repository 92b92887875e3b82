import ArgumentParser
import Backends
import CPUBackend
import Foundation
import Support
import Tensors

/// `vgg bench --sgemm N`: the cpu backend's sgemm libraries, OpenBLAS and oneDNN.
extension BenchCommand {
    func runSGEMM(_ n: Int, _ backend: any Backend) throws {
        guard BackendFacts(of: backend).isCPU else { throw ValidationError("--sgemm measures the cpu backend's sgemm libraries: use --backend cpu") }
        // 64-byte aligned host buffers, as the network's tensors are (OpenBLAS's packing is
        // measurably slower from the 16-byte alignment of Swift arrays).
        var rng = Xoshiro256(seed: 3)
        func matrix(_ fill: () -> Float) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 4 * n * n, alignment: 64).bindMemory(to: Float.self, capacity: n * n)
            for i in 0..<(n * n) { p[i] = fill() }
            return p
        }
        let a = matrix { Float(rng.nextGaussian()) }, b = matrix { Float(rng.nextGaussian()) }, c = matrix { 0 }
        defer { for p in [a, b, c] { p.deallocate() } }
        let flops = 2 * Double(n) * Double(n) * Double(n)
        print(backend.settingsSummary)
        var r = SGEMMBenchRecord(size: n)
        // OpenBLAS first: its rate is the machine's reference ("gflops"); oneDNN's follows.
        for library in [GEMM.Library.openblas, .onednn] {
            var times: [Double] = []
            for it in 0..<(warmup + iterations) {
                let t0 = Clock.now()
                GEMM.multiply(transposeA: false, transposeB: false, m: n, n: n, k: n, a: a, b: b, c: c, library: library)
                if it >= warmup { times.append(Clock.now() - t0) }
            }
            let t = median(times)
            print("sgemm \(n)×\(n)×\(n) (\(library.rawValue)): " + String(format: "median %.2f ms, %.1f GFLOP/s (best %.1f)",
                         t * 1e3, flops / t / 1e9, flops / times.min()! / 1e9))
            if library == .openblas { r.medianMs = t * 1e3; r.gflops = flops / t / 1e9 }
            else { r.gflopsOnednn = flops / t / 1e9 }
        }
        print(String(format: "peak RSS:  %.0f MiB", peakRSSMiB()))
        try emit("sgemm", backend, r)
    }
}
