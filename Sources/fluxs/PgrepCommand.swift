// `fluxs pgrep` and `fluxs pkill`: find jobs by name, as flux-pgrep(1) does, and list
// or cancel them.
//
// An EXPRESSION is a regular expression searched for in the job's name, or a range of
// ids `ID1..ID2` (any id forms, both ends included); both may be given, and then a job
// must match both. A word holding ".." whose two ends are ids is a range unless it has
// a ":", so `name:` before a pattern forces a pattern (and is dropped). The jobs are
// the caller's active ones unless -a, -A, -u or -f say otherwise, taken from
// job-manager.list (at most --max-entries of them, in its order) and kept in that
// order, at most --count. pgrep prints their ids (or -o FORMAT lines, formatted by the
// job manager for the jobs found); pkill cancels them (job-manager.cancel, all sent at
// once) and says how many on stderr. Exit 1 when no job matches.
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The options pgrep and pkill share: which jobs to look at.
struct JobSearchOptions: ParsableArguments {
    @Flag(name: .customShort("A"), help: "Look at the jobs of every user (as --user=all).")
    var allUsers = false
    @Option(name: [.customShort("u", allowingJoined: true), .long], help: ArgumentHelp("Look at the jobs of USER (a name, a uid or all).", valueName: "USER"))
    var user: String?
    @Option(name: [.customShort("f", allowingJoined: true), .long],
            help: ArgumentHelp("Look at jobs in these states or with these results, comma-separated (default pending,running).", valueName: "STATES"))
    var filter: [String] = []
    @Option(name: [.customShort("q", allowingJoined: true), .long], help: ArgumentHelp("Only jobs in queue QUEUE.", valueName: "QUEUE"))
    var queue: String?
    @Option(name: [.customShort("c", allowingJoined: true), .long], help: ArgumentHelp("Keep the first N matches.", valueName: "N"))
    var count: Int = 1000
    @Option(help: ArgumentHelp("Look at N jobs at most (0: no limit).", valueName: "N"))
    var maxEntries: Int = 1000

    func validate() throws {
        if count < 0 { throw ValidationError("--count must be 0 or more") }
        if maxEntries < 0 { throw ValidationError("--max-entries must be 0 or more") }
    }

    /// The records (job-manager.list JSON) of the jobs that match `expression`, in
    /// listing order, at most --count.
    func search(_ handle: FluxsHandle, _ expression: [String], allStates: Bool) throws -> [JSONValue] {
        let matcher = try JobNameMatcher(expression)
        var states = filter.flatMap { $0.split(separator: ",").map(String.init) }
        if allStates { states += ["pending", "running", "inactive"] }
        if states.isEmpty { states = ["pending", "running"] }
        var payload: [String: JSONValue] = ["json": true, "filter": .string(states.joined(separator: ",")),
                                            "count": .int(Int64(maxEntries))]
        if allUsers {
            payload["userid"] = -1
        } else if let user {
            payload["userid"] = .int(try Jobs.userid(user) ?? -1)
        }
        let jobs = try Instance.with { try $0.rpc(.jobManager.list, .object(payload)) }["jobs"]?.arrayValue ?? []
        var found: [JSONValue] = []
        for job in jobs where found.count < count {
            if let queue, job["queue"]?.stringValue != queue { continue }
            guard let id = JobID(wire: job["id"]), matcher.matches(id: id, name: job["name"]?.stringValue ?? "") else { continue }
            found.append(job)
        }
        return found
    }
}

/// Matches jobs by name and id range (see the top of this file).
struct JobNameMatcher {
    private var pattern: Regex<AnyRegexOutput>?
    private var range: (low: JobID, high: JobID)?

    /// A matcher for the words of EXPRESSION; "expression error: ..." (exit 2) when
    /// they are not one pattern and/or ranges.
    init(_ words: [String]) throws {
        var text: String?
        for word in words {
            if !word.contains(":"), word.contains("..") {
                let ends = word.pieces("..")
                if let low = try? JobID(parsing: ends[0]), let high = try? JobID(parsing: ends[1]),
                   ends.dropFirst(2).allSatisfy({ (try? JobID(parsing: $0)) != nil }) {
                    range = (low, high)
                    continue
                }
            }
            if text != nil { throw CommandFailure("expression error: Only one pattern can be provided", exitCode: 2) }
            text = word.hasPrefix("name:") ? String(word.dropFirst(5)) : word
        }
        if let text {
            do { pattern = try Regex(text).matchingSemantics(.unicodeScalar) } catch {
                throw CommandFailure("expression error: \(error)", exitCode: 2)
            }
        }
    }

    func matches(id: JobID, name: String) -> Bool {
        if let pattern, name.firstMatch(of: pattern) == nil { return false }
        if let range, id < range.low || id > range.high { return false }
        return true
    }
}

extension String {
    /// The parts of the string between occurrences of `separator`.
    fileprivate func pieces(_ separator: String) -> [String] {
        split(separator: separator, omittingEmptySubsequences: false).map(String.init)
    }
}

