/// A plain-text table with aligned columns for terminal output, e.g. per-class
/// accuracy or a small confusion matrix.
///
/// ```
/// +-------+----------+
/// | class | accuracy |
/// +-------+----------+
/// | cat   |   81.20% |
/// +-------+----------+
/// ```
/// Widths count Swift `Character`s, so ASCII and most Latin text line up.
public struct TextTable: Sendable, CustomStringConvertible {
    /// How a column's cells are padded.
    public enum Alignment: Sendable {
        case left
        case right
        case center
    }

    /// Column titles.
    public var headers: [String]
    /// Per-column alignment (missing entries are `.left`).
    public var alignments: [Alignment]
    /// Body rows; short rows are padded with empty cells.
    public private(set) var rows: [[String]] = []
    /// Indices in `rows` before which a separator line is drawn.
    public private(set) var separators: Set<Int> = []

    /// A table with the given column titles; `alignments` defaults to left for the
    /// first column and right for the rest (labels, then numbers).
    public init(headers: [String], alignments: [Alignment]? = nil) {
        self.headers = headers
        self.alignments = alignments ?? headers.indices.map { $0 == 0 ? .left : .right }
    }

    /// Appends a row.
    public mutating func addRow(_ cells: [String]) {
        rows.append(cells)
    }

    /// Draws a horizontal rule before the next row added (e.g. before a totals row).
    public mutating func addSeparator() {
        separators.insert(rows.count)
    }

    /// The rendered table, lines separated by "\n" (no trailing newline).
    public func render() -> String {
        let columnCount = max(headers.count, rows.map(\.count).max() ?? 0)
        guard columnCount > 0 else { return "" }
        func cell(_ row: [String], _ i: Int) -> String { i < row.count ? row[i] : "" }
        var widths = [Int](repeating: 0, count: columnCount)
        for row in [headers] + rows {
            for i in 0..<columnCount { widths[i] = max(widths[i], cell(row, i).count) }
        }
        let rule = "+" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "+"
        func line(_ row: [String]) -> String {
            var parts: [String] = []
            for i in 0..<columnCount {
                let text = cell(row, i)
                let pad = widths[i] - text.count
                let align = i < alignments.count ? alignments[i] : .left
                let padded: String
                switch align {
                case .left: padded = text + String(repeating: " ", count: pad)
                case .right: padded = String(repeating: " ", count: pad) + text
                case .center:
                    padded = String(repeating: " ", count: pad / 2) + text + String(repeating: " ", count: pad - pad / 2)
                }
                parts.append(" " + padded + " ")
            }
            return "|" + parts.joined(separator: "|") + "|"
        }
        var out = [rule]
        if !headers.isEmpty { out += [line(headers), rule] }
        for (i, row) in rows.enumerated() {
            if separators.contains(i) && i > 0 { out.append(rule) }
            out.append(line(row))
        }
        out.append(rule)
        return out.joined(separator: "\n")
    }

    public var description: String { render() }

    // MARK: Ready-made tables

    /// Per-class accuracy (recall) from a confusion matrix `counts[true][predicted]`:
    /// one row per class with its sample count, hits and accuracy, then a total row.
    public static func perClassAccuracy(counts: [[Int]], classNames: [String] = []) -> TextTable {
        var t = TextTable(headers: ["#", "class", "samples", "correct", "accuracy"],
                          alignments: [.right, .left, .right, .right, .right])
        var total = 0, hits = 0
        for (i, row) in counts.enumerated() {
            let n = row.reduce(0, +)
            let h = i < row.count ? row[i] : 0
            total += n; hits += h
            t.addRow([String(i), i < classNames.count ? classNames[i] : "", String(n), String(h),
                      n > 0 ? formatPercent(Double(h) / Double(n), decimals: 2) : "-"])
        }
        t.addSeparator()
        t.addRow(["", "all", String(total), String(hits),
                  total > 0 ? formatPercent(Double(hits) / Double(total), decimals: 2) : "-"])
        return t
    }

    /// A text confusion matrix: rows are true classes (index and name), columns are
    /// predicted class indices, cells are counts.
    public static func confusionMatrix(counts: [[Int]], classNames: [String] = []) -> TextTable {
        let n = counts.count
        var t = TextTable(headers: ["true \\ pred"] + (0..<n).map(String.init),
                          alignments: [.left] + Array(repeating: .right, count: n))
        for (i, row) in counts.enumerated() {
            let name = i < classNames.count && !classNames[i].isEmpty ? "\(i) \(classNames[i])" : String(i)
            t.addRow([name] + row.map(String.init))
        }
        return t
    }
}
