// Writing tar members (pax over ustar; see TarEntry.swift for the layout). Each member
// is encoded on its own, so a caller streams an archive: encode(member)... then `end`.
// Invariant: TarReader reads back every member encode writes, fields and records equal.

/// Encodes tar members.
public enum TarWriter {
    /// The end of an archive: two zero blocks.
    public static let end = [UInt8](repeating: 0, count: 1024)

    /// The blocks of one member: a pax extended header first when needed, the ustar
    /// header, the data padded to a block.
    public static func encode(_ entry: TarEntry) -> [UInt8] {
        var records = entry.records
        let name = entry.kind == .directory ? entry.path + "/" : entry.path
        let split = splitPath(name)
        if split == nil { records["path"] = name }
        let target = entry.kind == .symlink || entry.kind == .hardlink ? entry.linkTarget : ""
        if target.utf8.count > 100 { records["linkpath"] = target }
        let hasData = entry.kind != .directory && entry.kind != .symlink && entry.kind != .hardlink
        let size = hasData ? entry.data.count : 0
        if !fits(UInt64(size), width: 12) { records["size"] = String(size) }
        if !fits(UInt64(entry.uid), width: 8) { records["uid"] = String(entry.uid) }
        if !fits(UInt64(entry.gid), width: 8) { records["gid"] = String(entry.gid) }
        if entry.uname.utf8.count > 31 { records["uname"] = entry.uname }
        if entry.gname.utf8.count > 31 { records["gname"] = entry.gname }
        if entry.mtime < 0 || !fits(UInt64(entry.mtime), width: 12) { records["mtime"] = String(entry.mtime) }

        var out: [UInt8] = []
        if !records.isEmpty {
            let body = paxBody(records)
            var pax = TarEntry(path: paxName(name), kind: .other(UInt8(ascii: "x")), mode: 0o644, data: body)
            pax.mtime = max(0, min(entry.mtime, 0o77777777777))
            out += header(pax, name: splitPath(pax.path) ?? ("", String(pax.path.prefix(100))), size: body.count,
                          target: "")
            out += padded(body)
        }
        let fallback = (prefix: "", name: truncated(name, 100))
        out += header(entry, name: split ?? fallback, size: size, target: truncated(target, 100))
        if hasData { out += padded(entry.data) }
        return out
    }

    // MARK: - Pieces

    /// The ustar header block of `entry` with the name, size and link target given.
    static func header(_ entry: TarEntry, name: (prefix: String, name: String), size: Int, target: String) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        put(name.name, at: 0, width: 100, in: &block)
        putOctal(UInt64(entry.mode & 0o7777), at: 100, width: 8, in: &block)
        putOctal(UInt64(entry.uid), at: 108, width: 8, in: &block)
        putOctal(UInt64(entry.gid), at: 116, width: 8, in: &block)
        putOctal(UInt64(size), at: 124, width: 12, in: &block)
        putOctal(UInt64(max(0, entry.mtime)), at: 136, width: 12, in: &block)
        block[156] = typeFlag(entry.kind)
        put(target, at: 157, width: 100, in: &block)
        put("ustar", at: 257, width: 6, in: &block)
        block[263] = UInt8(ascii: "0")
        block[264] = UInt8(ascii: "0")
        put(truncated(entry.uname, 31), at: 265, width: 32, in: &block)
        put(truncated(entry.gname, 31), at: 297, width: 32, in: &block)
        putOctal(0, at: 329, width: 8, in: &block)
        putOctal(0, at: 337, width: 8, in: &block)
        put(name.prefix, at: 345, width: 155, in: &block)
        for i in 148..<156 { block[i] = UInt8(ascii: " ") }
        let sum = block.reduce(0) { $0 + UInt64($1) }
        putOctal(sum, at: 148, width: 7, in: &block)
        block[155] = UInt8(ascii: " ")
        return block
    }

    static func typeFlag(_ kind: TarEntry.Kind) -> UInt8 {
        switch kind {
        case .file: UInt8(ascii: "0")
        case .hardlink: UInt8(ascii: "1")
        case .symlink: UInt8(ascii: "2")
        case .directory: UInt8(ascii: "5")
        case .other(let flag): flag
        }
    }

    /// `name` as ustar's (prefix, name) pair, or nil when it needs a pax "path" record.
    static func splitPath(_ name: String) -> (prefix: String, name: String)? {
        let bytes = Array(name.utf8)
        if bytes.count <= 100 { return ("", name) }
        guard bytes.count <= 256 else { return nil }
        // The last slash that leaves at most 155 bytes before it and 100 after it.
        for i in stride(from: min(155, bytes.count - 1), through: 1, by: -1) where bytes[i] == UInt8(ascii: "/") {
            if bytes.count - i - 1 > 100 { return nil }
            if bytes.count - i - 1 == 0 { continue }
            return (String(decoding: bytes[..<i], as: UTF8.self), String(decoding: bytes[(i + 1)...], as: UTF8.self))
        }
        return nil
    }

    /// The name of the pax header of member `name`, as GNU tar makes it: PaxHeaders/BASENAME.
    static func paxName(_ name: String) -> String {
        let base = name.split(separator: "/").last.map(String.init) ?? "member"
        return "PaxHeaders/" + truncated(base, 88)
    }

    /// Pax records, "LEN keyword=value\n" each, LEN counting the whole record; sorted by
    /// keyword so that an archive is the same for the same input.
    static func paxBody(_ records: [String: String]) -> [UInt8] {
        var out: [UInt8] = []
        for key in records.keys.sorted() {
            let rest = " \(key)=\(records[key]!)\n".utf8.count
            var length = rest + 1
            while String(length).utf8.count + rest != length { length = String(length).utf8.count + rest }
            out += Array("\(length) \(key)=\(records[key]!)\n".utf8)
        }
        return out
    }

    /// Data followed by zeros up to a block.
    static func padded(_ data: [UInt8]) -> [UInt8] {
        let pad = (512 - data.count % 512) % 512
        return data + [UInt8](repeating: 0, count: pad)
    }

    /// Whether `value` fits an octal field of `width` bytes (the last one a NUL).
    static func fits(_ value: UInt64, width: Int) -> Bool { value < (1 << (3 * UInt64(width - 1))) }

    static func put(_ text: String, at offset: Int, width: Int, in block: inout [UInt8]) {
        for (i, byte) in text.utf8.prefix(width).enumerated() { block[offset + i] = byte }
    }

    /// Zero-padded octal digits, then a NUL (the field's last byte).
    static func putOctal(_ value: UInt64, at offset: Int, width: Int, in block: inout [UInt8]) {
        let digits = String(value, radix: 8)
        let text = String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
        put(String(text.suffix(width - 1)), at: offset, width: width - 1, in: &block)
        block[offset + width - 1] = 0
    }

    /// At most `limit` UTF-8 bytes of `text`, cut at a character boundary.
    static func truncated(_ text: String, _ limit: Int) -> String {
        if text.utf8.count <= limit { return text }
        var out = ""
        for ch in text {
            if out.utf8.count + String(ch).utf8.count > limit { break }
            out.append(ch)
        }
        return out
    }
}
