// `fluxs archive`: files staged in the KVS, to be extracted on every node of an
// instance or job that has no shared file system, as flux-archive(1) does (man
// fluxs-archive(1)).
//
// Layout (RFC 37 file objects, as Flux writes them):
//   archive.NAME          a JSON array, one object per file, in the order archived:
//       {"path", "mode" (st_mode, type bits included), "mtime", "ctime",
//        "size" (regular files), "encoding": "utf-8"|"base64"|"blobvec", "data"}
//     a directory has no size, encoding or data; a symbolic link's "data" is its
//     target; an empty file has size 0 and no encoding; a file up to
//     --small-file-threshold bytes holds its content (UTF-8 text as is, else base64);
//     a larger one is "blobvec": data [[OFFSET, SIZE, BLOBKEY], ...], chunks of
//     --chunksize bytes, each stored base64 at the KVS key BLOBKEY
//   archive.NAME_blobs.N  those chunks (fluxs has no content store to hold them).
// create commits the chunks first, a few MiB a commit, and archive.NAME last, so that
// an extract waiting for the key (--waitcreate) finds every chunk there.
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The archive tools.
struct ArchiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive", abstract: "Stage files in the KVS and extract them on any node.",
        discussion: """
            An archive NAME (default main) is the KVS key archive.NAME (and archive.NAME_blobs \
            for files over the small-file threshold), in the primary namespace.
            """,
        subcommands: [ArchiveCreateCommand.self, ArchiveListCommand.self, ArchiveExtractCommand.self,
                      ArchiveRemoveCommand.self])
}

// MARK: - Shared pieces

/// -n NAME and --no-force-primary, which every subcommand takes.
struct ArchiveNameOptions: ParsableArguments {
    @Option(name: [.customShort("n"), .customLong("name")], help: ArgumentHelp("The archive.", valueName: "NAME"))
    var name = "main"
    @Flag(name: .customLong("no-force-primary"), help: "Use FLUXS_KVS_NAMESPACE, if set, instead of the primary namespace.")
    var noForcePrimary = false

    func validate() throws {
        if name.isEmpty || name.contains(where: { $0.isWhitespace || $0 == "." || $0 == "/" }) {
            throw ValidationError("--name \"\(name)\": a name is not empty and holds no dots, slashes or whitespace")
        }
    }

    /// The key of the archive.
    var key: String { "archive.\(name)" }
    /// The directory of its chunks.
    var blobsKey: String { "archive.\(name)_blobs" }

    /// The namespace to use.
    var namespace: String {
        if noForcePrimary, let value = getenv("FLUXS_KVS_NAMESPACE"), value.pointee != 0 { return String(cString: value) }
        return "primary"
    }

    /// The archive's file objects (ENOENT: `archive.NAME does not exist`).
    func fetch(_ handle: FluxsHandle, wait: Bool = false, timeout: Double? = nil) throws -> [JSONValue] {
        var body: [String: JSONValue] = ["key": .string(key), "namespace": .string(namespace)]
        if wait { body["waitcreate"] = true }
        let value: JSONValue
        do throws(ServiceError) {
            value = try handle.rpc(.kvs.get, .object(body), timeout: timeout)["value"] ?? .null
        } catch {
            if error.errnum == ENOENT && error.message.hasPrefix("key ") { throw CommandFailure("\(key) does not exist") }
            if error.errnum == ETIMEDOUT { throw CommandFailure("\(key) was not created within the timeout") }
            throw error
        }
        guard let files = value.arrayValue else { throw CommandFailure("\(key) is not an archive (not a JSON array)") }
        return files
    }

    /// Which of the archive's keys exist.
    func existing(_ handle: FluxsHandle) throws -> (archive: Bool, blobs: Bool) {
        let dir: [String: JSONValue]
        do throws(ServiceError) {
            dir = try handle.rpc(.kvs.lookup, ["key": "archive", "namespace": .string(namespace)])["dir"]?.objectValue ?? [:]
        } catch {
            if error.errnum == ENOENT || error.errnum == ENOTDIR { return (false, false) }
            throw error
        }
        return (dir[name] != nil, dir["\(name)_blobs"] != nil)
    }
}

/// One RFC 37 file object, read.
struct ArchiveFile {
    var path: String
    var mode: UInt32
    var size: Int64
    var mtime: Int64
    var encoding: String?
    var data: JSONValue?

