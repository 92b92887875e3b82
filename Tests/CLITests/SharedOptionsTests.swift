import ArgumentParser
@testable import vgg
import Training
import VGG
import XCTest

/// The options several commands share: declared once, with one default, parsed the same by
/// every command; the renamed spellings (`vgg infer --output`, `vgg bench --batch`) still
/// parse to the same value, hidden from the help; `--out` says in the help whether it is a
/// directory or a file; and no option's help states its default twice.
final class SharedOptionsTests: XCTestCase {
    /// The least each command needs to parse.
    let required: [String: [String]] = [
        "train": [],
        "eval": ["--checkpoint", "m.ckpt"],
        "features": ["--checkpoint", "m.ckpt", "--split", "train", "--out", "f.safetensors"],
        "infer": ["--arch", "A", "--weights", "w.safetensors", "--input", "x.safetensors", "--out", "y.safetensors"],
        "bench": [],
    ]

    func parse<C: ParsableCommand>(_ type: C.Type, _ words: [String]) throws -> C {
        let command = try VGGCommand.parseAsRoot([C.configuration.commandName!] + words)
        return try XCTUnwrap(command as? C, "vgg \(words.joined(separator: " ")) parsed as \(Swift.type(of: command))")
    }

    // MARK: one default

    func testTheBatchSizeDefaultIsTrainingConfigurationsInTrainEvalAndFeatures() throws {
        let paper = TrainingConfiguration(model: VGGOptions(), data: .fashionMNIST).batchSize
        XCTAssertEqual(paper, 256)
        XCTAssertEqual(try parse(TrainCommand.self, required["train"]!).batch.batchSize, paper)
        XCTAssertEqual(try parse(EvalCommand.self, required["eval"]!).batch.batchSize, paper)
        XCTAssertEqual(try parse(FeaturesCommand.self, required["features"]!).batch.batchSize, paper)
        // eval's test-time protocol, used as a library, has the same default.
        XCTAssertEqual(TestTimeProtocol().batchSize, paper)
    }

    func testTheWorkersDefaultIsTheSameInEveryCommandThatLoadsData() throws {
        let configured = TrainingConfiguration(model: VGGOptions(), data: .fashionMNIST).workers
        XCTAssertEqual(try parse(TrainCommand.self, required["train"]!).loading.workers, configured)
        XCTAssertEqual(try parse(EvalCommand.self, required["eval"]!).loading.workers, configured)
        XCTAssertEqual(try parse(FeaturesCommand.self, required["features"]!).loading.workers, configured)
        XCTAssertEqual(try parse(BenchCommand.self, required["bench"]!).workers, configured)
        XCTAssertEqual(TestTimeProtocol().workers, configured)
    }

    func testAGivenBatchSizeAndWorkersReachTheTrainingConfiguration() throws {
        let train = try parse(TrainCommand.self, ["--batch-size", "64", "--workers", "0"])
        XCTAssertEqual(train.batch.batchSize, 64)
        XCTAssertEqual(train.loading.workers, 0)
        XCTAssertThrowsError(try parse(TrainCommand.self, ["--batch-size", "0"]))
        XCTAssertThrowsError(try parse(EvalCommand.self, required["eval"]! + ["--workers", "-1"]))
    }

    func testTheCheckpointOptionIsOneDeclarationInEveryCommandThatReadsOne() throws {
        let path = "runs/x/best.ckpt"
        XCTAssertEqual(try parse(EvalCommand.self, ["--checkpoint", path]).checkpointOptions.checkpoint, path)
        XCTAssertEqual(try parse(FeaturesCommand.self, ["--checkpoint", path, "--split", "test", "--out", "f"]).checkpointOptions.url.path,
                       URL(fileURLWithPath: path).path)
        XCTAssertEqual(try parse(ExportCommand.self, ["--checkpoint", path, "--out", "w.safetensors"]).checkpointOptions.checkpoint, path)
        XCTAssertEqual(try parse(PredictCommand.self, ["--checkpoint", path, "a.png"]).checkpointOptions.checkpoint, path)
        for command in [EvalCommand.self, FeaturesCommand.self, ExportCommand.self, PredictCommand.self] as [ParsableCommand.Type] {
            let help = VGGCommand.helpMessage(for: command, columns: 200)
            XCTAssertTrue(help.contains("--checkpoint <file>"), "vgg \(command.configuration.commandName!) --help:\n\(help)")
        }
    }

    // MARK: renamed spellings

    func testInferOutputStillParsesToTheSameFileAndWarnsWithTheNewName() throws {
        let words = Array(required["infer"]!.dropLast(2))
        let new = try parse(InferCommand.self, words + ["--out", "y.safetensors"])
        let old = try parse(InferCommand.self, words + ["--output", "y.safetensors"])
        XCTAssertEqual(new.outputPath, "y.safetensors")
        XCTAssertEqual(old.outputPath, new.outputPath)
        XCTAssertTrue(new.renamedOptions.isEmpty)
        XCTAssertEqual(old.renamedOptions.map(\.warning), ["vgg infer: --output is now --out (--output still works for now)"])
        XCTAssertThrowsError(try parse(InferCommand.self, words), "infer without --out must name it")
        XCTAssertThrowsError(try parse(InferCommand.self, words + ["--out", "a", "--output", "b"]))
    }

