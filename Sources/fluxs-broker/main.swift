// fluxs-broker: one broker of an instance. `fluxs start` runs it; so do process
// managers, a parent instance's job shells, and systemd for a system instance.
// Usage: fluxs-broker [-c, --config-path=DIR] [-S NAME=VALUE]... [--] [CMD ARGS...]
//        fluxs-broker --keygen FILE [NAME]   (fluxs keygen: a CURVE certificate)
// With no CMD it runs $SHELL (interactive on a terminal, else reading commands from
// stdin); with -Sbroker.rc2_none=1 it runs nothing and serves until `fluxs shutdown`.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsPMI
import FluxsProcess
import FluxsReactor
import ExecModule
import JobExecModule
import HeartbeatModule
import JobManagerModule
import KVSModule
import ResourceModule
import SchedModule
#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String, code: Int32 = 1) -> Never {
    var line = Array("fluxs-broker: error: \(message)\n".utf8)
    _ = write(2, &line, line.count)
    exit(code)
}

var attributes = Attributes()
var command: [String] = []
var configPath: String?
if CommandLine.arguments.dropFirst().first == "--keygen" {
    let rest = Array(CommandLine.arguments.dropFirst(2))
    guard let file = rest.first else { fail("--keygen needs a FILE", code: 2) }
    do { try Keygen.write(file, name: rest.dropFirst().first ?? Keygen.hostname()) } catch { fail("\(error)") }
    exit(0)
}
var args = CommandLine.arguments.dropFirst()
while let arg = args.first {
    args = args.dropFirst()
    var setting: String?
    if arg == "--" {
        command = Array(args)
        break
    } else if arg == "-S" || arg == "--setattr" {
        guard let next = args.first else { fail("\(arg) needs NAME=VALUE", code: 2) }
        args = args.dropFirst()
        setting = next
    } else if arg.hasPrefix("--config-path=") {
        configPath = String(arg.dropFirst("--config-path=".count))
    } else if arg == "--config-path" || arg == "-c" {
        guard let next = args.first else { fail("\(arg) needs a directory", code: 2) }
        args = args.dropFirst()
        configPath = next
    } else if arg.hasPrefix("-c") {
        configPath = String(arg.dropFirst(2))
    } else if arg.hasPrefix("--setattr=") {
        setting = String(arg.dropFirst(10))
    } else if arg.hasPrefix("-S") {
        setting = String(arg.dropFirst(2))
    } else if arg == "-h" || arg == "--help" {
        print("Usage: fluxs-broker [-c, --config-path=DIR] [-S NAME=VALUE]... [--] [CMD ARGS...]")
        exit(0)
    } else if arg.hasPrefix("-") {
        fail("unknown option \(arg)", code: 2)
    } else {
        command = [arg] + Array(args)
        break
    }
    if let setting {
        guard let eq = setting.firstIndex(of: "=") else { fail("-S \(setting): expected NAME=VALUE", code: 2) }
        do {
            try attributes.setAtStart(String(setting[..<eq]), String(setting[setting.index(after: eq)...]))
        } catch { fail(error.message, code: 2) }
    }
}

// A system instance: the configuration names the hosts (and so this broker's rank),
// sets attributes the command line did not, and may hold the CURVE certificate.
var config: InstanceConfig?
var curve: CurveCertificate?
if let configPath {
    do {
        let loaded = try ConfigFiles.load(configPath)
        for (name, value) in loaded.attributes.sorted(by: { $0.key < $1.key }) where attributes[name] == nil {
            try attributes.setAtStart(name, value)
        }
        if let path = loaded.curveCert {
            do { curve = try CurveCertificate(parsing: try Descriptors.readFile(path)) } catch let error as ParseError {
                throw ServiceError(EINVAL, "\(path): \(error.message)")
            }
        }
        config = loaded
    } catch let error as ServiceError { fail(error.message) } catch { fail("\(error)") }
}

