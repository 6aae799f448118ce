// The archive of inactive jobs (man/man7/fluxs-kvs.7, "Inactive jobs"). Once the job
// manager says a job is inactive, its directory job.<dothex> may leave memory: the
// `kvs.inactive-cache` most recently used inactive jobs stay, older ones are archived,
// and the first request that names a key in an archived directory reads it back from
// disk (a fault), after which it counts as recently used again.
// On disk: with a statedir the database there already holds every commit, so archiving
// waits only for the commits before it to be durable; without one, the directory is
// written to a scratch database in the run directory (removed with it), and a removed
// job directory is deleted there too.
// Invariant: a job is in exactly one of `archived` (on disk only), `recent` (inactive,
// in memory) or `leaving` (in memory, its archive write under way), or in none (active,
// or gone); a directory leaves memory only when its write is done and nobody touched it
// since. Trimming happens between requests, never while a commit is being applied.
import CFluxsSupport
import FluxsFormats
import FluxsKVS
import FluxsMessage
import FluxsProtocol
import KVSStore

/// The inactive jobs' directories of the primary namespace, in memory or on disk.
final class JobArchive {
    /// Where archived directories are read back from.
    let reader: KVSReader
    /// Where they go: the statedir's database, or the run directory's scratch one.
    let store: Persistence
    /// True for the scratch database: directories are written to it when archived.
    let scratch: Bool
    /// Inactive jobs kept in memory at most.
    let limit: Int
    /// Inactive jobs on disk only.
    private(set) var archived: Set<JobID> = []
    /// Inactive jobs in memory, each with the stamp of its last use.
    private var recent: [JobID: UInt64] = [:]
    /// `recent` in order of use, oldest first; an entry whose stamp is no longer the
    /// job's is stale and skipped.
    private var order: [(id: JobID, stamp: UInt64)] = []
    private var head = 0
    /// Jobs being archived, with the stamp they had then.
    private var leaving: [JobID: UInt64] = [:]
    private var stamp: UInt64 = 0
    /// Directories read back from disk, for stats.
    private(set) var faults = 0
    /// True once a write to the archive failed: nothing leaves memory any more.
    private(set) var stopped = false
    /// Directories that left memory since the heap was last trimmed.
    private var detachedSinceTrim = 0
    /// Runs its body on the primary namespace in place (the module's).
    private let edit: ((inout KVSNamespace) throws(ServiceError) -> Void) throws(ServiceError) -> Void
    private let log: (String) -> Void

    init(reader: KVSReader, store: Persistence, scratch: Bool, limit: Int,
         edit: @escaping ((inout KVSNamespace) throws(ServiceError) -> Void) throws(ServiceError) -> Void,
         log: @escaping (String) -> Void) {
        self.reader = reader
        self.store = store
        self.scratch = scratch
        self.limit = limit
        self.edit = edit
        self.log = log
    }

    /// Inactive jobs kept in memory now.
    var cached: Int { recent.count + leaving.count }

    /// Jobs that became inactive: they may be archived from now on.
    func add(_ ids: [JobID]) {
        for id in ids where !archived.contains(id) && leaving[id] == nil { use(id) }
    }

    /// Before a commit that removes job directory `key` whole (a purge): when it is
    /// archived, an empty directory stands in for it, so the removal applies without
    /// reading it back; true when one was put there (`forget` or `withdraw` follows).
    func standIn(forRemoving key: String) throws(ServiceError) -> Bool {
        guard key.utf8.count == Self.directoryLength, let id = JobKeys.job(of: key), archived.contains(id) else { return false }
        try edit { (ns: inout KVSNamespace) throws(ServiceError) in try ns.attach(.directory([:]), at: key) }
        return true
    }

    /// Takes back a stand-in whose commit failed: the job stays archived.
    func withdraw(_ key: String) {
        guard let id = JobKeys.job(of: key), archived.contains(id) else { return }  // read back meanwhile
        try? edit { (ns: inout KVSNamespace) throws(ServiceError) in _ = try ns.detach(key) }
    }

    /// After a commit that removed or replaced `key`, a directory above the jobs'
    /// (`job`, `job.0000`, ...): the jobs below it are gone (their rows on disk go with
    /// the same change), so none of them may be read back.
    func forgetBelow(_ key: String) {
        let prefix = key == "." ? "" : key + "."
        func below(_ id: JobID) -> Bool { prefix.isEmpty || JobKeys(id).directory.hasPrefix(prefix) }
        archived = archived.filter { !below($0) }
        for id in recent.keys where below(id) { recent[id] = nil }
        for id in leaving.keys where below(id) { leaving[id] = nil }
    }

    /// A job directory that a commit removed (a purge): nothing is left to archive.
    func forget(_ id: JobID) {
        archived.remove(id)
        recent[id] = nil
        leaving[id] = nil
    }

