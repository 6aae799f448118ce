// `fluxs job raiseall TYPE [NOTE...]` and `fluxs job killall`: an exception or a signal
// for every job of a user in some states, as flux-core's (src/cmd/job/kill.c): without
// -f/--force only the count ("Command matched N jobs (-f to confirm)"), on stderr. The
// jobs are chosen with job-manager.list (the owner may name another user or all) and
// each gets job-manager.raise or job-manager.kill, so the same ownership checks hold.
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The jobs a bulk command acts on, by job-manager.list.
enum BulkSelection {
    static func ids(_ handle: FluxsHandle, states: String, user: String?) throws -> [JobID] {
        var payload: [String: JSONValue] = ["json": true, "filter": .string(states), "count": 0]
        if let user { payload["userid"] = .int(try Jobs.userid(user) ?? -1) }
        let response: JSONValue
        do throws(ServiceError) { response = try handle.rpc(.jobManager.list, .object(payload)) } catch {
            throw CommandFailure(error.message)
        }
        let jobs = response["jobs"]?.arrayValue ?? []
        return jobs.compactMap { JobID(wire: $0["id"]) }
    }

    /// Runs `body` on each id; the number that failed (each printed).
    static func apply(_ handle: FluxsHandle, _ ids: [JobID], _ body: (JobID) throws -> Void) -> Int {
        var errors = 0
        for id in ids {
            do { try body(id) } catch {
                Main.printError(Jobs.tool, Jobs.message(id, SubmitFlags.text(error)))
                errors += 1
            }
        }
        return errors
    }
}

/// Raises an exception on every matching job.
struct JobRaiseallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raiseall", abstract: "Raise an exception of TYPE on all your active jobs (or those of --user, --states).",
        discussion: "Without -f only counts the jobs.")
    @Option(name: [.customShort("s", allowingJoined: true), .long], help: ArgumentHelp("Severity, 0 (fatal) to 7 (the default).", valueName: "N"))
    var severity: Int = 7
    @Option(name: [.customShort("u", allowingJoined: true), .long], help: ArgumentHelp("The jobs of USER (a name, a uid, or all: the instance owner only).", valueName: "USER"))
    var user: String?
    @Option(name: [.customShort("S", allowingJoined: true), .long], help: ArgumentHelp("Jobs in these states (default active): depend, priority, sched, run, pending, running, active.", valueName: "STATES"))
    var states: String?
    @Flag(name: [.customShort("f"), .long], help: "Confirm: raise the exceptions.")
    var force = false
    @Argument(help: "The exception's type.")
    var type: String
    @Argument(parsing: .captureForPassthrough, help: "The exception's note.")
    var note: [String] = []

    func validate() throws {
        if !(0...7).contains(severity) { throw ValidationError("--severity must be 0-7") }
        if type.isEmpty || type.contains(where: \.isWhitespace) { throw ValidationError("TYPE \"\(type)\": must be one word") }
        if let states, states.split(separator: ",").contains(where: { ["inactive", "clean", "all"].contains($0.lowercased()) }) {
            throw ValidationError("Exceptions cannot be raised on inactive jobs")
        }
    }

    func run() throws {
        let handle = try Instance.connect()
        let ids = try BulkSelection.ids(handle, states: states ?? "active", user: user)
        let text = note.joined(separator: " ")
        if ids.isEmpty { writeStderr("\(Jobs.tool): Command matched 0 jobs\n"); return }
        guard force else { writeStderr("\(Jobs.tool): Command matched \(ids.count) jobs (-f to confirm)\n"); return }
        let errors = BulkSelection.apply(handle, ids) { id in
            try handle.rpc(.jobManager.raise, ["id": id.wire, "type": .string(type),
                                                 "severity": .int(Int64(severity)), "note": .string(text)])
        }
        writeStderr("\(Jobs.tool): Raised exception on \(ids.count) jobs (\(errors) errors)\n")
    }
}

/// Sends a signal to every running job.
struct JobKillallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "killall", abstract: "Send a signal to all your running jobs (or those of --user).",
        discussion: "Without -f only counts the jobs.")
    @Option(name: [.customShort("s", allowingJoined: true), .long], help: ArgumentHelp("The signal, by name or number (default SIGTERM).", valueName: "SIG"))
    var signal: String = "SIGTERM"
    @Option(name: [.customShort("u", allowingJoined: true), .long], help: ArgumentHelp("The jobs of USER (a name, a uid, or all: the instance owner only).", valueName: "USER"))
    var user: String?
    @Flag(name: [.customShort("f"), .long], help: "Confirm: send the signal.")
    var force = false

    func validate() throws {
        if SignalName.parse(signal) == nil { throw ValidationError("killall: Invalid signal \(signal)") }
    }

    func run() throws {
        let number = SignalName.parse(signal)!
        let handle = try Instance.connect()
        let ids = try BulkSelection.ids(handle, states: "running", user: user)
        if ids.isEmpty { writeStderr("\(Jobs.tool): Command matched 0 jobs\n"); return }
        guard force else { writeStderr("\(Jobs.tool): Command matched \(ids.count) jobs (-f to confirm)\n"); return }
        let errors = BulkSelection.apply(handle, ids) { id in
            try handle.rpc(.jobManager.kill, ["id": id.wire, "signal": .int(Int64(number))])
        }
        let name = strsignal(number).map { String(cString: $0) } ?? "signal \(number)"
        writeStderr("\(Jobs.tool): \(name) \(ids.count) jobs (\(errors) errors)\n")
    }
}
