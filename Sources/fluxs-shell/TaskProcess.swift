// One task of the job on this node: its process (in the shell's process group, so a
// signal to the group reaches every task), the pipes of its stdout and stderr, cut into
// whole lines unless unbuffered, and the pipe of its stdin when input comes from the
// service.
import FluxsFormats
import FluxsMessage
import FluxsProcess
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// A running task and its standard I/O.
final class TaskProcess {
    let rank: Int
    let pid: pid_t
    private let reactor: Reactor
    private let unbuffered: Bool
    private let emit: (OutputRecord) -> Void
    private var readers: [(stream: String, fd: Int32, watcher: FDWatcher?, buffer: [UInt8])] = []
    private var stdinFD: Int32 = -1
    private var stdinWatcher: FDWatcher?
    private var stdinBuffer: [UInt8] = []
    private var stdinClosing = false

    /// Starts the task; `emit` receives its output records.
    init(rank: Int, request: SpawnRequest, stdinPipe: Bool, reactor: Reactor, unbuffered: Bool,
         emit: @escaping (OutputRecord) -> Void) throws(ServiceError) {
        self.rank = rank
        self.reactor = reactor
        self.unbuffered = unbuffered
        self.emit = emit
        let out = try Descriptors.pipe()
        let err = try Descriptors.pipe()
        let input = stdinPipe ? try Descriptors.pipe() : nil
        var request = request
        if let input { request.fileActions.insert(.duplicate(input.read, to: 0), at: 0) }
        request.fileActions += [.duplicate(out.write, to: 1), .duplicate(err.write, to: 2)]
        do {
            pid = try ProcessSpawner.spawn(request)
        } catch {
            var made: [Int32] = [out.read, out.write, err.read, err.write]
            if let input { made += [input.read, input.write] }
            for fd in made { close(fd) }
            throw error
        }
        close(out.write)
        close(err.write)
        if let input {
            close(input.read)
            stdinFD = input.write
            _ = fcntl(stdinFD, F_SETFL, fcntl(stdinFD, F_GETFL) | O_NONBLOCK)
        }
        for (stream, fd) in [("stdout", out.read), ("stderr", err.read)] {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            readers.append((stream, fd, nil, []))
            let index = readers.count - 1
            readers[index].watcher = try? reactor.watch(fd: fd) { [unowned self] in self.read(index) }
        }
    }

    /// Whether both output streams reached their end.
    var outputClosed: Bool { readers.allSatisfy { $0.fd < 0 } }

    /// Reads what is left of the output without waiting, then ends both streams (after
    /// the task exits: what its leftover children write later is not the task's).
    func finishOutput() {
        for index in readers.indices where readers[index].fd >= 0 { read(index, final: true) }
    }

    private func read(_ index: Int, final: Bool = false) {
        let fd = readers[index].fd
        guard fd >= 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                readers[index].buffer += chunk[0..<n]
                if n < chunk.count && !final { break }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN && !final { break }
            // End of file, or the task is gone and nothing more is waiting.
            closeReader(index)
            return
        }
        send(index, all: unbuffered)
    }

    /// Emits whole lines (everything with `all`), keeping a partial line unless it grew long.
    private func send(_ index: Int, all: Bool) {
        let buffer = readers[index].buffer
        guard !buffer.isEmpty else { return }
        var end = buffer.count
        if !all, buffer.count < 4096 {
            guard let newline = buffer.lastIndex(of: 0x0A) else { return }
            end = newline + 1
        }
        emit(.data(stream: readers[index].stream, ranks: String(rank), text: String(decoding: buffer[0..<end], as: UTF8.self)))
        readers[index].buffer.removeFirst(end)
    }

    private func closeReader(_ index: Int) {
        send(index, all: true)
        readers[index].watcher?.cancel()
        readers[index].watcher = nil
        close(readers[index].fd)
        readers[index].fd = -1
        emit(.eof(stream: readers[index].stream, ranks: String(rank)))
    }

    // MARK: - stdin

    /// Queues bytes for the task's stdin (dropped when stdin is not a pipe or is closed).
    func writeInput(_ text: String) {
        guard stdinFD >= 0, !stdinClosing else { return }
        stdinBuffer += Array(text.utf8)
        pumpInput()
    }

    /// Closes the task's stdin once what is queued is written.
    func closeInput() {
        guard stdinFD >= 0 else { return }
        stdinClosing = true
        pumpInput()
    }

    private func pumpInput() {
        while !stdinBuffer.isEmpty {
            let n = stdinBuffer.withUnsafeBytes { write(stdinFD, $0.baseAddress, $0.count) }
            if n > 0 {
                stdinBuffer.removeFirst(n)
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN {
                if stdinWatcher == nil {
                    stdinWatcher = try? reactor.watch(fd: stdinFD) {}
                    stdinWatcher?.pauseReading(true)
                }
                stdinWatcher?.whenWritable { [unowned self] in self.pumpInput() }
                return
            }
            // The task closed its stdin: drop the rest.
            stdinBuffer.removeAll()
            stdinClosing = true
        }
        stdinWatcher?.whenWritable(nil)
        if stdinClosing { closeStdin() }
    }

    private func closeStdin() {
        stdinWatcher?.cancel()
        stdinWatcher = nil
        if stdinFD >= 0 { close(stdinFD) }
        stdinFD = -1
    }

    /// Releases every descriptor (the task is gone).
    func closeAll() {
        closeStdin()
        for index in readers.indices where readers[index].fd >= 0 { closeReader(index) }
    }
}
