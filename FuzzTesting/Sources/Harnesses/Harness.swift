import Foundation
import SafeTensorsFormat
import PyTorchFormat

/// One fuzzing harness: a reader of the toolkit driven with arbitrary bytes. `run` must
/// return normally for every input (a crash, a failed assertion, a leak or an allocation over
/// libFuzzer's limits is a finding); errors are fine, but only the reader's own error type,
/// naming the file (`FuzzCheck.namesFile`).
public enum Harness: String, CaseIterable, Sendable {
    /// `IDXFile.read` and `IDXDataset` on raw IDX files.
    case idx
    /// The same on gzip-compressed IDX files (zlib's inflate in front).
    case idxGzip = "idx-gzip"
    /// `CIFAR10Dataset` on a `test_batch.bin`.
    case cifar10
    /// `CIFAR100Dataset` (fine and coarse labels) on a `test.bin`.
    case cifar100
    /// `ImageDecoder.decodeJPEG` (libjpeg-turbo; gray, RGB, CMYK/YCCK).
    case jpeg
    /// `ImageDecoder.decodePNG` and `PNGCodec.decode` with a background (libpng; palette,
    /// gray, alpha, 16-bit, interlaced).
    case png
    /// `SafeTensors.read`, `SafeTensorsFile`, the torchvision import of a state_dict, `FeatureSet`.
    case safetensors
    /// `Checkpoint.read` and `TrainedModel` on safetensors checkpoints (CRC patched to match).
    case checkpoint
    /// The same on checkpoints of the first (`VGGSWIFT`) format (checksum patched to match).
    case legacyCheckpoint = "legacy-checkpoint"
    /// `CommandLineSyntax` (scales, scale ranges, input shapes, schedules, test modes, conv
    /// specs), `ClassSubset.parse` (`--classes-subset`) and `LayerReference` (`--freeze`).
    case options
    /// `PyTorchFile` and `WeightsFile` on `torch.save` zip files, and the `RestrictedUnpickler`
    /// on pickles packed into valid archives.
    case pth

    /// Runs one input.
    public func run(_ bytes: [UInt8]) {
        switch self {
        case .idx, .idxGzip: IDXHarness.run(bytes)
        case .cifar10: CIFARHarness.run10(bytes)
        case .cifar100: CIFARHarness.run100(bytes)
        case .jpeg: ImageHarness.runJPEG(bytes)
        case .png: ImageHarness.runPNG(bytes)
        case .safetensors: SafeTensorsHarness.run(bytes)
        case .checkpoint, .legacyCheckpoint: CheckpointHarness.run(bytes)
        case .options: OptionsHarness.run(bytes)
        case .pth: PyTorchHarness.run(bytes)
        }
    }

    /// Valid small inputs made by the toolkit's own writers, and edge cases (file name, bytes).
    public func seeds() throws -> [(name: String, bytes: [UInt8])] {
        switch self {
        case .idx: return try IDXHarness.seeds(gzip: false)
        case .idxGzip: return try IDXHarness.seeds(gzip: true)
        case .cifar10: return try CIFARHarness.seeds(labelBytes: 1)
        case .cifar100: return try CIFARHarness.seeds(labelBytes: 2)
        case .jpeg: return try ImageHarness.jpegSeeds()
        case .png: return try ImageHarness.pngSeeds()
        case .safetensors: return try SafeTensorsHarness.seeds()
        case .checkpoint: return try CheckpointHarness.seeds()
        case .legacyCheckpoint: return try CheckpointHarness.legacySeeds()
        case .options: return OptionsHarness.seeds()
        case .pth: return try PyTorchHarness.seeds()
        }
    }

    /// libFuzzer's `LLVMFuzzerInitialize`: with `VGG_FUZZ_WRITE_SEEDS=DIR` in the environment,
    /// writes `seeds()` into DIR and exits (scripts/fuzz.sh --make-seeds).
    public func initialize() -> CInt {
        guard let dir = ProcessInfo.processInfo.environment["VGG_FUZZ_WRITE_SEEDS"] else { return 0 }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for (name, bytes) in try seeds() {
                try Data(bytes).write(to: URL(fileURLWithPath: dir).appendingPathComponent(name))
            }
            print("\(rawValue): wrote \(try seeds().count) seeds to \(dir)")
            exit(0)
        } catch {
            print("\(rawValue): cannot write seeds: \(error)")
            exit(1)
        }
    }

    /// libFuzzer's `LLVMFuzzerTestOneInput`.
    public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
}
