import Foundation
import Support
import Tensors
import Training
import VGG
import SafeTensorsFormat
import PyTorchFormat

/// PyTorch `torch.save` files (`PyTorchFile`: a zip archive read by `PyTorchArchive` on ZIPFoundation, its
/// `data.pkl` by the `RestrictedUnpickler`) in two modes:
///
/// - an input that starts with `PK\3\4` is a whole file, read in memory and through
///   `WeightsFile` (format by content), then imported as `vgg import` does;
/// - any other input is a pickle plus the storages it may refer to, packed by the harness
///   into a valid archive (`PyTorchSeed.archive`), so that mutations reach the unpickler and
///   the state_dict's tensors instead of stopping at the archive's CRCs.
enum PyTorchHarness {
    static func run(_ bytes: [UInt8]) {
        let isFile = bytes.starts(with: [0x50, 0x4B, 0x03, 0x04])
        let file = isFile ? bytes : PyTorchSeed.archive(packed: bytes)
        let path = Scratch.write(file, to: "input.pth")
        var inMemory: [String: SafeTensor]?
        do {
            let tensors = try PyTorchFile.read(data: Data(file), path: path)
            for (name, t) in tensors {
                FuzzCheck.expect(t.values.count == t.shape.reduce(1, *), "\(name): \(t.values.count) values for \(t.shape)")
            }
            inMemory = tensors
        } catch { FuzzCheck.namesFile(error, path) }
        guard isFile else { return }
        let url = URL(fileURLWithPath: path)
        do {
            let (tensors, format) = try WeightsFile.read(contentsOf: url)
            FuzzCheck.expect(format == .pytorch && inMemory.map { Set($0.keys) == Set(tensors.keys) } == true,
                             "WeightsFile and PyTorchFile disagree")
        } catch {
            FuzzCheck.expect(inMemory == nil, "WeightsFile failed where PyTorchFile did not: \(error)")
            FuzzCheck.namesFile(error, path)
        }
        guard let tensors = inMemory else { return }
        let options = TorchvisionStateDict.options(configuration: .A, batchNorm: tensors.keys.contains { $0.hasSuffix("running_mean") },
                                                   input: [3, 32, 32], matching: tensors)
        do { _ = try TorchvisionWeights.importWeights(url, options: options, on: TinyNetwork.backend) } catch {
            if let e = error as? TorchvisionWeightsError { FuzzCheck.expect(e.path == path, "error names \(e.path)") } else { FuzzCheck.namesFile(error, path) }
        }
    }

    /// The committed PyTorch fixtures of the tests (written by torch, see tools/FIXTURES.md), each
    /// as a whole file and as the packed pickle and storage sizes of the other mode.
    static func seeds() throws -> [(name: String, bytes: [UInt8])] {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../Tests/TensorsTests/Fixtures/pth").standardized
        var out: [(String, [UInt8])] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: fixtures.path).sorted() where name.hasSuffix(".pth") {
            let bytes = Array(try Data(contentsOf: fixtures.appendingPathComponent(name)))
            out.append((name, bytes))
            guard let archive = try? PyTorchArchive(data: Data(bytes), path: name),
                  let pickle = archive.entries.first(where: { $0.name.hasSuffix("/data.pkl") }),
                  let pickleBytes = try? archive.withContents(of: pickle, { Array($0) }) else { continue }
            let prefix = pickle.name.dropLast("data.pkl".count)
            var sizes: [Int] = []
            while let e = archive.entry(named: "\(prefix)data/\(sizes.count)"), sizes.count < 8 { sizes.append(e.uncompressedSize) }
            let big = (try? archive.contents(of: "\(prefix)byteorder")).map { String(decoding: $0, as: UTF8.self) } == "big"
            out.append(((name as NSString).deletingPathExtension + ".packed", PyTorchSeed.pack(pickle: pickleBytes, storageBytes: sizes, bigEndian: big)))
        }
        return out
    }
}
