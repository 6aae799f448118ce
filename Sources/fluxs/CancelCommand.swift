// `fluxs cancel`: cancel jobs by id (job-manager.cancel, one request each), or every
// job that matches --all/--user/--states (job-manager.cancel-all, counted by the
// service). A cancel is a fatal exception of type "cancel"; the job's result becomes
// CANCELED.
import ArgumentParser
import FluxsFormats
import FluxsProtocol

/// Cancels jobs.
struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel jobs.",
        discussion: """
            Give job ids, or select jobs with --all, --user or --states (not both). \
            A selection prints how many jobs were canceled.
            """)

    @Flag(name: .long, help: "Cancel all the caller's active jobs (or those of --user).")
    var all = false
    @Option(name: [.customShort("u", allowingJoined: true), .long], help: ArgumentHelp("Cancel the jobs of USER (a name, a uid or all).", valueName: "USER"))
    var user: String?
    @Option(name: [.customShort("S", allowingJoined: true), .long],
            help: ArgumentHelp("Cancel jobs in these states (default active): depend, priority, sched, run, pending, running, active.", valueName: "STATES"))
    var states: String?
    @Flag(name: [.customShort("n"), .long], help: "Only say how many jobs would be canceled.")
    var dryRun = false
    @Flag(name: [.customShort("q"), .long], help: "Print nothing when no job matches.")
    var quiet = false
    @Option(name: [.customShort("m", allowingJoined: true), .long], help: ArgumentHelp("A note for the cancel exception.", valueName: "NOTE"))
    var message: String?
    @Argument(help: "The jobs (any id form).")
    var ids: [String] = []

    var selecting: Bool { all || user != nil || states != nil }

    func validate() throws {
        if selecting && !ids.isEmpty { throw ValidationError("give job ids or --all/--user/--states, not both") }
        if !selecting && ids.isEmpty { throw ValidationError("missing the job ids (or --all)") }
        if dryRun && !selecting { throw ValidationError("--dry-run goes with --all/--user/--states") }
    }

    func run() throws {
        guard selecting else {
            let jobs = try Jobs.parse(ids)
            var payload: [String: JSONValue] = [:]
            if let message { payload["note"] = .string(message) }
            try Jobs.each(jobs) { handle, id in
                payload["id"] = id.wire
                try handle.rpc(.jobManager.cancel, .object(payload))
            }
            return
        }
        var payload: [String: JSONValue] = [:]
        if let user { payload["userid"] = .int(try Jobs.userid(user) ?? -1) }
        if let states { payload["states"] = .string(states) }
        if dryRun { payload["dry_run"] = true }
        if let message { payload["note"] = .string(message) }
        let count = try Instance.with { try $0.rpc(.jobManager.cancelAll, .object(payload)) }["count"]?.intValue ?? 0
        if count == 0 && quiet { return }
        let jobs = count == 1 ? "job" : "jobs"
        writeStderr(dryRun ? "fluxs-cancel: Would cancel \(count) \(jobs)\n" : "fluxs-cancel: Canceled \(count) \(jobs)\n")
    }
}
