import Foundation
import XCTest

/// The backend seam holds: layers, networks, the trainer and the exporters (Sources/Model/NN,
/// Sources/Model/VGG, Sources/Training, Sources/Formats/TensorBoard, Sources/Formats/ONNX; their generated protobuf
/// code in subfolders is not read) reach tensor memory only through the `Backend` protocol and explicit
/// host copies. The compiler already refuses them the addresses (`@_spi(BackendImplementation)`);
/// this test keeps anyone from importing that interface there or using raw pointers at all.
final class ArchitectureTests: XCTestCase {
    func testNoRawMemoryAccessAboveTheBackends() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let forbidden = ["@_spi(", "Unsafe", "withUnsafe", "hostPointer", ".address", "assumingMemoryBound", "bindMemory",
                         "import CDNNL", "import COpenBLAS", "import CKernels", "import CPUBackend", "import ReferenceBackend"]
        var checked = 0
        for module in ["Model/NN", "Model/VGG", "Training", "Formats/TensorBoard", "Formats/ONNX"] {
            let dir = sources.appendingPathComponent(module)
            let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".swift") }
            XCTAssertFalse(files.isEmpty, "no sources found in \(dir.path)")
            for file in files {
                let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
                for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.components(separatedBy: "//").first ?? ""
                    for word in forbidden where code.contains(word) {
                        XCTFail("\(module)/\(file):\(n + 1) uses \(word): \(line.trimmingCharacters(in: .whitespaces))")
                    }
                }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 30)
    }
}
