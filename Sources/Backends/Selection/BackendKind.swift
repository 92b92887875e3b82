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
    public func make(cpu: CPUBackendConfiguration, cuda: CUDABackendConfiguration? = nil) throws -> any Backend {
        switch self {
        case .cpu: return try CPUBackend(configuration: cpu)
        case .reference: return ReferenceBackend(threads: cpu.threads)
        case .cuda: return try CUDABackend(configuration: try cuda ?? CUDABackendConfiguration.fromEnvironment())
        }
    }

    /// The backend the environment asks for (`VGG_BACKEND`, and for `cpu` the variables of
    /// `CPUBackendConfiguration.fromEnvironment`): what tests and library users get by default.
    public static func makeFromEnvironment() throws -> any Backend {
        try fromEnvironment().make(cpu: try CPUBackendConfiguration.fromEnvironment())
    }
}
