// What `fluxs jobs` lists, without looking at every job: active jobs are few and are
// sorted whole (JobListQuery.select); inactive jobs are walked newest first along the
// order they became inactive (one user's only, for a listing of that user's jobs, as
// every guest's is), and the walk stops once it has enough of them. With a
// million inactive jobs the first page costs the jobs it shows, not the million, when
// the filters match most jobs; the caller says how many it may look at.
import FluxsFormats

extension JobManagerCore {
    /// The records `query` lists, in listing order (as `query.select(records)` gives
    /// them, when the clock never ran backwards); nil when that would look at more than
    /// `budget` active jobs, or as many inactive ones (a filter that matches few of many).
    public func listing(_ query: JobListQuery, budget: Int = .max) -> [JobRecord]? {
        if let ids = query.ids { return ids.compactMap { jobs[$0] } }
        if runtime.count > budget { return nil }
        var all = query
        all.count = 0
        var listed = all.select(runtime.keys.compactMap { jobs[$0] })
        let limit = query.count > 0 ? query.count : Int.max
        if listed.count >= limit { return Array(listed.prefix(limit)) }
        guard !query.states.isDisjoint(with: JobStateMask(.inactive)) || !query.results.isEmpty else { return listed }
        // Newest first; jobs that became inactive at the same time are sorted among
        // themselves, so the walk goes on to the end of the last such group.
        var inactive: [JobRecord] = []
        let wanted = limit - listed.count
        var looked = 0
        let walked = query.userid.map { inactiveByUser[$0]?.newestFirst ?? InactiveQueue().newestFirst } ?? inactiveOrder.newestFirst
        for id in walked {
            looked += 1
            if looked > budget { return nil }
            guard let record = jobs[id] else { continue }
            let time = record.timestamps[.inactive] ?? 0
            if let since = query.since, time <= since { break }
            if inactive.count >= wanted, let last = inactive.last, (last.timestamps[.inactive] ?? 0) != time { break }
            if query.matches(record) { inactive.append(record) }
        }
        inactive.sort(by: JobListQuery.listedBefore)
        listed += inactive.prefix(wanted)
        return listed
    }
}
