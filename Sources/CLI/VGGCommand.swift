import ArgumentParser
import CPUBackend
import Distributed
import Foundation
import Support

/// The `vgg` command line: train, evaluate, predict, summarise and benchmark VGG networks.
@main
struct VGGCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vgg",
        abstract: "Train, test and study the VGG networks of Simonyan & Zisserman (ICLR 2015).",
        version: VGGVersion.description,
        subcommands: [TrainCommand.self, EvalCommand.self, PredictCommand.self, SummaryCommand.self, BenchCommand.self, CheckBackendCommand.self,
                      ImportCommand.self, ExportCommand.self, InferCommand.self, PreviewCommand.self,
                      FeaturesCommand.self, LinearProbeCommand.self, LaunchCommand.self])

    static func main() {
        BLASCoreRestart.ensureBestCore()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            // Under mpirun every line says which rank it comes from.
            if let launch = MPIEnvironment.launch(), launch.size > 1 {
                let code = exitCode(for: error)
                if code != .success && !fullMessage(for: error).isEmpty {
                    FileHandle.standardError.write(Data("rank \(launch.rank) (host \(HostName.current)): \(fullMessage(for: error))\n".utf8))
                }
                Foundation.exit(code.rawValue)
            }
            exit(withError: error)
        }
    }
}


/// Picks OpenBLAS's kernel set before the library does its own (it reads
/// `OPENBLAS_CORETYPE` once, when loaded): a preset that is slower than what this CPU
/// supports, or a weak kernel set that OpenBLAS's own detection fell back to on a CPU it
/// does not know, is replaced and the process restarts itself once with the better setting.
enum BLASCoreRestart {
    static func ensureBestCore() {
        let env = ProcessInfo.processInfo.environment
        guard env["VGG_BLAS_CORE_CHOSEN"] == nil,
              let best = BLASCoreSelection.upgrade(running: CPUFeatures.blasCore, best: BLASCoreSelection.bestCoreType()) else { return }
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
