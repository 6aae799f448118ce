// `fluxs kvs`: the key-value store from the command line (man fluxs-kvs(1); the service
// and its protocol are in fluxs-kvs(7)). Every subcommand is a thin layer over one or a
// few `kvs.*` requests sent with nodeid ANY, so that they work from any rank.
//
// Keys are checked here before anything is sent (a bad key is a usage error), so the
// messages do not depend on the service; everything the service refuses comes back as
// its own message (`key a.b not found`, `a.b is a directory`, ...).
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The key-value store tools.
struct KVSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kvs", abstract: "Read and write the key-value store.",
        discussion: """
            Keys are dotted paths (a.b.c); "." alone is the root directory. Every subcommand \
            takes -N NS to work in another namespace than primary (or FLUXS_KVS_NAMESPACE).
            """,
        subcommands: [
            KVSGetCommand.self, KVSPutCommand.self, KVSLsCommand.self, KVSDirCommand.self,
            KVSUnlinkCommand.self, KVSCopyCommand.self, KVSMoveCommand.self,
            KVSMkdirCommand.self, KVSWatchCommand.self, KVSVersionCommand.self,
            KVSWaitCommand.self, KVSEventlogCommand.self, KVSNamespaceCommand.self,
        ])
}

// MARK: - Shared pieces

/// The -N option every subcommand takes, and the payloads it goes into.
struct KVSNamespaceOption: ParsableArguments {
    @Option(name: [.customShort("N", allowingJoined: true), .customLong("namespace")],
            help: ArgumentHelp("Work in namespace NS (default: FLUXS_KVS_NAMESPACE, else primary).", valueName: "NS"))
    var namespace: String?

    /// The namespace chosen by -N or the environment; nil for the service's default (primary).
    var chosen: String? {
        if let namespace { return namespace }
        if let value = getenv("FLUXS_KVS_NAMESPACE"), value.pointee != 0 { return String(cString: value) }
        return nil
    }

    func validate() throws {
        if namespace == "" { throw ValidationError("--namespace: the name is empty") }
    }

    /// A request payload: `fields` plus "namespace" when one was chosen.
    func payload(_ fields: [String: JSONValue] = [:]) -> JSONValue {
        var fields = fields
        if let chosen { fields["namespace"] = .string(chosen) }
        return .object(fields)
    }
}

