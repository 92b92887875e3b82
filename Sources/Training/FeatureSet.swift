import Data
import Foundation
import Tensors
import SafeTensorsFormat

/// Image features with their labels, as `vgg features` writes them and `vgg linear-probe`
/// reads them: a safetensors file holding `features` (F32, `[count, dimension]`, one row
/// per image) and `labels` (I64, `[count]`, the data set's own class indices), with the
/// class names (a JSON array, `class_names`) and how the features were made in the metadata.
public struct FeatureSet: Equatable, Sendable {
    /// Row-major `[count × dimension]`.
    public var features: [Float]
    public var labels: [Int]
    public var dimension: Int
    /// Names of the data set's classes; `labels` index into them.
    public var classNames: [String]
    /// Free-form provenance (layer, checkpoint, split, scales, …), kept in the file's metadata.
    public var metadata: [String: String]

    public var count: Int { labels.count }

    public init(features: [Float], labels: [Int], dimension: Int, classNames: [String], metadata: [String: String] = [:]) {
        precondition(features.count == labels.count * dimension, "\(features.count) values for \(labels.count) rows of \(dimension)")
        self.features = features; self.labels = labels; self.dimension = dimension
        self.classNames = classNames; self.metadata = metadata
    }

    /// Divides every row by its Euclidean norm (rows of zeros stay zero).
    public mutating func l2Normalize() {
        for r in 0..<count {
            let row = (r * dimension)..<((r + 1) * dimension)
            let s = features[row].reduce(0.0) { $0 + Double($1) * Double($1) }
            guard s > 0 else { continue }
            let inv = Float(1 / s.squareRoot())
            for j in row { features[j] *= inv }
        }
    }

    /// Writes the safetensors file described above.
    public func write(to url: URL) throws {
        var meta = metadata
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        meta["class_names"] = String(decoding: try encoder.encode(classNames), as: UTF8.self)
        try SafeTensors.write([("features", SafeTensor(shape: [count, dimension], values: features), .f32),
                               ("labels", SafeTensor(shape: [count], values: labels.map(Float.init)), .i64)],
                              metadata: meta, to: url)
    }

    /// Reads a file written by `write` (labels may also be stored as floats). Labels must be
    /// whole numbers naming one of the class names (without names, below
    /// `ClassSubset.maxClassIndex`, as the names made for them take memory).
    public init(contentsOf url: URL) throws {
        let (tensors, meta) = try SafeTensors.read(contentsOf: url)
        guard let f = tensors["features"], f.shape.count == 2 else {
            throw FeatureError("\(url.path): no rank-2 'features' tensor")
        }
        guard let l = tensors["labels"], l.shape == [f.shape[0]] else {
            throw FeatureError("\(url.path): no 'labels' tensor of shape [\(f.shape[0])]")
        }
        var names: [String] = []
        if let text = meta["class_names"] {
            guard let decoded = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
                throw FeatureError("\(url.path): metadata 'class_names' is not a JSON array of strings")
            }
            names = decoded
        }
        let limit = names.isEmpty ? ClassSubset.maxClassIndex : names.count
        if let bad = l.values.first(where: { !($0 >= 0 && $0 < Float(limit) && $0.rounded(.towardZero) == $0) }) {
            throw FeatureError("\(url.path): label \(bad) is not a class index below \(limit)" + (names.isEmpty ? " (the file has no class names)" : ""))
        }
        let labels = l.values.map { Int($0) }
        if names.isEmpty { names = (0..<((labels.max() ?? -1) + 1)).map { "class \($0)" } }
        var rest = meta
        rest["class_names"] = nil
        self.init(features: f.values, labels: labels, dimension: f.shape[1], classNames: names, metadata: rest)
    }
}
