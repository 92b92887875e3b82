import Foundation

/// The one JSON encoder setting of the command line: keys sorted, so that reports compare
/// line by line across runs; a document (`eval.json`, `linear-probe.json`) is also indented,
/// a line (`vgg bench --json`, an ONNX metadata value) stays on one line.
enum JSONReport {
    /// An encoder with the shared setting; `indented` for documents, not for lines;
    /// `snakeCaseKeys` converts Swift's camelCase property names.
    static func encoder(indented: Bool, snakeCaseKeys: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = indented ? [.prettyPrinted, .sortedKeys] : [.sortedKeys, .withoutEscapingSlashes]
        if snakeCaseKeys { encoder.keyEncodingStrategy = .convertToSnakeCase }
        return encoder
    }

    /// `value` as an indented JSON document.
    static func document<T: Encodable>(_ value: T) throws -> Data {
        try encoder(indented: true).encode(value)
    }

    /// `value` as one line of JSON.
    static func line<T: Encodable>(_ value: T, snakeCaseKeys: Bool = false) throws -> String {
        String(decoding: try encoder(indented: false, snakeCaseKeys: snakeCaseKeys).encode(value), as: UTF8.self)
    }
}