/// Key syntax and the printing of values, shared by the subcommands.
enum KVS {
    /// What is wrong with `key`, or nil when it is a valid key ("." is the root).
    static func keyProblem(_ key: String) -> String? {
        if key.isEmpty { return "invalid key \"\": empty key" }
        if key == "." { return nil }
        if key.contains(where: \.isWhitespace) { return "invalid key \"\(key)\": whitespace" }
        if key.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            return "invalid key \"\(key)\": empty component"
        }
        return nil
    }

    /// Checks keys for a subcommand; `writing` also refuses the root, which cannot be changed.
    /// The messages are the service's own, so a key reads the same wherever it is refused.
    static func validate(_ keys: [String], writing verb: String? = nil) throws {
        for key in keys {
            if let problem = keyProblem(key) { throw ValidationError(problem) }
            if let verb, key == "." { throw ValidationError("cannot \(verb) the root directory") }
        }
    }

    /// A value as `get` prints it: a string as is, anything else as compact JSON.
    static func text(_ value: JSONValue) -> String {
        if case .string(let string) = value { return string }
        return value.compactText
    }

    /// Prints a value on its own line(s): a string that already ends in a newline gets no other.
    static func printValue(_ value: JSONValue) {
        let text = text(value)
        if text.hasSuffix("\n") { print(text, terminator: "") } else { print(text) }
    }

    /// The key of `name` inside directory `dir`.
    static func join(_ dir: String, _ name: String) -> String { dir == "." ? name : "\(dir).\(name)" }

    /// Sends one commit of `ops` (optionally through a fence) and returns its version.
    @discardableResult
    static func commit(
        _ handle: FluxsHandle, _ ns: KVSNamespaceOption, _ ops: [JSONValue], fence: (String, Int)? = nil
    ) throws(ServiceError) -> Int64 {
        var fields: [String: JSONValue] = ["ops": .array(ops)]
        if let (name, nprocs) = fence { fields["fence"] = ["name": .string(name), "nprocs": .int(Int64(nprocs))] }
        return try handle.rpc(.kvs.commit, ns.payload(fields))["version"]?.intValue ?? 0
    }

    /// The entries of directory `key`, as kvs.lookup returns them ({NAME: {"value"|"dir": ...}}).
    static func lookup(_ handle: FluxsHandle, _ ns: KVSNamespaceOption, _ key: String) throws(ServiceError) -> [String: JSONValue] {
        try handle.rpc(.kvs.lookup, ns.payload(["key": .string(key)]))["dir"]?.objectValue ?? [:]
    }

    /// Names sorted in byte order, as the service and `ls` sort them.
    static func sortedNames(_ dir: [String: JSONValue]) -> [String] {
        dir.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The wall clock, in seconds since the Unix epoch.
    static func wallClock() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// A monotonic clock, in seconds, for timeouts.
    static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

// MARK: - get, put

/// Prints values.
struct KVSGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Print the value of each key.",
        discussion: "A string is printed as is, any other value as compact JSON, one value a line.")
    @OptionGroup var ns: KVSNamespaceOption
    @Flag(name: [.customShort("W"), .customLong("waitcreate")], help: "Wait for keys that do not exist yet.")
    var waitcreate = false
    @Flag(name: [.customShort("w"), .customLong("watch")], help: "Print the value, then again after each change (as fluxs kvs watch).")
    var watch = false
    @Option(name: [.customShort("c", allowingJoined: true), .long], help: ArgumentHelp("With --watch, exit after COUNT values.", valueName: "COUNT"))
    var count: Int?
    @Option(name: .customLong("version"), help: ArgumentHelp("First wait until the namespace reaches version N.", valueName: "N"))
    var version: Int64?
    @Argument(help: "The keys.")
    var keys: [String] = []

    func validate() throws {
        if keys.isEmpty { throw ValidationError("missing the key") }
        try KVS.validate(keys)
        if let version, version < 0 { throw ValidationError("--version must be 0 or more") }
        if watch && keys.count > 1 { throw ValidationError("--watch takes one key") }
        if count != nil && !watch { throw ValidationError("--count goes with --watch") }
        try validateCountLimit(count)
    }

    func run() throws {
        if watch { return try KVS.watch(ns, keys[0], count: count) }
        try Instance.with { handle in
            for key in keys {
                var fields: [String: JSONValue] = ["key": .string(key)]
                if waitcreate { fields["waitcreate"] = true }
                if let version { fields["version"] = .int(version) }
                let response = try handle.rpc(.kvs.get, ns.payload(fields))
                KVS.printValue(response["value"] ?? .null)
            }
        }
    }
}

/// Stores values, all in one commit.
struct KVSPutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put", abstract: "Store values under keys, all in one commit.",
        discussion: """
            VALUE is read as JSON when it is valid JSON (42, true, {"a":1}, "\\"quoted\\""), \
            else it is stored as a string. With --append, VALUE is text added to the end of a \
            string value. --fence and --nprocs, for tests and tools, make this commit one of \
            NPROCS that the service applies together, as one commit.
            """)
    @OptionGroup var ns: KVSNamespaceOption
    @Flag(name: [.customShort("A"), .customShort("a"), .customLong("append")], help: "Append VALUE (as text) to the string at KEY (-a: the old spelling).")
    var append = false
    @Flag(name: [.customShort("s"), .customLong("sequence")], help: "Print the version of the commit.")
    var sequence = false
    @Option(name: .customLong("fence"), help: ArgumentHelp("Commit through the fence NAME (with --nprocs).", valueName: "NAME"))
    var fence: String?
    @Option(name: .customLong("nprocs"), help: ArgumentHelp("The number of commits the fence waits for.", valueName: "N"))
    var nprocs: Int?
    @Argument(help: ArgumentHelp("What to store.", valueName: "KEY=VALUE"))
    var pairs: [String] = []

    func validate() throws {
        if pairs.isEmpty { throw ValidationError("missing KEY=VALUE") }
        for pair in pairs {
            guard let eq = pair.firstIndex(of: "=") else { throw ValidationError("\"\(pair)\" is not KEY=VALUE") }
            try KVS.validate([String(pair[..<eq])], writing: append ? "append to" : "put")
        }
        switch (fence, nprocs) {
        case (nil, nil): break
        case (nil, _?): throw ValidationError("--nprocs goes with --fence")
        case (_?, nil): throw ValidationError("--fence needs --nprocs")
        case (let name?, let count?):
            if name.isEmpty { throw ValidationError("--fence: the name is empty") }
            if count < 1 { throw ValidationError("--nprocs must be 1 or more") }
        }
    }

    /// The commit operation for one KEY=VALUE.
    func operation(_ pair: String) -> JSONValue {
        let eq = pair.firstIndex(of: "=")!
        let key = JSONValue.string(String(pair[..<eq]))
        let text = String(pair[pair.index(after: eq)...])
        if append { return ["op": "append", "key": key, "value": .string(text)] }
        let value = (try? JSONValue(parsing: text)) ?? .string(text)
        return ["op": "put", "key": key, "value": value]
    }

    func run() throws {
        let version = try Instance.with { handle in
            try KVS.commit(handle, ns, pairs.map(operation), fence: fence.map { ($0, nprocs ?? 1) })
        }
        if sequence { print(version) }
    }
}