    func testBenchBatchStillParsesToTheSameBatchAndWarnsWithTheNewName() throws {
        let new = try parse(BenchCommand.self, ["--batch-size", "8"])
        let old = try parse(BenchCommand.self, ["--batch", "8"])
        XCTAssertEqual(new.batch, 8)
        XCTAssertEqual(old.batch, new.batch)
        XCTAssertEqual(try parse(BenchCommand.self, []).batch, BenchCommand.defaultBatchSize)
        XCTAssertTrue(new.renamedOptions.isEmpty)
        XCTAssertEqual(old.renamedOptions.map(\.warning), ["vgg bench: --batch is now --batch-size (--batch still works for now)"])
        XCTAssertThrowsError(try parse(BenchCommand.self, ["--batch", "8", "--batch-size", "16"]))
    }

    func testTheOldSpellingsAreHiddenFromTheHelp() {
        let infer = VGGCommand.helpMessage(for: InferCommand.self, columns: 200)
        let bench = VGGCommand.helpMessage(for: BenchCommand.self, columns: 200)
        XCTAssertFalse(infer.contains("--output"), infer)
        XCTAssertTrue(infer.contains("--out <file>"), infer)
        XCTAssertFalse(bench.contains("--batch <"), bench)
        XCTAssertTrue(bench.contains("--batch-size <n>"), bench)
    }

    // MARK: the help

    func testOutSaysWhetherItIsADirectoryOrAFile() {
        let expected: [(ParsableCommand.Type, String)] = [
            (TrainCommand.self, "dir"), (EvalCommand.self, "dir"), (LinearProbeCommand.self, "dir"),
            (FeaturesCommand.self, "file"), (InferCommand.self, "file"), (ExportCommand.self, "file"),
            (ImportCommand.self, "file"), (PreviewCommand.self, "file"),
        ]
        for (command, kind) in expected {
            let help = VGGCommand.helpMessage(for: command, columns: 200)
            XCTAssertTrue(help.contains("--out <\(kind)>"), "vgg \(command.configuration.commandName!) --help:\n\(help)")
        }
    }

    /// Every subcommand's options, one help block each (the lines from one "  --name" to the next).
    func optionBlocks(of command: ParsableCommand.Type) -> [String] {
        var blocks: [String] = []
        for line in VGGCommand.helpMessage(for: command, columns: 100).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  -") { blocks.append(String(line)) } else if !blocks.isEmpty, line.hasPrefix("      ") {
                blocks[blocks.count - 1] += " " + line.trimmingCharacters(in: .whitespaces)
            }
        }
        return blocks
    }

    func testNoOptionStatesItsDefaultTwice() throws {
        let commands = try XCTUnwrap(VGGCommand.configuration.subcommands as [ParsableCommand.Type]?)
        XCTAssertGreaterThan(commands.count, 10)
        var checked = 0
        for command in commands {
            for block in optionBlocks(of: command) {
                // ArgumentParser's own "(default: X)" or "(values: …; default: X)".
                guard block.contains("(default: ") || block.contains("; default: ") else { continue }
                checked += 1
                let mentions = block.lowercased().components(separatedBy: "default").count - 1
                XCTAssertEqual(mentions, 1, "vgg \(command.configuration.commandName!): the default stated twice: \(block)")
            }
        }
        XCTAssertGreaterThan(checked, 20, "the help blocks were not found")
    }

    // MARK: the sources

    /// `name` as ArgumentParser derives a long option from a property: words of the camel case
    /// joined by hyphens, an acronym one word ("allReduceDType": all-reduce-d-type).
    func derivedLongName(_ name: String) -> String {
        var out = ""
        let chars = Array(name)
        for (i, c) in chars.enumerated() {
            if c.isUppercase, i > 0,
               !chars[i - 1].isUppercase || (i + 1 < chars.count && chars[i + 1].isLowercase) {
                out += "-"
            }
            out += c.lowercased()
        }
        return out
    }

    func testTheDerivationMatchesArgumentParsers() {
        // Names whose options the help shows without a customLong.
        XCTAssertEqual(derivedLongName("batchSize"), "batch-size")
        XCTAssertEqual(derivedLongName("lrMultFeatures"), "lr-mult-features")
        let help = VGGCommand.helpMessage(for: TrainCommand.self, columns: 200)
        for name in ["batchSize", "lrMultFeatures", "checkpointEvery", "syncBatchNorm"] {
            XCTAssertTrue(help.contains("--\(derivedLongName(name))"), name)
        }
    }

    func testNoCustomLongNameRestatesTheDerivedOne() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/CLI").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        XCTAssertGreaterThan(files.count, 20, "no sources at \(folder.path)")
        var seen = 0
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            var rest = text[...]
            while let found = rest.range(of: ".customLong(\"") {
                let nameEnd = try XCTUnwrap(rest[found.upperBound...].firstIndex(of: "\""))
                let long = String(rest[found.upperBound..<nameEnd])
                let declaration = try XCTUnwrap(rest[nameEnd...].range(of: "var "), "\(file): no property after .customLong(\"\(long)\")")
                let property = String(rest[declaration.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" })
                XCTAssertNotEqual(derivedLongName(property), long, "\(file): .customLong(\"\(long)\") restates the name derived from \(property)")
                seen += 1
                rest = rest[nameEnd...]
            }
        }
        XCTAssertGreaterThan(seen, 0, "no .customLong found: the scan is broken")
    }
}
