// Tests of the tar writer and reader: round trips (short and long paths, pax records,
// every kind, big ids), byte-exact ustar headers, streaming in small pieces, archives as
// GNU tar writes them (long names, base-256 numbers), and damaged input.
import Testing
@testable import FluxsFormats

@Suite struct TarTests {
    static func archive(_ entries: [TarEntry]) -> [UInt8] {
        entries.flatMap(TarWriter.encode) + TarWriter.end
    }

    static func read(_ bytes: [UInt8], chunk: Int = Int.max) throws -> [TarEntry] {
        var reader = TarReader()
        var out: [TarEntry] = []
        var i = 0
        while i < bytes.count {
            let j = min(bytes.count, i + min(chunk, bytes.count))
            out += try reader.feed(bytes[i..<j])
            i = j
        }
        try reader.finish()
        #expect(reader.ended)
        return out
    }

    static func file(_ path: String, _ text: String, mode: UInt32 = 0o644) -> TarEntry {
        var e = TarEntry(path: path, kind: .file, mode: mode, data: Array(text.utf8))
        e.mtime = 1_700_000_000
        e.uid = 1000
        e.gid = 100
        e.uname = "alice"
        e.gname = "users"
        return e
    }

    static let longPath = (0..<30).map { "component\($0)" }.joined(separator: "/")

    @Test(arguments: [
        "a", "job/0000/0123/4567/89ab/eventlog", String(repeating: "x", count: 100),
        String(repeating: "p", count: 150) + "/" + String(repeating: "n", count: 100),
        String(repeating: "y", count: 101), longPath, "ünïcødé/ƒ58",
    ])
    func pathsRoundTrip(path: String) throws {
        let entry = Self.file(path, "value of \(path)\n")
        #expect(try Self.read(Self.archive([entry])) == [entry])
    }

    @Test func everyKindAndRecords() throws {
        var dir = TarEntry(path: "d/empty", kind: .directory, mode: 0o755)
        dir.mtime = 5
        var link = TarEntry(path: "d/link", kind: .symlink, mode: 0o777)
        link.linkTarget = "../target"
        var longLink = TarEntry(path: "d/long", kind: .symlink, mode: 0o777)
        longLink.linkTarget = Self.longPath
        var json = Self.file("n", "42")
        json.records = ["SCHILY.xattr.user.fluxs.json": "1"]
        var big = Self.file("big", "")
        big.uid = 4_000_000_000
        big.gid = 3_000_000_000
        big.uname = String(repeating: "u", count: 40)
        let exec = Self.file("bin/run", "#!/bin/sh\n", mode: 0o4755)
        let entries = [dir, link, longLink, json, big, exec]
        #expect(try Self.read(Self.archive(entries)) == entries)
    }

    @Test(arguments: [1, 7, 511, 512, 513, 4096])
    func streamsInPieces(chunk: Int) throws {
        let entries = (0..<20).map { Self.file("k/\($0)", String(repeating: "v", count: $0 * 97)) }
            + [Self.file(Self.longPath, "deep")]
        #expect(try Self.read(Self.archive(entries), chunk: chunk) == entries)
    }

    @Test func ustarHeaderBytes() {
        var e = TarEntry(path: "a/b", kind: .file, mode: 0o644, data: Array("hi".utf8))
        e.mtime = 0o1234
        let bytes = TarWriter.encode(e)
        #expect(bytes.count == 1024)
        #expect(Array(bytes[0..<3]) == Array("a/b".utf8))
        #expect(String(decoding: bytes[100..<107], as: UTF8.self) == "0000644")
        #expect(String(decoding: bytes[124..<135], as: UTF8.self) == "00000000002")
        #expect(String(decoding: bytes[136..<147], as: UTF8.self) == "00000001234")
        #expect(bytes[156] == UInt8(ascii: "0"))
        #expect(Array(bytes[257..<265]) == Array("ustar\u{0}00".utf8))
        let sum = bytes[0..<512].enumerated().reduce(0) { $0 + Int((148..<156).contains($1.offset) ? 32 : $1.element) }
        #expect(String(decoding: bytes[148..<154], as: UTF8.self) == String(format6(sum)))
        #expect(bytes[154] == 0 && bytes[155] == UInt8(ascii: " "))
        #expect(Array(bytes[512..<514]) == Array("hi".utf8))
        #expect(bytes[514..<1024].allSatisfy { $0 == 0 })
    }

