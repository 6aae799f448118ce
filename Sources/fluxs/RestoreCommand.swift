// `fluxs restore`: a tar archive (usually from fluxs dump) back into a KVS (man
// fluxs-restore(1)), either
//   - into the running instance (the default, or --key=NAME): kvs.commit requests of
//     the archive's values, a few MiB each, merged into the root (or replacing the
//     directory NAME); or
//   - with --checkpoint --statedir=DIR, into DIR/kvs.sqlite, written directly, for an
//     instance that is not running: the archive replaces the primary namespace, and the
//     next `fluxs start -Sstatedir=DIR` loads it before its job manager reads the
//     jobs, so job history carries over to the new instance.
// The mapping of members to keys and values is FluxsFormats.KVSDumpFormat.
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

/// Reads a tar archive into the KVS.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore the KVS from a tar archive.",
        discussion: """
            Into the running instance by default (keys are merged into the root, or replace \
            the directory NAME with --key), or with --checkpoint --statedir=DIR into the KVS \
            file of a state directory whose instance is not running, for the next \
            fluxs start -Sstatedir=DIR (job history included). ARCHIVE is a path or - for \
            standard input.
            """)

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "List keys on stderr as they are restored.")
    var verbose = false
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Do not show the count of restored keys.")
    var quiet = false
    @Flag(name: .customLong("checkpoint"), help: "Write the KVS file of --statedir instead of the running KVS.")
    var checkpoint = false
    @Option(name: .customLong("statedir"), help: ArgumentHelp(
        "With --checkpoint: the state directory (of an instance that is not running).", valueName: "DIR"))
    var statedir: String?
    @Option(name: .customLong("key"), help: ArgumentHelp("Restore into directory NAME, replacing it.", valueName: "NAME"))
    var key: String?
    @Option(name: .customLong("size-limit"), help: ArgumentHelp(
        "Skip values over SIZE bytes (k, M, G suffixes; default: no limit).", valueName: "SIZE"))
    var sizeLimit: String?
    @Flag(name: .customLong("no-cache"), help: "Accepted for Flux compatibility; fluxs has no content cache.")
    var noCache = false
    @Argument(help: ArgumentHelp("The archive to read, or - for standard input.", valueName: "ARCHIVE"))
    var archive: String

    /// The largest commit sent to a running instance, in bytes of values.
    static let commitBytes = 4 << 20

    func validate() throws {
        if archive.isEmpty { throw ValidationError("the archive name is empty") }
        if checkpoint, statedir == nil {
            throw ValidationError("--checkpoint needs --statedir=DIR, the state directory of an instance that is not running")
        }
        if statedir != nil, !checkpoint { throw ValidationError("--statedir goes with --checkpoint") }
        if statedir == "" { throw ValidationError("--statedir: the directory is empty") }
        if let key {
            try KVS.validate([key], writing: "restore into")
        }
        if let sizeLimit {
            do { _ = try ByteSize.parse(sizeLimit) } catch { throw ValidationError("--size-limit: \(error.message)") }
        }
    }

    func run() throws {
        let limit = try sizeLimit.map { try ByteSize.parse($0) } ?? 0
        var progress = KeyProgress(tool: "fluxs-restore", verb: "restored", show: !quiet && !verbose)
        var ops: [KVSOperation] = []
        var directories: [(index: Int, key: String)] = []
        var skipped = 0
        func skip(_ message: String) {
            progress.interrupt()
            writeStderr("fluxs-restore: \(message), skipping\n")
            skipped += 1
        }
        func full(_ k: String) -> String { key.map { "\($0).\(k)" } ?? k }
        try TarInput.read(archive) { entry in
            switch entry.kind {
            case .file:
                if limit > 0, entry.data.count > limit {
                    return skip("\(entry.path) size \(entry.data.count) exceeds \(limit) limit")
                }
                do {
                    ops.append(.put(full(try KVSDumpFormat.key(ofPath: entry.path)), try KVSDumpFormat.value(of: entry)))
                } catch let error as ParseError {
                    return skip(error.message)
                }
            case .directory:
                guard let k = try? KVSDumpFormat.key(ofPath: entry.path) else { return }
                directories.append((ops.count, full(k)))
                ops.append(.mkdir(full(k)))
            case .symlink:
                return skip("\(entry.path) -> \(entry.linkTarget): the fluxs KVS has no symbolic links")
            default:
                return skip("\(entry.path): not a regular file or a directory")
            }
            if verbose { writeStderr(entry.path + "\n") }
            progress.add(1)
        }
        ops = Self.withoutFilledDirectories(ops, directories)
        var wrote: String?
        if checkpoint, let statedir {
            wrote = try writeCheckpoint(ops, statedir: statedir)
        } else {
            try commitLive(ops)
        }
        progress.end()
        if let wrote, !quiet { writeStderr("fluxs-restore: \(wrote)\n") }
        if skipped > 0, !quiet { writeStderr("fluxs-restore: \(skipped) member(s) skipped\n") }
    }

    /// Drops the mkdir of a directory member that something else in the archive lies
    /// below: it is made by those puts, and a mkdir would empty what is already there.
    static func withoutFilledDirectories(_ ops: [KVSOperation], _ directories: [(index: Int, key: String)]) -> [KVSOperation] {
        guard !directories.isEmpty else { return ops }
        var ancestors = Set<String>()
        for op in ops {
            let parts = op.key.split(separator: ".")
            for n in 1..<max(1, parts.count) { ancestors.insert(parts[0..<n].joined(separator: ".")) }
        }
        let drop = Set(directories.filter { ancestors.contains($0.key) }.map(\.index))
        return ops.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
    }

    /// Sends the operations to the running KVS, in commits of a few MiB; with --key the
    /// first one replaces the directory.
    func commitLive(_ ops: [KVSOperation]) throws {
        try Instance.with { handle in
            var batch: [JSONValue] = key.map { [KVSOperation.mkdir($0).json] } ?? []
            var bytes = 0
            func send() throws {
                if batch.isEmpty { return }
                try handle.rpc(.kvs.commit, ["namespace": "primary", "ops": .array(batch)])
                batch.removeAll()
                bytes = 0
            }
            for op in ops {
                if case .put(_, let value) = op { bytes += value.stringValue?.utf8.count ?? value.compactBytes.count }
                bytes += op.key.utf8.count + 32
                batch.append(op.json)
                if bytes >= Self.commitBytes { try send() }
            }
            try send()
        }
    }

    /// Replaces the primary namespace of DIR/kvs.sqlite (or the directory --key) with
    /// the archive, in one transaction; makes DIR and the file when missing. Returns
    /// what was written, for the user.
    func writeCheckpoint(_ ops: [KVSOperation], statedir: String) throws -> String {
        var st = stat()
        if stat(statedir, &st) != 0 {
            guard mkdir(statedir, 0o700) == 0 else { throw CommandFailure("\(statedir): \(ServiceError.text(of: errno))") }
        } else if (st.st_mode & S_IFMT) != S_IFDIR {
            throw CommandFailure("\(statedir): not a directory")
        }
        let path = "\(statedir)/kvs.sqlite"
        do {
            let db = try KVSDatabase(path: path)
            var ns = try db.load().first { $0.name == "primary" } ?? KVSNamespace(name: "primary", owner: getuid())
            var all: [KVSOperation] = []
            if let key {
                all.append(.mkdir(key))
            } else {
                all += ns.root.keys.sorted().map { KVSOperation.unlink($0, recursive: true) }
            }
            all += ops
            let commit = try ns.commit(all)
            try db.apply(namespace: "primary", owner: ns.owner, commit: commit)
            return "wrote \(path) (primary namespace, version \(commit.version))"
        } catch {
            throw CommandFailure(error.message)
        }
    }
}
