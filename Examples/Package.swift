// swift-tools-version:6.0
// Programs that use the vgg-swift library as a package of your own would: this package depends
// on the one in the folder above by path. Build and run (from the repository root):
//
//     swift run --package-path Examples TrainFashionMNIST runs/example
//     swift run --package-path Examples FineTuneAndClassify runs/example/best.ckpt runs/example-footwear
//     swift run --package-path Examples ExtractFeatures runs/example/best.ckpt
import PackageDescription

let vggKit = Target.Dependency.product(name: "VGGKitCPU", package: "vgg-swift")

let package = Package(
    name: "vgg-swift-examples",
    dependencies: [.package(name: "vgg-swift", path: "..")],
    targets: [
        .executableTarget(name: "TrainFashionMNIST", dependencies: [vggKit]),
        .executableTarget(name: "FineTuneAndClassify", dependencies: [vggKit]),
        .executableTarget(name: "ExtractFeatures", dependencies: [vggKit]),
    ],
    swiftLanguageModes: [.v5]
)
