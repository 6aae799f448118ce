// The `singleton` dependency, as flux-core's dependency-singleton plugin keeps it: a job
// with it (which must have a given name) waits while any other active job of the same
// user and name exists, unless every such job is itself waiting on `singleton`; then the
// one that began to wait first is released (dependency-remove "singleton"). A job that
// finds no other active job of its user and name at submission gets no dependency events
// at all. The check runs when a waiter is added and when a named job goes inactive.
// Counting the active jobs of a name scans the records, and only happens for names that
// have waiters.
import FluxsFormats

extension JobManagerCore {
    /// The user and name `singleton` looks at for job `id`, when its name was given.
    func singletonKey(_ id: JobID) -> SingletonKey? {
        guard let record = jobs[id], record.summary.nameGiven else { return nil }
        return SingletonKey(userid: record.userid, name: record.summary.name)
    }

    /// True when a new job `id` with a `singleton` dependency has to wait: another active
    /// job of its user and name exists.
    func singletonMustWait(_ id: JobID) -> Bool {
        guard let key = singletonKey(id) else { return false }
        return jobs.values.contains { $0.id != id && $0.state != .inactive && matches($0, key) }
    }

    /// Registers job `id` as waiting on `singleton` and releases the first waiter if every
    /// active job of the name now waits.
    mutating func waitSingleton(_ id: JobID, at now: Double, into actions: inout [Action]) {
        guard let key = singletonKey(id) else { return }
        if !(singletons[key]?.contains(id) ?? false) { singletons[key, default: []].append(id) }
        if let released = releaseSingleton(key, at: now, into: &actions), released != id {
            settle(released, at: now, into: &actions)
        }
    }

    /// After job `id` went inactive: forgets it as a waiter and releases the next one when
    /// only waiters are left. Returns the job released, if any.
    mutating func singletonJobEnded(_ id: JobID, at now: Double, into actions: inout [Action]) -> JobID? {
        guard let key = singletonKey(id), singletons[key] != nil else { return nil }
        singletons[key]?.removeAll { $0 == id }
        return releaseSingleton(key, at: now, into: &actions)
    }

    /// Releases the first waiter of `key` when every active job of the name waits.
    private mutating func releaseSingleton(_ key: SingletonKey, at now: Double, into actions: inout [Action]) -> JobID? {
        var list = (singletons[key] ?? []).filter { id in
            guard let record = jobs[id] else { return false }
            return record.state == .depend && record.dependencies.contains("singleton")
        }
        guard let first = list.first else {
            singletons[key] = nil
            return nil
        }
        let active = jobs.values.reduce(0) { $0 + ($1.state != .inactive && matches($1, key) ? 1 : 0) }
        guard active == list.count else {
            singletons[key] = list
            return nil
        }
        list.removeFirst()
        singletons[key] = list.isEmpty ? nil : list
        post(first, "dependency-remove", ["description": "singleton"], at: now, into: &actions)
        return first
    }

    /// True when `record` is a job of `key`.
    private func matches(_ record: JobRecord, _ key: SingletonKey) -> Bool {
        record.userid == key.userid && record.summary.nameGiven && record.summary.name == key.name
    }
}
