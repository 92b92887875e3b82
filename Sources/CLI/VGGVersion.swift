import CBuildInfo

/// What `vgg --version` prints: the version (kept here and nowhere else), the git commit the
/// binary was built from when the build was told it (`scripts/install.sh` does), and whether
/// it is a debug or release build. Nothing is asked of git at run time.
enum VGGVersion {
    /// The version of the tool and the library.
    static let number = "0.9.0"

    /// The commit, or nil when the build was not told.
    static var commit: String? {
        let c = String(cString: vgg_build_commit())
        return c.isEmpty ? nil : c
    }

    static var configuration: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }

    /// E.g. "vgg 0.9.0 (commit 8efc819, release build)".
    static var description: String {
        "vgg \(number) (\(commit.map { "commit \($0)" } ?? "commit unknown: built without scripts/install.sh"), \(configuration) build)"
    }
}
