import Foundation

extension CUDAKernelProgram {
    /// The program NVRTC compiles, one translation unit joined from the embedded sources:
    /// `prelude.cuh`, then every file of `files`, each headed by a comment naming it and with its
    /// `#include "prelude.cuh"` commented out (the line stays, so line numbers inside a file do not
    /// move), joined by line breaks. tools/generate-kernel-launches.py's `program_text()` is the same
    /// rule, for the NVRTC compile of the test command.
    static let text: String = {
        func source(_ name: String) -> String {
            guard let bytes = sources[name] else { preconditionFailure("kernel source \(name) is not embedded") }
            return String(decoding: bytes, as: UTF8.self)
        }
        let include = "#include \"prelude.cuh\""
        var parts = [source("prelude.cuh")]
        for file in files {
            let text = source(file)
            guard let at = text.range(of: include) else { preconditionFailure("\(file) does not include prelude.cuh") }
            parts.append("/* ---- \(file) ---- */\n" + text.replacingCharacters(in: at, with: "/* \(include) */"))
        }
        return parts.joined(separator: "\n")
    }()
}
