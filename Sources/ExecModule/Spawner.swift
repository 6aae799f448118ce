// Starting a command for exec.spawn: find the program on the PATH of the environment
// it will run with, make its pipes, and posix_spawn it in a process group of its own
// with default signal dispositions and an empty signal mask (the broker blocks some
// signals for its signalfd and ignores SIGPIPE; a command must not inherit that).
//
// Every descriptor made here is close-on-exec, so a command never inherits the pipes
// of another; the parent's ends are non-blocking, for the reactor.
#if canImport(Glibc)
import Glibc
#endif
import FluxsMessage

/// What exec.spawn asked for, checked.
struct SpawnSpec {
    /// The argv; argv[0] is looked up on PATH when it has no slash.
    var argv: [String]
    /// The whole environment of the command.
    var environment: [String: String]
    /// The working directory, or nil for the broker's.
    var cwd: String?
    /// True to keep a pipe on the command's stdin (else it reads /dev/null).
    var stdin: Bool
}

/// A started command: its pid (also its process group id) and the parent's pipe ends.
struct SpawnedProcess {
    var pid: pid_t
    var stdin: Int32?
    var stdout: Int32
    var stderr: Int32
}

enum Spawner {
    /// Starts `spec`; errors name the command and the rank.
    static func spawn(_ spec: SpawnSpec, rank: UInt32) throws(ServiceError) -> SpawnedProcess {
        let name = spec.argv[0]
        if let cwd = spec.cwd {
            var st = stat()
            if stat(cwd, &st) != 0 {
                let e = errno
                throw ServiceError(e, "rank \(rank): cannot run \(name) in \(cwd): \(ServiceError.text(of: e))")
            }
            if (st.st_mode & S_IFMT) != S_IFDIR {
                throw ServiceError(ENOTDIR, "rank \(rank): cannot run \(name) in \(cwd): not a directory")
            }
        }
        let path = try resolve(name, searchPath: spec.environment["PATH"] ?? "/usr/bin:/bin", cwd: spec.cwd, rank: rank)

        var made: [Int32] = []
        func closeAll() { for fd in made { close(fd) } }
        func pipePair() throws(ServiceError) -> (read: Int32, write: Int32) {
            var fds: [Int32] = [-1, -1]
            // pipe2 is not visible from Swift; the broker's loop is its only spawner,
            // so no other thread can fork between pipe and fcntl.
            guard pipe(&fds) == 0 else {
                let e = errno
                closeAll()
                throw ServiceError(e, "rank \(rank): cannot run \(name): pipe: \(ServiceError.text(of: e))")
            }
            for i in 0..<2 {
                // Keep clear of 0-2, in case the broker runs with one of them closed.
                if fds[i] <= 2 {
                    let moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)
                    if moved >= 0 {
                        close(fds[i])
                        fds[i] = moved
                    }
                }
                _ = fcntl(fds[i], F_SETFD, FD_CLOEXEC)
            }
            made += fds
            return (fds[0], fds[1])
        }
        let input = spec.stdin ? try pipePair() : nil
        let output = try pipePair()
        let errors = try pipePair()

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let input {
            posix_spawn_file_actions_adddup2(&actions, input.read, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, output.write, 1)
        posix_spawn_file_actions_adddup2(&actions, errors.write, 2)
        if let cwd = spec.cwd {
            guard let addchdir = addChdir else {
                closeAll()
                throw ServiceError(ENOSYS, "rank \(rank): cannot run \(name) in \(cwd): this C library cannot set a working directory for posix_spawn")
            }
            _ = addchdir(&actions, cwd)
        }

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attr, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attr, &all)

        let cArgs = spec.argv.map { strdup($0) } + [nil]
        let cEnv = spec.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, cArgs, cEnv)
        guard rc == 0 else {
            closeAll()
            throw ServiceError(rc, "rank \(rank): \(name): \(ServiceError.text(of: rc))")
        }
        // The child's ends are the child's now.
        if let input { close(input.read) }
        close(output.write)
        close(errors.write)
        for fd in [input?.write, output.read, errors.read].compactMap({ $0 }) {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        return SpawnedProcess(pid: pid, stdin: input?.write, stdout: output.read, stderr: errors.read)
    }

    /// posix_spawn_file_actions_addchdir_np (glibc 2.29), found at run time: Swift does
    /// not see GNU extensions of <spawn.h>.
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    static let addChdir: AddChdir? = dlsym(nil, "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: AddChdir.self) }

    /// The file to execute for `name`: itself when it holds a slash, else the first
    /// executable regular file of that name in `searchPath`. ENOENT when there is none;
    /// EACCES when there are only files that may not be executed.
    static func resolve(_ name: String, searchPath: String, cwd: String?, rank: UInt32) throws(ServiceError) -> String {
        guard !name.isEmpty else { throw ServiceError(ENOENT, "rank \(rank): the command name is empty") }
        if name.contains("/") { return name }
        var denied = false
        for entry in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            var dir = entry.isEmpty ? "." : String(entry)
            if !dir.hasPrefix("/"), let cwd { dir = cwd + "/" + dir }
            let candidate = dir + "/" + name
            var st = stat()
            guard stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            if access(candidate, X_OK) == 0 { return candidate }
            denied = true
        }
        if denied { throw ServiceError(EACCES, "rank \(rank): \(name): permission denied") }
        throw ServiceError(ENOENT, "rank \(rank): \(name): command not found")
    }

    /// The broker's environment, as a dictionary.
    static func brokerEnvironment() -> [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return env
    }

    /// PATH with the broker's own directory first, so that the `fluxs` a command runs
    /// is the one installed beside this broker (as for the initial program).
    static func pathWithBrokerDirectory(_ path: String?) -> String {
        let path = path ?? "/usr/bin:/bin"
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return path }
        let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = exe.lastIndex(of: "/") else { return path }
        let dir = String(exe[..<slash])
        if path.split(separator: ":").first.map(String.init) == dir { return path }
        return dir + ":" + path
    }
}