    init(_ json: JSONValue) throws {
        guard let path = json["path"]?.stringValue, !path.isEmpty, let mode = json["mode"]?.intValue else {
            throw CommandFailure("invalid file object in the archive: \(json.compactText)")
        }
        self.path = path
        self.mode = UInt32(truncatingIfNeeded: mode)
        size = json["size"]?.intValue ?? 0
        mtime = json["mtime"]?.intValue ?? -1
        encoding = json["encoding"]?.stringValue
        data = json["data"]
    }

    var type: UInt32 { mode & UInt32(S_IFMT) }
    var isDirectory: Bool { type == UInt32(S_IFDIR) }
    var isSymlink: Bool { type == UInt32(S_IFLNK) }
    var isRegular: Bool { type == UInt32(S_IFREG) }

    /// `f 0644     2048 path`, as flux archive list -l prints it.
    var longLine: String {
        let kind = isRegular ? "f" : isSymlink ? "l" : isDirectory ? "d" : "?"
        let perm = String(mode & 0o777, radix: 8)
        let sizeText = String(size)
        return "\(kind) 0\(perm) \(String(repeating: " ", count: max(0, 8 - sizeText.count)))\(sizeText) \(path)"
    }

    static func matches(_ json: JSONValue, _ pattern: String?) -> Bool {
        guard let pattern else { return true }
        return fnmatch(pattern, json["path"]?.stringValue ?? "", 0) == 0
    }
}

/// Sizes in the options, checked.
private func sizeOption(_ text: String, _ option: String) throws -> Int {
    do { return try ByteSize.parse(text) } catch { throw ValidationError("\(option): \(error.message)") }
}

// MARK: - create

/// Archives files into the KVS.
struct ArchiveCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Archive files (directories recursively) into the KVS.")
    @OptionGroup var names: ArchiveNameOptions
    @Option(name: [.customShort("C"), .customLong("directory")], help: ArgumentHelp("Change to DIR first.", valueName: "DIR"))
    var directory: String?
    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "List files as they are archived.")
    var verbose = false
    @Flag(name: .customLong("overwrite"), help: "Replace the archive if it exists.")
    var overwrite = false
    @Flag(name: .customLong("append"), help: "Add to the archive if it exists.")
    var append = false
    @Flag(name: .customLong("preserve"), help: "Accepted for Flux compatibility: fluxs archives always survive a restart.")
    var preserve = false
    @Option(name: .customLong("chunksize"), help: ArgumentHelp("Chunks of large files, in bytes (0: one; default 1M).", valueName: "N"))
    var chunksize = "1M"
    @Option(name: .customLong("small-file-threshold"), help: ArgumentHelp(
        "Files up to N bytes are held in the archive itself (default 1K).", valueName: "N"))
    var smallFileThreshold = "1K"
    @Argument(help: ArgumentHelp("The files and directories to archive.", valueName: "PATH"))
    var paths: [String] = []

    /// The largest commit of chunks, in bytes of base64.
    static let commitBytes = 4 << 20

    func validate() throws {
        if paths.isEmpty { throw ValidationError("missing the PATH to archive") }
        if overwrite && append { throw ValidationError("--overwrite and --append cannot be used together") }
        _ = try sizeOption(chunksize, "--chunksize")
        _ = try sizeOption(smallFileThreshold, "--small-file-threshold")
    }

    func run() throws {
        let chunk = try sizeOption(chunksize, "--chunksize")
        let threshold = try sizeOption(smallFileThreshold, "--small-file-threshold")
        if let directory, chdir(directory) != 0 {
            throw CommandFailure("chdir \(directory): \(ServiceError.text(of: errno))")
        }
        try Instance.with { handle in
            let present = try names.existing(handle)
            var files: [JSONValue] = []
            var nextBlob = 0
            if present.archive || present.blobs {
                if overwrite {
                    var ops: [JSONValue] = []
                    if present.archive { ops.append(["op": "unlink", "key": .string(names.key), "recursive": true]) }
                    if present.blobs { ops.append(["op": "unlink", "key": .string(names.blobsKey), "recursive": true]) }
                    try handle.rpc(.kvs.commit, ["namespace": .string(names.namespace), "ops": .array(ops)])
                } else if append {
                    if present.archive { files = try names.fetch(handle) }
                    if present.blobs {
                        let dir = try handle.rpc(.kvs.lookup, ["key": .string(names.blobsKey), "namespace": .string(names.namespace)])
                        nextBlob = (dir["dir"]?.objectValue?.keys.compactMap { Int($0) }.max() ?? -1) + 1
                    }
                } else if present.archive {
                    throw CommandFailure("\(names.key): key exists (use --overwrite or --append)")
                }
            }
            var pending: [JSONValue] = []
            var pendingBytes = 0
            func flush() throws {
                guard !pending.isEmpty else { return }
                try handle.rpc(.kvs.commit, ["namespace": .string(names.namespace), "ops": .array(pending)])
                pending.removeAll()
                pendingBytes = 0
            }
            var walker = ArchiveWalker(chunk: chunk, threshold: threshold, verbose: verbose) { bytes in
                let key = "\(names.blobsKey).\(nextBlob)"
                nextBlob += 1
                let text = Data(bytes).base64EncodedString()
                pending.append(["op": "put", "key": .string(key), "value": .string(text)])
                pendingBytes += text.utf8.count
                if pendingBytes >= Self.commitBytes { try flush() }
                return key
            }
            for path in paths { try walker.add(path, into: &files) }
            pending.append(["op": "put", "key": .string(names.key), "value": .array(files)])
            try flush()
        }
    }
}

