// `fluxs job urgency|hold|release|expedite|raise|kill`: requests that change a job.
// Ids are all read before any request goes out; with several ids, a job the service
// refuses is reported and the others are still done (exit 1 at the end).
import ArgumentParser
import FluxsFormats
import FluxsProtocol

/// Sets the urgency of a job.
struct JobUrgencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "urgency", abstract: "Set a job's urgency (0-31; hold 0, default 16, expedite 31).",
        discussion: "A pending job with urgency 0 is held: its priority is 0 and it is not scheduled.")
    @Flag(name: [.customShort("v"), .long], help: "Print the old and the new urgency.")
    var verbose = false
    @Argument(help: "The job (any id form).")
    var id: String
    @Argument(help: ArgumentHelp("0-31, hold, default or expedite.", valueName: "URGENCY"))
    var urgency: String

    func validate() throws {
        if Jobs.urgency(urgency) == nil {
            throw ValidationError("urgency \"\(urgency)\": must be 0-31, hold, default or expedite")
        }
    }

    func run() throws {
        let job = try Jobs.parse(id)
        let value = Jobs.urgency(urgency)!
        let response = try Jobs.on(job) {
            try $0.rpc(.jobManager.urgency, ["id": job.wire, "urgency": .int(Int64(value))])
        }
        if verbose, let old = response["old_urgency"]?.intValue {
            print("\(Jobs.show(job)): urgency changed from \(old) to \(value)")
        }
    }
}

/// hold, release and expedite: a fixed urgency for several jobs.
protocol JobUrgencyPreset: ParsableCommand {
    static var presetUrgency: Int64 { get }
    var ids: [String] { get }
}

extension JobUrgencyPreset {
    func run() throws {
        try Jobs.each(try Jobs.parse(ids)) { handle, id in
            try handle.rpc(.jobManager.urgency, ["id": id.wire, "urgency": .int(Self.presetUrgency)])
        }
    }
}

/// Holds jobs (urgency 0).
struct JobHoldCommand: JobUrgencyPreset {
    static let configuration = CommandConfiguration(
        commandName: "hold", abstract: "Hold pending jobs: urgency 0, so they are not scheduled.")
    static let presetUrgency: Int64 = 0
    @Argument(help: "The jobs (any id form).")
    var ids: [String]
}

/// Releases held jobs (urgency 16).
struct JobReleaseCommand: JobUrgencyPreset {
    static let configuration = CommandConfiguration(
        commandName: "release", abstract: "Release held jobs: urgency back to the default, 16.")
    static let presetUrgency: Int64 = 16
    @Argument(help: "The jobs (any id form).")
    var ids: [String]
}

/// Expedites jobs (urgency 31).
struct JobExpediteCommand: JobUrgencyPreset {
    static let configuration = CommandConfiguration(
        commandName: "expedite", abstract: "Expedite jobs: urgency 31, scheduled before all others.")
    static let presetUrgency: Int64 = 31
    @Argument(help: "The jobs (any id form).")
    var ids: [String]
}

/// Raises an exception on jobs.
struct JobRaiseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raise", abstract: "Raise an exception on jobs.",
        discussion: """
            Severity 0 is fatal: the job ends (a pending job never runs). The ids come first;             the words after them (or after --) are the note, or give it with --message.
            """)
    @Option(name: [.customShort("s", allowingJoined: true), .long], help: ArgumentHelp("Severity, 0 (fatal, the default) to 7.", valueName: "N"))
    var severity: Int = 0
    @Option(name: [.customShort("t", allowingJoined: true), .long], help: ArgumentHelp("Exception type (default cancel).", valueName: "TYPE"))
    var type: String = "cancel"
    @Option(name: [.customShort("m", allowingJoined: true), .long], help: ArgumentHelp("The exception's note.", valueName: "NOTE"))
    var message: String?
    @Argument(parsing: .captureForPassthrough, help: "The jobs (any id form), then [--] the exception's note.")
    var words: [String] = []

    /// The ids (the words up to the first that is not a job id) and the note after them.
    static func split(_ words: [String]) -> (ids: [JobID], note: [String]) {
        var ids: [JobID] = []
        var rest = words[...]
        while let word = rest.first, let id = try? JobID(parsing: word) {
            ids.append(id)
            rest.removeFirst()
        }
        if rest.first == "--" { rest.removeFirst() }
        return (ids, Array(rest))
    }

    func validate() throws {
        if !(0...7).contains(severity) { throw ValidationError("--severity must be 0-7") }
        if type.isEmpty || type.contains(where: \.isWhitespace) { throw ValidationError("--type \"\(type)\": must be one word") }
        let (ids, note) = Self.split(words)
        if ids.isEmpty { throw ValidationError(words.first.map { "invalid jobid: \($0)" } ?? "missing the job ids") }
        if message != nil && !note.isEmpty { throw ValidationError("Do not set note on command line and with --message") }
    }

    func run() throws {
        let (ids, note) = Self.split(words)
        let text = message ?? note.joined(separator: " ")
        try Jobs.each(ids) { handle, id in
            try handle.rpc(.jobManager.raise, ["id": id.wire, "type": .string(type),
                                                 "severity": .int(Int64(severity)), "note": .string(text)])
        }
    }
}

/// Sends a signal to running jobs.
struct JobKillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kill", abstract: "Send a signal to the tasks of running jobs.")
    @Option(name: [.customShort("s", allowingJoined: true), .long], help: ArgumentHelp("The signal, by name or number (default TERM).", valueName: "SIG"))
    var signal: String = "TERM"
    @Argument(help: "The jobs (any id form).")
    var ids: [String]

    func validate() throws {
        if SignalName.parse(signal) == nil { throw ValidationError("--signal \"\(signal)\": unknown signal") }
    }

    func run() throws {
        let number = SignalName.parse(signal)!
        try Jobs.each(try Jobs.parse(ids)) { handle, id in
            try handle.rpc(.jobManager.kill, ["id": id.wire, "signal": .int(Int64(number))])
        }
    }
}
