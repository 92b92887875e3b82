import ArgumentParser
import BackendChecks
import Backends
import Foundation
import Support
import Tensors

/// `vgg check-backend`: checks one backend against another (the `reference` by default), op
/// by op, forward and backward, on several shapes of seeded random data, then trains a
/// small VGG three steps on both; prints a table and `N checks, M failed`, and exits non-zero
/// when any check failed. On a machine where the test suite cannot run (a GPU machine),
/// this is how a backend is verified.
///
/// With `--precision bf16` the other backend runs bf16 too (the `reference`, the oracle of
/// docs/precision.md, and `cpu` implement it); with tf32 it runs fp32 (no CPU backend has TF32 arithmetic),
/// which is why tf32 is checked with a looser `--tolerance`.
struct CheckBackendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-backend",
        abstract: "Check a backend against another, op by op (forward and backward) and end to end, on seeded random data.")
    @OptionGroup var runtime: RuntimeOptions
    @Option(help: "The backend the results are compared with: reference (plain Swift loops) or cpu. It runs bf16 when --precision is bf16 (reference and cpu implement it), fp32 otherwise.")
    var against: BackendKind = .reference
    @Option(help: "Seed of the random data.") var seed: UInt64 = 1
    @Option(help: "Relative tolerance of the op checks: max|a − b| ≤ T · max|ref| per output (the end-to-end check uses 10·T).")
    var tolerance: Double = 1e-4
    @Option(help: "Relative tolerance of the end-to-end training check (default 10·T; with --precision bf16 pass a larger one, docs/precision.md).")
    var networkTolerance: Double?
    @Flag(help: "Fewer and smaller shapes (a few seconds).") var quick = false
    @Flag(help: "Print one JSON object per check as soon as it finishes (what is left if a crash stops the run), then a summary object, instead of the table.")
    var json = false
    @Option(help: "Only the checks whose name (e.g. convolution.backward, batchnorm.training, network.weights) contains this text.")
    var only: String?

    func validate() throws {
        guard tolerance > 0, tolerance.isFinite else { throw ValidationError("--tolerance must be positive") }
        if let t = networkTolerance, !(t > 0 && t.isFinite) { throw ValidationError("--network-tolerance must be positive") }
    }

    func run() throws {
        let backend = try runtime.makeBackend()
        let precision = try runtime.precision ?? Precision.fromEnvironment(ProcessInfo.processInfo.environment)
        let other = try against.make(cpu: try runtime.cpuConfiguration(), precision: precision == .bf16 ? .bf16 : nil)
        let options = BackendCheckOptions(seed: seed, tolerance: tolerance, networkTolerance: networkTolerance, quick: quick, only: only)
        let checker = BackendChecker(testing: backend, against: other, options: options)
        if json {
            checker.onResult = { print(BackendCheckReport.jsonLine($0)); fflush(stdout) }
        } else {
            print("\(backend.settingsSummary)\nagainst \(other.settingsSummary)")
            print("seed \(seed), tolerance \(formatTolerance(tolerance)), end to end \(formatTolerance(options.networkTolerance))" + (quick ? ", quick" : "") + (only.map { ", only '\($0)'" } ?? ""))
        }
        let watch = Stopwatch()
        checker.runAll()
        let report = BackendCheckReport(underTest: backend.name, other: other.name, results: checker.results)
        guard !report.results.isEmpty else {
            FileHandle.standardError.write(Data("vgg check-backend: no check name contains '\(only ?? "")'\n".utf8))
            throw ExitCode.failure
        }
        if json {
            print(report.jsonSummary(wallSeconds: watch.elapsed))
        } else {
            print(report.table())
            for line in report.failureLines() { print(line) }
            let (a, b) = report.totalSeconds
            print("time: \(backend.name) \(formatFixed(a, decimals: 2)) s, \(other.name) \(formatFixed(b, decimals: 2)) s in the ops; "
                  + "\(formatFixed(watch.elapsed, decimals: 1)) s in all")
            print(report.summaryLine)
        }
        if report.failed > 0 { throw ExitCode.failure }
    }

    private func formatTolerance(_ t: Double) -> String { String(format: "%g", t) }
}
