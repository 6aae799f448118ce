// Descriptor and file chores shared by the programs that start processes and move
// their output (the broker, the exec service, job-exec, the job shell, the CLI).
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// Pipes, whole reads and writes, and removing directory trees.
public enum Descriptors {
    /// Raises this process's limit of open files (RLIMIT_NOFILE) to `wanted`, or as far
    /// as the hard limit allows when `wanted` is nil or above it. Returns the limit now
    /// in force.
    @discardableResult
    public static func raiseOpenFileLimit(to wanted: UInt64? = nil) -> UInt64 {
        raiseLimit(Int32(RLIMIT_NOFILE.rawValue), to: wanted)
    }

    /// Raises this user's limit of processes and threads (RLIMIT_NPROC) as far as the
    /// hard limit allows; returns the limit now in force.
    @discardableResult
    public static func raiseProcessLimit() -> UInt64 {
        raiseLimit(Int32(__RLIMIT_NPROC.rawValue), to: nil)
    }

    private static func raiseLimit(_ resource: Int32, to wanted: UInt64?) -> UInt64 {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 0 }
        let target = min(wanted ?? UInt64(limit.rlim_max), UInt64(limit.rlim_max))
        if UInt64(limit.rlim_cur) < target {
            limit.rlim_cur = rlim_t(target)
            if setrlimit(resource, &limit) != 0 { _ = getrlimit(resource, &limit) }
        }
        return UInt64(limit.rlim_cur)
    }

    /// The number in a /proc/sys file (kernel.pid_max and the like), nil when unreadable.
    public static func kernelSetting(_ path: String) -> UInt64? {
        (try? readFile(path)).flatMap { UInt64($0.filter { !$0.isWhitespace }) }
    }

    /// A close-on-exec pipe with both ends numbered above 2, so that a process started
    /// with 0-2 closed never hands a pipe end out as a standard stream. Callers make
    /// pipes from one thread only (pipe2 is not visible from Swift).
    public static func pipe() throws(ServiceError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard Glibc.pipe(&fds) == 0 else { throw ServiceError(errno, "pipe: \(ServiceError.text(of: errno))") }
        for i in 0..<2 {
            if fds[i] <= 2 {
                let moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)
                if moved >= 0 {
                    close(fds[i])
                    fds[i] = moved
                }
            }
            _ = fcntl(fds[i], F_SETFD, FD_CLOEXEC)
        }
        return (fds[0], fds[1])
    }

    /// Writes all of `text` to a blocking descriptor, through short writes and EINTR;
    /// false when the descriptor fails.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }

    /// Removes `path` and everything below it (symbolic links are removed, not followed).
    public static func removeTree(_ path: String) {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name == "." || name == ".." { continue }
                let child = "\(path)/\(name)"
                var st = stat()
                if lstat(child, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { removeTree(child) } else { unlink(child) }
            }
            closedir(dir)
        }
        rmdir(path)
    }

    /// Everything left to read on `fd`, through EINTR; errors are `NAME: reason`.
    public static func readAll(_ fd: Int32, name: String) throws(ServiceError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return bytes }
            if n < 0 {
                if errno == EINTR { continue }
                throw ServiceError(errno, "\(name): \(ServiceError.text(of: errno))")
            }
            bytes += chunk[0..<n]
        }
    }

    /// A whole file as text (bytes that are not UTF-8 become U+FFFD); errors are
    /// `PATH: reason`.
    public static func readFile(_ path: String) throws(ServiceError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ServiceError(errno, "\(path): \(ServiceError.text(of: errno))") }
        defer { close(fd) }
        return String(decoding: try readAll(fd, name: path), as: UTF8.self)
    }

    /// Writes `text` into an existing file (a control file such as cgroup.kill); false
    /// when it cannot be opened or written.
    @discardableResult
    public static func writeFile(_ path: String, _ text: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return writeAll(fd, text)
    }
}
