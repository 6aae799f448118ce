// One way to start a process: posix_spawn with the options the broker, the exec
// service, `fluxs start --test-size` and the benchmarks need. The child always starts
// with an empty signal mask and default signal dispositions (a broker blocks signals
// for its signalfd and ignores SIGPIPE; nothing it starts may inherit that).
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// What to start and how.
public struct SpawnRequest {
    /// The argv; argv[0] is searched on the caller's PATH when `executable` is nil.
    public var argv: [String]
    /// The file to execute; nil to search for argv[0] on the PATH of `environment`
    /// (or of this process when `environment` has none).
    public var executable: String?
    /// The whole environment of the child.
    public var environment: [String: String]
    /// Put the child in a new process group (its pid becomes the group id).
    public var newProcessGroup = false
    /// The child's working directory, nil for ours.
    public var directory: String?
    /// File descriptor set-up in the child, in order.
    public var fileActions: [FileAction] = []
    /// Called right before posix_spawn, once everything else is ready (the job shell
    /// looks there for signals its tasks-to-be would miss).
    public var justBefore: (() -> Void)?

    /// A file descriptor change made in the child before exec.
    public enum FileAction {
        /// dup2(from, to) (from == to keeps a close-on-exec descriptor open).
        case duplicate(Int32, to: Int32)
        /// open(path, flags) as descriptor `fd`.
        case open(Int32, path: String, flags: Int32)
        /// close(fd).
        case close(Int32)
    }

    /// Makes a request for `argv` with an environment.
    public init(argv: [String], environment: [String: String], executable: String? = nil) {
        self.argv = argv
        self.environment = environment
        self.executable = executable
    }
}

/// Starts processes.
public enum ProcessSpawner {
    /// Starts the process; errors are `NAME: reason` with the errno of the failure.
    public static func spawn(_ request: SpawnRequest) throws(ServiceError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for action in request.fileActions {
            switch action {
            case .duplicate(let from, let to): posix_spawn_file_actions_adddup2(&actions, from, to)
            case .open(let fd, let path, let flags): posix_spawn_file_actions_addopen(&actions, fd, path, flags, 0)
            case .close(let fd): posix_spawn_file_actions_addclose(&actions, fd)
            }
        }
        let name = request.argv.first ?? ""
        if let directory = request.directory {
            guard let addchdir = addChdir else {
                throw ServiceError(ENOSYS, "cannot run \(name) in \(directory): this C library cannot set a working directory for posix_spawn")
            }
            _ = addchdir(&actions, directory)
        }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if request.newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attr, 0)
        }
        posix_spawnattr_setflags(&attr, Int16(flags))
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attr, &all)

        let cArgs = request.argv.map { strdup($0) } + [nil]
        let cEnv = request.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArgs + cEnv).forEach { free($0) } }
        var pid: pid_t = 0
        let executable = request.executable ?? request.environment["PATH"].flatMap { search(name, in: $0) }
        request.justBefore?()
        let rc = executable.map { posix_spawn(&pid, $0, &actions, &attr, cArgs, cEnv) }
            ?? posix_spawnp(&pid, name, &actions, &attr, cArgs, cEnv)
        guard rc == 0 else { throw ServiceError(rc, "\(name): \(ServiceError.text(of: rc))") }
        return pid
    }

    /// The first executable file called `name` in the directories of `path`; `name`
    /// itself when it holds a slash; nil when there is none.
    public static func search(_ name: String, in path: String) -> String? {
        if name.contains("/") { return name }
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            var st = stat()
            if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// posix_spawn_file_actions_addchdir_np (glibc 2.29), found at run time: Swift does
    /// not see GNU extensions of <spawn.h>.
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    static let addChdir: AddChdir? = dlsym(nil, "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: AddChdir.self) }
}
