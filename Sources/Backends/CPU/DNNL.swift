import CDNNL
import Foundation
@_spi(BackendImplementation) import Tensors

@inline(__always)
func dnnlCheck(_ status: dnnl_status_t, _ operation: @autoclosure () -> String) throws {
    if status != dnnl_success {
        throw BackendError(operation: operation(), problem: "oneDNN refused it (status \(status.rawValue))")
    }
}

/// A oneDNN CPU engine and stream, owned by one `CPUBackend` (every primitive it plans
/// is created on this engine and runs on this stream).
final class DNNLContext: @unchecked Sendable {
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t

    init() {
        var e: dnnl_engine_t?
        var s: dnnl_stream_t?
        guard dnnl_engine_create(&e, dnnl_cpu, 0) == dnnl_success, let e,
              dnnl_stream_create(&s, e, UInt32(dnnl_stream_default_flags.rawValue)) == dnnl_success, let s
        else { fatalError("cannot create the oneDNN CPU engine") }
        engine = e
        stream = s
    }

    deinit {
        dnnl_stream_destroy(stream)
        dnnl_engine_destroy(engine)
    }
}

/// A plain memory descriptor of f32 data in a given format tag.
func makeMemoryDesc(_ dims: [Int], _ tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
    var md = dnnl_memory_desc_t()
    let d = dims.map { Int64($0) }
    try dnnlCheck(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, dnnl_f32, tag), "memory descriptor \(dims)")
    return md
}

func memoryDescEqual(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
    var a = a, b = b
    return dnnl_memory_desc_equal(&a, &b) != 0
}

/// An address that stands for "bound later" (oneDNN wants a handle at creation).
let unboundAddress = UnsafeMutableRawPointer(bitPattern: 64)!

/// A oneDNN memory object, either over a caller's buffer (rebound with `bind`) or owning its own.
final class DNNLMemory {
    let desc: dnnl_memory_desc_t
    let handle: dnnl_memory_t
    let context: DNNLContext

    /// Wraps `pointer` (may be rebound later with `bind`), or allocates when nil.
    init(_ desc: dnnl_memory_desc_t, context: DNNLContext, pointer: UnsafeMutableRawPointer? = unboundAddress) throws {
        self.desc = desc
        self.context = context
        var m: dnnl_memory_t?
        var d = desc
        try dnnlCheck(dnnl_memory_create(&m, &d, context.engine, pointer ?? vgg_dnnl_memory_allocate()), "memory allocation")
        handle = m!
    }

    var byteSize: Int { var d = desc; return dnnl_memory_desc_get_size(&d) }

    func bind(_ pointer: UnsafeMutableRawPointer) {
        dnnl_memory_set_data_handle(handle, pointer)
    }

    func bind(_ tensor: Tensor) { bind(tensor.address) }

    deinit { dnnl_memory_destroy(handle) }
}

/// A created oneDNN primitive with its descriptor.
final class DNNLPrimitive {
    let pd: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t
    let context: DNNLContext

    /// Creates the primitive from an operation descriptor (`opDesc` points at a dnnl_*_desc_t).
    init(opDesc: UnsafeRawPointer, context: DNNLContext, attr: dnnl_primitive_attr_t? = nil, hint: DNNLPrimitive? = nil, what: String) throws {
        self.context = context
        var pd: dnnl_primitive_desc_t?
        try dnnlCheck(dnnl_primitive_desc_create(&pd, opDesc, attr, context.engine, hint?.pd), "\(what): primitive descriptor")
        self.pd = pd!
        var p: dnnl_primitive_t?
        try dnnlCheck(dnnl_primitive_create(&p, pd), "\(what): primitive")
        primitive = p!
    }

    /// A reorder from one layout to another.
    init(reorderFrom src: dnnl_memory_desc_t, to dst: dnnl_memory_desc_t, context: DNNLContext) throws {
        self.context = context
        var s = src, d = dst
        var pd: dnnl_primitive_desc_t?
        let e = context.engine
        try dnnlCheck(dnnl_reorder_primitive_desc_create(&pd, &s, e, &d, e, nil), "reorder descriptor")
        self.pd = pd!
        var p: dnnl_primitive_t?
        try dnnlCheck(dnnl_primitive_create(&p, pd), "reorder primitive")
        primitive = p!
    }

    func queryMD(_ what: dnnl_query_t, _ index: Int32 = 0) -> dnnl_memory_desc_t? {
        guard let p = dnnl_primitive_desc_query_md(pd, what, index) else { return nil }
        let md = p.pointee
        return md.ndims == 0 ? nil : md
    }

    /// The name of the implementation oneDNN chose (e.g. `brgconv:avx512_core`).
    var implementation: String {
        var s: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s)
        return s.map { String(cString: $0) } ?? "?"
    }

    func execute(_ args: [(Int32, DNNLMemory)]) {
        let a = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.handle) }
        let status = a.withUnsafeBufferPointer { dnnl_primitive_execute(primitive, context.stream, Int32($0.count), $0.baseAddress) }
        precondition(status == dnnl_success, "oneDNN execution failed with status \(status.rawValue)")
    }

    /// The workspace memory the primitive wants between forward and backward (argmax
    /// positions of a pooling, LRN sums), allocated by oneDNN; nil when it needs none.
    func workspace() throws -> DNNLMemory? {
        try queryMD(dnnl_query_workspace_md).map { try DNNLMemory($0, context: context, pointer: nil) }
    }

    /// Runs with `args` and, when given, the workspace.
    func execute(_ args: [(Int32, DNNLMemory)], workspace: DNNLMemory?) {
        execute(workspace.map { args + [(DNNL_ARG_WORKSPACE, $0)] } ?? args)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(pd)
    }
}
