/// The six configurations of Table 1 of the paper, as data.
public enum VGGConfiguration: String, CaseIterable, Codable, Sendable {
    case A
    case ALRN = "A-LRN"
    case B, C, D, E

    /// Weight layers (convolutional + 3 fully connected), as in the paper's column headers.
    public var depth: Int { stack.filter { if case .conv = $0 { return true } else { return false } }.count + 3 }

    /// The convolutional stack, left to right.
    public var stack: [VGGStackItem] {
        func c(_ n: Int) -> VGGStackItem { .conv(channels: n, kernel: 3) }
        func c1(_ n: Int) -> VGGStackItem { .conv(channels: n, kernel: 1) }
        let M = VGGStackItem.maxPool
        switch self {
        case .A: return [c(64), M, c(128), M, c(256), c(256), M, c(512), c(512), M, c(512), c(512), M]
        case .ALRN: return [c(64), .lrn, M, c(128), M, c(256), c(256), M, c(512), c(512), M, c(512), c(512), M]
        case .B: return [c(64), c(64), M, c(128), c(128), M, c(256), c(256), M, c(512), c(512), M, c(512), c(512), M]
        case .C: return [c(64), c(64), M, c(128), c(128), M, c(256), c(256), c1(256), M,
                         c(512), c(512), c1(512), M, c(512), c(512), c1(512), M]
        case .D: return [c(64), c(64), M, c(128), c(128), M, c(256), c(256), c(256), M,
                         c(512), c(512), c(512), M, c(512), c(512), c(512), M]
        case .E: return [c(64), c(64), M, c(128), c(128), M, c(256), c(256), c(256), c(256), M,
                         c(512), c(512), c(512), c(512), M, c(512), c(512), c(512), c(512), M]
        }
    }

    /// Parses `A`, `a`, `A-LRN`, `alrn`, `vgg11`, `vgg16` ...
    public init?(name: String) {
        let n = name.uppercased().replacingOccurrences(of: "_", with: "-")
        switch n {
        case "A", "VGG11": self = .A
        case "A-LRN", "ALRN", "A-LRN11": self = .ALRN
        case "B", "VGG13": self = .B
        case "C": self = .C
        case "D", "VGG16": self = .D
        case "E", "VGG19": self = .E
        default: return nil
        }
    }
}
