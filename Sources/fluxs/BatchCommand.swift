// `fluxs batch`: a batch script as the initial program of a new instance on an
// allocation (man fluxs-batch(1)). Options may also come from the script's submission
// directives (RFC 36: `# flux: -N2 -t 10m`, BatchDirectives.swift); the command line
// wins. The script travels in the jobspec (attributes.system.files.script) and runs
// from the job's directory on the first node; output goes to fluxs-{{id}}.out unless
// --output names a file, or none or kvs (the KVS, as for other jobs).
import ArgumentParser
import FluxsFormats

/// Submits a batch script.
struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Submit a script to run as the initial program of a new instance.",
        discussion: "Prints the job id. Directives: lines 'PREFIX flux: OPTIONS' (RFC 36), e.g. '# flux: -N2'.")

    @OptionGroup(title: "Submission options")
    var submission: SubmissionOptions
    @OptionGroup(title: "Slot options")
    var slots: SlotOptions
    @Flag(help: "Wrap the arguments (or, without any, the script on stdin) into a /bin/sh script.")
    var wrap = false
    @Flag(help: "Do not print the job id.")
    var quiet = false
    @Flag(help: "Print the jobspec as JSON instead of submitting it.")
    var dryRun = false
    @Argument(parsing: .captureForPassthrough, help: "SCRIPT and its arguments (default: the script on stdin), or with --wrap a command.")
    var command: [String] = []

    func run() throws {
        var options = try slots.applied(to: self.submission)
        let words = try options.takeProgram(command, command: Self.self)
        let script: String
        var arguments: [String] = []
        var name = "batch"
        if wrap {
            // As Flux: the command wrapped, or without one the script on stdin.
            let body = words.isEmpty ? try Terminal.readStandardInput() : words.map(Self.quoted).joined(separator: " ") + "\n"
            script = "#!/bin/sh\n" + body
            name = "wrap"
        } else if let path = words.first, path != "-" {
            script = try Terminal.readFile(path)
            arguments = Array(words.dropFirst())
            name = String(path.split(separator: "/").last ?? "batch")
        } else {
            script = try Terminal.readStandardInput()
            arguments = Array(words.dropFirst())
        }
        guard script.hasPrefix("#!") else {
            throw CommandFailure("the script has no #! line naming its interpreter (e.g. #!/bin/sh)")
        }
        let directives = try BatchDirectives.parse(script)
        options = try options.overlaid(on: directives)
        switch options.output {
        case nil: options.output = "fluxs-{{id}}.out"
        case "none", "kvs": options.output = nil  // as flux batch: the output stays in the KVS
        default: break
        }
        var jobspec = try InstanceJob.jobspec(options, program: ["{{tmpdir}}/script"] + arguments, name: name)
        do {
            try jobspec.setAttribute("system.files.script", ["data": .string(script), "mode": .int(0o700)])
        } catch {
            throw CommandFailure(error.parseError.message)
        }
        if dryRun {
            print(jobspec.json.prettyText)
            return
        }
        let handle = try Instance.connect()
        let id: JobID
        do { id = try Jobs.submit(handle, jobspec, urgency: options.urgencyValue) } catch { throw CommandFailure(error.message) }
        if !quiet { print(Jobs.show(id)) }
    }

    /// A word as the shell reads it back.
    static func quoted(_ word: String) -> String {
        if !word.isEmpty, word.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) { return word }
        return "'" + word.replacing("'", with: #"'\''"#) + "'"
    }
}

