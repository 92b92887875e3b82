import Foundation
import Support

/// Which half of a dataset with a fixed train/test split to read.
public enum DatasetSplit: String, Sendable, CaseIterable {
    case train, test
}
