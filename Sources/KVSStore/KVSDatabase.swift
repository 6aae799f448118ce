// The KVS on disk: one SQLite file (statedir/kvs.sqlite) through GRDB, in WAL mode with
// synchronous=NORMAL, so a commit is durable against a crash of the process once
// `apply` returns (not against a power cut between checkpoints).
// Invariant: the file holds, for every namespace, exactly the tree and version of the
// last applied commit; each `apply` is one SQLite transaction, so a crash leaves the
// state before or after a commit, never half of one. A file that is not ours is never
// written to: the schema check runs before anything (WAL included) touches it.
// Used from one worker thread at a time (the KVS module keeps SQLite off its reactor);
// GRDB's queue serializes access anyway, so the class is Sendable.
import FluxsKVS
import FluxsMessage
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// A KVS database file: every namespace's entries and version.
public final class KVSDatabase: Sendable {
    /// The file's path, as given.
    public let path: String
    /// False for a scratch file (the archive in the run directory), written with
    /// synchronous=OFF: what it holds need not survive a crash of the machine.
    public let durable: Bool
    let queue: DatabaseQueue

    /// Opens the database at `path`, creating the file and its schema when new (a file
    /// with no tables counts as new). A file that is not SQLite, or SQLite without our
    /// schema, is EINVAL `PATH: not a fluxs KVS database (PROBLEM)`.
    public init(path: String, durable: Bool = true) throws(ServiceError) {
        self.path = path
        self.durable = durable
        do {
            queue = try DatabaseQueue(path: path)
        } catch {
            throw Self.serviceError(error, path: path, doing: "cannot open")
        }
        try checkOrCreateSchema()
    }

    /// Runs `body` in one write transaction, turning every failure into a ServiceError.
    func write<T>(_ doing: String, _ body: (Database) throws -> T) throws(ServiceError) -> T {
        do {
            return try queue.write(body)
        } catch {
            throw Self.serviceError(error, path: path, doing: doing)
        }
    }

    /// Runs `body` outside any transaction (for pragmas), failures as ServiceErrors.
    func writeWithoutTransaction<T>(_ doing: String, _ body: (Database) throws -> T) throws(ServiceError) -> T {
        do {
            return try queue.writeWithoutTransaction(body)
        } catch {
            throw Self.serviceError(error, path: path, doing: doing)
        }
    }

    /// Runs `body` in one read transaction, failures as ServiceErrors.
    func read<T>(_ doing: String, _ body: (Database) throws -> T) throws(ServiceError) -> T {
        do {
            return try queue.read(body)
        } catch {
            throw Self.serviceError(error, path: path, doing: doing)
        }
    }

    /// A ServiceError for `error`: kept as is when it already is one; SQLITE_NOTADB is
    /// the "not a fluxs KVS database" EINVAL; anything else EIO naming file and step.
    static func serviceError(_ error: any Error, path: String, doing: String) -> ServiceError {
        if let e = error as? ServiceError { return e }
        if let e = error as? DatabaseError {
            let text = e.message ?? "SQLite error \(e.extendedResultCode.rawValue)"
            if e.resultCode == .SQLITE_NOTADB { return notOurs(path, text) }
            if e.resultCode == .SQLITE_FULL { return ServiceError(ENOSPC, "\(path): \(doing): \(text)") }
            return ServiceError(EIO, "\(path): \(doing): \(text)")
        }
        return ServiceError(EIO, "\(path): \(doing): \(error)")
    }

    /// EINVAL `PATH: not a fluxs KVS database (PROBLEM)`.
    static func notOurs(_ path: String, _ problem: String) -> ServiceError {
        ServiceError(EINVAL, "\(path): not a fluxs KVS database (\(problem))")
    }
}
