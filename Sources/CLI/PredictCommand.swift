import ArgumentParser
import Foundation
import Training

/// `vgg predict`: top-5 classes with probabilities for image files.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "predict", abstract: "Classify JPEG/PNG images with a checkpoint.")
    @OptionGroup var checkpointOptions: CheckpointOptions
    @Option(help: "Number of classes to show.") var top: Int = 5
    @Argument(help: "Image files (JPEG or PNG).") var images: [String]
    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
        let predictor = Predictor(model: try TrainedModel(contentsOf: checkpointOptions.url, on: try runtime.makeBackend()))
        for path in images {
            print(path)
            for r in try predictor.classify(file: path, top: top) {
                print(String(format: "  %6.2f %%  %@", 100 * r.probability, r.className))
            }
        }
    }
}
