// What job-exec hands the shell on the descriptor named by --input-fd (a memory file):
// FluxsProtocol's ShellLaunch, read into the types the shell works with, and the
// options of attributes.system.shell.options that the shell obeys.
import FluxsFormats
import FluxsMessage
import FluxsProtocol

/// The job a shell runs and where it runs it.
struct ShellInput {
    var id: JobID
    var rank: UInt32
    var uri: String
    var jobspec: Jobspec
    var R: ResourceSet
    var options: ShellOptions
    /// The cgroup to join before starting tasks (when job-exec could make one).
    var cgroup: String?
    /// The job's temporary directory to make (FLUXS_JOB_TMPDIR).
    var tmpdir: String?
    /// The OS CPUs of each core of this node, by R core id (from the broker's hwloc view).
    var coreCPUs: [UInt32: [UInt32]] = [:]

    init(_ json: JSONValue) throws(ParseError) {
        let launch: ShellLaunch
        do { launch = try ShellLaunch(json: json) } catch { throw ParseError(error.message) }
        id = launch.id
        rank = launch.rank
        uri = launch.uri
        do { jobspec = try Jobspec(validating: launch.jobspec) } catch { throw ParseError("jobspec: \(error)") }
        R = try ResourceSet(json: launch.R)
        options = try ShellOptions(jobspec.shellOptions)
        cgroup = launch.cgroup
        tmpdir = launch.tmpdir
        for (core, text) in launch.coreCPUs.enumerated() {
            if let cpus = try? IDSet(parsing: text) { coreCPUs[UInt32(core)] = Array(cpus) }
        }
    }
}

/// attributes.system.shell.options, as the shell reads them (man fluxs-shell(1)).
struct ShellOptions {
    /// How tasks are bound to CPUs or GPUs.
    enum Binding: String {
        /// Each task to its slot's cores (GPUs).
        case perTask = "per-task"
        /// Every task to all the job's cores (GPUs) on the node.
        case on
        /// No binding.
        case off
    }

    /// Where the tasks' stdin comes from.
    enum Input: Equatable {
        /// /dev/null.
        case none
        /// A file (a template).
        case file(String)
        /// The job's guest.input eventlog, written by `fluxs run` and `fluxs job attach`.
        case service
    }

    var cpuAffinity = Binding.perTask
    var gpuAffinity = Binding.perTask
    /// Prefix each line written to a file with the task rank.
    var label = false
    var input = Input.none
    /// Send partial lines as they are read, instead of whole lines.
    var unbuffered = false
    /// Serve PMI-1 to the tasks.
    var pmi = true
    /// A task that fails ends the whole job with an exception (instances: a lost broker).
    var exitOnError = false

    init(_ options: [String: JSONValue]) throws(ParseError) {
        // --setopt=KEY without a value gives 1: integers 0 and 1 count as false and true.
        func flag(_ value: JSONValue?) -> Bool? {
            if let b = value?.boolValue { return b }
            if let n = value?.intValue, n == 0 || n == 1 { return n == 1 }
            return nil
        }
        func binding(_ key: String) throws(ParseError) -> Binding {
            guard let value = options[key] else { return .perTask }
            if let b = flag(value) { return b ? .on : .off }
            guard let text = value.stringValue, let b = Binding(rawValue: text) else {
                throw ParseError("shell option \(key): must be per-task, on or off, not \(value.compactText)")
            }
            return b
        }
        cpuAffinity = try binding("cpu-affinity")
        gpuAffinity = try binding("gpu-affinity")
        let output = options["output"]
        label = flag(output?["stdout"]?["label"]) ?? flag(output?["stderr"]?["label"]) ?? false
        if let stdin = options["input"]?["stdin"] {
            switch stdin["type"]?.stringValue {
            case "file":
                guard let path = stdin["path"]?.stringValue else { throw ParseError("shell option input.stdin: a file needs a path") }
                input = .file(path)
            case "service": input = .service
            default: throw ParseError("shell option input.stdin.type: must be file or service")
            }
        }
        unbuffered = flag(options["unbuffered"]) ?? (options["output"]?["stdout"]?["buffer"]?["type"]?.stringValue == "none")
        exitOnError = flag(options["exit-on-error"]) ?? false
        if let value = options["pmi"] {
            guard let text = value.stringValue, ["simple", "pmi1", "off", "none"].contains(text) else {
                throw ParseError("shell option pmi: must be simple or off, not \(value.compactText)")
            }
            pmi = text == "simple" || text == "pmi1"
        }
    }
}
