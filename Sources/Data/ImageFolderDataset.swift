import Foundation

/// Images arranged as `root/<class>/<image>` (ImageNet `train/n01440764/*.JPEG`,
/// Caltech-256 `256_ObjectCategories/001.ak47/001_0001.jpg`, …). Classes are the
/// sub-folders of `root`, sorted by name; a numeric prefix such as "001." is stripped from
/// the display names. Files are kept in sorted order and decoded on demand (JPEG or PNG,
/// always returned as RGB). Hidden entries, nested folders and files with other
/// extensions are ignored.
public final class ImageFolderDataset: ImageDataset, @unchecked Sendable {
    /// Folder names, e.g. "n01440764" or "001.ak47".
    public let classIdentifiers: [String]
    /// Display names, e.g. "n01440764" or "ak47".
    public let classNames: [String]
    /// Absolute or root-relative paths of all images, grouped by class.
    public let files: [String]
    public let labels: [Int32]
    public let root: String
    public var channels: Int { 3 }
    public var count: Int { files.count }
    /// When true, the loader replaces unreadable images by other samples, printing one
    /// warning per file; `skippedFiles` lists them.
    public let skipsBadImages: Bool

    private let skipped = SkippedFiles()

    /// The default image extensions (compared case-insensitively).
    public static let defaultExtensions: Set<String> = ["jpg", "jpeg", "png"]

    /// The files `screenFiles` left out (with `skipBadImages`), and class folders without
    /// images, in sorted order.
    public let leftOutFiles: [ImageFileProblem]

    /// Scans `root`. Throws if it does not exist, has no class folders, or a class folder
    /// has no images (unless `allowEmptyClasses`, or `skipBadImages` with `screenFiles`: then
    /// the class keeps its index and is listed in `leftOutFiles`). `limit` keeps the first N
    /// images in sorted order.
    ///
    /// With `screenFiles`, every kept file is checked by `ImageFileScreen` (on `workers`
    /// threads) before the dataset exists: without `skipBadImages` the first bad file in
    /// sorted order is thrown (`DataError.Kind.badImage`, naming it and the problem); with it,
    /// bad files are left out and listed in `leftOutFiles`. An entry of `root` that is a
    /// symbolic link which cannot be followed (a loop, a dangling link) is then an error too
    /// (listed and ignored with `skipBadImages`), rather than silently not a class.
    public init(root: String, skipBadImages: Bool = false, limit: Int? = nil,
                extensions: Set<String> = ImageFolderDataset.defaultExtensions,
                allowEmptyClasses: Bool = false, screenFiles: Bool = false, workers: Int = 4) throws {
        if let limit, limit < 0 { throw DataError(.invalidArgument, path: root, "image limit \(limit) is negative") }
        let fm = FileManager.default
        guard FileIO.isDirectory(root) else {
            throw DataError(.fileNotFound, path: root, "image folder root not found (or not a directory)")
        }
        let top: [String]
        do { top = try fm.contentsOfDirectory(atPath: root) } catch {
            throw DataError(.io, path: root, "cannot list directory: \(error.localizedDescription)")
        }
        let sortedTop = top.filter { !$0.hasPrefix(".") }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let classDirs = sortedTop.filter { FileIO.isDirectory(FileIO.join(root, $0)) }
        var leftOut: [ImageFileProblem] = []
        if screenFiles {
            for name in sortedTop where !classDirs.contains(name) {
                let path = FileIO.join(root, name)
                var info = stat()
                guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK, stat(path, &info) != 0 else { continue }
                let problem = ImageFileScreen.openProblem(path, errno: errno)
                guard skipBadImages else {
                    throw DataError(.badImage, path: path, problem.detail + " in place of a class folder (--skip-bad-images ignores it)")
                }
                leftOut.append(problem)
            }
        }
        guard !classDirs.isEmpty else {
            throw DataError(.format, path: root, "no class folders found (expected root/<class>/<image>)")
        }
        let exts = Set(extensions.map { $0.lowercased() })
        var files: [String] = []
        var labels: [Int32] = []
        for (c, dir) in classDirs.enumerated() {
            let path = FileIO.join(root, dir)
            let entries: [String]
            do { entries = try fm.contentsOfDirectory(atPath: path) } catch {
                throw DataError(.io, path: path, "cannot list class folder: \(error.localizedDescription)")
            }
            let images = entries.filter { name in
                guard !name.hasPrefix("."), let dot = name.lastIndex(of: ".") else { return false }
                return exts.contains(name[name.index(after: dot)...].lowercased())
            }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            if images.isEmpty && !allowEmptyClasses {
                let reason = "class folder '\(dir)' contains no images (extensions: \(exts.sorted().joined(separator: ", ")))"
                guard screenFiles && skipBadImages else {
                    throw DataError(.format, path: path, reason + (screenFiles ? " (--skip-bad-images keeps it as a class with nothing to learn from)" : ""))
                }
                leftOut.append(ImageFileProblem(path: path, kind: .emptyClassFolder,
                                                detail: "\(reason); it keeps its class index \(c), with nothing to learn from"))
            }
            for f in images {
                files.append(FileIO.join(path, f))
                labels.append(Int32(c))
            }
        }
        if let limit, limit < files.count {
            files.removeSubrange(limit...)
            labels.removeSubrange(limit...)
        }
        if screenFiles {
            let problems = ImageFolderDataset.screen(files, workers: workers)
            if let first = problems.first(where: { $0 != nil }) ?? nil, !skipBadImages {
                throw DataError(.badImage, path: first.path, first.detail + " (--skip-bad-images leaves such files out)")
            }
            let kept = problems.indices.filter { problems[$0] == nil }
            if kept.count < files.count {
                leftOut += problems.compactMap { $0 }
                files = kept.map { files[$0] }
                labels = kept.map { labels[$0] }
            }
        }
        self.leftOutFiles = leftOut.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        self.root = root
        self.classIdentifiers = classDirs
        self.classNames = classDirs.map(ImageFolderDataset.displayName)
        self.files = files
        self.labels = labels
        self.skipsBadImages = skipBadImages
    }

