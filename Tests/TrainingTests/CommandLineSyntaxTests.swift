import NN
import Training
import XCTest

/// The structured option values are parsed strictly: nothing is dropped, every size is a
/// positive integer within `CommandLineSyntax.maxSize`, and errors name the option.
final class CommandLineSyntaxTests: XCTestCase {
    func assertSyntaxError<T>(_ body: @autoclosure () throws -> T, _ option: String, line: UInt = #line) {
        XCTAssertThrowsError(try body(), line: line) { e in
            XCTAssertTrue(e is CommandLineSyntaxError && "\(e)".hasPrefix(option), "\(e)", line: line)
        }
    }

    func testScales() throws {
        XCTAssertEqual(try CommandLineSyntax.scales("256,384,512"), [256, 384, 512])
        XCTAssertEqual(try CommandLineSyntax.scales("224"), [224])
        for bad in ["", "256,,512", "256,", "-256", "0", "25a", " 256", "+256", "65537", "99999999999999999999999"] {
            assertSyntaxError(try CommandLineSyntax.scales(bad), "--scales")
        }
        XCTAssertEqual(try CommandLineSyntax.scales("65536"), [65536])
    }

    func testScaleRange() throws {
        XCTAssertEqual(try CommandLineSyntax.scaleRange("256,512"), [256, 512])
        XCTAssertEqual(try CommandLineSyntax.scaleRange("300,300"), [300, 300])
        for bad in ["512,256", "256", "1,2,3", "256,abc,512", "0,5", ","] {
            assertSyntaxError(try CommandLineSyntax.scaleRange(bad), "--scale-jitter")
        }
    }

    func testInputShape() throws {
        XCTAssertEqual(try CommandLineSyntax.inputShape("3x224x224"), [3, 224, 224])
        XCTAssertEqual(try CommandLineSyntax.inputShape("1X32X32"), [1, 32, 32])
        for bad in ["3x224", "3x0x224", "3xabcx224x224", "3x224x224x", "x3x224x224", "3x-1x5", "3x70000x70000", ""] {
            assertSyntaxError(try CommandLineSyntax.inputShape(bad), "--input")
        }
    }

    func testSchedules() throws {
        XCTAssertEqual(try CommandLineSyntax.schedule("step:30:0.1", patience: 2, epochs: 9), .step(every: 30, gamma: 0.1))
        XCTAssertEqual(try CommandLineSyntax.schedule("Plateau", patience: 4, epochs: 9), .paper(patience: 4))
        XCTAssertEqual(try CommandLineSyntax.schedule("cosine", patience: 2, epochs: 9), .cosine(epochs: 9, minimum: 0))
        XCTAssertEqual(try CommandLineSyntax.schedule("constant", patience: 2, epochs: 9), .constant)
        for bad in ["step:0:0.1", "step:-3:0.1", "step:5:nan", "step:5:inf", "step:5:-0.5", "step:5:0", "step:5", "step:5:0.1:2",
                    "plateau:3", "cosine:", "constant:1", "sometimes", ""] {
            assertSyntaxError(try CommandLineSyntax.schedule(bad, patience: 2, epochs: 9), "--schedule")
        }
        assertSyntaxError(try CommandLineSyntax.schedule("plateau", patience: 0, epochs: 9), "--patience")
    }

    func testTestModesAndConvolutions() throws {
        XCTAssertEqual(try CommandLineSyntax.testModes("single,dense,multi-crop"), [.single, .dense, .multiCrop])
        for bad in ["", "single,", "single,sparse", "Single"] { assertSyntaxError(try CommandLineSyntax.testModes(bad), "--modes") }
        let c = try CommandLineSyntax.convolution("128,128,16")
        XCTAssertEqual([c.inChannels, c.outChannels, c.size, c.kernel], [128, 128, 16, 3])
        let d = try CommandLineSyntax.convolution("3, 64, 224, 7")
        XCTAssertEqual([d.inChannels, d.outChannels, d.size, d.kernel], [3, 64, 224, 7])
        for bad in ["128,128", "128,128,16,3,1", "0,1,1", "1,1,1,-3", "a,b,c", "1,,1"] {
            assertSyntaxError(try CommandLineSyntax.convolution(bad), "--conv")
        }
    }
}