/// Lists jobs by name.
struct PgrepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pgrep",
        abstract: "List the jobs whose name matches a pattern, or whose id is in a range.",
        discussion: """
            EXPRESSION is a regular expression searched for in job names (name:PATTERN \
            forces a pattern), an id range ID1..ID2, or both. Prints the matching jobs' ids \
            (or -o FORMAT lines, FORMAT as fluxs jobs takes it, or the names full, long, \
            deps); exits 1 when no job matches.
            """)

    @Flag(name: .customShort("a"), help: "Look at jobs in every state, inactive ones too.")
    var allStates = false
    @OptionGroup var search: JobSearchOptions
    @Option(name: [.customShort("o", allowingJoined: true), .long], help: ArgumentHelp("Output format: default, full, long, deps, help or a format string.", valueName: "FORMAT"))
    var format: String = "default"
    @Flag(name: [.customShort("n"), .customLong("no-header")], help: "Leave out the header line.")
    var noHeader = false
    @Argument(help: "A pattern for the job name (a regular expression) and/or an id range ID1..ID2.")
    var expression: [String]

    /// pgrep's named formats: the ids alone, or a named format of fluxs jobs.
    static let formats: [(name: String, description: String, jobsFormat: String?)] = [
        ("default", "Default fluxs-pgrep format string", nil),
        ("full", "full fluxs-pgrep format string", "default"),
        ("long", "Extended fluxs-pgrep format string", "long"),
        ("deps", "Show job urgency, priority, and dependencies", "deps"),
    ]

    func run() throws {
        if format == "help" {
            print("Configured fluxs-pgrep output formats:")
            for entry in Self.formats { print("  " + entry.name.padded(to: 15) + entry.description) }
            return
        }
        // The format the job manager is to use; nil: the ids alone, printed here.
        var text: String? = format
        var header = !noHeader
        if format == "default" {
            header = false
            text = getenv("FLUXS_PGREP_FORMAT_DEFAULT").map { String(cString: $0) }
        }
        if let name = text, !name.contains("{") {
            guard let entry = Self.formats.first(where: { $0.name == name }) else {
                throw CommandFailure("--format: No such format \(name)")
            }
            text = entry.jobsFormat
        }
        let handle = try Instance.connect()
        if let text {
            // A bad format is an error even when nothing matches.
            do { _ = try handle.rpc(.jobManager.list, ["ids": [], "format": .string(text), "ascii": .bool(!Terminal.utf8Locale)]) } catch {
                throw CommandFailure("Error in user format: \(error.message)")
            }
        }
        let jobs = try search.search(handle, expression, allStates: allStates)
        if jobs.isEmpty { throw ExitCode(1) }
        guard let text else {
            for job in jobs { if let id = JobID(wire: job["id"]) { print(Jobs.show(id)) } }
            return
        }
        let payload: JSONValue = ["ids": .array(jobs.map { $0["id"] ?? .null }), "format": .string(text), "header": .bool(header),
                                  "ascii": .bool(!Terminal.utf8Locale)]
        let response = try Instance.with { _ in try handle.rpc(.jobManager.list, payload) }
        for line in response["lines"]?.arrayValue ?? [] { print(line.stringValue ?? line.compactText) }
    }
}

extension String {
    /// The string padded with spaces to `width` characters.
    fileprivate func padded(to width: Int) -> String { self + String(repeating: " ", count: max(1, width - count)) }
}

/// Cancels jobs by name.
struct PkillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pkill",
        abstract: "Cancel the jobs whose name matches a pattern, or whose id is in a range.",
        discussion: """
            EXPRESSION is as for fluxs pgrep. Says on stderr how many jobs were canceled; \
            exits 1 when no job matches or a cancel failed.
            """)

    @OptionGroup var search: JobSearchOptions
    @Flag(name: [.customShort("w"), .long], help: "Wait for the canceled jobs to end.")
    var wait = false
    @Option(name: [.customShort("m", allowingJoined: true), .long], help: ArgumentHelp("A note for the cancel exception.", valueName: "NOTE"))
    var message: String?
    @Argument(help: "A pattern for the job name (a regular expression) and/or an id range ID1..ID2.")
    var expression: [String]

    func run() throws {
        let handle = try Instance.connect()
        let jobs = try search.search(handle, expression, allStates: false).compactMap { JobID(wire: $0["id"]) }
        if jobs.isEmpty { throw ExitCode(1) }
        var failed = false
        var canceled: [JobID] = []
        do {
            var tags: [(JobID, UInt32)] = []
            for id in jobs {
                var payload: [String: JSONValue] = ["id": id.wire]
                if let message { payload["note"] = .string(message) }
                tags.append((id, try handle.sendRequest(.jobManager.cancel, payload: JSONValue.object(payload).compactBytes)))
            }
            for (id, tag) in tags {
                let response = try handle.response(matchtag: tag)
                if response.errnum != 0 {
                    Main.printError("fluxs-pkill", "\(Jobs.show(id)): cancel: \(ServiceError(response: response).message)")
                    failed = true
                } else {
                    canceled.append(id)
                }
            }
            if wait {
                let waits = try canceled.map { id in
                    // A look at the end that leaves the job to be waited for (as fluxs job status).
                    try handle.sendRequest(.jobManager.wait, payload: JSONValue.object(["id": id.wire, "reap": false]).compactBytes)
                }
                for tag in waits { _ = try handle.response(matchtag: tag) }
            }
        } catch let error as ServiceError {
            throw CommandFailure(error.message)
        }
        writeStderr("fluxs-pkill: Canceled \(canceled.count) job\(canceled.count == 1 ? "" : "s")\n")
        if failed { throw ExitCode(1) }
    }
}
