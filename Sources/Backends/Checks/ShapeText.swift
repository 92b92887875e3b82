/// `[3, 16, 7, 5]` → `3×16×7×5`: how the checks name their shapes.
func dims(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: "×") }
