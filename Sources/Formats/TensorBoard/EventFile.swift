import Foundation
import SwiftProtobuf

/// The events of one TensorBoard event file, as TensorBoard itself or `EventFileWriter`
/// wrote them, with their summaries sorted out by kind.
public struct EventFile {
    public let url: URL
    /// Every event, in file order (the first is normally the `brain.Event:2` version record).
    public let events: [Tensorboard_Event]

    /// One logged value: its step, wall time and value.
    public struct Point<Value> {
        public let step: Int64
        public let wallTime: Double
        public let value: Value
    }

    /// Reads and decodes every record of the file at `url`.
    public init(contentsOf url: URL) throws {
        self.url = url
        let reader = try TFRecordReader(contentsOf: url)
        events = try reader.records.enumerated().map { index, record in
            do { return try Tensorboard_Event(serializedBytes: record) } catch {
                throw TFRecordError(path: url.path, problem: "record \(index + 1) is not a TensorBoard event (\(error))")
            }
        }
    }

    /// The file's format version (`brain.Event:2`), from its first record.
    public var fileVersion: String? { events.first { !$0.fileVersion.isEmpty }?.fileVersion }

    /// Every tag with at least one summary value.
    public var tags: Set<String> { Set(Self.values(of: events).map(\.value.tag)) }

    /// The scalars of `tag` in file order: simple values, and the rank-0 float tensors that
    /// newer writers (TensorFlow 2's `tf.summary.scalar`) log instead.
    public func scalars(_ tag: String) -> [Point<Double>] {
        Self.values(of: events).compactMap { e, v in
            guard v.tag == tag else { return nil }
            switch v.value {
            case let .simpleValue(x)?: return Point(step: e.step, wallTime: e.wallTime, value: Double(x))
            case let .tensor(t)?:
                if let x = t.floatVal.first { return Point(step: e.step, wallTime: e.wallTime, value: Double(x)) }
                if let x = t.doubleVal.first { return Point(step: e.step, wallTime: e.wallTime, value: x) }
                if t.tensorContent.count == 4 {
                    let bits = t.tensorContent.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << ($1.offset * 8) }
                    return Point(step: e.step, wallTime: e.wallTime, value: Double(Float(bitPattern: bits)))
                }
                return nil
            default: return nil
            }
        }
    }

    /// The images of `tag` in file order.
    public func images(_ tag: String) -> [Point<Tensorboard_Summary.Image>] {
        Self.values(of: events).compactMap { e, v in
            guard v.tag == tag, case let .image(image)? = v.value else { return nil }
            return Point(step: e.step, wallTime: e.wallTime, value: image)
        }
    }

    /// The texts of `tag` (string tensors) in file order.
    public func texts(_ tag: String) -> [Point<String>] {
        Self.values(of: events).compactMap { e, v in
            guard v.tag == tag, case let .tensor(t)? = v.value, t.dtype == .dtString, let s = t.stringVal.first else { return nil }
            return Point(step: e.step, wallTime: e.wallTime, value: String(decoding: s, as: UTF8.self))
        }
    }

    /// The histograms of `tag` in file order.
    public func histograms(_ tag: String) -> [Point<Tensorboard_HistogramProto>] {
        Self.values(of: events).compactMap { e, v in
            guard v.tag == tag, case let .histo(h)? = v.value else { return nil }
            return Point(step: e.step, wallTime: e.wallTime, value: h)
        }
    }

    /// For each tag, the last step logged.
    public var lastSteps: [String: Int64] { Self.lastSteps(of: events) }

    static func values(of events: [Tensorboard_Event]) -> [(event: Tensorboard_Event, value: Tensorboard_Summary.Value)] {
        events.flatMap { e in e.summary.value.map { (e, $0) } }
    }

    static func lastSteps(of events: [Tensorboard_Event]) -> [String: Int64] {
        var last: [String: Int64] = [:]
        for (e, v) in values(of: events) { last[v.tag] = max(last[v.tag] ?? .min, e.step) }
        return last
    }
}
