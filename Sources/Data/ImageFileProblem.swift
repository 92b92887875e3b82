/// A file of an image folder that cannot be used, found before training by
/// `ImageFileScreen` (or a class folder without images), and why. With `--skip-bad-images`
/// such files are left out of the dataset and listed; without, the first one stops the run.
public struct ImageFileProblem: Sendable, Equatable, CustomStringConvertible {
    /// The kinds of trouble, each counted in the one-line summary.
    public enum Kind: String, Sendable, CaseIterable {
        /// Cannot be opened: no read permission, a symbolic link loop, a dangling link, not a regular file.
        case unreadable
        /// Zero bytes.
        case empty
        /// Not a JPEG or PNG by its content, whatever its extension (a text file named .jpg).
        case notAnImage = "not an image"
        /// Ends before the image does.
        case truncated
        /// More pixels than the decoder's bound, or a larger file than its bound.
        case tooLarge = "too large"
        /// A JPEG or PNG that its decoder refuses for another reason.
        case corrupt
        /// A class folder without images (the class keeps its index; it has nothing to learn from).
        case emptyClassFolder = "empty class folder"
    }

    /// The file (or class folder) concerned.
    public let path: String
    public let kind: Kind
    /// The problem in words, e.g. "JPEG of 20000x20000 pixels is larger than the limit of 67108864 pixels".
    public let detail: String

    public init(path: String, kind: Kind, detail: String) {
        self.path = path
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "\(path): \(detail)" }

    /// The line of the list file: path, a tab, the kind, a tab, the detail.
    public var listLine: String { "\(path)\t\(kind.rawValue)\t\(detail)" }

    /// "skipped 7 of 40 images: 2 truncated, 1 empty, …" (`total`: images found, bad ones
    /// included; class folders without images are counted apart), with "; list in PATH"
    /// when `listPath` is given.
    public static func summary(of problems: [ImageFileProblem], total: Int, listPath: String? = nil) -> String {
        let files = problems.filter { $0.kind != .emptyClassFolder }
        let parts = Kind.allCases.filter { $0 != .emptyClassFolder }.compactMap { kind -> String? in
            let n = files.filter { $0.kind == kind }.count
            return n == 0 ? nil : "\(n) \(kind.rawValue)"
        }
        let folders = problems.count - files.count
        var line = "skipped \(files.count) of \(total) images"
        if !parts.isEmpty { line += ": " + parts.joined(separator: ", ") }
        if folders > 0 {
            line += folders == 1 ? "; 1 class folder without images (kept as a class)"
                                 : "; \(folders) class folders without images (kept as classes)"
        }
        if let listPath { line += "; list in \(listPath)" }
        return line
    }

    /// Writes one `listLine` per problem to `path`.
    public static func writeList(_ problems: [ImageFileProblem], to path: String) throws {
        try FileIO.write(Array(problems.map { $0.listLine + "\n" }.joined().utf8), to: path)
    }
}
