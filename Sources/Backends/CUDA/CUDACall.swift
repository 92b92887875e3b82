import CCUDA

/// Checks the result of a call into the CUDA shim. Ops cannot throw (the `Backend`
/// protocol's forward and backward calls do not), so a failing library call inside one
/// stops the process with the library's message: it means the device is out of memory or
/// in an error state, from which a training step cannot go on.
@inline(__always)
func cudaCheck(_ result: Int32, _ what: @autoclosure () -> String) {
    if result != 0 { fatalError("cuda: \(what()): \(String(cString: vgg_cuda_last_error()))") }
}

/// The message of the last failing shim call.
func cudaLastError() -> String { String(cString: vgg_cuda_last_error()) }
