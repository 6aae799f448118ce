// Changing what is allocated now: allocate (match and take), free (give back exactly what
// was taken), restore (take what an R names, after a restart) and marking ranks down or
// drained. Allocations on a rank that goes down stay until freed; nothing new lands there.
import FluxsFormats
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

extension ResourceGraph {
    /// The duration a request runs for (its own, else `defaultDuration`).
    func duration(of request: ResourceRequest) -> Double {
        request.duration > 0 ? request.duration : defaultDuration
    }

    /// Allocates now if possible: the R of the allocation (cores/gpus per rank), starttime now,
    /// expiration now+duration; nil if it does not fit now (or the job already holds resources).
    /// Resources booked by other jobs' reservations overlapping [now, now+duration) are not
    /// used; the job's own reservation, if any, is used and then cancelled.
    public mutating func allocate(_ job: JobID, _ request: ResourceRequest, now: Double, policy: MatchPolicy) -> ResourceSet? {
        guard allocations[job] == nil, let prepared = PreparedRequest(request, policy, nodes) else { return nil }
        let end = now + duration(of: request)
        guard let picks = match(prepared, in: state, window: MatchWindow(start: now, end: end, owner: job)) else { return nil }
        let holding = Self.holding(picks, stride: state.stride)
        let R = resourceSet(holding, start: now, end: end)
        cancelReservation(job)
        for k in holding.positions.indices {
            state.take(Int(holding.positions[k]), holding.words(k, stride: state.stride))
        }
        allocations[job] = GraphAllocation(holding: holding, start: now, end: end, R: R)
        return R
    }

    /// Releases an allocation (exactly what allocate or restore gave); a job holding nothing
    /// is ignored.
    public mutating func free(_ job: JobID) {
        guard let allocation = allocations.removeValue(forKey: job) else { return }
        let holding = allocation.holding
        for k in holding.positions.indices {
            state.give(Int(holding.positions[k]), holding.words(k, stride: state.stride))
        }
    }

    /// Restores an allocation that already exists (after a restart): R of the job. Its planned
    /// end is R's expiration (0 when unset: treated as running past its end). Throws EEXIST when
    /// the job already holds resources, ENOENT when R names a rank, core or gpu this instance
    /// lacks, EBUSY when some of it is already allocated; nothing changes when it throws.
    public mutating func restore(_ job: JobID, _ R: ResourceSet) throws(ServiceError) {
        if allocations[job] != nil { throw ServiceError(EEXIST, "job \(job) already holds resources") }
        let holding = try holding(of: R, job: job)
        for k in holding.positions.indices where !state.isFree(Int(holding.positions[k]), holding.words(k, stride: state.stride)) {
            let rank = nodes.ranks[Int(holding.positions[k])]
            throw ServiceError(EBUSY, "job \(job): resources on rank \(rank) are already allocated")
        }
        for k in holding.positions.indices {
            state.take(Int(holding.positions[k]), holding.words(k, stride: state.stride))
        }
        allocations[job] = GraphAllocation(holding: holding, start: R.starttime, end: R.expiration, R: R)
        cancelReservation(job)
    }

    /// Marks exactly the ranks of `ranks` unusable (down or drained) and every other rank
    /// usable again. Ranks the instance lacks are ignored.
    public mutating func setUnavailable(_ ranks: IDSet) {
        unavailable = ranks.intersection(instance.ranks)
        for position in 0..<nodes.count {
            state.setUsable(position, !unavailable.contains(nodes.ranks[position]))
        }
    }

    /// The holding of a match's picks (ascending positions).
    static func holding(_ picks: [MatchPick], stride: Int) -> GraphHolding {
        var holding = GraphHolding()
        holding.positions.reserveCapacity(picks.count)
        holding.words.reserveCapacity(picks.count * stride)
        for pick in picks {
            holding.positions.append(Int32(pick.position))
            holding.words.append(contentsOf: pick.words)
        }
        return holding
    }

    /// The holding of the cores and gpus `R` names. Throws ENOENT for anything not in the instance.
    func holding(of R: ResourceSet, job: JobID) throws(ServiceError) -> GraphHolding {
        var holding = GraphHolding()
        for node in R.nodes {
            guard nodes.position(ofRank: node.rank) != nil else {
                throw ServiceError(ENOENT, "job \(job): R names rank \(node.rank), which this instance lacks")
            }
            guard let (position, words) = nodes.words(of: node) else {
                throw ServiceError(ENOENT, "job \(job): R names cores or gpus of rank \(node.rank) that this instance lacks")
            }
            holding.positions.append(Int32(position))
            holding.words.append(contentsOf: words)
        }
        return holding
    }

    /// The R of a holding over [start, end) (an infinite end is written as no expiration).
    func resourceSet(_ holding: GraphHolding, start: Double, end: Double) -> ResourceSet {
        let list = holding.positions.indices.map { k in
            nodes.node(Int(holding.positions[k]), words: holding.words(k, stride: state.stride))
        }
        return ResourceSet(nodes: list, starttime: start, expiration: end.isFinite ? end : 0)
    }
}
