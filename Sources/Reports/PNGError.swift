/// An error raised while encoding, decoding, writing or reading a PNG.
///
/// Every case carries the path (or a description of the in-memory source) so the
/// message alone tells the user which file was at fault.
public enum PNGError: Error, CustomStringConvertible, Equatable {
    /// The pixel buffer does not match the stated width, height and format.
    case invalidBuffer(path: String, reason: String)
    /// libpng refused to encode the image.
    case encodeFailed(path: String, reason: String)
    /// The file (or its temporary sibling) could not be created, written or renamed.
    case writeFailed(path: String, reason: String)
    /// The file could not be opened or read.
    case readFailed(path: String, reason: String)
    /// The bytes are not a PNG libpng can decode.
    case decodeFailed(path: String, reason: String)

    /// The path (or in-memory source name) the error refers to.
    public var path: String {
        switch self {
        case .invalidBuffer(let p, _), .encodeFailed(let p, _), .writeFailed(let p, _),
             .readFailed(let p, _), .decodeFailed(let p, _):
            return p
        }
    }

    public var description: String {
        switch self {
        case .invalidBuffer(let p, let r): return "PNG '\(p)': invalid pixel buffer: \(r)"
        case .encodeFailed(let p, let r): return "PNG '\(p)': cannot encode: \(r)"
        case .writeFailed(let p, let r): return "PNG '\(p)': cannot write: \(r)"
        case .readFailed(let p, let r): return "PNG '\(p)': cannot read: \(r)"
        case .decodeFailed(let p, let r): return "PNG '\(p)': cannot decode: \(r)"
        }
    }
}
