// fluxs-security(7) lists who may call what; this checks its table against the catalog,
// row by row, so that the page and the code cannot drift apart.
import FluxsProtocol
import Testing
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

@Suite struct SecurityPageTests {
    /// The page, found from this file's place in the repository.
    static func page() throws -> String {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("man/man7/fluxs-security.7"), encoding: .utf8)
    }

    /// A catalog row as the page prints it.
    static func row(_ method: ServiceMethod) -> String {
        let callers = method.access == .guest ? "owner, guests" : "owner"
        let place = method.placement == .rank0 ? "rank 0" : "any rank"
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(width - text.count, 1)) }
        return pad(method.topic, 36) + pad(callers, 16) + place
    }

    @Test func theTableIsTheCatalog() throws {
        let lines = try Self.page().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let begin = try #require(lines.firstIndex(of: ".\\\" methods-begin"))
        let end = try #require(lines.firstIndex(of: ".\\\" methods-end"))
        let rows = lines[begin..<end].filter { !$0.hasPrefix(".") && !$0.hasPrefix("TOPIC") }
        let expected = ServiceMethod.everyMethod.map(Self.row)
        #expect(rows == expected, "update the table in man/man7/fluxs-security.7 to:\n\(expected.joined(separator: "\n"))")
    }
}
