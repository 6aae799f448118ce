// One command started by exec.spawn, and its pipes on the broker's loop.
//
// Output: each readable pipe gives one read of up to 64 KiB per turn of the loop,
// sent as an "output" response. Text goes as "data" when it is valid UTF-8; a
// multi-byte character cut by the end of a read waits for the next read; anything
// else goes as base64 in "data64", so that bytes arrive unchanged.
// Input: exec.write data is queued and written as the pipe takes it; an exec.write is
// answered once its data is queued below the high-water mark (else when the queue
// drains to it), which is the writer's flow control.
// The end: the process has exited and both output pipes are at end of file (a
// background child may hold them open: its output still belongs to the command).
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsReactor

/// A running command and its pipes.
final class ExecProcess {
    /// Which output pipe.
    enum Stream: String {
        case stdout, stderr
    }

    let pid: pid_t
    let argv: [String]
    /// The exec.spawn request: the stream every response answers.
    let request: Message
    let startTime: Double
    /// Set when the process has exited (it may still have output to send).
    private(set) var exitStatus: ExitStatus?

    private unowned let reactor: Reactor
    private let send: (JSONValue) -> Void
    private var outputFDs: [Stream: Int32] = [:]
    private var outputWatchers: [Stream: FDWatcher] = [:]
    private var partial: [Stream: [UInt8]] = [:]
    private var inputFD: Int32?
    private var inputWatcher: FDWatcher?
    private var inputQueue: [UInt8] = []
    private var inputStart = 0
    private var inputEOF = false
    private var heldWrites: [Message] = []
    private let respondToWrite: (Message, ServiceError?) -> Void
    /// Called once, when the process has exited and its output is all sent.
    var onFinished: ((ExecProcess) -> Void)?

    /// Queued input past which exec.write answers wait for the pipe.
    static let inputHighWater = 1 << 20
    private static let readSize = 65536

    init(_ spawned: SpawnedProcess, argv: [String], request: Message, reactor: Reactor,
         send: @escaping (JSONValue) -> Void, respondToWrite: @escaping (Message, ServiceError?) -> Void) {
        pid = spawned.pid
        self.argv = argv
        self.request = request
        self.reactor = reactor
        self.send = send
        self.respondToWrite = respondToWrite
        startTime = Reactor.now()
        outputFDs = [.stdout: spawned.stdout, .stderr: spawned.stderr]
        inputFD = spawned.stdin
        hasStdin = spawned.stdin != nil
    }

    /// Starts watching the pipes and the exit. A failure here kills the process.
    func start() throws(SystemError) {
        do {
            for (stream, fd) in outputFDs {
                outputWatchers[stream] = try reactor.watch(fd: fd) { [weak self] in self?.readOutput(stream) }
            }
            if let fd = inputFD {
                // A pipe's write end is never readable: this fires only on error or
                // hang-up, when the command closed its stdin.
                inputWatcher = try reactor.watch(fd: fd) { [weak self] in self?.closeInput(error: EPIPE) }
            }
            try reactor.onChildExit(pid) { [weak self] status in self?.exited(ExitStatus(waitStatus: status)) }
        } catch {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            release()
            throw error
        }
    }

    /// True when the process was started with a pipe on its stdin.
    let hasStdin: Bool

    // MARK: - Output

