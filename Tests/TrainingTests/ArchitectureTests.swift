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

    /// The layering, read from the `import` lines of each module's sources: no module above the
    /// seam (layers, networks, training, the formats, reports, data) imports a backend, the
    /// backend selection or checks, the MPI layer, or a backend's or MPI's C shim; and the
    /// backends (cpu, reference, cuda), the MPI layer and the seam import nothing above them.
    func testModulesImportOnlyTheLayersBelowThem() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let backendsAndShims: Set<String> = ["CPUBackend", "ReferenceBackend", "CUDABackend", "Backends", "BackendChecks",
                                             "Distributed", "CKernels", "CDNNL", "COpenBLAS", "CCUDA", "CMPIShim"]
        let upperModules: Set<String> = ["NN", "VGG", "Training", "TensorBoard", "ONNX", "Reports", "Data"]
        let rules: [(folder: String, forbidden: Set<String>)] = [
            ("Model/NN", backendsAndShims), ("Model/VGG", backendsAndShims), ("Training", backendsAndShims),
            ("Formats/TensorBoard", backendsAndShims), ("Formats/ONNX", backendsAndShims),
            ("Reports", backendsAndShims), ("Data", backendsAndShims),
            ("Backends/CPU", upperModules.union(["CUDABackend", "ReferenceBackend", "Distributed", "CCUDA", "CMPIShim"])),
            ("Backends/Reference", upperModules.union(["CPUBackend", "CUDABackend", "Distributed", "CKernels", "CDNNL", "COpenBLAS", "CCUDA", "CMPIShim"])),
            ("Backends/CUDA", upperModules.union(["CPUBackend", "ReferenceBackend", "Distributed", "CKernels", "CDNNL", "COpenBLAS", "CMPIShim"])),
            ("Distributed", upperModules.union(backendsAndShims.subtracting(["Distributed", "CMPIShim"]))),
            ("Core/Tensors", upperModules.union(backendsAndShims)),
            ("Core/Support", upperModules.union(backendsAndShims).union(["Tensors"])),
        ]
        var imports = 0
        for (folder, forbidden) in rules {
            let dir = sources.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(atPath: dir.path) else {
                XCTFail("no folder \(dir.path)"); continue
            }
            var files = 0
            for case let file as String in walker where file.hasSuffix(".swift") {
                files += 1
                let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
                for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    guard let module = Self.importedModule(String(line)) else { continue }
                    imports += 1
                    if forbidden.contains(module) {
                        XCTFail("\(folder)/\(file):\(n + 1) imports \(module), a layer it must not depend on")
                    }
                }
            }
            XCTAssertGreaterThan(files, 0, "no sources found in \(dir.path)")
        }
        XCTAssertGreaterThan(imports, 100)
    }

    /// The module an `import` line names (`import X`, `@_spi(S) import X`, `import struct X.Y`), or nil.
    static func importedModule(_ line: String) -> String? {
        var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        while let first = words.first, first.hasPrefix("@") { words.removeFirst() }
        guard words.first == "import", words.count >= 2 else { return nil }
        let kinds: Set<String> = ["struct", "class", "enum", "protocol", "func", "var", "let", "typealias"]
        let name = kinds.contains(words[1]) && words.count >= 3 ? words[2] : words[1]
        return name.split(separator: ".").first.map(String.init)
    }

    func testImportLinesAreRead() {
        XCTAssertEqual(Self.importedModule("import Tensors"), "Tensors")
        XCTAssertEqual(Self.importedModule("@_spi(BackendImplementation) import Tensors"), "Tensors")
        XCTAssertEqual(Self.importedModule("import struct Foundation.URL"), "Foundation")
        XCTAssertNil(Self.importedModule("// import CPUBackend"))
        XCTAssertNil(Self.importedModule("let importance = 1"))
    }
}
