import Support
import Foundation

/// Random erasing (Zhong et al., 2017): with probability `probability`, one rectangle
/// covering a random fraction `area` of the image, with aspect ratio in `aspect`
/// (log-uniform), is set to `value` in every channel. Placed after normalisation, the
/// default value 0 is the training set's mean pixel, as in torchvision.
///
/// Up to ten draws look for a rectangle that fits; when none does the image is kept.
public struct RandomErasing: ImageTransform {
    public var probability: Double
    public var area: ClosedRange<Double>
    public var aspect: ClosedRange<Double>
    public var value: Float

    public init(probability: Double = 0.5, area: ClosedRange<Double> = 0.02...0.4,
                aspect: ClosedRange<Double> = 0.3...(1 / 0.3), value: Float = 0) {
        self.probability = probability; self.area = area; self.aspect = aspect; self.value = value
    }

    public func apply<R: RandomNumberGenerator>(_ image: FloatImage, using rng: inout R) throws -> FloatImage {
        guard rng.nextUnit() < probability else { return image }
        let w = image.width, h = image.height, c = image.channels
        let total = Double(w * h)
        for _ in 0..<10 {
            let target = total * (area.lowerBound + (area.upperBound - area.lowerBound) * rng.nextUnit())
            let logRatio = log(aspect.lowerBound) + (log(aspect.upperBound) - log(aspect.lowerBound)) * rng.nextUnit()
            let ratio = exp(logRatio)
            let eh = Int((target * ratio).squareRoot().rounded())
            let ew = Int((target / ratio).squareRoot().rounded())
            guard eh >= 1, ew >= 1, eh < h, ew < w else { continue }
            let top = Int(rng.nextUnit() * Double(h - eh + 1)), left = Int(rng.nextUnit() * Double(w - ew + 1))
            var out = image
            out.pixels.withUnsafeMutableBufferPointer { p in
                for y in top..<min(top + eh, h) {
                    let row = (y * w + left) * c
                    for i in row..<(row + min(ew, w - left) * c) { p[i] = value }
                }
            }
            return out
        }
        return image
    }
}
