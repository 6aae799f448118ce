// The submission options, one definition shared by every command that submits
// (submit, run, bulksubmit; alloc and batch later), documented once in
// man/man1/fluxs-submit.1 under SUBMISSION OPTIONS. Most go into the jobspec (the I/O
// and --setopt ones as attributes.system.shell.options); --urgency goes into the
// job-manager.submit request beside it.
import ArgumentParser
import FluxsFormats
import FluxsProcess

/// Options that describe a job: its shape, limits, name, environment and attributes.
struct SubmissionOptions: ParsableArguments {
    @Option(name: [.customShort("N", allowingJoined: true), .long], help: "Number of nodes.")
    var nodes: Int?
    @Option(name: [.customShort("n", allowingJoined: true), .long], help: "Number of tasks (default 1).")
    var ntasks: Int?
    @Option(name: [.customShort("c", allowingJoined: true), .long], help: "Cores per task (default 1).")
    var coresPerTask: Int?
    @Option(name: [.customShort("g", allowingJoined: true), .long], help: "GPUs per task (default 0).")
    var gpusPerTask: Int?
    @Option(help: ArgumentHelp("Per-resource: the total number of cores (not with -n, -c, -g).", valueName: "N"))
    var cores: Int?
    @Option(help: ArgumentHelp("Per-resource: run N tasks on each node.", valueName: "N"))
    var tasksPerNode: Int?
    @Option(help: ArgumentHelp("Per-resource: run N tasks on each allocated core.", valueName: "N"))
    var tasksPerCore: Int?
    @Option(help: ArgumentHelp("Per-resource: N GPUs on each node (with -N).", valueName: "N"))
    var gpusPerNode: Int?
    @Flag(name: [.customShort("x"), .long], help: "Allocate whole nodes (with -N).")
    var exclusive = false
    @Option(name: [.customShort("t", allowingJoined: true), .long], help: "Time limit: minutes, or a duration such as 30s, 10m, 2h (0 or inf: none).")
    var timeLimit: String?
    @Option(help: "A name for the job (default: the command's name).")
    var jobName: String?
    @Option(name: [.customShort("q", allowingJoined: true), .long], help: "Submit to the named QUEUE (see fluxs queue list).")
    var queue: String?
    // --env, --env-remove and --env-file apply in command-line order (OrderedArgument).
    @Option(help: ArgumentHelp("Environment rule, in command-line order with --env-remove and --env-file: -PATTERN removes, NAME=VALUE sets, PATTERN copies (default: the whole environment).", valueName: "RULE"))
    var env: [OrderedArgument] = []
    @Option(help: ArgumentHelp("Remove variables matching PATTERN from the job's environment (as --env=-PATTERN).", valueName: "PATTERN"))
    var envRemove: [OrderedArgument] = []
    @Option(help: ArgumentHelp("Apply the environment rules in FILE, one a line (# comments), at this place in the order.", valueName: "FILE"))
    var envFile: [OrderedArgument] = []
    @Option(help: ArgumentHelp("Write the tasks' stdout to FILE ({{id}}, {{name}} and other templates); default: the KVS.", valueName: "FILE"))
    var output: String?
    @Option(help: ArgumentHelp("Write the tasks' stderr to FILE (default: with stdout).", valueName: "FILE"))
    var error: String?
    @Option(help: ArgumentHelp("Read the tasks' stdin from FILE (fluxs submit: default /dev/null).", valueName: "FILE"))
    var input: String?
    @Flag(name: [.customShort("l"), .long], help: "Prefix each output line with the task rank.")
    var labelIO = false
    @Flag(name: [.customShort("u"), .long], help: "Pass output on as it is read, not in whole lines.")
    var unbuffered = false
    @Option(name: [.customShort("o", allowingJoined: true), .customLong("setopt")],
            help: ArgumentHelp("Set shell option KEY to VAL (JSON if it parses, else a string; default 1).", valueName: "KEY[=VAL]"))
    var setopt: [String] = []
    @Option(help: ArgumentHelp("Run only on nodes satisfying a constraint query (RFC 35): properties (a,b; ^a: without), host:HOSTLIST, rank:IDSET, joined by & | not - and parentheses.", valueName: "CONSTRAINT"))
    var requires: [String] = []
    @Option(help: ArgumentHelp("Put a file in the job's directory ({{tmpdir}}/NAME): ARG is a local file, or content holding a newline; PERMS in octal (default 0600).", valueName: "[NAME[:PERMS]=]ARG"))
    var addFile: [String] = []
    @Option(help: "Working directory of the tasks (default: the current directory).")
    var cwd: String?
    @Option(name: [.customShort("S", allowingJoined: true), .customLong("setattr")], help: "Set jobspec attribute KEY (system. assumed unless user. or a leading dot) to VAL (JSON if it parses, else a string; default 1).")
    var setattr: [String] = []
    @Option(help: ArgumentHelp("Urgency 0-31, or hold (0), default (16), expedite (31).", valueName: "N"))
    var urgency: String?
    @Option(name: .customLong("dependency"),
            help: ArgumentHelp("Run only when the dependency is met, e.g. afterok:JOBID (repeatable).", valueName: "SCHEME:VALUE"))
    var dependencies: [String] = []
    @Option(help: ArgumentHelp("Do not run before TIME: +DURATION, @SECONDS, HH:MM[:SS] or YYYY-MM-DD[THH:MM[:SS]].", valueName: "TIME"))
    var beginTime: String?
    @Option(help: ArgumentHelp("Submission flags, comma-separated: waitable, novalidate, debug (accepted for Flux's scripts; see fluxs-submit(1)).", valueName: "FLAGS"))
    var flags: [String] = []

