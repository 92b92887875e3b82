import ArgumentParser
import VGG

/// `vgg summary`: every layer with output shape, parameters and FLOPs, and the totals.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "summary", abstract: "Print a network's layers, parameters and FLOPs.")
    @OptionGroup var model: ModelOptions

    func run() throws {
        let o = try model.options()
        let s = try NetworkSummary(layers: try VGGBuilder.layers(o), inputShape: [o.inputChannels, o.inputHeight, o.inputWidth])
        print(o.summaryLine)
        print(s.render())
    }
}
