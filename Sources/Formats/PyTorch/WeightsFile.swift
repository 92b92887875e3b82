import SafeTensorsFormat
import Foundation
import Support

/// A file of named tensors (a state_dict) in either format users have: safetensors or
/// PyTorch's `torch.save` zip (`.pth`, `.pt`). The format is told by the content, not the
/// name: a zip archive starts with `PK\3\4`, a safetensors file with its header length.
public enum WeightsFile {
    /// The formats `read` tells apart.
    public enum Format: String, Sendable {
        case safetensors
        /// `torch.save` since PyTorch 1.6 (a zip archive).
        case pytorch
        /// `torch.save` before PyTorch 1.6: recognised in order to be refused with advice.
        case legacyPyTorch = "legacy PyTorch"
    }

    /// The format of the file whose bytes are `data`.
    public static func format(of data: Data) -> Format {
        if PyTorchFile.hasZipSignature(data) { return .pytorch }
        if PyTorchFile.isLegacyFormat(data) { return .legacyPyTorch }
        return .safetensors
    }

    /// Reads every tensor of the file at `url`, in whichever format it is, with the format.
    /// Errors are `SafeTensorsError` or `PyTorchFileError`, naming the file.
    public static func read(contentsOf url: URL) throws -> (tensors: [String: SafeTensor], format: Format) {
        let data = try FileContents.read(url, options: .mappedIfSafe) { SafeTensorsError(path: url.path, problem: $0) }
        let format = format(of: data)
        switch format {
        case .pytorch, .legacyPyTorch: return (try PyTorchFile.read(contentsOf: url), format)
        case .safetensors: return (try SafeTensors.read(data: data, path: url.path).tensors, format)
        }
    }
}
