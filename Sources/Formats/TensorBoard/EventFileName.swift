import Foundation
import Support

/// TensorBoard's name for an event file, `events.out.tfevents.<seconds>.<host>`, and the
/// test of whether a file name is one (TensorBoard reads every such file of a directory).
public enum EventFileName {
    public static let prefix = "events.out.tfevents."

    /// The name of a file started at `time` on `host`.
    public static func make(time: Date = Date(), host: String = HostName.current) -> String {
        "\(prefix)\(Int(time.timeIntervalSince1970)).\(host)"
    }

    /// Whether TensorBoard reads a file of this name as an event file.
    public static func isEventFile(_ name: String) -> Bool { name.hasPrefix(prefix) }

    /// The event files of `directory`, in the order TensorBoard reads them (by name: by start time).
    public static func files(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter(isEventFile).sorted().map { directory.appendingPathComponent($0) }
    }
}
