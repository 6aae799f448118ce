// The planner: when could a request start, and booking resources for later.
// A request of duration d can start at t when it matches the resources free at t (running
// jobs whose effective end is after t still hold theirs) minus those of reservations
// overlapping [t, t + d). Availability only grows when a running job ends or a reservation's
// window passes, so the only candidate times are now and those ends; the planner copies the
// free state, plays the ends forward in order and tries the matcher at each candidate,
// skipping those where too few cores or idle nodes are free to possibly fit.
// A running job's effective end is max(planned end, now + overrunGrace): one that has
// overrun (or whose end is unknown) is assumed to end very soon, never to be already gone.
// Reservations are not checked against each other: the planner hands out only what it
// found free, and the caller books what the planner gave.
import FluxsFormats

extension ResourceGraph {
    /// The earliest time >= now at which the request could start given current allocations and
    /// reservations (planned ends), and the resources it would get then; nil if never (infeasible or
    /// only unavailable ranks could satisfy it). The reservation of `owner`, if given, is ignored
    /// (the job is being planned again).
    public func earliestStart(_ request: ResourceRequest, now: Double, policy: MatchPolicy,
                              ignoring owner: JobID? = nil) -> (time: Double, R: ResourceSet)? {
        guard let prepared = PreparedRequest(request, policy, nodes) else { return nil }
        let length = duration(of: request)
        if let picks = match(prepared, in: state, window: MatchWindow(start: now, end: now + length, owner: owner)) {
            let holding = Self.holding(picks, stride: state.stride)
            return (now, resourceSet(holding, start: now, end: now + length))
        }
        // Running jobs by effective end, and the ends of reservation windows still ahead.
        let horizon = now + overrunGrace
        var ending = allocations.map { (end: max($0.value.end, horizon), job: $0.key) }.filter { $0.end.isFinite }
        ending.sort { $0.end < $1.end }
        var times = ending.map(\.end)
        for (job, booking) in reservations where job != owner && booking.end > now && booking.end.isFinite {
            times.append(booking.end)
        }
        times.sort()
        let wantCores = request.ncores, wantGpus = request.ngpus
        let wantIdle = prepared.whole ? (prepared.nodeCount ?? 1) : 0
        var future = state
        var next = 0
        var previous = now
        for time in times where time > previous {
            previous = time
            while next < ending.count, ending[next].end <= time {
                let holding = allocations[ending[next].job]!.holding
                for k in holding.positions.indices {
                    future.give(Int(holding.positions[k]), holding.words(k, stride: state.stride))
                }
                next += 1
            }
            if future.usableFreeCores < wantCores || future.usableFreeGpus < wantGpus || future.idleCount < wantIdle {
                continue
            }
            if let picks = match(prepared, in: future, window: MatchWindow(start: time, end: time + length, owner: owner)) {
                let holding = Self.holding(picks, stride: state.stride)
                return (time, resourceSet(holding, start: time, end: time + length))
            }
        }
        return nil
    }

    /// Books a reservation (resources held from `at` for the duration) so that later matching at
    /// earlier times will not use them when the booking would overlap. A job's new booking
    /// replaces its old one. Nodes or ids of `R` the instance lacks are left out.
    public mutating func reserve(_ job: JobID, _ R: ResourceSet, at: Double, duration: Double) {
        cancelReservation(job)
        var holding = GraphHolding()
        for node in R.nodes {
            guard let (position, words) = nodes.words(of: node) else { continue }
            holding.positions.append(Int32(position))
            holding.words.append(contentsOf: words)
        }
        let end = at + max(0, duration)
        for k in holding.positions.indices {
            let booking = NodeBooking(job: job, at: at, end: end, words: Array(holding.words(k, stride: state.stride)))
            nodeReservations[Int(holding.positions[k])].append(booking)
        }
        reservations[job] = GraphReservation(holding: holding, at: at, end: end, R: R)
    }

    /// Cancels a job's reservation; a job without one is ignored.
    public mutating func cancelReservation(_ job: JobID) {
        guard let booking = reservations.removeValue(forKey: job) else { return }
        for position in booking.holding.positions {
            nodeReservations[Int(position)].removeAll { $0.job == job }
        }
    }

    /// Cancels every reservation.
    public mutating func cancelAllReservations() {
        for job in Array(reservations.keys) { cancelReservation(job) }
    }

    /// The jobs holding a reservation.
    public var reservedJobs: [JobID] { Array(reservations.keys) }
}
