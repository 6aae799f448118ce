// `fluxs dump`: the KVS (its primary namespace, job history included) to a tar
// archive, as flux-dump(1) writes it (man fluxs-dump(1); the layout is
// FluxsFormats.KVSDumpFormat). The source is the running instance's KVS, read in one
// kvs.lookup of the root so that the archive is one point in time, or, with
// --checkpoint, the SQLite file of a state directory (statedir/kvs.sqlite), read
// directly, with or without an instance running on it.
//
// The archive I/O (TarOutput, TarInput) is here too; fluxs restore reads with it.
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsKVS
import FluxsMessage
import FluxsProtocol
import KVSStore
#if canImport(Glibc)
import Glibc
#endif

/// Writes the KVS to a tar archive.
struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump", abstract: "Write the KVS to a tar archive.",
        discussion: """
            One file per value, named by its key with dots as slashes; strings as they are, \
            other values as JSON (marked by the pax record SCHILY.xattr.user.fluxs.json=1). ARCHIVE is a path or \
            "-" for standard output; the format is POSIX pax/ustar, without compression.
            """)

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "List keys on stderr as they are dumped.")
    var verbose = false
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Do not show the count of dumped keys.")
    var quiet = false
    @Flag(name: .customLong("no-cache"), help: "Accepted for Flux compatibility; fluxs has no content cache.")
    var noCache = false
    @Flag(name: .customLong("checkpoint"), help: "Dump the KVS file of the state directory instead of the running KVS.")
    var checkpoint = false
    @Option(name: .customLong("statedir"), help: ArgumentHelp(
        "The state directory to dump with --checkpoint (default: the instance's statedir).", valueName: "DIR"))
    var statedir: String?
    @Argument(help: ArgumentHelp("The archive to write, or - for standard output.", valueName: "ARCHIVE"))
    var archive: String

    func validate() throws {
        if archive.isEmpty { throw ValidationError("the archive name is empty") }
        if let problem = TarOutput.formatProblem(archive) { throw ValidationError(problem) }
        if statedir == "" { throw ValidationError("--statedir: the directory is empty") }
    }

    func run() throws {
        let (root, mtime) = try (checkpoint || statedir != nil) ? readCheckpoint() : readLive()
        var template = TarEntry(path: "", kind: .file, mode: 0o644)
        template.mtime = mtime
        template.uid = getuid()
        template.gid = getgid()
        if let pw = getpwuid(getuid()) { template.uname = String(cString: pw.pointee.pw_name) }
        if let gr = getgrgid(getgid()) { template.gname = String(cString: gr.pointee.gr_name) }

        let output = try TarOutput(archive)
        var progress = KeyProgress(tool: "fluxs-dump", verb: "archived", show: !quiet && !verbose)
        var skipped = 0
        func walk(_ dir: [String: JSONValue], _ prefix: String) throws {
            for name in KVS.sortedNames(dir) {
                let key = prefix.isEmpty ? name : prefix + "." + name
                let member: TarEntry
                do {
                    if let sub = dir[name]?["dir"]?.objectValue {
                        if !sub.isEmpty {
                            try walk(sub, key)
                            continue
                        }
                        member = try KVSDumpFormat.directory(key: key, template: template)
                    } else {
                        member = try KVSDumpFormat.member(key: key, value: dir[name]?["value"] ?? .null, template: template)
                    }
                    try output.write(TarWriter.encode(member))
                } catch let error as ParseError {
                    progress.interrupt()
                    writeStderr("fluxs-dump: error: \(error.message); skipped\n")
                    skipped += 1
                    continue
                }
                if verbose { writeStderr(member.path + (member.kind == .directory ? "/\n" : "\n")) }
                progress.add(1)
            }
        }
        try walk(root, "")
        try output.write(TarWriter.end)
        try output.close()
        progress.end()
        if skipped > 0 { throw CommandFailure("\(skipped) key(s) could not be archived") }
    }

    /// The root directory of the primary namespace, in kvs.lookup's form, and now.
    func readLive() throws -> ([String: JSONValue], Int64) {
        let root = try Instance.with { handle in
            try handle.rpc(.kvs.lookup, ["key": ".", "namespace": "primary"])["dir"]?.objectValue ?? [:]
        }
        return (root, Int64(time(nil)))
    }

    /// The root directory of the primary namespace in the state directory's KVS file,
    /// and the time that file was last written.
    func readCheckpoint() throws -> ([String: JSONValue], Int64) {
        let dir = try statedir ?? Instance.with { handle in
            let value = try? handle.rpc(.attr.get, ["name": "statedir"])["value"]?.stringValue
            guard let value, !value.isEmpty else {
                throw CommandFailure("--checkpoint: the instance has no statedir (give --statedir=DIR)")
            }
            return value
        }
        let path = "\(dir)/kvs.sqlite"
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw CommandFailure("\(path): \(ServiceError.text(of: errno)) (no KVS was ever kept in \(dir))")
        }
        var mtime = Int64(st.st_mtim.tv_sec)
        var wal = stat()
        if stat(path + "-wal", &wal) == 0 { mtime = max(mtime, Int64(wal.st_mtim.tv_sec)) }
        do {
            let namespaces = try KVSDatabase(path: path).load()
            let primary = namespaces.first { $0.name == "primary" }
            return ((primary?.root ?? [:]).mapValues(\.json), mtime)
        } catch {
            throw CommandFailure(error.message)
        }
    }
}