// MARK: - ls, dir

/// Lists directories.
struct KVSLsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List the names in a directory.",
        discussion: """
            Directories are listed with a trailing ".". With -R, each directory below KEY \
            follows under a "KEY:" heading. Names are in columns on a terminal, else one a line.
            """)
    @OptionGroup var ns: KVSNamespaceOption
    @Flag(name: [.customShort("R"), .customLong("recursive")], help: "List subdirectories too.")
    var recursive = false
    @Flag(name: .customShort("1"), help: "One name a line, even on a terminal.")
    var onePerLine = false
    @Argument(help: "The directory (default: the root, \".\").")
    var key: String = "."

    func validate() throws { try KVS.validate([key]) }

    func run() throws {
        let dir = try Instance.with { try KVS.lookup($0, ns, key) }
        var first = true
        func list(_ key: String, _ dir: [String: JSONValue]) {
            let names = KVS.sortedNames(dir)
            if recursive {
                print((first ? "" : "\n") + "\(key):")
                first = false
            }
            printNames(names.map { dir[$0]?["dir"] != nil ? $0 + "." : $0 })
            guard recursive else { return }
            for name in names {
                if let sub = dir[name]?["dir"]?.objectValue { list(KVS.join(key, name), sub) }
            }
        }
        list(key, dir)
    }

    /// Prints names one a line, or in columns (down, then across) on a terminal.
    func printNames(_ names: [String]) {
        guard !onePerLine, isatty(1) == 1, !names.isEmpty else {
            for name in names { print(name) }
            return
        }
        let width = Self.terminalWidth()
        let cell = (names.map(\.count).max() ?? 0) + 2
        let columns = max(1, width / cell)
        let rows = (names.count + columns - 1) / columns
        for row in 0..<rows {
            var line = ""
            for column in 0..<columns where column * rows + row < names.count {
                let name = names[column * rows + row]
                let last = column == columns - 1 || (column + 1) * rows + row >= names.count
                line += last ? name : name + String(repeating: " ", count: cell - name.count)
            }
            print(line)
        }
    }

    /// The width of the terminal on stdout: COLUMNS, else the tty's, else 80.
    static func terminalWidth() -> Int {
        if let text = getenv("COLUMNS"), let columns = Int(String(cString: text)), columns > 0 { return columns }
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }
}

/// Prints the keys and values of a directory.
struct KVSDirCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dir", abstract: "Print \"KEY = VALUE\" for each key of a directory.",
        discussion: """
            Values print as with get, except that a string holding a newline or another \
            control character prints as JSON, so that each key keeps to one line. Without -R a \
            subdirectory prints as its key and a trailing ".".
            """)
    @OptionGroup var ns: KVSNamespaceOption
    @Flag(name: [.customShort("R"), .customLong("recursive")], help: "Print subdirectories' keys too.")
    var recursive = false
    @Argument(help: "The directory (default: the root, \".\").")
    var key: String = "."

    func validate() throws { try KVS.validate([key]) }

    func run() throws {
        let dir = try Instance.with { try KVS.lookup($0, ns, key) }
        func show(_ key: String, _ dir: [String: JSONValue]) {
            for name in KVS.sortedNames(dir) {
                let path = KVS.join(key, name)
                if let sub = dir[name]?["dir"]?.objectValue {
                    if recursive { show(path, sub) } else { print(path + ".") }
                } else {
                    print("\(path) = \(Self.oneLine(dir[name]?["value"] ?? .null))")
                }
            }
        }
        show(key, dir)
    }

    /// A value as get prints it, unless that would take more than one line.
    static func oneLine(_ value: JSONValue) -> String {
        if case .string(let string) = value, string.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            return value.compactText
        }
        return KVS.text(value)
    }
}

