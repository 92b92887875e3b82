// swift-tools-version:6.0
import PackageDescription

// Fuzzing harnesses for vgg-swift's readers (libFuzzer). Built and run by scripts/fuzz.sh:
//
//   swift build --package-path FuzzTesting --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address
//
// which instruments every module of the main package (coverage for libFuzzer, AddressSanitizer;
// swiftc keeps only the last -sanitize= flag, hence the combined one after SwiftPM's).
// Each `Fuzz…` executable has no `main`: libFuzzer's is linked in by `-sanitize=fuzzer`, and
// the target defines `LLVMFuzzerTestOneInput` (and `LLVMFuzzerInitialize`). The harness
// bodies and their seed inputs live in the `Harnesses` library.
let harnesses: [(target: String, harness: String)] = [
    ("FuzzIDX", "idx"), ("FuzzIDXGzip", "idx-gzip"), ("FuzzCIFAR10", "cifar10"), ("FuzzCIFAR100", "cifar100"),
    ("FuzzJPEG", "jpeg"), ("FuzzPNG", "png"), ("FuzzSafeTensors", "safetensors"), ("FuzzCheckpoint", "checkpoint"),
    ("FuzzLegacyCheckpoint", "legacy-checkpoint"), ("FuzzOptions", "options"), ("FuzzPyTorch", "pth"),
]

let package = Package(
    name: "FuzzTesting",
    dependencies: [
        // The identity of a path dependency is its directory's name, which depends on the checkout.
        .package(name: "vgg-swift", path: ".."),
    ],
    targets: [
        .target(name: "Harnesses", dependencies: [.product(name: "VGGKit", package: "vgg-swift")]),
    ] + harnesses.map { .executableTarget(name: $0.target, dependencies: ["Harnesses"]) },
    swiftLanguageModes: [.v5]
)
