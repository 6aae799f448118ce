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
import FluxsProcess

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
            do {
                let pair = try Descriptors.pipe()
                made += [pair.read, pair.write]
                return pair
            } catch {
                closeAll()
                throw ServiceError(error.errnum, "rank \(rank): cannot run \(name): \(error.message)")
            }
        }
        let input = spec.stdin ? try pipePair() : nil
        let output = try pipePair()
        let errors = try pipePair()

        var request = SpawnRequest(argv: spec.argv, environment: spec.environment, executable: path)
        request.newProcessGroup = true
        request.directory = spec.cwd
        request.fileActions = [
            input.map { .duplicate($0.read, to: 0) } ?? .open(0, path: "/dev/null", flags: O_RDONLY),
            .duplicate(output.write, to: 1), .duplicate(errors.write, to: 2),
        ]
        let pid: pid_t
        do {
            pid = try ProcessSpawner.spawn(request)
        } catch {
            closeAll()
            throw ServiceError(error.errnum, "rank \(rank): \(error.message)")
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
}
