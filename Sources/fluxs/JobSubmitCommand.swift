// `fluxs job submit [FILE]`: submits a jobspec document as it is (JSON, or YAML as
// `fluxs jobspec validate` reads it), from FILE or standard input, and prints the new
// job's id, as `flux job submit` does (src/cmd/job/submit.c). The pipeline it serves:
// `fluxs submit --dry-run ... | edit | fluxs job submit`.
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsYAML
#if canImport(Glibc)
import Glibc
#endif

/// Submits a jobspec document.
struct JobSubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Submit a jobspec (JSON or YAML) from FILE or stdin; print the job's id.")

    @Option(name: [.customShort("u", allowingJoined: true), .long],
            help: ArgumentHelp("Urgency 0-31, or hold (0), default (16), expedite (31).", valueName: "N"))
    var urgency: String?
    @Option(name: [.customShort("f", allowingJoined: true), .long],
            help: ArgumentHelp("Submission flags, comma-separated: signed (the input is J, a signed request), waitable, novalidate, debug (accepted; see fluxs-submit(1)).", valueName: "FLAGS"))
    var flags: [String] = []
    @Argument(help: "The jobspec file (default, or -: standard input).")
    var file: String = "-"

    func validate() throws {
        if let urgency, Jobs.urgency(urgency) == nil {
            throw ValidationError("--urgency \"\(urgency)\": must be 0-31, hold, default or expedite")
        }
        for flag in flags.flatMap({ $0.split(separator: ",") }) {
            if flag != "signed", !SubmissionOptions.submissionFlags.contains(String(flag)) {
                throw ValidationError("unknown flag: \(flag)")
            }
        }
    }

    func run() throws {
        let text = try Terminal.readFile(file)
        if text.allSatisfy(\.isWhitespace) { throw CommandFailure("required jobspec is empty") }
        if flags.flatMap({ $0.split(separator: ",") }).contains("signed") {
            // J, signed ahead (fluxs-security(7)): the job manager reads the jobspec from it.
            let handle = try Instance.connect()
            var payload: [String: JSONValue] = ["J": .string(text.filter { !$0.isWhitespace })]
            if let urgency = urgency.flatMap(Jobs.urgency) { payload["urgency"] = .int(Int64(urgency)) }
            do throws(ServiceError) {
                guard let id = JobID(wire: try handle.rpc(.jobManager.submit, .object(payload))["id"]) else {
                    throw ServiceError(EPROTO, "job-manager.submit: the response holds no job id")
                }
                return print(Jobs.show(id))
            } catch { throw CommandFailure(error.message) }
        }
        let jobspec = try Self.jobspec(text, name: file == "-" ? "stdin" : file)
        let handle = try Instance.connect()
        print(Jobs.show(try Self.submit(handle, jobspec, urgency: urgency.flatMap(Jobs.urgency))))
    }

    /// The jobspec in `text` (JSON or YAML), validated; an error names `name`.
    static func jobspec(_ text: String, name: String) throws(CommandFailure) -> Jobspec {
        let document: JSONValue
        do throws(ParseError) { document = try Jobspec.parseDocument(text) } catch {
            throw CommandFailure("\(name): \(error.message)")
        }
        do throws(JobspecError) { return try Jobspec(validating: document) } catch {
            throw CommandFailure("\(name): \(error.problems.map(\.description).joined(separator: "; "))")
        }
    }

    /// Submits `jobspec`; the service's refusal as a command failure.
    static func submit(_ handle: FluxsHandle, _ jobspec: Jobspec, urgency: Int?) throws(CommandFailure) -> JobID {
        do throws(ServiceError) { return try Jobs.submit(handle, jobspec, urgency: urgency) } catch {
            throw CommandFailure(error.message)
        }
    }
}