    private func readOutput(_ stream: Stream) {
        guard let fd = outputFDs[stream] else { return }
        var buffer = [UInt8](repeating: 0, count: Self.readSize)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            emit(stream, Array(buffer[0..<n]))
        } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
            closeOutput(stream)
            finishIfDone()
        }
    }

    /// Sends bytes read from `stream`, holding back a character cut at the end.
    private func emit(_ stream: Stream, _ bytes: [UInt8]) {
        var bytes = (partial.removeValue(forKey: stream) ?? []) + bytes
        let keep = Self.incompleteTail(bytes)
        if keep > 0 {
            partial[stream] = Array(bytes.suffix(keep))
            bytes.removeLast(keep)
        }
        sendOutput(stream, bytes)
    }

    private func sendOutput(_ stream: Stream, _ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        var body: [String: JSONValue] = ["event": "output", "stream": .string(stream.rawValue)]
        if let text = String(validating: bytes, as: UTF8.self) {
            body["data"] = .string(text)
        } else {
            body["data64"] = .string(Data(bytes).base64EncodedString())
        }
        send(.object(body))
    }

    /// How many bytes at the end of `bytes` start a UTF-8 character that is not complete.
    static func incompleteTail(_ bytes: [UInt8]) -> Int {
        var i = bytes.count - 1
        var seen = 0
        while i >= 0 && seen < 4 {
            let b = bytes[i]
            seen += 1
            if b & 0xC0 != 0x80 {
                let need = b >= 0xF0 && b <= 0xF7 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
                return b >= 0xC0 && need > seen ? seen : 0
            }
            i -= 1
        }
        return 0
    }

    private func closeOutput(_ stream: Stream) {
        guard let fd = outputFDs.removeValue(forKey: stream) else { return }
        outputWatchers.removeValue(forKey: stream)?.cancel()
        close(fd)
        if let rest = partial.removeValue(forKey: stream) { sendOutput(stream, rest) }
    }

    // MARK: - Input

    /// Queues `bytes` for the command's stdin, then closes it when `eof`.
    /// `request` (an exec.write) is answered when the queue allows.
    func write(_ bytes: [UInt8], eof: Bool, request: Message) {
        guard inputFD != nil, !inputEOF else {
            respondToWrite(request, ServiceError(EPIPE, "the stdin of process \(pid) is closed"))
            return
        }
        inputQueue += bytes
        if eof { inputEOF = true }
        heldWrites.append(request)
        flushInput()
    }

    private func flushInput() {
        guard let fd = inputFD else { return }
        while inputStart < inputQueue.count {
            let n = inputQueue.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + inputStart, $0.count - inputStart) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { break }
                closeInput(error: errno)
                return
            }
            inputStart += n
        }
        if inputStart == inputQueue.count {
            inputQueue.removeAll(keepingCapacity: false)
            inputStart = 0
        }
        let pending = inputQueue.count - inputStart
        if pending <= Self.inputHighWater {
            let answered = heldWrites
            heldWrites.removeAll()
            for request in answered { respondToWrite(request, nil) }
        }
        if pending > 0 {
            inputWatcher?.whenWritable { [weak self] in self?.flushInput() }
        } else {
            inputWatcher?.whenWritable(nil)
            if inputEOF { closeInput(error: nil) }
        }
    }

    /// Closes the stdin pipe; queued data is dropped and held writes get `error`.
    private func closeInput(error: Int32?) {
        guard let fd = inputFD else { return }
        inputWatcher?.cancel()
        inputWatcher = nil
        close(fd)
        inputFD = nil
        inputEOF = true
        inputQueue.removeAll()
        inputStart = 0
        let answered = heldWrites
        heldWrites.removeAll()
        for request in answered {
            respondToWrite(request, error.map { ServiceError($0, "the stdin of process \(pid) is closed") })
        }
    }

    // MARK: - The end

    private func exited(_ status: ExitStatus) {
        exitStatus = status
        // What the command wrote before it exited is in the pipes now: read it (a
        // pipe holds at most 1 MiB; more can only come from a child that lives on).
        for stream in [Stream.stdout, .stderr] {
            var reads = 0
            while let fd = outputFDs[stream], reads < 16 {
                reads += 1
                var buffer = [UInt8](repeating: 0, count: Self.readSize)
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    emit(stream, Array(buffer[0..<n]))
                    continue
                }
                if n == 0 || (errno != EAGAIN && errno != EINTR) { closeOutput(stream) }
                break
            }
        }
        finishIfDone()
    }

    private func finishIfDone() {
        guard let status = exitStatus, outputFDs.isEmpty else { return }
        closeInput(error: EPIPE)
        var body: [String: JSONValue] = ["event": "exit", "status": .int(Int64(status.shellCode))]
        if case .signaled(let signo) = status { body["signal"] = .int(Int64(signo)) }
        send(.object(body))
        let finished = onFinished
        onFinished = nil
        finished?(self)
    }

    /// Kills the whole process group at once and lets go of every pipe, without
    /// sending anything (the module answers the stream itself).
    func killAndRelease() {
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        release()
    }

    private func release() {
        onFinished = nil
        for stream in [Stream.stdout, .stderr] {
            guard let fd = outputFDs.removeValue(forKey: stream) else { continue }
            outputWatchers.removeValue(forKey: stream)?.cancel()
            close(fd)
        }
        partial.removeAll()
        closeInput(error: EPIPE)
    }
}
