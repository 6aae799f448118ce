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
import FluxsProtocol
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
    /// Inactive jobs' directories, kept on disk past the most recently used (nil: in
    /// memory, all of them, as when there is nowhere to put them).
    var archive: JobArchive?
    var commits = 0
    var watchResponses = 0
    /// Who owns each job, as the job manager says (KVSCommitRequest.owners): a guest
    /// reaches its own jobs' keys only.
    var jobOwners: [JobID: UInt32] = [:]

    /// A request waiting for a version or a key.
    struct Parked {
        var request: Message
        var namespace: String
        var version: Int
        /// The key to answer with once the wait is over (nil: a version wait).
        var key: String?
        var waitKey: String?
    }

    /// A streaming watch of one key.
    struct Watch {
        var request: Message
        var namespace: String
        var key: String
        /// Append mode: after the first value, each answer holds only the text appended.
        var append = false
        /// Append mode: whether the value was sent (nil: the key was missing so far).
        var sentValue = false
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
        archive = try openArchive()
        if namespaces["primary"] == nil {
            namespaces["primary"] = KVSNamespace(name: "primary", owner: owner)
            persistence?.write(.createNamespace("primary", owner: owner)) { [unowned self] error in
                if let error { self.context.log(.err, error.message) }
            }
        }
    }

    public func stop() {
        persistence?.close()
        if let archive, archive.scratch { archive.store.close() }
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
            "inactive-archived": .int(Int64(archive?.archived.count ?? 0)),
            "inactive-cached": .int(Int64(archive?.cached ?? 0)), "inactive-faults": .int(Int64(archive?.faults ?? 0)),
        ]
    }

    public var handlers: [ServiceHandler] {
        [
            ServiceHandler(.kvs.get) { [unowned self] in try self.read($0, $1) },
            ServiceHandler(.kvs.lookup) { [unowned self] in try self.read($0, $1) },
            ServiceHandler(.kvs.commit) { [unowned self] in try self.commit($0, $1) },
            ServiceHandler(.kvs.watch) { [unowned self] in try self.watch($0, $1) },
            ServiceHandler(.kvs.unwatch) { [unowned self] in try self.unwatch($0, $1) },
            ServiceHandler(.kvs.version) { [unowned self] request, body in
                self.context.respond(to: request, ["version": .int(Int64(try self.space(body).version))])
            },
            ServiceHandler(.kvs.waitVersion) { [unowned self] in try self.waitVersion($0, $1) },
            ServiceHandler(.kvs.namespaceCreate) { [unowned self] in try self.createNamespace($0, $1) },
            ServiceHandler(.kvs.namespaceRemove) { [unowned self] in try self.removeNamespace($0, $1) },
            ServiceHandler(.kvs.namespaceList) { [unowned self] request, _ in self.listNamespaces(request) },
            ServiceHandler(.kvs.disconnect) { [unowned self] request, _ in self.disconnect(request) },
        ]
    }

    // MARK: - Guests

    /// What a guest's request does with the keys it names.
    enum GuestUse { case reading, writing }

    /// A guest may read its own jobs' keys (job.<id>.*, the job being its own by what
    /// the job manager said when it made the job), and write only their guest.* and
    /// pmi.* keys (its tasks' stdin and output, its shells' PMI exchange), all in the
    /// primary namespace. The owner may use every key.
    func checkGuest(_ request: Message, _ body: JSONValue, keys: @autoclosure () -> [String], _ use: GuestUse) throws(ServiceError) {
        guard !request.rolemask.contains(.owner) else { return }
        guard try namespaceName(body) == "primary" else { throw ServiceError(EPERM, "guests may use only the primary namespace") }
        for key in keys() { try guestOwns(key, request.userid, use) }
    }

    private func guestOwns(_ key: String, _ userid: UInt32, _ use: GuestUse) throws(ServiceError) {
        let refusal = ServiceError(EPERM, "guests may use only their own jobs' keys, not \(key)")
        guard let (job, rest) = JobKeys.parse(key) else { throw refusal }
        if use == .writing, !JobKeys.guestWritable(rest) { throw refusal }
        guard jobOwners[job.id] == userid else { throw refusal }
    }

    // MARK: - The archive of inactive jobs

    /// The archive: in the statedir's database, else in a scratch one in the run
    /// directory (a file left there by an earlier broker is removed first).
    private func openArchive() throws(ServiceError) -> JobArchive? {
        let limit = context.attribute("kvs.inactive-cache").flatMap { Int($0) } ?? 1000
        let store: Persistence
        if let persistence {
            store = persistence
        } else if let rundir = context.attribute("rundir") {
            let path = "\(rundir)/kvs-archive.sqlite"
            for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
            store = try Persistence(path: path, durable: false, reactor: context.reactor)
        } else {
            return nil
        }
        return JobArchive(
            reader: try store.reader(), store: store, scratch: persistence == nil, limit: limit,
            edit: { [unowned self] (body: (inout KVSNamespace) throws(ServiceError) -> Void) throws(ServiceError) in
                guard var ns = self.namespaces.removeValue(forKey: "primary") else { return }
                defer { self.namespaces["primary"] = ns }
                try body(&ns)
            },
            log: { [unowned self] in self.context.log(.err, $0) })
    }

    /// Reads back the archived job directories `key` needs (see JobArchive.bringBack).
    func bringBack(_ key: String, below: Bool, in name: String) throws(ServiceError) {
        guard name == "primary", let archive else { return }
        try archive.bringBack(key, below: below)
    }

    // MARK: - Helpers

    func namespaceName(_ body: JSONValue) throws(ServiceError) -> String { try body.string("namespace") ?? "primary" }

    func space(_ body: JSONValue) throws(ServiceError) -> KVSNamespace {
        let name = try namespaceName(body)
        guard let ns = namespaces[name] else { throw ServiceError(ENOENT, "namespace \(name) not found") }
        return ns
    }

    func key(_ body: JSONValue) throws(ServiceError) -> String {
        guard let key = body["key"]?.stringValue else { throw ServiceError(EPROTO, "missing \"key\" (a string)") }
        _ = try KVSNamespace.components(key)
        return key
    }
}

