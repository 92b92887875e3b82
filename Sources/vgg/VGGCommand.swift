import ArgumentParser
import Foundation
import Kernels

/// The `vgg` command line: train, evaluate, predict, summarise and benchmark VGG networks.
@main
struct VGGCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vgg",
        abstract: "Train, test and study the VGG networks of Simonyan & Zisserman (ICLR 2015).",
        subcommands: [TrainCommand.self, EvalCommand.self, PredictCommand.self, SummaryCommand.self, BenchCommand.self,
                      ImportCommand.self, ExportCommand.self, InferCommand.self])

    static func main() {
        BLASCoreSelection.ensureBestCore()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// Picks OpenBLAS's kernel set before the library does its own (it reads
/// `OPENBLAS_CORETYPE` once, when loaded): a preset that is slower than what this CPU
/// supports, or a weak kernel set that OpenBLAS's own detection fell back to on a CPU it
/// does not know, is replaced and the process restarts itself once with the better setting.
enum BLASCoreSelection {
    static func ensureBestCore() {
        let env = ProcessInfo.processInfo.environment
        guard env["VGG_BLAS_CORE_CHOSEN"] == nil,
              let best = KernelRuntime.blasCoreUpgrade(running: KernelRuntime.blasCore,
                                                       best: KernelRuntime.bestBLASCoreType()) else { return }
        if env["OPENBLAS_CORETYPE"] != nil && env["VGG_KEEP_OPENBLAS_CORETYPE"] != nil { return }
        setenv("OPENBLAS_CORETYPE", best, 1)
        unsetenv("OPENBLAS_L2_SIZE")
        setenv("VGG_BLAS_CORE_CHOSEN", "1", 1)
        let args = CommandLine.arguments
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cargs.append(nil)
        execv("/proc/self/exe", &cargs)
        // exec failed: go on with the preset kernel.
    }
}

/// Options shared by commands that run kernels.
struct RuntimeOptions: ParsableArguments {
    @Option(help: "Threads for the kernels (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("conv-algorithm"),
            help: "Convolution algorithm: automatic (Winograd for 3×3 stride-1 layers where it pays off, direct elsewhere), winograd, direct. Default: $VGG_CONV_ALGORITHM or automatic.")
    var convAlgorithm: String?

    @Option(help: "Winograd kernels: onednn (oneDNN 2.x, AVX-512 only) or native (hand-written transforms on sgemm, AVX2). Default: $VGG_WINOGRAD, else onednn where it has Winograd and native elsewhere.")
    var winograd: String?

    func validate() throws {
        if let a = convAlgorithm, ConvolutionAlgorithm(rawValue: a) == nil {
            throw ValidationError("--conv-algorithm must be automatic, winograd or direct; got '\(a)'")
        }
        if let w = winograd {
            guard let implementation = WinogradImplementation(rawValue: w) else {
                throw ValidationError("--winograd must be onednn or native; got '\(w)'")
            }
            guard implementation.isAvailable else {
                throw ValidationError("--winograd \(w): those kernels do not run on this machine")
            }
        }
    }

    func apply() {
        KernelRuntime.setThreads(threads ?? ProcessInfo.processInfo.activeProcessorCount)
        if let a = convAlgorithm.flatMap(ConvolutionAlgorithm.init(rawValue:)) { ConvolutionAlgorithm.processDefault = a }
        if let w = winograd.flatMap(WinogradImplementation.init(rawValue:)) { WinogradImplementation.processDefault = w }
    }
}
