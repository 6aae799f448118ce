// `fluxs jobs`: list jobs. The job manager selects and formats (job-manager.list with
// FluxsJobs.JobFormat on its side); this command turns the options into the request
// and prints the lines it gets back.
import ArgumentParser
import FluxsFormats
import Glibc
import FluxsProtocol

/// Lists jobs.
struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List jobs.",
        discussion: """
            Without options: the caller's pending and running jobs, newest first. \
            FORMAT is a named format (default, long, deps) or a format string such as \
            "{id.f58:>12} {state:<8} {name}".
            """)

    @Flag(name: .customShort("a"), help: "List jobs in every state, inactive ones too.")
    var allStates = false
    @Flag(name: .customShort("A"), help: "List the jobs of every user (as --user=all).")
    var allUsers = false
    @Option(name: [.customShort("u", allowingJoined: true), .long], help: ArgumentHelp("List the jobs of USER (a name, a uid or all).", valueName: "USER"))
    var user: String?
    @Option(name: [.customShort("f", allowingJoined: true), .long],
            help: ArgumentHelp("List jobs in these states or with these results, comma-separated (pending, running, inactive, depend, priority, sched, run, cleanup, completed, failed, canceled, timeout).", valueName: "STATES"))
    var filter: String?
    @Flag(name: [.customShort("n"), .customLong("no-header")], help: "Leave out the header line.")
    var noHeader = false
    @Option(name: [.customShort("o", allowingJoined: true), .long], help: ArgumentHelp("Output format: a name or a format string.", valueName: "FORMAT"))
    var format: String?
    @Flag(help: "Print the jobs as JSON.")
    var json = false
    @Option(name: [.customShort("c", allowingJoined: true), .long], help: ArgumentHelp("List at most N jobs (0: no limit).", valueName: "N"))
    var count: Int?
    @Option(help: ArgumentHelp("Only jobs active since TIME (-DURATION, @SECONDS, a date); implies -a.", valueName: "TIME"))
    var since: String?
    @Option(help: ArgumentHelp("List only jobs named NAME.", valueName: "NAME"))
    var name: String?
    @Option(name: [.customShort("q", allowingJoined: true), .long],
            help: ArgumentHelp("List only jobs in these queues (comma-separated, repeatable; with --stats, count only them).", valueName: "QUEUE,..."))
    var queue: [String] = []
    @Option(name: [.customShort("i", allowingJoined: true), .long],
            help: ArgumentHelp("List only jobs allocated any of these broker ranks (an idset) or hosts (a hostlist); implies -A unless -u is given.", valueName: "HOSTS|RANKS"))
    var include: String?
    @Option(name: [.customShort("w", allowingJoined: true), .long],
            help: ArgumentHelp("Cut lines at N columns (-w alone or 0: the terminal's width, none when not a terminal; below 0: no cut, the default).", valueName: "N"))
    var width: Int?
    @Flag(help: "Print job counts (running, completed, failed, pending, inactive purged) before the header.")
    var stats = false
    @Flag(help: "Print only the job counts; exit 1 when no job is active.")
    var statsOnly = false
    @Argument(help: "List these jobs only (any id form), whatever their state.")
    var ids: [String] = []

    func validate() throws {
        if let count, count < 0 { throw ValidationError("--count must be 0 or more") }
    }

    /// The comma-joined `-q` values, nil without -q.
    var queues: String? {
        queue.isEmpty ? nil : queue.flatMap { $0.split(separator: ",").map(String.init) }.joined(separator: ",")
    }

    /// One stats line, as flux jobs prints it.
    static func statsLine(_ stats: JSONValue) -> String {
        func n(_ key: String) -> Int64 { stats[key]?.intValue ?? 0 }
        return "\(n("running")) running, \(n("successful")) completed, \(n("failed")) failed, "
            + "\(n("pending")) pending, \(n("inactive_purged")) inactive purged"
    }

    /// The column to cut lines at, nil for none: -w N, or the terminal's width for 0.
    var cutWidth: Int? {
        guard let width, width >= 0 else { return nil }
        if width > 0 { return width }
        var size = winsize()
        guard isatty(1) != 0, ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    func run() throws {
        if json && (stats || statsOnly) { throw CommandFailure("--json incompatible with --stats or --stats-only") }
        if statsOnly {
            // All options but -q are ignored, as in flux jobs.
            var payload: [String: JSONValue] = ["stats_only": true]
            if let queues { payload["queue"] = .string(queues) }
            let response = try Instance.with { try $0.rpc(.jobManager.list, .object(payload)) }
            let counts = response["stats"] ?? [:]
            print(Self.statsLine(counts))
            throw ExitCode((counts["active"]?.intValue ?? 0) > 0 ? 0 : 1)
        }
        var payload: [String: JSONValue] = ["header": .bool(!noHeader)]
        if stats { payload["stats"] = true }
        if let name { payload["name"] = .string(name) }
        if let queues { payload["queue"] = .string(queues) }
        if let include {
            if (try? IDSet(parsing: include)) != nil {
                payload["ranks"] = .string(include)
            } else if (try? Hostlist(parsing: include)) != nil {
                payload["hosts"] = .string(include)
            } else {
                throw CommandFailure("-i/--include: invalid targets: \(include)")
            }
        }
        if allUsers || (include != nil && user == nil) {
            payload["userid"] = -1
        } else if let user {
            payload["userid"] = .int(try Jobs.userid(user) ?? -1)
        }
        if let filter { payload["filter"] = .string(filter) }
        if allStates || (since != nil && filter == nil) { payload["all"] = true }
        if let count { payload["count"] = .int(Int64(count)) }
        if let since {
            do { payload["since"] = .double(try TimeText.parse(since)) } catch { throw CommandFailure("--since: \(error.message)") }
        }
        if !ids.isEmpty {
            payload["ids"] = .array(try Jobs.parse(ids).map(\.wire))
            payload["missing_ok"] = true
        }
        if let format { payload["format"] = .string(format) }
        if json { payload["json"] = true }
        if !Terminal.utf8Locale { payload["ascii"] = true }
        let response = try Instance.with { try $0.rpc(.jobManager.list, .object(payload)) }
        // As flux jobs: ids that cannot be listed are reported, the others listed; the
        // exit status is 1 only when none could be.
        let problems = response["errors"]?.arrayValue ?? []
        for problem in problems { Main.printError("fluxs-jobs", problem.stringValue ?? problem.compactText) }
        if !problems.isEmpty, problems.count >= ids.count {
            throw ExitCode(1)
        }
        if json {
            // One job asked for by id prints as that job's object, as flux jobs does.
            if ids.count == 1, let jobs = response["jobs"]?.arrayValue, jobs.count == 1 {
                print(jobs[0].compactText)
            } else {
                print((response["jobs"].map { JSONValue.object(["jobs": $0]) } ?? response).compactText)
            }
            return
        }
        if let counts = response["stats"] { print(Self.statsLine(counts)) }
        let cut = cutWidth
        for line in response["lines"]?.arrayValue ?? [] {
            let text = line.stringValue ?? line.compactText
            print(cut.map { String(text.prefix($0)) } ?? text)
        }
    }
}