/// Walks the paths to archive, making file objects; large files' chunks go to `store`,
/// which returns the key each is kept at.
struct ArchiveWalker {
    let chunk: Int
    let threshold: Int
    let verbose: Bool
    let store: ([UInt8]) throws -> String

    init(chunk: Int, threshold: Int, verbose: Bool, store: @escaping ([UInt8]) throws -> String) {
        self.chunk = chunk
        self.threshold = threshold
        self.verbose = verbose
        self.store = store
    }

    /// Adds `path` (a directory with everything below it, in name order) to `files`.
    mutating func add(_ path: String, into files: inout [JSONValue]) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw CommandFailure("\(path): \(ServiceError.text(of: errno))") }
        var name = Substring(path)
        while name.count > 1 && name.hasPrefix("/") { name = name.dropFirst() }
        while name.count > 1 && name.hasSuffix("/") { name = name.dropLast() }
        var object: [String: JSONValue] = [
            "path": .string(name == "/" ? "." : String(name)), "mode": .int(Int64(st.st_mode)),
            "mtime": .int(Int64(st.st_mtim.tv_sec)), "ctime": .int(Int64(st.st_ctim.tv_sec)),
        ]
        if verbose { print(path) }
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            files.append(.object(object))
            for child in try Self.children(path) {
                try add(path.hasSuffix("/") ? path + child : path + "/" + child, into: &files)
            }
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(path, &buffer, buffer.count - 1)
            guard n >= 0 else { throw CommandFailure("\(path): \(ServiceError.text(of: errno))") }
            object["data"] = .string(String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
            files.append(.object(object))
        case S_IFREG:
            let bytes = try Self.contents(path)
            object["size"] = .int(Int64(bytes.count))
            if bytes.isEmpty {
                // Nothing more: an empty file.
            } else if bytes.count <= threshold {
                if let text = String(validating: bytes, as: UTF8.self) {
                    object["encoding"] = "utf-8"
                    object["data"] = .string(text)
                } else {
                    object["encoding"] = "base64"
                    object["data"] = .string(Data(bytes).base64EncodedString())
                }
            } else {
                let size = chunk == 0 ? bytes.count : chunk
                var blobs: [JSONValue] = []
                var offset = 0
                while offset < bytes.count {
                    let end = min(bytes.count, offset + size)
                    let key = try store(Array(bytes[offset..<end]))
                    blobs.append([.int(Int64(offset)), .int(Int64(end - offset)), .string(key)])
                    offset = end
                }
                object["encoding"] = "blobvec"
                object["data"] = .array(blobs)
            }
            files.append(.object(object))
        default:
            throw CommandFailure("\(path): not a regular file, directory or symbolic link")
        }
    }

    /// The names in a directory, sorted, without . and ..
    static func children(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw CommandFailure("\(path): \(ServiceError.text(of: errno))") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// A whole file's bytes.
    static func contents(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw CommandFailure("\(path): \(ServiceError.text(of: errno))") }
        defer { close(fd) }
        do throws(ServiceError) { return try Descriptors.readAll(fd, name: path) } catch { throw CommandFailure(error.message) }
    }
}

