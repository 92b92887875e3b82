import CPUBackend
import CUDABackend
import Foundation
import ReferenceBackend
import Tensors

/// The backends this build has, by the names `--backend` and `VGG_BACKEND` take.
public enum BackendKind: String, CaseIterable, Sendable, Codable {
    /// oneDNN, sgemm and hand-written C kernels on the CPU (the default).
    case cpu
    /// Plain Swift loops written from the definitions: slow, the tests' oracle.
    case reference
    /// One NVIDIA GPU: cuDNN, cuBLAS and NVRTC-compiled kernels, loaded at run time.
    case cuda

    /// `VGG_BACKEND` when set (an unknown name is an error), else `cpu`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BackendKind {
        guard let v = environment["VGG_BACKEND"], !v.isEmpty else { return .cpu }
        guard let k = BackendKind(rawValue: v.lowercased()) else {
            throw BackendError(operation: "VGG_BACKEND=\(v)", problem: "not one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return k
    }

    /// A backend of this kind; `cpu` takes its settings from `cpu`, `reference` its threads,
    /// `cuda` its settings from `cuda`. A `cuda` backend on a machine without a GPU or its
    /// libraries throws an error naming what is missing.
    ///
    /// `precision` (`--precision`, `VGG_PRECISION`; `nil` keeps `cuda`'s own setting and
    /// means fp32 elsewhere) applies to every kind; a kind that does not implement it throws
    /// an error saying so rather than running another arithmetic under its name.
    public func make(cpu: CPUBackendConfiguration, cuda: CUDABackendConfiguration? = nil, precision: Precision? = nil) throws -> any Backend {
        switch self {
        case .cpu:
            var c = cpu
            if let precision {
                if precision == .tf32 { try refuseUnimplemented(precision) }   // throws
                c.precision = precision
            }
            return try CPUBackend(configuration: c)
        case .reference:
            if precision == .tf32 { try refuseUnimplemented(precision) }   // throws
            return ReferenceBackend(threads: cpu.threads, precision: precision ?? .fp32)
        case .cuda:
            var c = try cuda ?? CUDABackendConfiguration.fromEnvironment()
            if let precision { c.precision = precision }
            return try CUDABackend(configuration: c)
        }
    }

    /// What the CPU backends refuse: tf32 (it needs TF32 units, or an emulation not written
    /// yet). Both implement fp32 and bf16 (docs/precision.md).
    private func refuseUnimplemented(_ precision: Precision?) throws {
        switch precision ?? .fp32 {
        case .fp32, .bf16: return
        case .tf32:
            throw BackendError(operation: "\(rawValue) --precision tf32", problem: "the \(rawValue) backend has no TF32 arithmetic; use fp32 or bf16 (or tf32 on --backend cuda)")
        }
    }

    /// The backend the environment asks for (`VGG_BACKEND`, and for `cpu` the variables of
    /// `CPUBackendConfiguration.fromEnvironment`, and `VGG_PRECISION`): what tests and library users get by default.
    public static func makeFromEnvironment() throws -> any Backend {
        let environment = ProcessInfo.processInfo.environment
        return try fromEnvironment(environment).make(cpu: try CPUBackendConfiguration.fromEnvironment(), precision: try Precision.fromEnvironment(environment))
    }
}
