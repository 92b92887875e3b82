import Foundation
import NN

/// The syntax of the command line's structured option values, parsed strictly: every part
/// must be a number in range, nothing is silently dropped, and a bad value is a
/// `CommandLineSyntaxError` naming the option and what is wrong (never a crash later on).
///
/// - `--scales 256,384,512`: test scales Q, positive integers.
/// - `--scale-jitter 256,512`: a training scale range SMIN,SMAX with SMIN ≤ SMAX.
/// - `--input 3x224x224`: an input size CxHxW.
/// - `--schedule plateau | constant | cosine | step:EVERY:GAMMA`: a learning-rate schedule.
/// - `--modes single,dense,multi-crop`: test modes.
/// - `--conv IN,OUT,SIZE[,KERNEL]`: one convolution for `vgg bench`.
///
/// Sizes above `maxSize` (channels, sides, scales) are refused as implausible: images and
/// tensors of such sizes could not be allocated anyway.
public enum CommandLineSyntax {
    /// The largest size (a scale, an image side, a channel count) any option accepts.
    public static let maxSize = 1 << 16

    /// `--scales`: comma-separated positive test scales Q.
    public static func scales(_ s: String) throws -> [Int] {
        let parts = s.split(separator: ",", omittingEmptySubsequences: false)
        return try parts.map { try size(String($0), option: "--scales", value: s, what: "a positive integer scale") }
    }

    /// `--scale-jitter`: SMIN,SMAX with 0 < SMIN ≤ SMAX.
    public static func scaleRange(_ s: String) throws -> [Int] {
        let parts = s.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw CommandLineSyntaxError(option: "--scale-jitter", value: s, expected: "SMIN,SMAX, e.g. 256,512") }
        let range = try parts.map { try size(String($0), option: "--scale-jitter", value: s, what: "SMIN,SMAX of positive integers") }
        guard range[0] <= range[1] else {
            throw CommandLineSyntaxError(option: "--scale-jitter", value: s, expected: "SMIN,SMAX with SMIN ≤ SMAX")
        }
        return range
    }

    /// `--input`: CxHxW (e.g. 3x224x224), three positive integers.
    public static func inputShape(_ s: String) throws -> [Int] {
        let parts = s.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        let expected = "CxHxW of positive integers, e.g. 3x224x224 or 1x32x32"
        guard parts.count == 3 else { throw CommandLineSyntaxError(option: "--input", value: s, expected: expected) }
        return try parts.map { try size(String($0), option: "--input", value: s, what: expected) }
    }

    /// `--schedule`: plateau (with `patience` ≥ 1), constant, cosine (over `epochs`) or
    /// step:EVERY:GAMMA (EVERY ≥ 1 epochs, GAMMA a positive finite factor).
    public static func schedule(_ s: String, patience: Int, epochs: Int) throws -> LearningRateSchedule {
        let parts = s.lowercased().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let expected = "plateau, constant, cosine or step:EVERY:GAMMA (e.g. step:30:0.1)"
        switch (parts.first, parts.count) {
        case ("plateau", 1):
            guard patience >= 1 else { throw CommandLineSyntaxError(option: "--patience", value: String(patience), expected: "at least 1 epoch") }
            return .paper(patience: patience)
        case ("constant", 1): return .constant
        case ("cosine", 1): return .cosine(epochs: epochs, minimum: 0)
        case ("step", 3):
            guard let every = Int(parts[1]), every >= 1 else {
                throw CommandLineSyntaxError(option: "--schedule", value: s, expected: "step:EVERY:GAMMA with EVERY a whole number of epochs ≥ 1")
            }
            guard let gamma = Float(parts[2]), gamma.isFinite, gamma > 0 else {
                throw CommandLineSyntaxError(option: "--schedule", value: s, expected: "step:EVERY:GAMMA with GAMMA a positive finite factor")
            }
            return .step(every: every, gamma: gamma)
        default:
            throw CommandLineSyntaxError(option: "--schedule", value: s, expected: expected)
        }
    }

    /// `--modes`: comma-separated test modes (single, dense, multi-crop).
    public static func testModes(_ s: String) throws -> [TestMode] {
        try s.split(separator: ",", omittingEmptySubsequences: false).map {
            guard let m = TestMode(rawValue: String($0)) else {
                throw CommandLineSyntaxError(option: "--modes", value: s, expected: "a comma-separated list of single, dense, multi-crop")
            }
            return m
        }
    }

    /// `--conv`: IN,OUT,SIZE[,KERNEL] (kernel 3 when omitted), positive integers.
    public static func convolution(_ s: String) throws -> (inChannels: Int, outChannels: Int, size: Int, kernel: Int) {
        let parts = s.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let expected = "IN,OUT,SIZE[,KERNEL] of positive integers, e.g. 128,128,16"
        guard (3...4).contains(parts.count) else { throw CommandLineSyntaxError(option: "--conv", value: s, expected: expected) }
        let v = try parts.map { try size($0, option: "--conv", value: s, what: expected) }
        return (v[0], v[1], v[2], v.count > 3 ? v[3] : 3)
    }

    /// One size: a decimal integer in 1...maxSize (no sign, no spaces).
    private static func size(_ part: String, option: String, value: String, what: String) throws -> Int {
        guard !part.isEmpty, part.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let n = Int(part), n >= 1 else {
            throw CommandLineSyntaxError(option: option, value: value, expected: what)
        }
        guard n <= maxSize else {
            throw CommandLineSyntaxError(option: option, value: value, expected: "\(what) of at most \(maxSize)")
        }
        return n
    }
}