// MARK: - Progress

/// The count of keys on stderr, as Flux shows it: "\rTOOL: VERB N keys", updated for
/// each of the first ten and every hundredth, then a last time with a newline.
struct KeyProgress {
    let tool: String
    let verb: String
    let show: Bool
    private(set) var count = 0
    private var shown = false

    init(tool: String, verb: String, show: Bool) {
        self.tool = tool
        self.verb = verb
        self.show = show
    }

    mutating func add(_ n: Int) {
        count += n
        if show, count < 10 || count % 100 == 0 {
            writeStderr("\r\(tool): \(verb) \(count) keys")
            shown = true
        }
    }

    /// Ends the progress line before another message is printed.
    mutating func interrupt() {
        if shown { writeStderr("\n") }
        shown = false
    }

    func end() {
        if show { writeStderr("\r\(tool): \(verb) \(count) keys\n") }
    }
}

// MARK: - Archive files

/// An archive being written, to a file or standard output, in 1 MiB writes.
final class TarOutput {
    let name: String
    private let fd: Int32
    private var buffer: [UInt8] = []

    /// Why `name` cannot be written as an uncompressed tar archive, or nil.
    static func formatProblem(_ name: String) -> String? {
        let lower = name.lowercased()
        for ext in [".tgz", ".gz", ".bz2", ".xz", ".zst", ".lz4", ".zip", ".cpio", ".iso", ".7z"] where lower.hasSuffix(ext) {
            return "\(name): only uncompressed tar archives are written (use - and a pipe, e.g. fluxs dump - | gzip >\(name))"
        }
        return nil
    }

    init(_ name: String) throws {
        self.name = name
        if name == "-" {
            fd = 1
        } else {
            fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw CommandFailure("\(name): \(ServiceError.text(of: errno))") }
        }
    }

    func write(_ bytes: [UInt8]) throws {
        buffer += bytes
        if buffer.count >= 1 << 20 { try flush() }
    }

    func close() throws {
        try flush()
        if fd != 1, Glibc.close(fd) != 0 { throw CommandFailure("\(name): \(ServiceError.text(of: errno))") }
    }

    private func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw CommandFailure("\(name == "-" ? "standard output" : name): \(ServiceError.text(of: errno))") }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// An archive being read, from a file or standard input, member by member.
enum TarInput {
    /// Calls `each` with every member of the archive `name` ("-": standard input), in order.
    static func read(_ name: String, _ each: (TarEntry) throws -> Void) throws {
        let fd = name == "-" ? 0 : open(name, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CommandFailure("\(name): \(ServiceError.text(of: errno))") }
        defer { if fd != 0 { close(fd) } }
        let what = name == "-" ? "standard input" : name
        var reader = TarReader()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var first = true
        while !reader.ended {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw CommandFailure("\(what): \(ServiceError.text(of: errno))") }
            if n == 0 { break }
            if first, let problem = compression(chunk[0..<n]) {
                throw CommandFailure("\(what): a \(problem) archive: decompress it first (e.g. zcat FILE | fluxs restore -)")
            }
            first = false
            do {
                for entry in try reader.feed(chunk[0..<n]) { try each(entry) }
            } catch let error as ParseError {
                throw CommandFailure("\(what): \(error.message)")
            }
        }
        do { try reader.finish() } catch { throw CommandFailure("\(what): \(error.message)") }
    }

    /// The compression whose magic number starts `bytes`, if any.
    static func compression(_ bytes: ArraySlice<UInt8>) -> String? {
        let b = Array(bytes.prefix(6))
        if b.starts(with: [0x1f, 0x8b]) { return "gzip-compressed" }
        if b.starts(with: Array("BZh".utf8)) { return "bzip2-compressed" }
        if b.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return "xz-compressed" }
        if b.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return "zstd-compressed" }
        if b.starts(with: [0x50, 0x4b, 0x03, 0x04]) { return "zip" }
        return nil
    }
}
