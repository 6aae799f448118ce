// Where the tasks' output goes: the job's guest.output eventlog in the KVS (RFC 24
// entries, one commit at a time; what arrives while a commit is in flight goes into the
// next), or files opened in append mode (job-exec made them empty before the shells
// started), each line prefixed "RANK: " with --label-io.
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsProcess
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// The shell's output writer.
final class OutputSink {
    private let link: BrokerLink
    private let reactor: Reactor
    private let key: String
    private let label: Bool
    private var files: [String: Int32] = [:]
    private var pending = ""
    private var armed = false
    private var inFlight = false
    private var waiting: [() -> Void] = []

    /// A sink for job `id`; `paths` maps "stdout"/"stderr" to an already rendered file
    /// path (absent: the KVS).
    init(link: BrokerLink, reactor: Reactor, id: JobID, paths: [String: String], label: Bool) throws(ParseError) {
        self.link = link
        self.reactor = reactor
        self.key = JobKeys(id).output
        self.label = label
        var opened: [String: Int32] = [:]
        for (stream, path) in paths {
            if let same = opened.first(where: { paths[$0.key] == path }) {
                opened[stream] = same.value
                continue
            }
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666)
            guard fd >= 0 else { throw ParseError("cannot open \(stream) file \(path): \(String(cString: strerror(errno)))") }
            opened[stream] = fd
        }
        files = opened
    }

    /// Adds a record: text goes to its file or to the eventlog.
    func add(_ record: OutputRecord) {
        if case .data(let stream, let ranks, let text) = record, let fd = files[stream] {
            Descriptors.writeAll(fd, label ? OutputRecord.labeled(text, ranks) : text)
            return
        }
        if case .eof(let stream, _) = record, files[stream] != nil { return }
        pending += record.entry(at: Self.now()).line
        arm()
    }

    /// Calls `done` once everything added so far is stored.
    func flush(_ done: @escaping () -> Void) {
        if pending.isEmpty && !inFlight { return done() }
        waiting.append(done)
        arm()
    }

    private func arm() {
        guard !armed, !inFlight else { return }
        armed = true
        _ = reactor.after(0) { [weak self] in self?.commit() }
    }

    private func commit() {
        armed = false
        guard !inFlight else { return }
        guard !pending.isEmpty else {
            let done = waiting
            waiting.removeAll()
            return done.forEach { $0() }
        }
        let text = pending
        pending = ""
        inFlight = true
        let done = waiting
        waiting.removeAll()
        link.rpc(.kvs.commit, ["ops": [["op": "append", "key": .string(key), "value": .string(text)]]]) { [weak self] response in
            guard let self else { return }
            if response.errnum != 0 {
                writeStderr("fluxs-shell: error: cannot store output: \(response.errorText)\n")
            }
            self.inFlight = false
            done.forEach { $0() }
            if !self.pending.isEmpty || !self.waiting.isEmpty { self.arm() }
        }
    }

    static func now() -> Double { Reactor.wallClock() }
}

/// Writes a message to the shell's own stderr (job-exec reads it).
func writeStderr(_ text: String) {
    Descriptors.writeAll(2, text)
}
