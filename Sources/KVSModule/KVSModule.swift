// The kvs service (man/man7/fluxs-kvs.7): the instance's hierarchical key-value store,
// on rank 0; other ranks reach it through nodeid ANY. Commits apply to the in-memory
// namespaces at once, in arrival order, and are answered (with the new version) once
// durable: with a statedir, a worker thread writes them to SQLite, a batch per
// transaction, and answers come back to the loop in commit order. Readers that wait
// (for a version, or for a key to appear) and watchers are served after every commit.
import FluxsBroker
import FluxsFormats
import FluxsKVS
import FluxsMessage
import FluxsReactor
import KVSStore
#if canImport(Glibc)
import Glibc
#endif

/// The key-value store service.
public final class KVSModule: BrokerModule {
    public static let name = "kvs"
    public static let services = ["kvs"]
    public static func loadsByDefault(rank: UInt32) -> Bool { rank == 0 }

    let context: ModuleContext
    var namespaces: [String: KVSNamespace] = [:]
    var parked: [Parked] = []
    var watches: [Watch] = []
    var fences: [String: Fence] = [:]
    var persistence: Persistence?
    var commits = 0
    var watchResponses = 0

    /// A request waiting for a version or a key.
    struct Parked {
        var request: Message
        var namespace: String
        var version: Int
        var waitKey: String?
    }

    /// A streaming watch of one key.
    struct Watch {
        var request: Message
        var namespace: String
        var key: String
    }

    /// Commits gathered under one fence name.
    struct Fence {
        var namespace: String
        var nprocs: Int
        var requests: [Message] = []
        var ops: [KVSOperation] = []
    }

    public init(context: ModuleContext) { self.context = context }

    public func start() throws(ServiceError) {
        let owner = getuid()
        if let statedir = context.attribute("statedir") {
            let store = try Persistence(path: "\(statedir)/kvs.sqlite", reactor: context.reactor)
            for ns in try store.load() { namespaces[ns.name] = ns }
            persistence = store
            context.log(.info, "kvs: \(namespaces.count) namespace(s) loaded from \(statedir)/kvs.sqlite")
        }
        if namespaces["primary"] == nil {
            namespaces["primary"] = KVSNamespace(name: "primary", owner: owner)
            try persistence?.createNamespace("primary", owner: owner)
        }
    }

    public func stop() {
        persistence?.close()
        let cancelled = ServiceError(ECANCELED, "the kvs module is stopping")
        for p in parked { context.respond(to: p.request, error: cancelled) }
        for w in watches { context.respond(to: w.request, error: cancelled) }
        for f in fences.values { f.requests.forEach { context.respond(to: $0, error: cancelled) } }
        parked.removeAll()
        watches.removeAll()
        fences.removeAll()
    }

    public func stats() -> [String: JSONValue] {
        [
            "namespaces": .int(Int64(namespaces.count)), "commits": .int(Int64(commits)),
            "version": .int(Int64(namespaces["primary"]?.version ?? 0)), "watchers": .int(Int64(watches.count)),
            "waiting": .int(Int64(parked.count)), "watch-responses": .int(Int64(watchResponses)),
            "persistent": .bool(persistence != nil),
        ]
    }

    public func handle(_ request: Message) {
        do throws(ServiceError) {
            let body: JSONValue
            do { body = request.payload.isEmpty ? [:] : try JSONValue(parsing: request.payload) } catch {
                throw ServiceError(EPROTO, "\(request.topic): payload is not JSON: \(error.message)")
            }
            switch request.topic {
            case "kvs.get", "kvs.lookup": try read(request, body)
            case "kvs.commit": try commit(request, body)
            case "kvs.watch": try watch(request, body)
            case "kvs.version": context.respond(to: request, ["version": .int(Int64(try space(body).version))])
            case "kvs.wait-version": try waitVersion(request, body)
            case "kvs.namespace-create": try createNamespace(request, body)
            case "kvs.namespace-remove": try removeNamespace(request, body)
            case "kvs.namespace-list": listNamespaces(request)
            case "kvs.disconnect": disconnect(request)
            default: throw ServiceError(ENOSYS, "kvs has no method \"\(request.topic.dropFirst(4))\"")
            }
        } catch {
            context.respond(to: request, error: error)
        }
    }

    // MARK: - Helpers

    func namespaceName(_ body: JSONValue) -> String { body["namespace"]?.stringValue ?? "primary" }

    func space(_ body: JSONValue) throws(ServiceError) -> KVSNamespace {
        let name = namespaceName(body)
        guard let ns = namespaces[name] else { throw ServiceError(ENOENT, "namespace \(name) not found") }
        return ns
    }

    func key(_ body: JSONValue) throws(ServiceError) -> String {
        guard let key = body["key"]?.stringValue else { throw ServiceError(EPROTO, "missing \"key\" (a string)") }
        _ = try KVSNamespace.components(key)
        return key
    }
}

/// The SQLite side, driven from the loop: writes go to a worker thread in batches.
final class Persistence {
    private let box: DatabaseBox
    private let worker = Worker()
    private let waker: ReactorWaker
    private var queued: [(namespace: String, owner: UInt32, commit: KVSCommit, done: (ServiceError?) -> Void)] = []
    private var inFlight = false
    let path: String

    final class DatabaseBox: @unchecked Sendable {
        let db: KVSDatabase
        init(_ db: KVSDatabase) { self.db = db }
    }

    final class Completion: @unchecked Sendable {
        let run: (ServiceError?) -> Void
        init(_ run: @escaping (ServiceError?) -> Void) { self.run = run }
    }

    init(path: String, reactor: Reactor) throws(ServiceError) {
        self.path = path
        box = DatabaseBox(try KVSDatabase(path: path))
        waker = reactor.waker
    }

    func load() throws(ServiceError) -> [KVSNamespace] { try box.db.load() }
    func createNamespace(_ name: String, owner: UInt32) throws(ServiceError) { try box.db.createNamespace(name, owner: owner) }
    func removeNamespace(_ name: String) throws(ServiceError) { try box.db.removeNamespace(name) }

    /// Writes a commit; `done` runs on the loop once it is durable, or with the error
    /// that kept it from the disk (commits finish in order).
    func write(namespace: String, owner: UInt32, commit: KVSCommit, done: @escaping (ServiceError?) -> Void) {
        queued.append((namespace, owner, commit, done))
        flush()
    }

    private func flush() {
        guard !inFlight, !queued.isEmpty else { return }
        inFlight = true
        let batch = queued
        queued.removeAll()
        let items = batch.map { ($0.namespace, $0.owner, $0.commit) }
        let box = self.box
        let waker = self.waker
        let finish = Completion { [unowned self] error in
            let failure = error.map { ServiceError(EIO, "kvs: cannot write \(self.path): \($0.message)") }
            for entry in batch { entry.done(failure) }
            self.inFlight = false
            self.flush()
        }
        worker.post {
            var failure: ServiceError?
            do throws(ServiceError) { try box.db.apply(batch: items) } catch { failure = error }
            let result = failure
            waker.post { finish.run(result) }
        }
    }

    func close() { worker.stop() }
}
