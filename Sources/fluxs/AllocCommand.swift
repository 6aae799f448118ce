// `fluxs alloc`: a new instance on an allocation, in the foreground: its brokers are the
// job's tasks, one a node; CMD (or a shell reading standard input) runs in it with its
// FLUXS_URI, and alloc exits with CMD's exit code. --bg leaves the instance running
// once it is ready for work and prints the job's id (man fluxs-alloc(1)).
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage

/// Runs an interactive or command-driven child instance.
struct AllocCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alloc",
        abstract: "Allocate resources and start an instance on them; run CMD (or a shell) inside it.")

    @OptionGroup(title: "Submission options")
    var submission: SubmissionOptions
    @OptionGroup(title: "Slot options")
    var slots: SlotOptions
    @Flag(help: "Print the job id once the instance is ready for work and leave it running.")
    var bg = false
    @Flag(name: [.customShort("v"), .long], help: "Print \"jobid: ID\" on stderr (with --bg: the steps of the wait).")
    var verbose: Int
    @Argument(parsing: .captureForPassthrough, help: "The command to run in the new instance (default: a shell).")
    var command: [String] = []

    func validate() throws {
        var submission = try slots.applied(to: self.submission)
        let program = try submission.takeProgram(command, command: Self.self)
        if bg && !program.isEmpty { throw ValidationError("--bg runs no command: leave out \(program[0])") }
    }

    func run() throws {
        var submission = try slots.applied(to: self.submission)
        let program = try submission.takeProgram(command, command: Self.self)
        let forward = !bg && submission.input == nil
        if forward { submission.setopt.append(#"input.stdin={"type":"service"}"#) }
        let name = program.first.map { String($0.split(separator: "/").last ?? "") } ?? "fluxs"
        let jobspec = try InstanceJob.jobspec(submission, program: bg ? nil : program, name: name)
        let handle = try Instance.connect()
        let code: Int32
        do {
            let id = try Jobs.submit(handle, jobspec, urgency: submission.urgencyValue)
            if bg {
                let t0 = KVS.monotonic()
                let log = { (what: String) in
                    if verbose > 0 { writeStderr("\(Jobs.show(id)): \(TimeText.fixed(KVS.monotonic() - t0, 3))s: \(what)\n") }
                }
                log("waiting for resources")
                _ = try InstanceJob.waitForURI(handle, id)
                log("ready")
                print(Jobs.show(id))
                return
            }
            if verbose > 0 { writeStderr("jobid: \(Jobs.show(id))\n") }
            code = try JobAttach(handle: handle, id: id, program: "fluxs-alloc", forwardInput: forward,
                                 label: submission.labelIO && submission.output == nil, writesInputHeader: forward).run()
        } catch let error as ServiceError {
            throw CommandFailure(error.message)
        }
        if code != 0 { throw ExitCode(code) }
    }
}
