import Foundation
import Support
import SwiftProtobuf

/// Writes a TensorBoard event file: scalars, PNG images, text and histograms, each an `Event`
/// record appended at once (see `TFRecordWriter`), so that `tensorboard --logdir` shows what
/// a run has logged so far, and a killed run keeps it.
///
/// The file starts with the `brain.Event:2` version record TensorBoard expects. Events whose
/// tag was already logged at that step or later by an earlier file of the same directory are
/// skipped (`skipping`): a resumed run continues in a new file without duplicating them.
public final class EventFileWriter {
    /// The file written.
    public let url: URL
    private let records: TFRecordWriter
    /// For each tag, the last step already logged: events at or before it are not written again.
    private var loggedThrough: [String: Int64]

    /// Starts a new event file in `directory`, named as TensorBoard names them; `skipping`
    /// gives, per tag, the last step already logged (`EventDirectory.lastSteps`).
    public init(directory: URL, skipping loggedThrough: [String: Int64] = [:], time: Date = Date(),
                host: String = HostName.current) throws {
        // Two writers started in the same second on one host (a quick resume) must not share a file.
        var name = EventFileName.make(time: time, host: host)
        var n = 1
        while FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            n += 1; name = EventFileName.make(time: time, host: host) + ".\(n)"
        }
        url = directory.appendingPathComponent(name)
        records = try TFRecordWriter(appendingTo: url)
        self.loggedThrough = loggedThrough
        var version = Tensorboard_Event()
        version.wallTime = time.timeIntervalSince1970
        version.fileVersion = "brain.Event:2"
        try write(version)
    }

    /// Whether an event of `tag` at `step` would be written (not logged before).
    public func accepts(_ tag: String, step: Int) -> Bool { loggedThrough[tag].map { Int64(step) > $0 } ?? true }

    /// A scalar (TensorBoard's Scalars tab; stored as a 32-bit float, as TensorFlow does).
    public func addScalar(_ tag: String, _ value: Double, step: Int, wallTime: Date = Date()) throws {
        try addScalars([(tag, value)], step: step, wallTime: wallTime)
    }

    /// Several scalars of one step in one event (one write: what a training step logs costs a
    /// single system call); tags already logged at this step are left out as in `addScalar`.
    public func addScalars(_ values: [(tag: String, value: Double)], step: Int, wallTime: Date = Date()) throws {
        try add(values.map { tag, value in
            var v = Tensorboard_Summary.Value()
            v.tag = tag
            v.simpleValue = Float(value)
            return v
        }, step: step, wallTime: wallTime)
    }

    /// A PNG image (the Images tab); `png` is stored as it is.
    public func addImage(_ tag: String, png: [UInt8], width: Int, height: Int, channels: Int, step: Int,
                         wallTime: Date = Date()) throws {
        var image = Tensorboard_Summary.Image()
        image.width = Int32(width); image.height = Int32(height); image.colorspace = Int32(channels)
        image.encodedImageString = Data(png)
        var v = Tensorboard_Summary.Value()
        v.tag = tag
        v.image = image
        try add([v], step: step, wallTime: wallTime)
    }

    /// Text, rendered as Markdown by TensorBoard's Text tab (a string tensor of the `text` plugin).
    public func addText(_ tag: String, _ text: String, step: Int, wallTime: Date = Date()) throws {
        var tensor = Tensorboard_TensorProto()
        tensor.dtype = .dtString
        tensor.stringVal = [Data(text.utf8)]
        var dimension = Tensorboard_TensorShapeProto.Dim()
        dimension.size = 1
        tensor.tensorShape.dim = [dimension]
        var v = Tensorboard_Summary.Value()
        v.tag = tag
        v.metadata.pluginData.pluginName = "text"
        v.tensor = tensor
        try add([v], step: step, wallTime: wallTime)
    }

    /// The histogram of `values` (the Histograms and Distributions tabs).
    public func addHistogram(_ tag: String, values: [Float], step: Int, wallTime: Date = Date()) throws {
        var v = Tensorboard_Summary.Value()
        v.tag = tag
        v.histo = Histogram.make(values)
        try add([v], step: step, wallTime: wallTime)
    }

    /// Forces what was written to the disk.
    public func synchronize() throws { try records.synchronize() }

    /// One event of the `values` whose tags were not logged at `step` yet (none: nothing written).
    private func add(_ values: [Tensorboard_Summary.Value], step: Int, wallTime: Date) throws {
        let fresh = values.filter { accepts($0.tag, step: step) }
        guard !fresh.isEmpty else { return }
        var event = Tensorboard_Event()
        event.wallTime = wallTime.timeIntervalSince1970
        event.step = Int64(step)
        event.summary.value = fresh
        try write(event)
        for v in fresh { loggedThrough[v.tag] = Int64(step) }
    }

    private func write(_ event: Tensorboard_Event) throws {
        let bytes: Data
        do { bytes = try event.serializedData() } catch {
            throw TFRecordError(path: url.path, problem: "cannot encode an event (\(error))")
        }
        try records.write([UInt8](bytes))
    }
}
