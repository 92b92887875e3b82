@testable import CUDABackend
import Foundation
import XCTest

/// The kernel program of the `cuda` backend, without a GPU: the generated program joins every
/// `.cu` file of Sources/Backends/CUDA/Kernels (and only those), and every kernel the backend
/// launches by name has a signature read from the sources.
final class CUDAKernelProgramTests: XCTestCase {
    private var kernelFolder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/Backends/CUDA/Kernels")
    }

    func testTheProgramListsEveryKernelFileOfTheFolder() throws {
        let present = try FileManager.default.contentsOfDirectory(atPath: kernelFolder.path).filter { $0.hasSuffix(".cu") }
        XCTAssertEqual(Set(present), Set(CUDAKernelProgram.files))
        XCTAssertEqual(Set(CUDAKernelProgram.files).count, CUDAKernelProgram.files.count)
    }

    func testTheProgramIsThePreludeThenTheFilesInOrder() throws {
        let program = CUDAKernelProgram.text
        let prelude = try String(contentsOf: kernelFolder.appendingPathComponent("prelude.cuh"), encoding: .utf8)
        XCTAssertTrue(program.hasPrefix(prelude))
        var from = program.index(program.startIndex, offsetBy: prelude.count)
        for file in CUDAKernelProgram.files {
            let text = try String(contentsOf: kernelFolder.appendingPathComponent(file), encoding: .utf8)
            // The file's own text follows, its include of the prelude commented out.
            let body = text.replacingOccurrences(of: "#include \"prelude.cuh\"", with: "/* #include \"prelude.cuh\" */")
            guard let range = program.range(of: body, range: from..<program.endIndex) else {
                return XCTFail("\(file) is not in the program after the files before it (run tools/generate-kernel-launches.py)")
            }
            from = range.upperBound
        }
        // Exactly tools/generate-kernel-launches.py's program_text(), which the NVRTC compile of the test command compiles.
        var expected = [prelude]
        for file in CUDAKernelProgram.files {
            let text = try String(contentsOf: kernelFolder.appendingPathComponent(file), encoding: .utf8)
            let at = try XCTUnwrap(text.range(of: "#include \"prelude.cuh\""), file)
            expected.append("/* ---- \(file) ---- */\n" + text.replacingCharacters(in: at, with: "/* #include \"prelude.cuh\" */"))
        }
        XCTAssertEqual(program, expected.joined(separator: "\n"))
        let includes = program.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("#include") }
        XCTAssertEqual(includes, [], "the program NVRTC compiles includes no header")
    }

    func testTheEmbeddedSourcesAreTheFilesOfTheFolder() throws {
        XCTAssertEqual(Set(CUDAKernelProgram.sources.keys), Set(["prelude.cuh"] + CUDAKernelProgram.files))
        for (name, bytes) in CUDAKernelProgram.sources {
            XCTAssertEqual(bytes, [UInt8](try Data(contentsOf: kernelFolder.appendingPathComponent(name))), name)
        }
    }

    func testEveryKernelNameHasASignatureAndEverySignatureAName() {
        let declared = CUDAKernelProgram.signatures.map(\.name)
        XCTAssertEqual(Set(declared), Set(CUDAKernels.Name.allCases.map(\.rawValue)))
        XCTAssertEqual(declared.count, 49)
        XCTAssertEqual(CUDAKernels.parameters[.relu_forward], [.pointer, .int64])
        XCTAssertEqual(CUDAKernels.parameters[.dropout_forward],
                       [.pointer, .pointer, .pointer, .int64, .int64, .float, .float, .uint32, .uint32, .uint32, .uint64])
    }
}