/// The SQLite side, driven from the loop: writes go to a worker thread in order, runs of
/// commits grouped into one transaction; `done` callbacks come back on the loop, in order.
final class Persistence {
    /// The database, used only on the worker's thread (and at start and close).
    private let box: LoopBound<KVSDatabase>
    private let worker = Worker()
    private let waker: ReactorWaker
    private var queued: [(write: Write, done: (ServiceError?) -> Void)] = []
    private var inFlight = false
    /// The first commit of the primary namespace (where jobs live) that failed, if one
    /// did: every later barrier fails with it, as what came before it is not on disk.
    private var failure: ServiceError?
    /// Trees to free on the worker once this batch's callbacks have run (`release`).
    private var garbage: [KVSEntry] = []
    let path: String

    /// One thing to write.
    enum Write: @unchecked Sendable {
        case commit(namespace: String, owner: UInt32, KVSCommit)
        case createNamespace(String, owner: UInt32)
        case removeNamespace(String)
        /// Nothing: done once every write queued before it is.
        case barrier
    }

    /// Opens (or creates) the database; at start, before the loop serves anyone. A
    /// scratch database (not `durable`) need not survive a crash.
    init(path: String, durable: Bool = true, reactor: Reactor) throws(ServiceError) {
        self.path = path
        box = LoopBound(try KVSDatabase(path: path, durable: durable))
        waker = reactor.waker
    }

    /// A read-only connection to the same file, for the loop.
    func reader() throws(ServiceError) -> KVSReader { try KVSReader(box.value) }

    /// Everything on disk; at start only.
    func load() throws(ServiceError) -> [KVSNamespace] { try box.value.load() }