    func format6(_ n: Int) -> String {
        let s = String(n, radix: 8)
        return String(repeating: "0", count: 6 - s.count) + s
    }

    @Test func paxRecordLengthsCountThemselves() {
        // A record's length counts its own digits: 9 bytes + 1 digit is 10, so 11; 102 + 3 digits.
        let body = TarWriter.paxBody(["a": "xxxxx", "path": String(repeating: "p", count: 95)])
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.hasPrefix("11 a=xxxxx\n"))
        #expect(text.hasSuffix("105 path=" + String(repeating: "p", count: 95) + "\n"))
    }

    @Test func readsGNULongNamesAndBase256() throws {
        // A GNU 'L' member carrying the name, then the member with a truncated name and
        // a base-256 uid.
        var long = TarEntry(path: "././@LongLink", kind: .other(UInt8(ascii: "L")), mode: 0, data: Array((Self.longPath + "\u{0}").utf8))
        long.mtime = 0
        var member = Self.file(String(Self.longPath.prefix(100)), "gnu")
        member.uid = 0
        var bytes = TarWriter.encode(long) + TarWriter.encode(member) + TarWriter.end
        // Rewrite the member's uid as base-256 (0x80, then 7 bytes) = 5000, and fix the checksum.
        let h = TarWriter.encode(long).count
        bytes[h + 108] = 0x80
        for i in 1..<8 { bytes[h + 108 + i] = 0 }
        bytes[h + 108 + 6] = 0x13
        bytes[h + 108 + 7] = 0x88
        for i in 148..<156 { bytes[h + i] = UInt8(ascii: " ") }
        let sum = bytes[h..<h + 512].reduce(0) { $0 + UInt64($1) }
        TarWriter.putOctal(sum, at: h + 148, width: 7, in: &bytes)
        let read = try Self.read(bytes)
        #expect(read.count == 1)
        #expect(read.first?.path == Self.longPath)
        #expect(read.first?.uid == 5000)
        #expect(read.first?.data == Array("gnu".utf8))
    }

    @Test func globalRecordsApplyToLaterMembers() throws {
        let global = TarEntry(path: "g", kind: .other(UInt8(ascii: "g")), mode: 0, data: TarWriter.paxBody(["SCHILY.xattr.user.fluxs.json": "1"]))
        let bytes = TarWriter.encode(global) + TarWriter.encode(Self.file("a", "1")) + TarWriter.encode(Self.file("b", "2")) + TarWriter.end
        let read = try Self.read(bytes)
        #expect(read.map(\.path) == ["a", "b"])
        #expect(read.allSatisfy { $0.records == ["SCHILY.xattr.user.fluxs.json": "1"] })
    }

    @Test func refusesDamage() {
        var bytes = Self.archive([Self.file("a", "text")])
        bytes[10] ^= 0x5a
        #expect(throws: ParseError.self) { try Self.read(bytes) }
        var reader = TarReader()
        #expect(throws: ParseError.self) {
            _ = try reader.feed(Array("this is not a tar archive at all".utf8) + [UInt8](repeating: 65, count: 600))
        }
        // Truncated in the middle of a member's data.
        let whole = Self.archive([Self.file("a", String(repeating: "z", count: 2000))])
        var cut = TarReader()
        #expect(throws: Never.self) { _ = try cut.feed(whole[0..<1000]) }
        #expect(throws: ParseError.self) { try cut.finish() }
    }

    @Test func emptyArchiveAndMissingEnd() throws {
        #expect(try Self.read(TarWriter.end) == [])
        var reader = TarReader()
        let entries = try reader.feed(TarWriter.encode(Self.file("a", "1")))
        #expect(entries.count == 1)
        try reader.finish()
    }
}
