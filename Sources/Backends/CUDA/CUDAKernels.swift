import CCUDA

/// A value passed to a kernel, in the C type of the kernel's parameter.
enum KernelArgument {
    case pointer(UnsafeMutableRawPointer?)
    case int32(Int32)
    case int64(Int64)
    case uint32(UInt32)
    case uint64(UInt64)
    case float(Float)
    case double(Double)

    /// The C type of a kernel parameter, as `CUDAKernelProgram.signatures` lists it.
    enum Kind: Equatable { case pointer, int32, int64, uint32, uint64, float, double }

    /// The kind of parameter this value fills.
    var kind: Kind {
        switch self {
        case .pointer: .pointer
        case .int32: .int32
        case .int64: .int64
        case .uint32: .uint32
        case .uint64: .uint64
        case .float: .float
        case .double: .double
        }
    }

    static func int(_ v: Int) -> KernelArgument { .int32(Int32(v)) }
    static func long(_ v: Int) -> KernelArgument { .int64(Int64(v)) }
}

/// The compiled kernels of `CUDAKernelProgram` (the `.cu` files of Kernels/), by name, and
/// their launches on the backend's stream. Every launch is checked against the kernel's C
/// signature (the number and the type of its arguments) before it reaches the driver.
final class CUDAKernels {
    enum Name: String, CaseIterable {
        case relu_forward, relu_backward, dropout_forward, multiply_in_place, add_in_place, bias_add
        case nchw_to_nhwc, nhwc_to_nchw, oihw_to_ohwi, ohwi_to_oihw
        case column_partials, moment_partials, bn_backward_partials, sum_partials, sum_partials_to_float
        case bn_forward_finalize, bn_inference_coefficients, channel_affine, bn_parameter_gradients
        case bn_backward_coefficients, bn_backward_apply
        case max_pool_forward, max_pool_backward, adaptive_average_forward, adaptive_average_backward
        case lrn_forward, lrn_backward
        case softmax_rows, softmax_cross_entropy, softmax_cross_entropy_backward, sgd_update
        // bf16 (docs/precision.md); compiled and emulated, not launched by the backend yet (it refuses bf16).
        case f32_to_bf16, bf16_to_f32, sgd_update_bf16, relu_forward_bf16, relu_backward_bf16
        case max_pool_forward_bf16, max_pool_backward_bf16, softmax_cross_entropy_backward_bf16
        case moment_partials_bf16, bn_backward_partials_bf16, channel_affine_bf16, bn_backward_apply_bf16
        case lrn_forward_bf16, lrn_backward_bf16, softmax_rows_bf16, softmax_cross_entropy_bf16
        case dropout_forward_bf16, multiply_in_place_bf16
    }

    private var functions: [Name: UnsafeMutableRawPointer] = [:]
    /// Where launches go instead of the driver on an emulated device (tests only).
    private let emulatedLaunch: ((String, (Int, Int, Int), (Int, Int, Int), UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> Void)?

    /// The parameter kinds of every kernel, from the signatures in the sources.
    static let parameters: [Name: [KernelArgument.Kind]] = {
        var table: [Name: [KernelArgument.Kind]] = [:]
        for s in CUDAKernelProgram.signatures {
            guard let name = Name(rawValue: s.name) else { preconditionFailure("kernel \(s.name) has no CUDAKernels.Name") }
            table[name] = s.parameters
        }
        return table
    }()

    /// Compiles the source for the opened device and looks every kernel up.
    init() throws {
        emulatedLaunch = nil
        guard vgg_cuda_compile(CUDAKernelProgram.text, "vgg_kernels.cu") == 0 else {
            throw CUDAError("compiling the kernels: \(cudaLastError())")
        }
        for name in Name.allCases {
            var f: UnsafeMutableRawPointer?
            guard vgg_cuda_function(&f, name.rawValue) == 0, let f else { throw CUDAError(cudaLastError()) }
            functions[name] = f
        }
    }

    /// Kernels run by the host emulation of an emulated device (`CUDAEmulatedDevice.launch`), nothing compiled.
    init(emulatedBy device: CUDAEmulatedDevice) {
        emulatedLaunch = device.launch
    }

    /// Launches `name` on a grid of `grid` blocks of `block` threads.
    func launch(_ name: Name, grid: (Int, Int, Int), block: (Int, Int, Int), sharedBytes: Int = 0, _ arguments: [KernelArgument]) {
        let expected = Self.parameters[name] ?? []
        precondition(arguments.map(\.kind) == expected,
                     "\(name.rawValue) takes \(expected), launched with \(arguments.map(\.kind))")
        let slots = UnsafeMutableRawPointer.allocate(byteCount: 8 * max(arguments.count, 1), alignment: 8)
        let pointers = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: max(arguments.count, 1))
        defer { slots.deallocate(); pointers.deallocate() }
        for (i, a) in arguments.enumerated() {
            let slot = slots + 8 * i
            switch a {
            case let .pointer(p): slot.storeBytes(of: p, as: UnsafeMutableRawPointer?.self)
            case let .int32(v): slot.storeBytes(of: v, as: Int32.self)
            case let .int64(v): slot.storeBytes(of: v, as: Int64.self)
            case let .uint32(v): slot.storeBytes(of: v, as: UInt32.self)
            case let .uint64(v): slot.storeBytes(of: v, as: UInt64.self)
            case let .float(v): slot.storeBytes(of: v, as: Float.self)
            case let .double(v): slot.storeBytes(of: v, as: Double.self)
            }
            pointers[i] = slot
        }
        if let emulatedLaunch {
            emulatedLaunch(name.rawValue, grid, block, pointers)
            return
        }
        cudaCheck(vgg_cuda_launch(functions[name]!, UInt32(grid.0), UInt32(grid.1), UInt32(grid.2),
                                  UInt32(block.0), UInt32(block.1), UInt32(block.2), UInt32(sharedBytes), pointers),
                  "launching \(name.rawValue)")
    }

    /// Launches a grid-stride kernel over `count` elements (256 threads a block).
    func elementwise(_ name: Name, count: Int, _ arguments: [KernelArgument]) {
        guard count > 0 else { return }
        let blocks = min((count + 255) / 256, 1 << 16)
        launch(name, grid: (blocks, 1, 1), block: (256, 1, 1), arguments)
    }
}

/// An error of the `cuda` backend that can be reported rather than stop the process
/// (starting, planning).
struct CUDAError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