    /// Flux's submission flags (`--flags`). Every fluxs job is waitable by its owner and
    /// every jobspec is validated, so none of them changes the request.
    static let submissionFlags: Set<String> = ["waitable", "novalidate", "debug"]

    func validate() throws {
        if perResourceGiven, ntasks != nil || coresPerTask != nil || (gpusPerTask ?? 0) != 0 {
            throw ValidationError("Per-resource options can't be used with per-task options. (See --help for details)")
        }
        if let urgency, Jobs.urgency(urgency) == nil {
            throw ValidationError("--urgency \"\(urgency)\": must be 0-31, hold, default or expedite")
        }
        for flag in flags.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) })
        where !Self.submissionFlags.contains(String(flag)) {
            throw ValidationError("--flags: Unknown flag \(flag)")
        }
    }

    /// Short options that the passthrough capture of a command line can swallow when
    /// their joined value holds "=" (see CommandArguments), by long name.
    static let joinedLetters: [Character: String] = ["S": "setattr", "o": "setopt"]

    /// The program's words of a command line, with the options found among them
    /// (`-Skey=value`, `-okey=value`) added to these.
    mutating func takeProgram(_ captured: [String], command: any ParsableCommand.Type) throws -> [String] {
        let words = try CommandArguments(captured, joinedLetters: Self.joinedLetters, command: command)
        setattr += words.options["setattr"] ?? []
        setopt += words.options["setopt"] ?? []
        return words.program
    }

    /// Checks that a command line names a program (a usage error otherwise).
    func requireProgram(_ captured: [String], command: any ParsableCommand.Type) throws {
        var copy = self
        if try copy.takeProgram(captured, command: command).isEmpty { throw ValidationError("missing the command to run") }
    }

    /// Whether a per-resource option (--cores, --tasks-per-node, --tasks-per-core,
    /// --gpus-per-node) was given: then the jobspec has flux-core's per-resource shape.
    var perResourceGiven: Bool { cores != nil || tasksPerNode != nil || tasksPerCore != nil || gpusPerNode != nil }

    /// The urgency to submit with, nil for the service's default.
    var urgencyValue: Int? { urgency.flatMap(Jobs.urgency) }

    /// The jobspec these options describe for `command`. With `cc` (one job of a
    /// `--cc` or `--bcc` set), "{cc}" in the command and in the options that name things
    /// (as `substituting` lists them) becomes the index, and with `ccEnvironment` (--cc)
    /// the job's environment gets FLUXS_JOB_CC.
    func jobspec(command: [String], cc: UInt32? = nil, ccEnvironment: Bool = true) throws(CommandFailure) -> Jobspec {
        guard let cc else { return try filledJobspec(command: command, ccVariable: nil) }
        let substitute = { (text: String) in text.replacing("{cc}", with: String(cc)) }
        return try substituting(substitute).filledJobspec(command: command.map(substitute),
                                                          ccVariable: ccEnvironment ? cc : nil)
    }

    /// The jobspec for `command` with every placeholder already filled in; `ccVariable`:
    /// the value of FLUXS_JOB_CC (nil: not set).
    private func filledJobspec(command: [String], ccVariable cc: UInt32?) throws(CommandFailure) -> Jobspec {
        var request = JobspecRequest(command: command)
        request.nnodes = nodes
        request.ntasks = ntasks
        request.coresPerTask = coresPerTask ?? 1
        request.gpusPerTask = gpusPerTask ?? 0
        if perResourceGiven {
            request.perResource = .init(cores: cores, tasksPerNode: tasksPerNode, tasksPerCore: tasksPerCore, gpusPerNode: gpusPerNode)
        }
        request.exclusive = exclusive
        request.jobName = jobName
        request.cwd = cwd ?? Terminal.currentDirectory
        do throws(ParseError) {
            if let timeLimit { request.duration = try Self.parseTimeLimit(timeLimit) }
            let submitter = ProcessEnvironment.current
            request.environment = try EnvironmentRules.apply(try environmentRules(), to: submitter, source: submitter)
            if let cc { request.environment["FLUXS_JOB_CC"] = String(cc) }
            var jobspec = try request.build()
            let dependencies = try self.dependencyList()
            if !dependencies.isEmpty {
                let existing = jobspec.attribute("system.dependencies")?.arrayValue ?? []
                let added: [JSONValue] = dependencies.map(\.json)
                do { try jobspec.setAttribute("system.dependencies", .array(existing + added)) } catch { throw error.parseError }
            }
            if let queue {
                do { try jobspec.setAttribute("system.queue", .string(queue)) } catch { throw error.parseError }
            }
            if !requires.isEmpty {
                // As Flux: every --requires joined by spaces, one RFC 35 query.
                let query = requires.joined(separator: " ")
                let constraints: JSONValue
                do { constraints = try ConstraintQuery.parse(query) } catch {
                    throw ParseError("--requires='\(query)': \(error.message)")
                }
                do { try jobspec.setAttribute("system.constraints", constraints) } catch { throw error.parseError }
            }
            if !addFile.isEmpty {
                // Set as one object: a file's name may hold dots, which a path would split.
                var files = jobspec.attribute("system.files")?.objectValue ?? [:]
                for argument in addFile {
                    let (name, file) = try AddFile.entry(argument)
                    files[name] = file
                }
                do { try jobspec.setAttribute("system.files", .object(files)) } catch { throw error.parseError }
            }
            for assignment in setattr {
                let (path, value) = try Self.parseSetattr(assignment)
                do { try jobspec.setAttribute(path, value) } catch { throw error.parseError }
            }
            for (key, value) in try shellOptions() {
                do { try jobspec.setAttribute("system.shell.options." + key, value) } catch { throw error.parseError }
            }
            return jobspec
        } catch {
            throw CommandFailure(error.message)
        }
    }

    /// The rules of --env, --env-remove (as -PATTERN) and --env-file (each line of the
    /// file in its place), in the order they were given.
    func environmentRules() throws(ParseError) -> [String] {
        let given = (env.map { ($0, 0) } + envRemove.map { ($0, 1) } + envFile.map { ($0, 2) })
            .sorted { $0.0.position < $1.0.position }
        var rules: [String] = []
        for (argument, kind) in given {
            switch kind {
            case 0: rules.append(argument.text)
            case 1: rules.append("-" + argument.text)
            default:
                let path = argument.text
                let text: String
                do { text = try Terminal.readFile(path) } catch { throw ParseError("--env-file \(path): \(error.message)") }
                for line in text.split(separator: "\n") {
                    let rule = line.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed()
                    if !rule.isEmpty && rule.first != "#" { rules.append(String(rule)) }
                }
            }
        }
        return rules
    }

    /// The shell options these options set (man fluxs-shell(1)), by dotted key.
    func shellOptions() throws(ParseError) -> [(String, JSONValue)] {
        var options: [(String, JSONValue)] = []
        if let output { options.append(("output.stdout.path", .string(output))) }
        if let error { options.append(("output.stderr.path", .string(error))) }
        if labelIO, output != nil || error != nil {
            options.append(("output.stdout.label", true))
            options.append(("output.stderr.label", true))
        }
        if let input { options.append(("input.stdin", ["type": "file", "path": .string(input)])) }
        if unbuffered { options.append(("unbuffered", true)) }
        for text in setopt {
            let (key, value) = try Self.parseSetattr(text)
            let name = key.hasPrefix("system.") ? String(key.dropFirst("system.".count)) : key
            guard !name.hasPrefix("user.") else { throw ParseError("--setopt \"\(text)\": a shell option cannot start with user.") }
            options.append((name, value))
        }
        return options
    }

    /// These options over `base` (batch directives): what is given here wins, lists add up.
    func overlaid(on base: SubmissionOptions) throws -> SubmissionOptions {
        var merged = self
        merged.nodes = nodes ?? base.nodes
        merged.ntasks = ntasks ?? base.ntasks
        merged.coresPerTask = coresPerTask ?? base.coresPerTask
        merged.gpusPerTask = gpusPerTask ?? base.gpusPerTask
        merged.cores = cores ?? base.cores
        merged.tasksPerNode = tasksPerNode ?? base.tasksPerNode
        merged.tasksPerCore = tasksPerCore ?? base.tasksPerCore
        merged.gpusPerNode = gpusPerNode ?? base.gpusPerNode
        merged.exclusive = exclusive || base.exclusive
        merged.timeLimit = timeLimit ?? base.timeLimit
        merged.jobName = jobName ?? base.jobName
        merged.queue = queue ?? base.queue
        // The base's environment rules come first: number these after them.
        let shift = (base.env + base.envRemove + base.envFile).map(\.position).max() ?? 0
        let after = { (list: [OrderedArgument]) in list.map { var rule = $0; rule.position += shift; return rule } }
        merged.env = base.env + after(env)
        merged.envRemove = base.envRemove + after(envRemove)
        merged.envFile = base.envFile + after(envFile)
        merged.output = output ?? base.output
        merged.error = error ?? base.error
        merged.input = input ?? base.input
        merged.labelIO = labelIO || base.labelIO
        merged.unbuffered = unbuffered || base.unbuffered
        merged.setopt = base.setopt + setopt
        merged.requires = base.requires + requires
        merged.cwd = cwd ?? base.cwd
        merged.addFile = base.addFile + addFile
        merged.setattr = base.setattr + setattr
        merged.urgency = urgency ?? base.urgency
        merged.dependencies = base.dependencies + dependencies
        merged.beginTime = beginTime ?? base.beginTime
        merged.flags = base.flags + flags
        try merged.validate()
        return merged
    }

    /// These options with `transform` applied to every text that may hold a
    /// placeholder (fluxs bulksubmit's {}, {0}, {seq}; {cc} of --cc).
    func substituting(_ transform: (String) -> String) -> SubmissionOptions {
        var copy = self
        copy.jobName = jobName.map(transform)
        copy.output = output.map(transform)
        copy.error = error.map(transform)
        copy.input = input.map(transform)
        copy.cwd = cwd.map(transform)
        copy.env = env.map { $0.map(transform) }
        copy.setattr = setattr.map(transform)
        copy.setopt = setopt.map(transform)
        return copy
    }

    /// --dependency and --begin-time, in that order, as RFC 26 entries.
    func dependencyList() throws(ParseError) -> [JobspecDependency] {
        var list: [JobspecDependency] = []
        for text in dependencies {
            // A URI as Flux's: SCHEME:VALUE[?key=val&...]; "singleton" alone takes no value.
            let dependency: JobspecDependency
            do { dependency = try JobspecDependency(uri: text) } catch {
                throw ParseError("--dependency \"\(text)\": not SCHEME:VALUE (e.g. afterok:JOBID)")
            }
            guard !dependency.value.isEmpty || dependency.scheme == "singleton" else {
                throw ParseError("--dependency \"\(text)\": not SCHEME:VALUE (e.g. afterok:JOBID)")
            }
            list.append(dependency)
        }
        if let beginTime {
            let time: Double
            do { time = try TimeText.parse(beginTime) } catch { throw ParseError("--begin-time: \(error.message)") }
            list.append(JobspecDependency(scheme: "begin-time", value: TimeText.fixed(time, 3)))
        }
        return list
    }

    /// `-t`: a bare number is minutes (as in Flux); otherwise a Flux Standard Duration.
    static func parseTimeLimit(_ text: String) throws(ParseError) -> Double {
        if let minutes = Double(text), minutes.isFinite {
            guard minutes >= 0 else { throw ParseError("time limit \"\(text)\": must not be negative") }
            return minutes * 60
        }
        let seconds = try FluxDuration.parse(text)
        return seconds.isInfinite ? 0 : seconds
    }

    /// `--setattr KEY[=VAL]`: the attribute path and its value.
    static func parseSetattr(_ text: String) throws(ParseError) -> (String, JSONValue) {
        let key: Substring
        let value: JSONValue
        if let eq = text.firstIndex(of: "=") {
            key = text[..<eq]
            let raw = String(text[text.index(after: eq)...])
            value = (try? JSONValue(parsing: raw)) ?? .string(raw)
        } else {
            key = Substring(text)
            value = .int(1)
        }
        guard !key.isEmpty, key != "." else { throw ParseError("--setattr \"\(text)\": missing attribute name") }
        if key.hasPrefix(".") { return (String(key.dropFirst()), value) }
        if key.hasPrefix("system.") || key.hasPrefix("user.") { return (String(key), value) }
        return ("system." + key, value)
    }
}
