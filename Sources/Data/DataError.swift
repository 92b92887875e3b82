import Foundation

/// An error raised by the data pipeline: a missing or malformed file, an undecodable image,
/// inconsistent metadata or an invalid argument. `description` always names the file
/// (when there is one) and the problem.
public struct DataError: Error, CustomStringConvertible, LocalizedError, Sendable {
    /// What class of problem occurred.
    public enum Kind: String, Sendable {
        case fileNotFound, io, format, mismatch, badImage, invalidArgument
    }

    public var kind: Kind
    /// The file concerned, if any.
    public var path: String?
    /// A human-readable explanation of the problem.
    public var message: String

    public init(_ kind: Kind, path: String? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String {
        if let path { return "\(path): \(message)" }
        return message
    }

    public var errorDescription: String? { description }
}