    /// `ImageFileScreen`'s finding for each of `files` (nil: usable), on `workers` threads.
    static func screen(_ files: [String], workers: Int) -> [ImageFileProblem?] {
        var problems = [ImageFileProblem?](repeating: nil, count: files.count)
        let lock = NSLock()
        let stride = Swift.max(1, workers)
        DispatchQueue.concurrentPerform(iterations: stride) { w in
            for i in Swift.stride(from: w, to: files.count, by: stride) {
                if let p = ImageFileScreen.problem(at: files[i]) { lock.lock(); problems[i] = p; lock.unlock() }
            }
        }
        return problems
    }

    /// "001.ak47" → "ak47"; names without a numeric prefix are unchanged.
    public static func displayName(_ folder: String) -> String {
        guard let dot = folder.firstIndex(of: "."), dot != folder.startIndex,
              folder[..<dot].allSatisfy({ $0.isASCII && $0.isNumber }),
              folder.index(after: dot) != folder.endIndex else { return folder }
        return String(folder[folder.index(after: dot)...])
    }

    public func label(at index: Int) -> Int { Int(labels[index]) }

    public func loadImage(at index: Int) throws -> DecodedImage {
        try ImageDecoder.decodeFile(files[index])
    }

    public func sourceDescription(at index: Int) -> String { files[index] }

    public func noteSkipped(index: Int, error: Error) -> Bool {
        skipped.insert(files[index])
    }

    /// Files the loader has skipped so far, sorted.
    public var skippedFiles: [String] {
        skipped.sorted
    }

    /// Number of distinct files skipped so far.
    public var skippedImageCount: Int {
        skipped.count
    }

    /// Decodes every image (on `workers` threads) and returns the indices that fail.
    /// Costly on large datasets; useful to clean a folder once.
    public func findBadImages(workers: Int = 2) -> [(index: Int, error: Error)] {
        var bad: [(Int, Error)] = []
        let badLock = NSLock()
        DispatchQueue.concurrentPerform(iterations: Swift.max(1, workers)) { w in
            var i = w
            while i < count {
                do { _ = try loadImage(at: i) } catch {
                    badLock.lock(); bad.append((i, error)); badLock.unlock()
                }
                i += Swift.max(1, workers)
            }
        }
        return bad.sorted { $0.0 < $1.0 }.map { (index: $0.0, error: $0.1) }
    }
}