// MARK: - list

/// Lists an archive.
struct ArchiveListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the files of an archive.")
    @OptionGroup var names: ArchiveNameOptions
    @Flag(name: [.customShort("l"), .customLong("long")], help: "Show type, mode and size.")
    var long = false
    @Flag(name: .customLong("raw"), help: "Print the file objects as JSON, one a line.")
    var raw = false
    @Argument(help: ArgumentHelp("Only the files whose path matches this glob(7) pattern.", valueName: "PATTERN"))
    var pattern: String?

    func run() throws {
        let files = try Instance.with { try names.fetch($0) }.filter { ArchiveFile.matches($0, pattern) }
        if files.isEmpty, let pattern { writeStderr("fluxs-archive: no files matched pattern '\(pattern)'\n") }
        for json in files {
            if raw { print(json.compactText) } else if long { print(try ArchiveFile(json).longLine) } else {
                print(try ArchiveFile(json).path)
            }
        }
    }
}

// MARK: - extract

/// Extracts an archive here (or in -C DIR).
struct ArchiveExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract", abstract: "Extract the files of an archive.",
        discussion: "Existing files are not replaced unless --overwrite is given; directories may exist.")
    @OptionGroup var names: ArchiveNameOptions
    @Option(name: [.customShort("C"), .customLong("directory")], help: ArgumentHelp("Change to DIR first.", valueName: "DIR"))
    var directory: String?
    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "List files on stderr as they are extracted.")
    var verbose = false
    @Flag(name: [.customShort("t"), .customLong("list-only")], help: "List the files instead of extracting them.")
    var listOnly = false
    @Flag(name: .customLong("overwrite"), help: "Replace existing files.")
    var overwrite = false
    @Flag(name: .customLong("waitcreate"), help: "Wait for the archive to be created.")
    var waitcreate = false
    @Option(name: .customLong("timeout"), help: ArgumentHelp("With --waitcreate: give up after FSD.", valueName: "FSD"))
    var timeout: String?
    @Argument(help: ArgumentHelp("Only the files whose path matches this glob(7) pattern.", valueName: "PATTERN"))
    var pattern: String?

    func validate() throws {
        if let timeout {
            if !waitcreate { throw ValidationError("--timeout goes with --waitcreate") }
            do { _ = try FluxDuration.parse(timeout) } catch { throw ValidationError("--timeout: \(error.message)") }
        }
    }

    func run() throws {
        if let directory, chdir(directory) != 0 {
            throw CommandFailure("chdir \(directory): \(ServiceError.text(of: errno))")
        }
        let seconds = try timeout.map { try FluxDuration.parse($0) }
        try Instance.with { handle in
            let files = try names.fetch(handle, wait: waitcreate, timeout: seconds).filter { ArchiveFile.matches($0, pattern) }
            if files.isEmpty, let pattern { writeStderr("fluxs-archive: no files matched pattern '\(pattern)'\n") }
            if listOnly {
                for json in files { print(verbose ? try ArchiveFile(json).longLine : try ArchiveFile(json).path) }
                return
            }
            var directories: [ArchiveFile] = []
            for json in files {
                let file = try ArchiveFile(json)
                if verbose { writeStderr(file.path + "\n") }
                try extract(file, handle)
                if file.isDirectory { directories.append(file) }
            }
            // Directories get their mode and time last, deepest first, once written into.
            for dir in directories.reversed() {
                chmod(dir.path, mode_t(dir.mode & 0o1777))
                setTime(dir.path, dir.mtime)
            }
        }
    }

    func extract(_ file: ArchiveFile, _ handle: FluxsHandle) throws {
        let path = file.path
        if path.split(separator: "/").contains("..") { throw CommandFailure("\(path): refusing a path with \"..\"") }
        try makeParents(path)
        var st = stat()
        let exists = lstat(path, &st) == 0
        if file.isDirectory {
            if exists, (st.st_mode & S_IFMT) == S_IFDIR { return }
            if exists { try replace(path) }
            guard mkdir(path, 0o700) == 0 else { throw CommandFailure("\(path): \(ServiceError.text(of: errno))") }
            return
        }
        if exists { try replace(path) }
        if file.isSymlink {
            guard symlink(file.data?.stringValue ?? "", path) == 0 else {
                throw CommandFailure("\(path): \(ServiceError.text(of: errno))")
            }
            return
        }
        guard file.isRegular else { throw CommandFailure("\(path): unsupported file type (mode 0\(String(file.mode, radix: 8)))") }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw CommandFailure("\(path): \(ServiceError.text(of: errno))") }
        defer { close(fd) }
        func put(_ bytes: [UInt8], at offset: Int64) throws {
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, $0.count - done, off_t(offset) + off_t(done)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw CommandFailure("\(path): \(ServiceError.text(of: errno))") }
                done += n
            }
        }
        switch file.encoding {
        case nil:
            break
        case "utf-8"?:
            try put(Array((file.data?.stringValue ?? "").utf8), at: 0)
        case "base64"?:
            guard let data = Data(base64Encoded: file.data?.stringValue ?? "") else {
                throw CommandFailure("\(path): the archive's data is not base64")
            }
            try put(Array(data), at: 0)
        case "blobvec"?:
            for blob in file.data?.arrayValue ?? [] {
                guard let parts = blob.arrayValue, parts.count == 3, let offset = parts[0].intValue,
                      let size = parts[1].intValue, let key = parts[2].stringValue
                else { throw CommandFailure("\(path): bad blobvec entry \(blob.compactText)") }
                let text: String
                do throws(ServiceError) {
                    text = try handle.rpc(.kvs.get, ["key": .string(key), "namespace": .string(names.namespace)])["value"]?.stringValue ?? ""
                } catch {
                    throw CommandFailure("\(path): \(error.message)")
                }
                guard let data = Data(base64Encoded: text), data.count == Int(size) else {
                    throw CommandFailure("\(path): chunk \(key) is damaged")
                }
                try put(Array(data), at: offset)
            }
        case let other?:
            throw CommandFailure("\(path): unknown encoding \(other)")
        }
        guard ftruncate(fd, off_t(file.size)) == 0 else { throw CommandFailure("\(path): \(ServiceError.text(of: errno))") }
        fchmod(fd, mode_t(file.mode & 0o1777))
        setTime(path, file.mtime)
    }

    /// Removes what is at `path` for --overwrite, or refuses.
    func replace(_ path: String) throws {
        guard overwrite else { throw CommandFailure("\(path): will not overwrite an existing file (use --overwrite)") }
        var st = stat()
        if lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            guard rmdir(path) == 0 else { throw CommandFailure("\(path): \(ServiceError.text(of: errno))") }
        } else if unlink(path) != 0 {
            throw CommandFailure("\(path): \(ServiceError.text(of: errno))")
        }
    }

    /// Makes the missing directories above `path` (mode 0755).
    func makeParents(_ path: String) throws {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count > 1 else { return }
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in parts.dropLast() where !part.isEmpty {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw CommandFailure("\(prefix): \(ServiceError.text(of: errno))")
            }
        }
    }

    /// Sets the modification time (not following a symbolic link).
    func setTime(_ path: String, _ mtime: Int64) {
        guard mtime >= 0 else { return }
        var times = [timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2), // UTIME_OMIT: the access time is left alone
                     timespec(tv_sec: Int(mtime), tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
    }
}

// MARK: - remove

/// Removes an archive.
struct ArchiveRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove an archive from the KVS.")
    @OptionGroup var names: ArchiveNameOptions
    @Flag(name: [.customShort("f"), .customLong("force")], help: "Do not fail if the archive does not exist.")
    var force = false

    func run() throws {
        try Instance.with { handle in
            let present = try names.existing(handle)
            if !present.archive && !force { throw CommandFailure("\(names.key) does not exist") }
            var ops: [JSONValue] = []
            if present.archive { ops.append(["op": "unlink", "key": .string(names.key), "recursive": true]) }
            if present.blobs { ops.append(["op": "unlink", "key": .string(names.blobsKey), "recursive": true]) }
            if !ops.isEmpty { try handle.rpc(.kvs.commit, ["namespace": .string(names.namespace), "ops": .array(ops)]) }
        }
    }
}
