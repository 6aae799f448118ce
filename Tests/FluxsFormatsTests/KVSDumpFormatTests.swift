// Tests of the KVS-in-tar mapping (fluxs dump and restore) and of Flux-style sizes.
import Testing
@testable import FluxsFormats

@Suite struct KVSDumpFormatTests {
    static let template: TarEntry = {
        var e = TarEntry(path: "", kind: .file, mode: 0o644)
        e.mtime = 1_700_000_000
        return e
    }()

    @Test(arguments: [
        ("job.0000.0004.b200.0000.eventlog", "job/0000/0004/b200/0000/eventlog"),
        ("a", "a"), ("resource.R", "resource/R"),
    ])
    func keysAndPaths(key: String, path: String) throws {
        #expect(try KVSDumpFormat.path(ofKey: key) == path)
        #expect(try KVSDumpFormat.key(ofPath: path) == key)
    }

    @Test(arguments: [("./a/b", "a.b"), ("/a//b/", "a.b"), ("a/./b", "a.b")])
    func pathsAsTarWritesThem(path: String, key: String) throws {
        #expect(try KVSDumpFormat.key(ofPath: path) == key)
    }

    @Test(arguments: ["a/../b", "a b/c", ".", "", "a/.b", "a/b."])
    func pathsThatAreNotKeys(path: String) {
        #expect(throws: ParseError.self) { try KVSDumpFormat.key(ofPath: path) }
    }

    @Test func slashInAKeyIsRefused() {
        #expect(throws: ParseError.self) { try KVSDumpFormat.path(ofKey: "a.b/c") }
    }

    @Test(arguments: [
        JSONValue.string("hello"), .string("42"), .string("{\"timestamp\":1.5,\"name\":\"submit\"}\n"), .string(""),
        .string("ünï\ncode"), .int(42), .double(1.5), .bool(true), .null, ["a": [1, 2], "b": "x"], [1, "two"],
    ])
    func valuesRoundTripThroughTar(value: JSONValue) throws {
        let member = try KVSDumpFormat.member(key: "a.b", value: value, template: Self.template)
        #expect(member.path == "a/b")
        #expect((member.records[KVSDumpFormat.jsonRecord] == "1") == (value.stringValue == nil))
        var reader = TarReader()
        let read = try reader.feed(TarWriter.encode(member) + TarWriter.end)
        #expect(read.count == 1)
        #expect(try KVSDumpFormat.value(of: read[0]) == value)
    }

    @Test func stringsAreTheirBytes() throws {
        let member = try KVSDumpFormat.member(key: "s", value: "line\n", template: Self.template)
        #expect(member.data == Array("line\n".utf8))
        #expect(member.records.isEmpty)
    }

    @Test func unmarkedFilesAreStrings() throws {
        let plain = TarEntry(path: "n", data: Array("42".utf8))
        #expect(try KVSDumpFormat.value(of: plain) == .string("42"))
        let binary = TarEntry(path: "b", data: [0xff, 0xfe])
        #expect(throws: ParseError.self) { try KVSDumpFormat.value(of: binary) }
        var bad = TarEntry(path: "j", data: Array("{nope".utf8))
        bad.records = [KVSDumpFormat.jsonRecord: "1"]
        #expect(throws: ParseError.self) { try KVSDumpFormat.value(of: bad) }
    }

    @Test(arguments: [("0", 0), ("512", 512), ("1k", 1024), ("1K", 1024), ("1.5k", 1536), ("2M", 2 << 20),
                      ("1G", 1 << 30), ("0.5", 0), ("2147483647", 2_147_483_647)])
    func sizes(text: String, bytes: Int) throws {
        #expect(try ByteSize.parse(text) == bytes)
    }

    @Test(arguments: ["", "k", "-1", "1x", "2G", "1e3", "abc", "1.2.3M"])
    func badSizes(text: String) {
        #expect(throws: ParseError.self) { try ByteSize.parse(text) }
    }
}
