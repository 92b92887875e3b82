// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "vgg-swift",
    products: [
        .library(name: "VGGKit", targets: ["Support", "Tensors", "SafeTensorsFormat", "PyTorchFormat", "CPUBackend", "ReferenceBackend", "CUDABackend", "Backends", "Distributed",
                                           "NN", "VGG", "Data", "Reports", "TensorBoard", "Training", "ONNX"]),
        // The library on the CPU backend alone: training, checkpoints, evaluation, features, the
        // formats and reports, without the cuda backend, MPI, ONNX or the command line (Examples/ uses it).
        .library(name: "VGGKitCPU", targets: ["Support", "Tensors", "SafeTensorsFormat", "PyTorchFormat", "CPUBackend",
                                              "NN", "VGG", "Data", "Reports", "TensorBoard", "Training"]),
        .executable(name: "vgg", targets: ["vgg"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The protobuf runtime only: the generated code is committed (tools/generate-protos.sh).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // `swift package generate-documentation` (DocC); a command plugin, built only when invoked.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // Zip archives: the container of PyTorch's `torch.save` files.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // C libraries from Debian, wrapped as system library targets.
        .systemLibrary(name: "CDNNL", path: "Sources/CShims/CDNNL"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/CShims/COpenBLAS"),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CShims/CTurboJPEG"),
        .systemLibrary(name: "CPNG", path: "Sources/CShims/CPNG"),
        .systemLibrary(name: "CZlibShim", path: "Sources/CShims/CZlibShim"),
        // Plots: cairo's shapes, text (DejaVu Sans, from fonts-dejavu-core), PNG and SVG surfaces.
        .systemLibrary(name: "CCairo", path: "Sources/CShims/CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),

        // Small building blocks every module shares: atomic files, CRC-32, the PNG codec,
        // seeded random numbers, the clock, text tables.
        .target(name: "Support", dependencies: ["CZlibShim", "CPNG"], path: "Sources/Core/Support"),
        // The backend seam: device memory (`Storage`), `Tensor`, the `Backend` protocol with
        // every op a network needs, the `Communicator` of the gradient synchronisation.
        .target(name: "Tensors", dependencies: ["Support"], path: "Sources/Core/Tensors"),
        // Hand-written C where no library fits: Winograd tile transforms (oneDNN 2.x has
        // Winograd on AVX-512 only), NHWC 2×2 max pooling and Philox dropout masks, on the
        // OpenMP threads of oneDNN.
        .target(name: "CKernels", path: "Sources/Backends/CPUKernels", linkerSettings: [.linkedLibrary("gomp")]),
        // The `cpu` backend: oneDNN, sgemm (oneDNN or OpenBLAS) and the C kernels.
        .target(name: "CPUBackend", dependencies: ["Tensors", "CDNNL", "COpenBLAS", "CKernels"], path: "Sources/Backends/CPU"),
        // The `reference` backend: plain Swift loops written from the definitions, the oracle of the tests.
        .target(name: "ReferenceBackend", dependencies: ["Tensors"], path: "Sources/Backends/Reference"),
        // NVIDIA's driver, cuBLAS, cuDNN and NVRTC, loaded at run time (no CUDA toolkit to build):
        // a C shim declaring the calls used.
        .target(name: "CCUDA", path: "Sources/CShims/CCUDA", linkerSettings: [.linkedLibrary("dl")]),
        // The `cuda` backend: cuDNN convolutions, cuBLAS products, NVRTC-compiled kernels. The
        // kernels' .cu sources (Kernels/) are embedded in the binary as byte arrays (`.embedInCode`:
        // PackageResources.prelude_cuh, …) and joined into one program at start (CUDAKernelProgram.text).
        .target(name: "CUDABackend", dependencies: ["Tensors", "CCUDA"], path: "Sources/Backends/CUDA",
                resources: [.embedInCode("Kernels")]),
        // Open MPI, loaded at run time (no link-time dependency): a C shim over the calls used.
        .target(name: "CMPIShim", path: "Sources/CShims/CMPIShim", linkerSettings: [.linkedLibrary("dl")]),
        // Data-parallel training across processes: the MPI `Communicator`.
        .target(name: "Distributed", dependencies: ["Tensors", "CMPIShim", "Support"]),
        // Choosing a backend by name (`--backend`, `VGG_BACKEND`).
        .target(name: "Backends", dependencies: ["Tensors", "CPUBackend", "ReferenceBackend", "CUDABackend"], path: "Sources/Backends/Selection"),
        // Layers with forward and backward, losses, optimizers, schedules, initialisers:
        // written against the `Backend` protocol only.
        .target(name: "NN", dependencies: ["Tensors", "Support"], path: "Sources/Model/NN"),
        // Table 1 of the paper as data, builders, summaries, weight import/export.
        .target(name: "VGG", dependencies: ["NN", "Tensors", "SafeTensorsFormat", "Support"], path: "Sources/Model/VGG"),
        // Readers (IDX, CIFAR, image folders), transforms, the parallel loader.
        .target(name: "Data", dependencies: ["Support", "CTurboJPEG", "CZlibShim"]),
        // Pictures people look at: PNG files, and plots, heatmaps, image grids drawn with cairo (PNG or SVG).
        .target(name: "Reports", dependencies: ["Support", "CCairo"]),
        // The safetensors format, streamed from and to tensors (and the container of the
        // first checkpoint format, read for old checkpoints).
        .target(name: "SafeTensorsFormat", dependencies: ["Tensors", "Support"], path: "Sources/Formats/SafeTensors"),
        // PyTorch's `torch.save` files (a zip, read with ZIPFoundation, of a restricted pickle and
        // raw storages), and
        // `WeightsFile`, which tells them from safetensors by their content.
        .target(name: "PyTorchFormat", dependencies: ["SafeTensorsFormat", "Support", .product(name: "ZIPFoundation", package: "ZIPFoundation")], path: "Sources/Formats/PyTorch"),
        // TensorBoard's event files: TFRecord framing, scalar, image, text and histogram
        // summaries, and a reader (generated protobuf code in Sources/Formats/TensorBoard/Generated).
        .target(name: "TensorBoard", dependencies: ["Support", .product(name: "SwiftProtobuf", package: "swift-protobuf")], path: "Sources/Formats/TensorBoard"),
        // Trainer, evaluator, metrics, checkpoints, the TensorBoard log of a run.
        .target(name: "Training", dependencies: ["VGG", "NN", "Tensors", "SafeTensorsFormat", "PyTorchFormat", "Data", "Reports", "Support", "TensorBoard"]),
        // The inference network as an ONNX model (generated protobuf code in Sources/Formats/ONNX/Generated).
        .target(name: "ONNX", dependencies: ["NN", "Tensors", .product(name: "SwiftProtobuf", package: "swift-protobuf")], path: "Sources/Formats/ONNX"),
        // `vgg check-backend`: one backend against another, op by op and end to end, on seeded data.
        .target(name: "BackendChecks", dependencies: ["VGG", "NN", "Tensors", "Support"], path: "Sources/Backends/Checks"),
        // The git commit `vgg --version` names, defined by scripts/install.sh's build.
        .target(name: "CBuildInfo", path: "Sources/CShims/CBuildInfo"),
        .executableTarget(
            name: "vgg",
            dependencies: ["CBuildInfo", "Training", "ONNX", "BackendChecks", "VGG", "NN", "Tensors", "SafeTensorsFormat", "PyTorchFormat", "Backends", "CPUBackend", "CUDABackend", "Distributed", "Data", "Reports", "Support",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/CLI"),

        // The backends the NN, VGG and Training tests run on.
        .target(name: "TestSupport", dependencies: ["Backends", "CPUBackend", "Tensors"], path: "Tests/TestSupport"),
        .testTarget(name: "SupportTests", dependencies: ["Support"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "Support"]),
        .testTarget(name: "FormatsTests", dependencies: ["SafeTensorsFormat", "PyTorchFormat", "Tensors", "Support"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CPUBackendTests", dependencies: ["CPUBackend", "Tensors", "Support"]),
        .testTarget(name: "BackendConformanceTests", dependencies: ["CPUBackend", "ReferenceBackend", "CKernels", "Tensors", "Support"]),
        .testTarget(name: "NNTests", dependencies: ["SafeTensorsFormat", "NN", "Tensors", "CPUBackend", "Support", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "VGGTests", dependencies: ["SafeTensorsFormat", "PyTorchFormat", "VGG", "NN", "Tensors", "CPUBackend", "Support", "TestSupport"], resources: [.copy("Fixtures")]),
        // Test-only: the cuda backend's .cu kernels compiled for the host against an emulation of
        // the CUDA execution model (blocks in turn; one OS thread per CUDA thread for kernels that
        // synchronise). Never part of a backend.
        // No contraction of a*b+c into fma: NVRTC compiles the kernels with --fmad=false.
        .target(name: "CUDAEmulation", path: "Tests/CUDAEmulation", cxxSettings: [.unsafeFlags(["-ffp-contract=off"])]),
        .testTarget(name: "CUDAEmulationTests", dependencies: ["CUDAEmulation", "ReferenceBackend", "Tensors"]),
        // `vgg check-backend`'s checks of the cuda backend's op classes on an emulated device (its
        // kernels run by CUDAEmulation; cuDNN and cuBLAS stood in for by the reference and a host loop).
        .testTarget(name: "CUDAEmulatedDeviceTests", dependencies: ["CUDABackend", "CUDAEmulation", "BackendChecks", "ReferenceBackend", "Tensors"]),
        .testTarget(name: "CUDABackendTests", dependencies: ["CUDABackend", "BackendChecks", "ReferenceBackend", "Tensors"]),
        .testTarget(name: "DataTests", dependencies: ["Data", "Reports", "Support"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "CMPIShim", "Training", "VGG", "NN", "Tensors", "TestSupport"]),
        .testTarget(name: "BackendChecksTests", dependencies: ["BackendChecks", "CPUBackend", "ReferenceBackend", "Tensors"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Support"]),
        .testTarget(name: "TrainingTests", dependencies: ["SafeTensorsFormat", "PyTorchFormat", "Training", "VGG", "NN", "Tensors", "Data", "Reports", "Support", "TestSupport", "TensorBoard", "Backends"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "TensorBoardTests", dependencies: ["TensorBoard", "Support"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ONNXTests", dependencies: ["ONNX", "VGG", "NN", "Tensors", "TestSupport"]),
        // The command line's own logic (`@testable import vgg`): `vgg launch`'s decisions, the shared options.
        .testTarget(name: "CLITests", dependencies: ["vgg"]),
    ],
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx17
)
