// The job-exec service (man/man7/fluxs-job-exec.7): runs jobs for the job manager. On
// rank 0 it takes a job, asks the job-exec of every rank of the job's R to start a
// fluxs-shell for it, and reports back; on every rank it starts and signals shells.
//
//   job-exec.start (streaming, rank 0) {"id", "jobspec", "R"}
//       -> {"type": "start"}                      every shell runs
//          {"type": "exception", "note": TEXT}    a shell could not start, or failed
//          {"type": "finish", "status": WAIT}     every shell ended (the worst
//                                                 status of all); then ENODATA
//   job-exec.kill (rank 0) {"id", "signal", "terminate": BOOL} -> {}
//       signal the job's tasks; with terminate, SIGKILL follows after
//       job-exec.kill-timeout (default 5s) if the shells are still there.
//   job-exec.launch (streaming, any rank) {"id", "jobspec", "R"}
//       -> {"type": "started"} then {"type": "exited", "status": WAIT, "error": TEXT?}
//   job-exec.signal (any rank) {"id", "signal"} -> {}
//
// A job whose jobspec has attributes.system.exec.test.run_duration runs in test mode:
// no shell, "start" at once and "finish" (status 0) after that duration.
// The payloads are FluxsProtocol's ExecJob, ExecReport, ExecKill, ShellReport and
// ShellSignal. A shell exits with its tasks' worst exit code or is killed by their
// signal, so its wait status is the job's status on its node; the job's is the worst.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProcess
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// Job execution: the rank 0 coordinator and the per-rank shell launcher.
public final class JobExecModule: BrokerModule {
    public static let name = "job-exec"
    public static let services = ["job-exec"]
    public static func loadsByDefault(rank: UInt32) -> Bool { true }

    let context: ModuleContext
    var runs: [JobID: ActiveRun] = [:]
    var shells: [JobID: ShellProcess] = [:]
    var launched = 0
    /// The rank's shell zygote, once a shell was forked (ShellZygote.swift).
    var zygote: ShellZygote?
    /// Where job cgroups go on this rank (man fluxs-shell(1), PROCESSES).
    lazy var cgroups = JobCgroups()
    /// The OS CPUs of each core of this node (resource.info-local), asked for until known.
    var coreCPUs: JSONValue?
    var waitingForCPUs: [() -> Void] = []

    public init(context: ModuleContext) { self.context = context }

    public func start() throws(ServiceError) {}

    public func stop() {
        for run in runs.values { run.cancelTimers() }
        // SIGTERM first, and up to a second for the jobs to go (a child instance's brokers
        // shut down in order, removing their run directories); SIGKILL for what is left.
        for shell in shells.values { shell.killGroup(SIGTERM) }
        var waited = 0
        while waited < 100, shells.values.contains(where: { kill($0.pid, 0) == 0 && !Self.isZombie($0.pid) }) {
            usleep(10_000)
            waited += 1
        }
        for shell in shells.values {
            shell.killGroup(SIGKILL)
            if let cgroup = shell.cgroup { Descriptors.writeFile(cgroup + "/cgroup.kill", "1") }
            if let directory = shell.directory { Self.removeJobDirectory(directory) }
        }
        let stopping = ServiceError(ECANCELED, "rank \(context.rank): job-exec stopped")
        for run in runs.values { context.respond(to: run.request, error: stopping) }
        for shell in shells.values { context.respond(to: shell.request, error: stopping) }
        runs.removeAll()
        shells.removeAll()
        zygote?.stop()
    }

    /// Whether `pid` has exited and waits to be reaped.
    static func isZombie(_ pid: pid_t) -> Bool {
        guard let text = try? Descriptors.readFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return true }
        return text[text.index(after: close)...].dropFirst().first == "Z"
    }

    public func stats() -> [String: JSONValue] {
        ["jobs": .int(Int64(runs.count)), "shells": .int(Int64(shells.count)), "launched": .int(Int64(launched))]
    }

    public var handlers: [ServiceHandler] {
        [
            ServiceHandler(.jobExec.start) { [unowned self] in try self.startJob($0, $1) },
            ServiceHandler(.jobExec.kill) { [unowned self] in try self.killJob($0, $1) },
            ServiceHandler(.jobExec.launch) { [unowned self] in try self.launchShell($0, $1) },
            ServiceHandler(.jobExec.signal) { [unowned self] in try self.signalShell($0, $1) },
        ]
    }
}
