/// How a 4-D tensor's elements are ordered in memory.
///
/// The public convention is NCHW (PyTorch's). Inside a network, activations are
/// kept channels-last (NHWC), the layout the fastest CPU and GPU kernels prefer; the
/// logical shape stays `[N, C, H, W]` whatever the layout.
public enum MemoryLayout4D: String, Sendable, Codable {
    case nchw
    case nhwc
}
