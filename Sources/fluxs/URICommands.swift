// `fluxs uri` and `fluxs proxy`: reaching instances that are jobs (man fluxs-uri(1),
// fluxs-proxy(1)). A target is "." (this instance) or job ids separated by "/", each
// an instance job (fluxs alloc, fluxs batch) of the one before: ƒA/ƒB is job ƒB of the
// instance that job ƒA is.
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsProcess
#if canImport(Glibc)
import Glibc
import FluxsProtocol
#endif

/// Prints the URI of an instance.
struct URICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uri", abstract: "Print the URI of an instance that is a job (ID, or ID/ID/... through levels).")
    @Flag(name: .long, help: "Print the remote form, ssh://HOST/PATH, for use from another node.")
    var remote = false
    @Flag(name: .long, help: "Wait for a job that is not yet running to post its URI.")
    var wait = false
    @Argument(help: "The target: \".\" or job ids separated by \"/\".")
    var target: String

    func run() throws {
        let (uri, handle) = try InstanceJob.resolve(target, wait: wait)
        guard remote else { return print(uri.description) }
        let host = try Instance.with { _ in try handle.rpc(.attr.get, ["name": "hostname"])["value"]?.stringValue ?? "localhost" }
        print("ssh://\(host)\(uri.socketPath)")
    }
}

/// Runs a command connected to another instance.
struct ProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy", abstract: "Run CMD (default: a shell) connected to an instance that is a job.")
    @Argument(help: "The target: \".\" or job ids separated by \"/\".")
    var target: String
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String] = []

    func run() throws {
        let (uri, _) = try InstanceJob.resolve(target)
        let program = command.first == "--" ? Array(command.dropFirst()) : command
        let argv = program.isEmpty ? [ProcessEnvironment.current["SHELL"] ?? "/bin/sh"] : program
        setenv("FLUXS_URI", uri.description, 1)
        let cargs = argv.map { strdup($0) } + [nil]
        execvp(argv[0], cargs)
        let reason = String(cString: strerror(errno))
        throw CommandFailure("cannot run \(argv[0]): \(reason)", exitCode: errno == ENOENT ? 127 : 126)
    }
}

/// Draws the tree of instances and their jobs.
struct PstreeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pstree", abstract: "Draw the tree of instances and their jobs.",
        discussion: "Running jobs of every user; with -a, inactive ones too. Instances (fluxs alloc, fluxs batch) are followed down.")
    @Flag(name: [.customShort("a"), .long], help: "Include pending and inactive jobs.")
    var all = false
    @Flag(name: [.customShort("x"), .long], help: "Show each job's id and state.")
    var details = false
    @Option(name: [.customShort("L", allowingJoined: true), .long], help: ArgumentHelp("Go at most N levels down (default: all).", valueName: "N"))
    var level: Int?
    @Argument(help: "The instance to start from (default \".\").")
    var target: String = "."

    func run() throws {
        let (_, handle) = try InstanceJob.resolve(target)
        print(".")
        try draw(handle, prefix: "", depth: 1)
    }

    private func draw(_ handle: FluxsHandle, prefix: String, depth: Int) throws {
        var payload: [String: JSONValue] = ["userid": -1, "json": true]
        if all { payload["all"] = true } else { payload["filter"] = "running" }
        let jobs = try Instance.with { _ in try handle.rpc(.jobManager.list, .object(payload))["jobs"]?.arrayValue ?? [] }
        for (index, job) in jobs.reversed().enumerated() {
            let last = index == jobs.count - 1
            let id = JobID(wire: job["id"]).map(Jobs.show) ?? "?"
            var label = job["name"]?.stringValue ?? "?"
            if details { label = "\(id) \(label) \(job["state"]?.stringValue ?? "")" }
            print(prefix + (last ? "└── " : "├── ") + label)
            guard let uri = job["memo"]?["uri"]?.stringValue, job["state"]?.stringValue == "RUN",
                  level.map({ depth < $0 }) ?? true else { continue }
            guard let child = try? FluxsHandle(uri: try FluxsURI(parsing: uri)) else { continue }
            try draw(child, prefix: prefix + (last ? "    " : "│   "), depth: depth + 1)
        }
    }
}