let bootstrap: any Bootstrap
do {
    if let config, !config.hosts.isEmpty {
        // FLUXS_FAKE_HOSTNAME stands in for the host name (tests and benchmarks that run
        // several configured brokers on one machine).
        let hostname = getenv("FLUXS_FAKE_HOSTNAME").map { String(cString: $0) } ?? Keygen.hostname()
        let configured = try ConfigBootstrap(config: config, hostname: hostname)
        if attributes["tbon.endpoint"] == nil { try attributes.setAtStart("tbon.endpoint", configured.bindURI) }
        bootstrap = configured
    } else {
        bootstrap = try PMIClient.fromEnvironment().map { PMIBootstrap(client: $0) } ?? SingletonBootstrap()
    }
} catch { fail("bootstrap: \(error.message)") }

// A broker started by a parent instance's job shell is part of a child instance.
let parent = ParentInstance.fromEnvironment()
if let parent {
    do { try parent.configure(&attributes, rank: bootstrap.rank) } catch {
        fail("cannot join the parent instance \(parent.uri): \(error.message)")
    }
}

// The process manager's variables, and those of the parent's job and task, were for
// us, not for what we start (a broker started in this instance belongs to it, not to the
// parent): the list is Flux's (its broker's runat.c), with FLUX_ as FLUXS_.
let enclosingOnly = ["FLUXS_JOB_ID", "FLUXS_ENCLOSING_ID", "FLUXS_JOB_SIZE", "FLUXS_JOB_NNODES", "FLUXS_JOB_TMPDIR",
                     "FLUXS_TASK_RANK", "FLUXS_TASK_LOCAL_ID", "FLUXS_KVS_NAMESPACE", "FLUXS_PROXY_REMOTE",
                     "MPI_LOCALNRANKS", "MPI_LOCALRANKID", "I_MPI_PMI_LIBRARY", "NOTIFY_SOCKET"]
let enclosingPrefixes = ["PMI_", "PMIX_", "SLURM_", "PALS_"]
for name in ProcessEnvironment.current.keys
where enclosingOnly.contains(name) || enclosingPrefixes.contains(where: { name.hasPrefix($0) }) {
    unsetenv(name)
}

// Only rank 0 runs the initial program.
let noProgram = bootstrap.rank != 0 || (attributes["broker.rc2_none"].map { $0 != "0" } ?? false)
if noProgram && bootstrap.rank == 0 && !command.isEmpty { fail("broker.rc2_none is set, yet a command was given", code: 2) }
if noProgram { command = [] }
let interactive = command.isEmpty && !noProgram && isatty(0) == 1
if command.isEmpty && !noProgram { command = [getenv("SHELL").map { String(cString: $0) } ?? "/bin/sh"] }

// A broker holds a descriptor per local client and, in a flat tree, per child: up to
// 65,536 if the hard limit allows (what it starts inherits the limit too).
Descriptors.raiseOpenFileLimit(to: 65_536)

do {
    let reactor = try Reactor()
    let broker = Broker(reactor: reactor, attributes: attributes, rank: bootstrap.rank)
    broker.config = config?.json ?? [:]
    broker.curve = curve
    broker.allowGuests = config?.allowGuestUser ?? false
    broker.rootIsOwner = config?.allowRootOwner ?? false
    broker.register(module: HeartbeatModule.self)
    broker.register(module: ExecModule.self)
    broker.register(module: KVSModule.self)
    broker.register(module: ResourceModule.self)
    broker.register(module: SchedModule.self)
    broker.register(module: JobManagerModule.self)
    broker.register(module: JobExecModule.self)
    var exitCode: Int32 = 0
    broker.onExit = { exitCode = $0 }
    // Made once the broker blocks the signals it takes through its signalfd: a thread
    // started before would receive them, and die of them.
    var announcer: Worker?
    if let parent, bootstrap.rank == 0 {
        broker.onStarted = { [unowned broker] in
            let worker = Worker()
            announcer = worker
            parent.announce(uri: broker.attributes["local-uri"] ?? "", worker: worker) { message in
                var line = Array("fluxs-broker: \(message)\n".utf8)
                _ = write(2, &line, line.count)
            }
        }
    }
    try broker.start(BrokerOptions(initialProgram: command, interactive: interactive), bootstrap: bootstrap)
    reactor.run()
    announcer?.stop()
    exit(exitCode)
} catch let error as ServiceError {
    fail(error.message)
} catch {
    fail("\(error)")
}
