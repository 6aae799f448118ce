// Attribute access rules and the log ring.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import Testing

struct AttributesTests {
    @Test func accessRules() throws {
        var attrs = Attributes()
        #expect(throws: ServiceError(1, "attribute rank is read-only")) { try attrs.setAtStart("rank", "3") }
        try attrs.setAtStart("statedir", "/x")
        #expect(throws: ServiceError(1, "attribute statedir can be set only at start (fluxs start -Sstatedir=...)")) {
            try attrs.setAtRuntime("statedir", "/y")
        }
        try attrs.setAtRuntime("my.own", "v")
        #expect(attrs["my.own"] == "v")
        try attrs.remove("my.own")
        #expect(attrs["my.own"] == nil)
        attrs.setByBroker("rank", "0")
        #expect(throws: ServiceError(1, "attribute rank is read-only")) { try attrs.setAtRuntime("rank", "1") }
        #expect(attrs.all.map(\.name) == ["rank", "statedir"])
    }

    @Test func logRingKeepsTheNewest() {
        var ring = LogRing(capacity: 3)
        for i in 0..<5 { ring.append(LogEntry(timestamp: Double(i), level: 6, rank: 0, appname: "t", message: "\(i)")) }
        #expect(ring.all.map(\.message) == ["2", "3", "4"])
        ring.resize(2)
        #expect(ring.all.map(\.message) == ["3", "4"])
        ring.append(LogEntry(timestamp: 9, level: 6, rank: 0, appname: "t", message: "9"))
        #expect(ring.all.map(\.message) == ["4", "9"])
        ring.clear()
        #expect(ring.all.isEmpty)
    }
}
