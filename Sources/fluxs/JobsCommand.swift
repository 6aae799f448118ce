// `fluxs jobs`: list jobs. The job manager selects and formats (job-manager.list with
// FluxsJobs.JobFormat on its side); this command turns the options into the request
// and prints the lines it gets back.
import ArgumentParser
import FluxsFormats

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
    @Argument(help: "List these jobs only (any id form), whatever their state.")
    var ids: [String] = []

    func validate() throws {
        if let count, count < 0 { throw ValidationError("--count must be 0 or more") }
    }

    func run() throws {
        var payload: [String: JSONValue] = ["header": .bool(!noHeader)]
        if allUsers {
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
        if !ids.isEmpty { payload["ids"] = .array(try Jobs.parse(ids).map(Jobs.wire)) }
        if let format { payload["format"] = .string(format) }
        if json { payload["json"] = true }
        if !Terminal.utf8Locale { payload["ascii"] = true }
        let response = try Instance.with { try $0.rpc("job-manager.list", .object(payload)) }
        if json {
            // One job asked for by id prints as that job's object, as flux jobs does.
            if ids.count == 1, let jobs = response["jobs"]?.arrayValue, jobs.count == 1 {
                print(jobs[0].compactText)
            } else {
                print((response["jobs"].map { JSONValue.object(["jobs": $0]) } ?? response).compactText)
            }
            return
        }
        for line in response["lines"]?.arrayValue ?? [] {
            print(line.stringValue ?? line.compactText)
        }
    }
}
