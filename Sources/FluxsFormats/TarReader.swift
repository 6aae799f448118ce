// Reading tar archives as a stream (see TarEntry.swift for the layout): feed bytes as
// they come, get the members completed so far. Reads POSIX ustar and pax (extended 'x'
// and global 'g' headers), GNU tar's long names ('L', 'K') and old v7 headers; numeric
// fields in octal or GNU base-256. Every header's checksum is checked.
// Invariant: the members returned are in archive order, each once, whole; the reader
// holds at most one member's blocks (plus what was fed past it).

/// A streaming tar reader.
public struct TarReader: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    private var globals: [String: String] = [:]
    private var extended: [String: String] = [:]
    private var longName: String?
    private var longLink: String?
    private var offset = 0
    /// True once the end-of-archive block was read; whatever follows is ignored.
    public private(set) var ended = false

    /// A reader at the start of an archive.
    public init() {}

    /// Takes more bytes of the archive and returns the members they complete.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(ParseError) -> [TarEntry] {
        if ended { return [] }
        buffer.append(contentsOf: bytes)
        var out: [TarEntry] = []
        while !ended, let entry = try next() { out.append(entry) }
        if start > 1 << 20 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return out
    }

    /// Checks that the archive did not stop in the middle of a member. An archive that
    /// ends without its two zero blocks is accepted, as tar accepts it.
    public func finish() throws(ParseError) {
        if ended { return }
        if buffer.count - start > 0 || !extended.isEmpty || longName != nil || longLink != nil {
            throw ParseError("tar: the archive is truncated (in the member at byte \(offset))")
        }
    }

    // MARK: - Members

    /// The next whole member, or nil when the buffer does not hold one yet.
    private mutating func next() throws(ParseError) -> TarEntry? {
        while true {
            guard buffer.count - start >= 512 else { return nil }
            let header = Array(buffer[start..<start + 512])
            if header.allSatisfy({ $0 == 0 }) {
                ended = true
                return nil
            }
            try checkSum(header)
            let flag = header[156]
            var size = try Self.number(header, 124, 12, "size")
            if let text = extended["size"] ?? globals["size"], flag != UInt8(ascii: "x"), flag != UInt8(ascii: "g") {
                guard let value = Int(text), value >= 0 else { throw ParseError("tar: bad pax size \"\(text)\"") }
                size = Int64(value)
            }
            if [UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "5")].contains(flag) { size = 0 }
            guard size >= 0, size < 1 << 40 else { throw ParseError("tar: member size \(size) out of range") }
            let total = 512 + (Int(size) + 511) / 512 * 512
            guard buffer.count - start >= total else { return nil }
            let data = Array(buffer[start + 512..<start + 512 + Int(size)])
            start += total
            offset += total
            switch flag {
            case UInt8(ascii: "x"):
                for (k, v) in try Self.paxRecords(data) { extended[k] = v }
                continue
            case UInt8(ascii: "g"):
                for (k, v) in try Self.paxRecords(data) {
                    if v.isEmpty { globals[k] = nil } else { globals[k] = v }
                }
                continue
            case UInt8(ascii: "L"):
                longName = Self.cString(data[...])
                continue
            case UInt8(ascii: "K"):
                longLink = Self.cString(data[...])
                continue
            default:
                return try member(header, flag: flag, data: data)
            }
        }
    }

    /// Builds a member from its header, the pax records and GNU long names before it.
    private mutating func member(_ header: [UInt8], flag: UInt8, data: [UInt8]) throws(ParseError) -> TarEntry {
        var records = globals
        for (k, v) in extended { if v.isEmpty { records[k] = nil } else { records[k] = v } }
        extended = [:]
        defer { longName = nil; longLink = nil }

        let isUstar = header[257..<262].elementsEqual("ustar".utf8)
        var name = Self.cString(header[0..<100])
        if isUstar, header[263] == UInt8(ascii: "0") {
            let prefix = Self.cString(header[345..<500])
            if !prefix.isEmpty { name = prefix + "/" + name }
        }
        if let longName { name = longName }
        if let path = records.removeValue(forKey: "path") { name = path }

        let kind: TarEntry.Kind
        switch flag {
        case UInt8(ascii: "0"), 0, UInt8(ascii: "7"): kind = name.hasSuffix("/") ? .directory : .file
        case UInt8(ascii: "1"): kind = .hardlink
        case UInt8(ascii: "2"): kind = .symlink
        case UInt8(ascii: "5"): kind = .directory
        default: kind = .other(flag)
        }
        while name.count > 1 && name.hasSuffix("/") { name.removeLast() }
        var entry = TarEntry(path: name, kind: kind, mode: UInt32(truncatingIfNeeded: try Self.number(header, 100, 8, "mode") & 0o7777))
        entry.data = kind == .file ? data : []
        entry.uid = UInt32(truncatingIfNeeded: try Self.number(header, 108, 8, "uid"))
        entry.gid = UInt32(truncatingIfNeeded: try Self.number(header, 116, 8, "gid"))
        entry.mtime = try Self.number(header, 136, 12, "mtime")
        entry.linkTarget = longLink ?? Self.cString(header[157..<257])
        if isUstar {
            entry.uname = Self.cString(header[265..<297])
            entry.gname = Self.cString(header[297..<329])
        }
        if let v = records.removeValue(forKey: "linkpath") { entry.linkTarget = v }
        if let v = records.removeValue(forKey: "uid"), let n = UInt32(v) { entry.uid = n }
        if let v = records.removeValue(forKey: "gid"), let n = UInt32(v) { entry.gid = n }
        if let v = records.removeValue(forKey: "uname") { entry.uname = v }
        if let v = records.removeValue(forKey: "gname") { entry.gname = v }
        if let v = records.removeValue(forKey: "mtime") {
            let whole = v.split(separator: ".", maxSplits: 1).first.map(String.init) ?? v
            if let n = Int64(whole) { entry.mtime = n }
        }
        records["size"] = nil
        entry.records = records
        return entry
    }

    // MARK: - Fields

    private func checkSum(_ header: [UInt8]) throws(ParseError) {
        let stored = try Self.number(header, 148, 8, "checksum")
        var unsigned: Int64 = 0
        var signed: Int64 = 0
        for (i, byte) in header.enumerated() {
            let b = (148..<156).contains(i) ? UInt8(ascii: " ") : byte
            unsigned += Int64(b)
            signed += Int64(Int8(bitPattern: b))
        }
        guard stored == unsigned || stored == signed else {
            throw ParseError("tar: bad header checksum at byte \(offset) (not a tar archive?)")
        }
    }

    /// A numeric field: octal digits (spaces and NULs around them), or GNU base-256.
    static func number(_ header: [UInt8], _ at: Int, _ width: Int, _ what: String) throws(ParseError) -> Int64 {
        let field = header[at..<at + width]
        if let first = field.first, first & 0x80 != 0 {
            var value: Int64 = Int64(first & 0x3f)
            for byte in field.dropFirst() {
                guard value < Int64.max >> 8 else { throw ParseError("tar: \(what) field out of range") }
                value = value << 8 | Int64(byte)
            }
            return first & 0x40 != 0 ? -value : value
        }
        var value: Int64 = 0
        var seen = false
        for byte in field {
            if byte == 0 || byte == UInt8(ascii: " ") {
                if seen { break } else { continue }
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "7") else {
                throw ParseError("tar: bad \(what) field (not a tar archive?)")
            }
            seen = true
            value = value * 8 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// Text up to the first NUL.
    static func cString(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The records of a pax header: "LEN keyword=value\n" each.
    static func paxRecords(_ data: [UInt8]) throws(ParseError) -> [(String, String)] {
        var out: [(String, String)] = []
        var i = 0
        while i < data.count {
            if data[i] == 0 { break }
            var j = i
            var length = 0
            while j < data.count, data[j] >= UInt8(ascii: "0"), data[j] <= UInt8(ascii: "9") {
                length = length * 10 + Int(data[j] - UInt8(ascii: "0"))
                j += 1
                if length > data.count { break }
            }
            guard j < data.count, data[j] == UInt8(ascii: " "), length > j - i + 1, i + length <= data.count,
                  data[i + length - 1] == UInt8(ascii: "\n"),
                  let eq = data[(j + 1)..<(i + length - 1)].firstIndex(of: UInt8(ascii: "="))
            else { throw ParseError("tar: bad pax extended header record") }
            let key = String(decoding: data[(j + 1)..<eq], as: UTF8.self)
            let value = String(decoding: data[(eq + 1)..<(i + length - 1)], as: UTF8.self)
            out.append((key, value))
            i += length
        }
        return out
    }
}