// MARK: - unlink, copy, move, mkdir

/// Removes keys, all in one commit.
struct KVSUnlinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unlink", abstract: "Remove keys, all in one commit.")
    @OptionGroup var ns: KVSNamespaceOption
    @Flag(name: [.customShort("R"), .customLong("recursive")], help: "Remove non-empty directories and all below them.")
    var recursive = false
    @Flag(name: [.customShort("s"), .customLong("sequence")], help: "Print the version of the commit.")
    var sequence = false
    @Flag(name: [.customShort("f"), .customLong("force")], help: "Ignore keys that do not exist.")
    var force = false
    @Argument(help: "The keys.")
    var keys: [String] = []

    func validate() throws {
        if keys.isEmpty { throw ValidationError("missing the key") }
        try KVS.validate(keys, writing: "unlink")
    }

    func run() throws {
        let version = try Instance.with { handle -> Int64 in
            var present = keys
            if force {
                // Keys missing now are left out; one removed by someone else before the
                // commit still fails it, as the commit is all or nothing.
                present = try keys.filter { key in
                    do {
                        _ = try handle.rpc(.kvs.get, ns.payload(["key": .string(key)]))
                    } catch let error as ServiceError where error.errnum == ENOENT {
                        return false
                    } catch let error as ServiceError where error.errnum == EISDIR {
                        return true
                    }
                    return true
                }
            }
            let ops: [JSONValue] = present.map { ["op": "unlink", "key": .string($0), "recursive": .bool(recursive)] }
            return ops.isEmpty ? try handle.rpc(.kvs.version, ns.payload())["version"]?.intValue ?? 0
                : try KVS.commit(handle, ns, ops)
        }
        if sequence { print(version) }
    }
}

/// The -S/-D namespaces of copy and move.
struct KVSCopyOptions: ParsableArguments {
    @Option(name: [.customShort("S", allowingJoined: true), .customLong("src-namespace")],
            help: ArgumentHelp("The namespace of SOURCE (default: FLUXS_KVS_NAMESPACE, else primary).", valueName: "NAME"))
    var source: String?
    @Option(name: [.customShort("D", allowingJoined: true), .customLong("dst-namespace")],
            help: ArgumentHelp("The namespace of DESTINATION (default: FLUXS_KVS_NAMESPACE, else primary).", valueName: "NAME"))
    var destination: String?
    @Argument(help: "The key to copy.")
    var from: String
    @Argument(help: "The key to copy to.")
    var to: String

    func validate() throws {
        try KVS.validate([from])
        try KVS.validate([to], writing: "copy to")
        if source == "" || destination == "" { throw ValidationError("the namespace name is empty") }
    }

    /// A payload for `namespace` (nil: the environment's, else the service's default).
    static func payload(_ namespace: String?, _ fields: [String: JSONValue]) -> JSONValue {
        var fields = fields
        var chosen = namespace
        if chosen == nil, let value = getenv("FLUXS_KVS_NAMESPACE"), value.pointee != 0 { chosen = String(cString: value) }
        if let chosen { fields["namespace"] = .string(chosen) }
        return .object(fields)
    }

    /// The commit operations that write SOURCE's value or directory tree at DESTINATION.
    func copyOps(_ handle: FluxsHandle) throws -> [JSONValue] {
        let key = Self.payload(source, ["key": .string(from)])
        let entry: JSONValue
        let answer: Result<JSONValue, ServiceError>
        do { answer = .success(try handle.rpc(.kvs.get, key)) } catch { answer = .failure(error) }
        switch answer {
        case .success(let reply):
            entry = ["value": reply["value"] ?? .null]
        case .failure(let error) where error.errnum == EISDIR:
            entry = ["dir": try handle.rpc(.kvs.lookup, key)["dir"] ?? [:]]
        case .failure(let error):
            throw error
        }
        var ops: [JSONValue] = []
        Self.add(to, entry, into: &ops)
        return ops
    }

    /// Appends the operations that write `entry` (a {"value"} or a {"dir"} tree) at `key`.
    static func add(_ key: String, _ entry: JSONValue, into ops: inout [JSONValue]) {
        if let value = entry["value"] {
            ops.append(["op": "put", "key": .string(key), "value": value])
            return
        }
        ops.append(["op": "mkdir", "key": .string(key)])
        let dir = entry["dir"]?.objectValue ?? [:]
        for name in KVS.sortedNames(dir) { add(KVS.join(key, name), dir[name] ?? [:], into: &ops) }
    }

