/// The matrix of an adaptive average pooling as a product: `[H·W, outH·outW]`, column `j`
/// averaging the input positions of output position `j` with PyTorch's bins (start
/// `⌊i·in/out⌋`, end `⌈(i+1)·in/out⌉`). Exact for every size, also where the bins overlap
/// or repeat (an output larger than the input), which ONNX's AveragePool cannot express.
enum AdaptivePoolingMatrix {
    static func values(inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int) -> [Float] {
        func bin(_ i: Int, _ input: Int, _ output: Int) -> Range<Int> {
            (i * input) / output ..< ((i + 1) * input + output - 1) / output
        }
        let columns = outHeight * outWidth
        var m = [Float](repeating: 0, count: inHeight * inWidth * columns)
        for oy in 0..<outHeight {
            for ox in 0..<outWidth {
                let rows = bin(oy, inHeight, outHeight), cols = bin(ox, inWidth, outWidth)
                let weight = 1 / Float(rows.count * cols.count)
                for y in rows { for x in cols { m[(y * inWidth + x) * columns + oy * outWidth + ox] = weight } }
            }
        }
        return m
    }
}
