// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "vgg-swift",
    products: [
        .library(name: "VGGKit", targets: ["Kernels", "NN", "VGG", "Data", "Reports", "Training"]),
        .executable(name: "vgg", targets: ["vgg"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries from Debian, wrapped as system library targets.
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),

        // Tensors and kernels: the narrow seam behind which a CPU (oneDNN/OpenBLAS)
        // or, later, a CUDA backend lives.
        // Hand-written C kernels where no library fits: Winograd tile transforms (oneDNN 2.x has
        // Winograd on AVX-512 only) and NHWC 2×2 max pooling, on the OpenMP threads of oneDNN.
        .target(name: "CKernels", linkerSettings: [.linkedLibrary("gomp")]),
        .target(name: "Kernels", dependencies: ["CDNNL", "COpenBLAS", "CKernels"]),
        // Layers with forward and backward, losses, optimizers, schedules, initialisers.
        .target(name: "NN", dependencies: ["Kernels"]),
        // Table 1 of the paper as data, builders, summaries, weight import/export.
        .target(name: "VGG", dependencies: ["NN", "Kernels"]),
        // Readers (IDX, CIFAR, image folders), transforms, the parallel loader.
        .target(name: "Data", dependencies: ["CTurboJPEG", "CPNG", "CZlib"]),
        // Pictures people look at: PNG writing, plots, heatmaps, image grids.
        .target(name: "Reports", dependencies: ["CPNG"]),
        // Trainer, evaluator, metrics, checkpoints.
        .target(name: "Training", dependencies: ["VGG", "NN", "Kernels", "Data", "Reports"]),
        .executableTarget(
            name: "vgg",
            dependencies: ["Training", "VGG", "NN", "Kernels", "Data", "Reports",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .testTarget(name: "KernelsTests", dependencies: ["Kernels"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Kernels"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VGGTests", dependencies: ["VGG", "NN", "Kernels"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DataTests", dependencies: ["Data"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "VGG", "NN", "Kernels", "Data"]),
    ],
    swiftLanguageModes: [.v5]
)
