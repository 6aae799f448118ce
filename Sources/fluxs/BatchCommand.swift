// `fluxs batch`: a batch script as the initial program of a new instance on an
// allocation (man fluxs-batch(1)). Options may also come from directives in the
// script's leading comments (`# fluxs: -N2 -t 10m`); the command line wins. The script
// travels in the jobspec (attributes.system.files.script) and runs from the job's
// directory on the first node; output goes to fluxs-{{id}}.out unless --output says.
import ArgumentParser
import FluxsFormats

/// Submits a batch script.
struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Submit a script to run as the initial program of a new instance.",
        discussion: "Prints the job id. Directives: lines '# fluxs: OPTIONS' before the script's first command.")

    @OptionGroup(title: "Submission options")
    var submission: SubmissionOptions
    @Flag(help: "Wrap the arguments (or, without any, the script on stdin) into a /bin/sh script.")
    var wrap = false
    @Flag(help: "Do not print the job id.")
    var quiet = false
    @Flag(help: "Print the jobspec as JSON instead of submitting it.")
    var dryRun = false
    @Argument(parsing: .captureForPassthrough, help: "SCRIPT and its arguments (default: the script on stdin), or with --wrap a command.")
    var command: [String] = []

    func run() throws {
        var options = self.submission
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
        if options.output == nil { options.output = "fluxs-{{id}}.out" }
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

/// The `# fluxs:` directives of a batch script.
enum BatchDirectives {
    /// The submission options the script's directives give (from its leading comment
    /// block: lines after the #! line up to the first line that is neither a comment
    /// nor blank).
    static func parse(_ script: String) throws -> SubmissionOptions {
        var words: [String] = []
        for (index, rawLine) in script.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingWhitespace()
            if index == 0 && line.hasPrefix("#!") { continue }
            if line.isEmpty { continue }
            guard line.hasPrefix("#") else { break }
            let body = line.dropFirst().trimmingWhitespace()
            for prefix in ["fluxs:", "FLUXS:", "flux:", "FLUX:"] where body.hasPrefix(prefix) {
                words += try split(String(body.dropFirst(prefix.count)), line: index + 1)
            }
        }
        do {
            return try SubmissionOptions.parse(words)
        } catch {
            throw CommandFailure("batch directives: \(SubmissionOptions.message(for: error))")
        }
    }

    /// Shell-like words: spaces separate, quotes group, backslash escapes.
    static func split(_ text: String, line: Int) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escape = false
        for char in text {
            if escape {
                current.append(char)
                escape = false
            } else if char == "\\" && quote != "'" {
                escape = true
                inWord = true
            } else if let q = quote {
                if char == q { quote = nil } else { current.append(char) }
            } else if char == "'" || char == "\"" {
                quote = char
                inWord = true
            } else if char == " " || char == "\t" {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(char)
                inWord = true
            }
        }
        if quote != nil { throw CommandFailure("batch directive on line \(line): unterminated quote") }
        if inWord { words.append(current) }
        return words
    }
}