    /// Queues a write; `done` runs on the loop once it is durable, or with the error that
    /// kept it from the disk.
    func write(_ write: Write, done: @escaping (ServiceError?) -> Void) {
        queued.append((write, done))
        flush()
    }

    private func flush() {
        guard !inFlight, !queued.isEmpty else { return }
        inFlight = true
        // The writes (and the trees they hold) go to the worker and are freed there; the
        // loop keeps only what it needs to answer.
        let writes = queued.map(\.write)
        let dones = queued.map(\.done)
        let primary = writes.map { write in if case .commit("primary", _, _) = write { true } else { false } }
        queued.removeAll()
        let box = self.box
        let path = self.path
        let prior = failure
        worker.run({
            Persistence.perform(writes, on: box.value, after: prior).map { error in
                error.map { $0.message.hasPrefix("kvs: ") ? $0 : ServiceError($0.errnum, "kvs: cannot write \(path): \($0.message)") }
            }
        }, then: waker) { [weak self] errors in
            if self?.failure == nil {
                self?.failure = zip(primary, errors).lazy.compactMap { isPrimary, error in isPrimary ? error : nil }.first
            }
            for (done, error) in zip(dones, errors) { done(error) }
            if let self, !self.garbage.isEmpty {
                let garbage = self.garbage
                self.garbage = []
                self.worker.post { withExtendedLifetime(garbage) {} }
            }
            self?.inFlight = false
            self?.flush()
        }
    }

    /// Drops `entry` on the worker's thread, with the others a batch's callbacks gave
    /// up: a tree that left memory is freed there, not on the loop.
    func release(_ entry: KVSEntry) {
        garbage.append(entry)
    }

    /// Runs the writes in order, each run of commits as one transaction; one result each.
    /// A barrier writes nothing: its callback runs with the others', after all of them,
    /// and it fails when a commit of the primary namespace before it did (in this batch,
    /// or `after` one before).
    private static func perform(_ writes: [Write], on db: KVSDatabase, after prior: ServiceError? = nil) -> [ServiceError?] {
        var results: [ServiceError?] = Array(repeating: nil, count: writes.count)
        var run: [(namespace: String, owner: UInt32, commit: KVSCommit)] = []
        var runIndices: [Int] = []
        func flushRun() {
            guard !run.isEmpty else { return }
            var failure: ServiceError?
            do throws(ServiceError) { try db.apply(batch: run) } catch { failure = error }
            for i in runIndices { results[i] = failure }
            run.removeAll()
            runIndices.removeAll()
        }
        var barriers: [Int] = []
        for (index, write) in writes.enumerated() {
            switch write {
            case .commit(let ns, let owner, let commit):
                run.append((ns, owner, commit))
                runIndices.append(index)
            case .barrier:
                barriers.append(index)
            case .createNamespace, .removeNamespace:
                flushRun()
                do throws(ServiceError) {
                    if case .createNamespace(let name, let owner) = write { try db.createNamespace(name, owner: owner) }
                    if case .removeNamespace(let name) = write { try db.removeNamespace(name) }
                } catch { results[index] = error }
            }
        }
        flushRun()
        // A barrier fails with the first commit that failed before it.
        var failed = prior
        var next = 0
        for index in barriers {
            while failed == nil, next < index {
                if case .commit("primary", _, _) = writes[next] { failed = results[next] }
                next += 1
            }
            results[index] = failed.map { ServiceError($0.errnum, "kvs: an earlier write failed: \($0.message)") }
        }
        return results
    }

    /// Waits for the write in flight; what is still queued is written now, on this
    /// thread (the module is stopping), and answered.
    func close() {
        worker.stop()
        let rest = queued
        queued.removeAll()
        let errors = Persistence.perform(rest.map(\.write), on: box.value)
        for (entry, error) in zip(rest, errors) { entry.done(error) }
    }
}
