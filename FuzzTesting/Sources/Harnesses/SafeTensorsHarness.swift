import Foundation
import NN
import Tensors
import Training
import VGG
import SafeTensorsFormat

/// safetensors files read whole (`SafeTensors.read`), mapped (`SafeTensorsFile`: every
/// tensor's values, copied into a tensor, the checksum check), and as a torchvision state_dict
/// (checked against and loaded into a small network; imported as `vgg import` does, with the
/// network sized from the file), and as the features of `vgg linear-probe` (`FeatureSet`).
enum SafeTensorsHarness {
    static func run(_ bytes: [UInt8]) {
        let path = Scratch.write(bytes, to: "input.safetensors")
        let url = URL(fileURLWithPath: path)
        var whole: [String: SafeTensor]?
        do {
            let (tensors, _) = try SafeTensors.read(data: Data(bytes), path: path)
            for (name, t) in tensors {
                FuzzCheck.expect(t.values.count == t.shape.reduce(1, *), "\(name): \(t.values.count) values for \(t.shape)")
            }
            whole = tensors
        } catch { FuzzCheck.namesFile(error, path) }
        do {
            let file = try SafeTensorsFile(contentsOf: url)
            FuzzCheck.expect(whole != nil && Set(file.names) == Set(whole!.keys), "the mapped and the whole reader disagree")
            for name in file.names {
                let values = try file.values(name)
                FuzzCheck.expect(values.count == file.entry(name)!.count, "\(name): value count")
                if values.count <= 1 << 16 {
                    let t = Tensor(shape: [values.count], on: TinyNetwork.backend)
                    try file.load(name, into: t)
                    FuzzCheck.expect(t.toArray().elementsEqual(values) { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(name): loaded values differ")
                }
            }
            _ = file.verifyChecksum(key: "vgg-swift.crc32")
        } catch {
            FuzzCheck.expect(whole == nil, "the mapped reader failed where the whole one did not: \(error)")
            FuzzCheck.namesFile(error, path)
        }
        guard let tensors = whole else { return }
        do {
            let features = try FeatureSet(contentsOf: url)
            FuzzCheck.expect(features.labels.allSatisfy { (0..<features.classNames.count).contains($0) }, "feature labels out of range")
        } catch {
            FuzzCheck.expect(error is FeatureError && "\(error)".hasPrefix(path), "\(type(of: error)): \(error)")
        }
        do { try TorchvisionStateDict.load(tensors, into: TinyNetwork.network, path: path) } catch { namesFile(error, path) }
        let options = TorchvisionStateDict.options(configuration: .A, batchNorm: tensors.keys.contains { $0.hasSuffix("running_mean") },
                                                   input: [3, 32, 32], matching: tensors)
        do { _ = try TorchvisionWeights.importWeights(url, options: options, on: TinyNetwork.backend) } catch { namesFile(error, path) }
    }

    private static func namesFile(_ error: Error, _ path: String) {
        if let e = error as? TorchvisionWeightsError {
            FuzzCheck.expect(e.path == path, "error names \(e.path)")
        } else {
            FuzzCheck.namesFile(error, path)
        }
    }

    static func seeds() throws -> [(name: String, bytes: [UInt8])] {
        let stateDict = TorchvisionStateDict.entries(of: try TinyNetwork.initialised())
        var out: [(String, [UInt8])] = [
            ("tiny-vgg-a-bn-state-dict.safetensors", Array(try SafeTensors.encode(stateDict, metadata: ["format": "pt"]))),
            ("f16-bf16.safetensors", Array(try SafeTensors.encode([("half", SafeTensor(shape: [2, 2], values: [1, -2, 65504, .infinity]), .f16),
                                                                   ("brain", SafeTensor(shape: [3], values: [0.5, -.nan, 1e30]), .bf16)],
                                                                  metadata: [:]))),
            ("empty-object.safetensors", raw(#"{}"#, [])),
            ("scalar-and-empty.safetensors", raw(#"{"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]}}"#, [0, 0, 128, 63])),
        ]
        // Every dtype, one tensor each, back to back.
        var header = "{\"__metadata__\":{\"format\":\"pt\"}", data: [UInt8] = []
        for dtype in SafeTensors.DType.allCases {
            let n = 3 * dtype.bytes
            header += ",\"\(dtype.rawValue)\":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[3],\"data_offsets\":[\(data.count),\(data.count + n)]}"
            data += (0..<n).map { UInt8(truncatingIfNeeded: $0 * 71 + 1) }
        }
        out.append(("all-dtypes.safetensors", raw(header + "}", data)))
        // Edge cases: lengths and sizes that must be refused before anything is allocated.
        out.append(("header-length-2pow63.safetensors", [0, 0, 0, 0, 0, 0, 0, 0x80] + Array("{}".utf8)))
        out.append(("header-past-end.safetensors", [0xFF, 0xFF, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)))
        out.append(("terabyte-tensor.safetensors", raw(#"{"w":{"dtype":"F32","shape":[262144,1048576],"data_offsets":[0,1099511627776]}}"#, [1, 2, 3, 4])))
        out.append(("shape-overflow.safetensors", raw(#"{"w":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, [UInt8](repeating: 0, count: 8))))
        out.append(("overlap.safetensors", raw(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#, [1, 2, 3])))
        out.append(("hole.safetensors", raw(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#, [1, 2])))
        out.append(("negative-dim.safetensors", raw(#"{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}"#, [1])))
        out.append(("float-offsets.safetensors", raw(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0.0,1e0]}}"#, [1])))
        out.append(("metadata-not-strings.safetensors", raw(#"{"__metadata__":{"a":1}}"#, [])))
        out.append(("deep-nesting.safetensors", raw(String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000), [])))
        out.append(("wide-classifier-no-data.safetensors", raw(#"{"classifier.0.weight":{"dtype":"F32","shape":[1000000000,0],"data_offsets":[0,0]}}"#, [])))
        let features = FeatureSet(features: [0.5, -1, 2, 0, 3, 1], labels: [2, 0, 1], dimension: 2, classNames: ["a", "b", "c"],
                                  metadata: ["layer": "classifier.4"])
        let featuresURL = URL(fileURLWithPath: Scratch.directory("seeds")).appendingPathComponent("features.safetensors")
        try features.write(to: featuresURL)
        out.append(("features.safetensors", Array(try Data(contentsOf: featuresURL))))
        out.append(("features-label-2e9.safetensors", Array(try SafeTensors.encode([("features", SafeTensor(shape: [1, 1], values: [1]), .f32),
                                                                                   ("labels", SafeTensor(shape: [1], values: [2e9]), .f32)],
                                                                                  metadata: [:]))))
        out.append(("batches-tracked-nan.safetensors", Array(try SafeTensors.encode(stateDict.map {
            $0.name == "features.1.num_batches_tracked" ? ($0.name, SafeTensor(shape: [], values: [.nan]), .f32) : $0
        }, metadata: [:]))))
        return out
    }

    /// A file with this JSON header and data section.
    static func raw(_ json: String, _ data: [UInt8]) -> [UInt8] {
        let h = Array(json.utf8)
        var n = UInt64(h.count)
        var out: [UInt8] = []
        for _ in 0..<8 { out.append(UInt8(truncatingIfNeeded: n)); n >>= 8 }
        return out + h + data
    }
}
