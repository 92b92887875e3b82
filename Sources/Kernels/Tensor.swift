import Foundation

/// How a 4-D tensor's elements are ordered in memory.
///
/// The public convention is NCHW (PyTorch's). Inside a network, activations are
/// kept channels-last (NHWC), the layout oneDNN's fastest CPU kernels prefer; the
/// logical shape stays `[N, C, H, W]` whatever the layout.
public enum MemoryLayout4D: String, Sendable, Codable {
    case nchw
    case nhwc
}

/// A dense float32 tensor that owns (or borrows) one 64-byte aligned buffer.
///
/// Tensors are allocated once per shape and reused across steps; layers write
/// into their own preallocated output tensors instead of allocating per call.
public final class Tensor: @unchecked Sendable {
    /// Logical shape, outermost first (`[N, C, H, W]` for images, `[N, F]` for features).
    public private(set) var shape: [Int]
    /// Memory order of a 4-D tensor; ignored for other ranks.
    public var layout: MemoryLayout4D
    /// Number of elements.
    public private(set) var count: Int
    /// The storage. Valid for `capacity` elements.
    public private(set) var data: UnsafeMutablePointer<Float>
    private var capacity: Int
    private let owned: Bool

    /// Allocates a zero-filled tensor.
    public init(shape: [Int], layout: MemoryLayout4D = .nchw) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.layout = layout
        self.count = shape.reduce(1, *)
        self.capacity = max(count, 1)
        self.data = Tensor.allocate(capacity)
        self.owned = true
    }

    /// Wraps memory owned by someone else (for example a view into a flat parameter buffer).
    public init(borrowing pointer: UnsafeMutablePointer<Float>, shape: [Int], layout: MemoryLayout4D = .nchw) {
        self.shape = shape
        self.layout = layout
        self.count = shape.reduce(1, *)
        self.capacity = count
        self.data = pointer
        self.owned = false
    }

    /// Copies an array into a new tensor.
    public convenience init(_ values: [Float], shape: [Int], layout: MemoryLayout4D = .nchw) {
        self.init(shape: shape, layout: layout)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit {
        if owned { free(data) }
    }

    private static func allocate(_ n: Int) -> UnsafeMutablePointer<Float> {
        var raw: UnsafeMutableRawPointer?
        let bytes = max(n, 1) * 4
        guard posix_memalign(&raw, 64, (bytes + 63) / 64 * 64) == 0, let raw else {
            fatalError("out of memory allocating \(bytes) bytes")
        }
        memset(raw, 0, bytes)
        return raw.bindMemory(to: Float.self, capacity: n)
    }

    /// Changes the shape, reallocating only when the new shape needs more memory.
    /// Contents are unspecified afterwards.
    public func resize(_ newShape: [Int], layout newLayout: MemoryLayout4D? = nil) {
        let n = newShape.reduce(1, *)
        if n > capacity {
            precondition(owned, "cannot grow a borrowed tensor")
            free(data)
            data = Tensor.allocate(n)
            capacity = n
        }
        shape = newShape
        count = n
        if let newLayout { layout = newLayout }
    }

    /// A view with another shape over the same memory (no copy).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(borrowing: data, shape: newShape, layout: layout)
    }

    /// The elements in memory order.
    public var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// The elements in NCHW order, whatever the layout.
    public func nchwArray() -> [Float] {
        guard shape.count == 4, layout == .nhwc else { return array }
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { Tensor.permute(nhwc: data, toNCHW: $0.baseAddress!, shape: shape) }
        return out
    }

    /// Fills every element with `value`.
    public func fill(_ value: Float) {
        data.update(repeating: value, count: count)
    }

    /// Copies `other`'s elements (same count) in memory order.
    public func copy(from other: Tensor) {
        precondition(other.count == count, "copy of \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }

    public subscript(i: Int) -> Float {
        get { data[i] }
        set { data[i] = newValue }
    }

    /// Writes `src` (NCHW order, shape `[n, c, h, w]`) into `dst` in NHWC order.
    public static func permute(nchw src: UnsafePointer<Float>, toNHWC dst: UnsafeMutablePointer<Float>, shape: [Int]) {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let hw = h * w
        if c == 1 { dst.update(from: src, count: n * hw); return }
        for b in 0..<n {
            let s = src + b * c * hw
            let d = dst + b * c * hw
            for ch in 0..<c {
                let sc = s + ch * hw
                for p in 0..<hw { d[p * c + ch] = sc[p] }
            }
        }
    }

    /// Writes `src` (NHWC order, logical shape `[n, c, h, w]`) into `dst` in NCHW order.
    public static func permute(nhwc src: UnsafePointer<Float>, toNCHW dst: UnsafeMutablePointer<Float>, shape: [Int]) {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let hw = h * w
        if c == 1 { dst.update(from: src, count: n * hw); return }
        for b in 0..<n {
            let s = src + b * c * hw
            let d = dst + b * c * hw
            for p in 0..<hw {
                let sp = s + p * c
                for ch in 0..<c { d[ch * hw + p] = sp[ch] }
            }
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor(\(shape), \(layout))" }
}
