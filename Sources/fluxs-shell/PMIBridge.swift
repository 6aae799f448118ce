// PMI-1 for the tasks of this node (RFC 13, the simple wire protocol over PMI_FD). A
// barrier of a job on several nodes swaps the puts of every node through a KVS fence:
// each shell commits its node's puts as job.<id>.pmi.<seq>.<shell> with the fence
// "pmi.<id>.<seq>" of nprocs = the job's node count, then reads the directory
// job.<id>.pmi.<seq> back and ends the barrier with all of them.
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsPMI
import FluxsProcess
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// The PMI server of one shell.
final class PMIBridge {
    let sockets: PMISocketServer
    private let link: BrokerLink
    private let id: JobID
    private let shellIndex: Int
    private let nshells: Int
    private var sequence = 0
    private var watchers: [FDWatcher] = []
    /// Called when a rank calls PMI_Abort, or breaks the protocol.
    var onFatal: ((_ rank: Int?, _ code: Int, _ message: String) -> Void)?

    init(layout: TaskLayout, shellIndex: Int, id: JobID, link: BrokerLink) throws(ServiceError) {
        self.link = link
        self.id = id
        self.shellIndex = shellIndex
        self.nshells = layout.nodes.count
        let server: PMIServer
        do throws(PMIError) {
            server = try PMIServer(size: layout.size, nodeLayout: layout.ranksByNode, kvsname: "kvs_\(id.value)",
                                   localRanks: layout.nodes[shellIndex].tasks.map(\.rank), exchangesPuts: nshells > 1)
        } catch {
            throw ServiceError(EINVAL, "PMI: \(error.message)")
        }
        sockets = try PMISocketServer(server: server)
    }

    /// Starts serving the server ends (after the tasks are spawned and the child ends closed).
    func serve(on reactor: Reactor) {
        for index in sockets.serverFDs.indices {
            if let watcher = try? reactor.watch(fd: sockets.serverFDs[index], { [unowned self] in self.readable(index) }) {
                watchers.append(watcher)
            }
        }
    }

    /// The environment and file action a task on connection `index` needs.
    func prepare(_ request: inout SpawnRequest, index: Int, localCount: Int) {
        for key in request.environment.keys where key.hasPrefix("PMI_") || key.hasPrefix("PMIX_") { request.environment[key] = nil }
        request.environment.merge(sockets.environment(rank: index)) { _, new in new }
        request.environment["MPI_LOCALNRANKS"] = String(localCount)
        request.environment["MPI_LOCALRANKID"] = String(index)
        let fd = sockets.childFDs[index]
        request.fileActions.append(.duplicate(fd, to: fd))
    }

    private func readable(_ index: Int) {
        let fd = sockets.serverFDs[index]
        for event in sockets.handle(readableIndex: index) { handle(event) }
        if sockets.serverFDs[index] < 0, let i = watchers.firstIndex(where: { $0.fd == fd }) {
            watchers[i].cancel()
            watchers.remove(at: i)
        }
    }

    private func handle(_ event: PMIServerEvent) {
        switch event {
        case .exchange(let puts):
            exchange(puts)
        case .abort(let rank, let code, let message):
            onFatal?(rank, code, "rank \(rank) called PMI_Abort with exit code \(code)" + (message.map { ": \($0)" } ?? ""))
        case .protocolError(_, let message):
            onFatal?(nil, 1, "PMI: \(message)")
        case .allFinalized, .connectionLost:
            break
        }
    }

    private func exchange(_ puts: [String: String]) {
        sequence += 1
        let dir = JobKeys(id).key("pmi.\(sequence)")
        let body: JSONValue = [
            "ops": [["op": "put", "key": .string("\(dir).\(shellIndex)"), "value": .object(puts.mapValues { .string($0) })]],
            "fence": ["name": .string("pmi.\(id.value).\(sequence)"), "nprocs": .int(Int64(nshells))],
        ]
        link.rpc(.kvs.commit, body) { [weak self] response in
            guard let self else { return }
            guard response.errnum == 0 else {
                return self.onFatal?(nil, 1, "PMI barrier: \(response.errorText)") ?? ()
            }
            self.link.rpc(.kvs.lookup, ["key": .string(dir)]) { [weak self] response in
                guard let self else { return }
                guard response.errnum == 0, let reply = try? JSONValue(parsing: response.payload),
                      let members = reply["dir"]?.objectValue else {
                    return self.onFatal?(nil, 1, "PMI barrier: cannot read \(dir): \(response.errorText)") ?? ()
                }
                var all: [String: String] = [:]
                for (_, entry) in members {
                    for (key, value) in entry["value"]?.objectValue ?? [:] { all[key] = value.stringValue ?? "" }
                }
                for event in self.sockets.completeExchange(all) { self.handle(event) }
            }
        }
    }

    /// Stops serving.
    func stop() {
        watchers.forEach { $0.cancel() }
        watchers.removeAll()
        sockets.stop()
    }
}
