import Foundation

/// This machine's name as the kernel gives it (`gethostname`, the name `hostname` prints and
/// Python's `socket.gethostname()` returns), without a DNS lookup: what the ranks' messages,
/// the peer agreement and TensorBoard's event-file names call this host.
public enum HostName {
    /// The current hostname, or "?" when the kernel gives none.
    public static var current: String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "?" }
        return String(cString: name)
    }
}