    /// With the scratch database: a commit that removed or replaced job directories, or
    /// directories above them (a purge), removes them there too.
    func eraseRemoved(_ commit: KVSCommit) {
        let erased = commit.changes.filter { change in
            if case .appended = change { return false }
            let key = change.key
            return Self.isAbove(key) || (JobKeys.job(of: key) != nil && key.utf8.count == Self.directoryLength)
        }
        guard !erased.isEmpty else { return }
        store.write(.commit(namespace: "primary", owner: 0, KVSCommit(version: commit.version, changes: erased))) {
            [weak self] error in
            if let error { self?.log("kvs: cannot remove purged jobs from the archive: \(error.message)") }
        }
    }

    /// The length of a job directory's key, `job.` and four groups of four digits.
    static let directoryLength = "job.0000.0000.0000.0000".utf8.count

    /// Makes sure the job directory holding `key` in the primary namespace, when
    /// archived, is in memory again (and every archived directory below `key` too when
    /// `below`, for a lookup or watch of a directory above the jobs'); each counts as
    /// used. A key outside every job directory costs a few byte compares.
    func bringBack(_ key: String, below: Bool) throws(ServiceError) {
        guard !(archived.isEmpty && recent.isEmpty && leaving.isEmpty) else { return }
        if let id = JobKeys.job(of: key) { return try touch(id) }
        guard below, Self.isAbove(key) else { return }
        let prefix = key == "." ? "" : key + "."
        for id in archived where prefix.isEmpty || JobKeys(id).directory.hasPrefix(prefix) { try touch(id) }
    }

    /// Whether `key` is a directory that holds job directories ("job", "job.0000", ...).
    static func isAbove(_ key: String) -> Bool {
        key == "." || key == "job" || (key.hasPrefix("job.") && key.utf8.count < directoryLength)
    }

    /// A use of job `id`: read back when archived, kept from leaving when leaving, and
    /// made the most recently used when inactive.
    private func touch(_ id: JobID) throws(ServiceError) {
        if archived.contains(id) {
            let directory = JobKeys(id).directory
            let reader = self.reader
            try edit { (ns: inout KVSNamespace) throws(ServiceError) in
                if let entry = try reader.subtree(namespace: ns.name, key: directory) { try ns.attach(entry, at: directory) }
            }
            archived.remove(id)
            faults += 1
        } else if leaving.removeValue(forKey: id) == nil, recent[id] == nil {
            return  // active, or not a job of ours
        }
        use(id)
    }

    private func use(_ id: JobID) {
        stamp += 1
        recent[id] = stamp
        order.append((id, stamp))
        if order.count - head > 2 * recent.count + 1024 { compact() }
    }

    /// Drops the stale entries of `order`.
    private func compact() {
        order = order[head...].filter { recent[$0.id] == $0.stamp }
        head = 0
    }

    /// Archives the least recently used inactive jobs past the limit: each leaves memory
    /// once its write (or, with a statedir, everything written before it) is on disk.
    func trim() {
        while !stopped, recent.count > limit, head < order.count {
            let (id, stamp) = order[head]
            head += 1
            guard recent[id] == stamp else { continue }
            recent[id] = nil
            let directory = JobKeys(id).directory
            var write: Persistence.Write?
            try? edit { (ns: inout KVSNamespace) throws(ServiceError) in
                guard let entry = try? ns.entry(at: directory) else { return }  // purged meanwhile
                write = self.scratch
                    ? .commit(namespace: ns.name, owner: ns.owner, KVSCommit(version: ns.version, changes: [.set(key: directory, entry)]))
                    : .barrier
            }
            guard let write else { continue }
            leaving[id] = stamp
            store.write(write) { [weak self] error in
                guard let self, self.leaving[id] == stamp else { return }  // used again meanwhile
                self.leaving[id] = nil
                if let error {
                    // Archiving stops: the job and all later ones stay in memory.
                    self.use(id)
                    if !self.stopped { self.log("kvs: inactive jobs stay in memory from now on: \(error.message)") }
                    self.stopped = true
                    return
                }
                var detached: KVSEntry?
                try? self.edit { (ns: inout KVSNamespace) throws(ServiceError) in detached = try ns.detach(directory) }
                if let detached { self.store.release(detached) }
                self.archived.insert(id)
                self.detachedSinceTrim += 1
                // Thousands of directories freed at once (after a restart, the whole history)
                // leave the heap full of holes: give them back to the system.
                if self.detachedSinceTrim >= 10_000, self.recent.count <= self.limit {
                    self.detachedSinceTrim = 0
                    fluxs_malloc_trim()
                }
            }
        }
        if head >= 1024, head * 2 >= order.count { compact() }
    }
}
