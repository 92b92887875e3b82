import NN
import VGG
import TestSupport
import XCTest

/// `VGGBuilder.storedValueCount`: what a network of given options stores, known before
/// anything is built (readers compare it with what a file holds), and options no network can
/// have are errors, not crashes.
final class StoredValueCountTests: XCTestCase {
    func testCountEqualsTheBuiltNetworksBuffers() throws {
        let cases = [
            VGGOptions(configuration: .A, classes: 10, inputChannels: 1, inputHeight: 32, inputWidth: 32, classifierWidth: 64, widthDivisor: 8),
            VGGOptions(configuration: .ALRN, classes: 3, inputChannels: 3, inputHeight: 40, inputWidth: 33, classifierWidth: 5, widthDivisor: 16),
            VGGOptions(configuration: .C, batchNorm: true, classes: 7, inputChannels: 2, inputHeight: 64, inputWidth: 32, classifierWidth: 9, widthDivisor: 32, adaptivePool: 2),
            VGGOptions(configuration: .E, batchNorm: true, classes: 2, inputChannels: 3, inputHeight: 32, inputWidth: 32, classifierWidth: 4, widthDivisor: 512),
        ]
        for o in cases {
            let net = try VGGBuilder.build(o, on: TestBackends.reference, initializer: nil)
            XCTAssertEqual(try VGGBuilder.storedValueCount(o), net.store.count + net.bufferStore.count, o.summaryLine)
        }
        XCTAssertEqual(try VGGBuilder.storedValueCount(VGGOptions(configuration: .D)), 138_357_544, "Table 2, VGG-16")
    }

    func testImpossibleOrOverflowingOptionsAreErrors() {
        func assertShapeError(_ o: VGGOptions, _ fragment: String, line: UInt = #line) {
            XCTAssertThrowsError(try VGGBuilder.storedValueCount(o), line: line) { e in
                XCTAssertTrue(e is ShapeError && "\(e)".contains(fragment), "\(e)", line: line)
            }
            XCTAssertThrowsError(try VGGBuilder.layers(o), line: line)
        }
        var o = VGGOptions(configuration: .A, classes: 10, inputChannels: 1, inputHeight: 32, inputWidth: 32)
        o.classifierWidth = Int.max / 2
        assertShapeError(o, "too large")
        o = VGGOptions(configuration: .A, inputHeight: Int.max, inputWidth: Int.max)
        assertShapeError(o, "too large")
        o = VGGOptions(configuration: .A, dropout: 1.5)
        assertShapeError(o, "dropout probability 1.5")
        o = VGGOptions(configuration: .A, dropout: .nan)
        assertShapeError(o, "dropout probability")
        o = VGGOptions(configuration: .A, adaptivePool: 0)
        assertShapeError(o, "adaptive pool size 0")
        o = VGGOptions(configuration: .A, classes: 0)
        assertShapeError(o, "classes")
    }
}