    /// Copies, and with `unlinking` removes SOURCE too: in one commit when both keys
    /// are in one namespace, else the copy first.
    func run(unlinking: Bool) throws {
        try Instance.with { handle in
            var ops = try copyOps(handle)
            let unlink: JSONValue = ["op": "unlink", "key": .string(from), "recursive": true]
            let same = Self.payload(source, [:]) == Self.payload(destination, [:])
            if unlinking && same { ops.append(unlink) }
            _ = try handle.rpc(.kvs.commit, Self.payload(destination, ["ops": .array(ops)]))
            if unlinking && !same { _ = try handle.rpc(.kvs.commit, Self.payload(source, ["ops": [unlink]])) }
        }
    }
}

/// Copies a key or a directory tree.
struct KVSCopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy", abstract: "Copy SOURCE (a value or a whole directory) to DESTINATION, replacing what is there.")
    @OptionGroup var options: KVSCopyOptions

    func run() throws { try options.run(unlinking: false) }
}

/// Moves a key or a directory tree.
struct KVSMoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move", abstract: "Copy SOURCE to DESTINATION and unlink SOURCE.")
    @OptionGroup var options: KVSCopyOptions

    func run() throws { try options.run(unlinking: true) }
}

/// Makes empty directories, all in one commit.
struct KVSMkdirCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mkdir", abstract: "Make empty directories (replacing what is there), all in one commit.")
    @OptionGroup var ns: KVSNamespaceOption
    @Flag(name: [.customShort("s"), .customLong("sequence")], help: "Print the version of the commit.")
    var sequence = false
    @Argument(help: "The keys.")
    var keys: [String] = []

    func validate() throws {
        if keys.isEmpty { throw ValidationError("missing the key") }
        try KVS.validate(keys, writing: "mkdir")
    }

    func run() throws {
        let ops: [JSONValue] = keys.map { ["op": "mkdir", "key": .string($0)] }
        let version = try Instance.with { try KVS.commit($0, ns, ops) }
        if sequence { print(version) }
    }
}

// MARK: - watch, version, wait

/// Prints a key's value now and after every change.
struct KVSWatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "Print a key's value, then again after each commit that changes it.",
        discussion: """
            Nothing is printed while the key does not exist. A directory prints as the JSON \
            of its entries. Ends when the namespace is removed, or after COUNT values with -c.
            """)
    @OptionGroup var ns: KVSNamespaceOption
    @Option(name: [.customShort("c", allowingJoined: true), .long], help: ArgumentHelp("Exit after COUNT values.", valueName: "COUNT"))
    var count: Int?
    @Argument(help: "The key.")
    var key: String

    func validate() throws {
        try KVS.validate([key])
        try validateCountLimit(count)
    }

    func run() throws { try KVS.watch(ns, key, count: count) }
}

extension KVS {
    /// `watch` and `get --watch`: prints the value of `key` now and after each change,
    /// `count` times at most.
    static func watch(_ ns: KVSNamespaceOption, _ key: String, count: Int?) throws {
        var printed = 0
        try Instance.with { handle in
            try handle.stream(.kvs.watch, ns.payload(["key": .string(key)])) { response in
                if let value = response["value"] {
                    KVS.printValue(value)
                } else if let dir = response["dir"] {
                    print(dir.compactText)
                } else {
                    return true
                }
                fflush(nil)
                printed += 1
                return count.map { printed < $0 } ?? true
            }
        }
    }
}

/// Prints the namespace's version.
struct KVSVersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print the namespace's version (0 when made, +1 each commit).")
    @OptionGroup var ns: KVSNamespaceOption

    func run() throws {
        print(try Instance.with { try $0.rpc(.kvs.version, ns.payload())["version"]?.intValue ?? 0 })
    }
}

/// Waits for a version.
struct KVSWaitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait", abstract: "Wait until the namespace reaches a version.")
    @OptionGroup var ns: KVSNamespaceOption
    @Argument(help: "The version to wait for.")
    var version: Int64

    func validate() throws {
        if version < 0 { throw ValidationError("the version must be 0 or more") }
    }

    func run() throws {
        _ = try Instance.with { try $0.rpc(.kvs.waitVersion, ns.payload(["version": .int(version)])) }
    }
}
