// The matcher: which nodes, cores and gpus a request gets from a given free state over a
// time window, under a policy (MatchPolicy.swift says what each policy prefers).
// Nodes come from the index in policy order, already filtered by free counts; each is then
// checked against the job's constraint (a node bitset, GraphConstraint.swift; the scans jump
// over the nodes it rules out) and against reservations overlapping the window (which the
// index does not know), so the index makes the common case fast and the checks keep it
// exact. A match either satisfies the whole request or is nil: nothing is partly taken.
// Shapes: with a node level, N nodes each get slotsPerNode slots (all on that node); without
// one, slots are packed onto as few or as many nodes as the order gives (a node holds
// several). Whole-node requests (exclusive, or a node-exclusive policy) take idle nodes whole.
import FluxsFormats

/// A request reduced to what the matcher needs; nil from `init` when it is malformed.
struct PreparedRequest {
    /// Nodes, when the request has a node level.
    var nodeCount: Int?
    /// Slots per node (node level) or in all (slots only).
    var slots: Int
    /// Cores per slot (at least 1).
    var cores: Int
    /// GPUs per slot.
    var gpus: Int
    /// True when every node used is taken whole.
    var whole: Bool
    /// The node order.
    var order: NodeOrder
    /// The nodes the constraint allows, a bitset over positions; nil: every node.
    var allowed: [UInt64]?

    init?(_ request: ResourceRequest, _ policy: MatchPolicy, _ nodes: GraphNodes) {
        guard request.nslots >= 1, request.coresPerSlot >= 1, request.gpusPerSlot >= 0 else { return nil }
        if let count = request.nnodes {
            guard count >= 1, request.nslots % count == 0 else { return nil }
            nodeCount = count
            slots = request.nslots / count
        } else {
            slots = request.nslots
        }
        cores = request.coresPerSlot
        gpus = request.gpusPerSlot
        whole = request.exclusive || policy.isNodeExclusive
        order = policy.order
        allowed = request.constraint.map(nodes.mask)
    }

    /// True when node `position` satisfies the constraint.
    @inline(__always)
    func eligible(_ position: Int) -> Bool {
        guard let allowed else { return true }
        return allowed[position / 64] & (1 << UInt64(position % 64)) != 0
    }

    /// The first position at or after `position` that the constraint allows, or nil.
    func nextEligible(from position: Int) -> Int? {
        guard let allowed else { return position }
        var word = position / 64
        guard word < allowed.count else { return nil }
        var bits = allowed[word] & (~0 << UInt64(position % 64))
        while bits == 0 {
            word += 1
            guard word < allowed.count else { return nil }
            bits = allowed[word]
        }
        return word * 64 + bits.trailingZeroBitCount
    }

    /// The last position before `position` that the constraint allows, or nil.
    func previousEligible(before position: Int) -> Int? {
        guard let allowed else { return position - 1 >= 0 ? position - 1 : nil }
        guard position > 0 else { return nil }
        let last = position - 1
        var word = last / 64
        var bits = allowed[word] & (last % 64 == 63 ? ~0 : (1 << UInt64(last % 64 + 1)) - 1)
        while bits == 0 {
            guard word > 0 else { return nil }
            word -= 1
            bits = allowed[word]
        }
        return word * 64 + 63 - bits.leadingZeroBitCount
    }

    /// Slots a node with `c` free cores and `g` free gpus can hold.
    func capacity(cores c: Int, gpus g: Int) -> Int {
        gpus > 0 ? min(c / cores, g / gpus) : c / cores
    }
}

/// A time window [start, end) and the job whose own reservation does not block it.
struct MatchWindow {
    var start: Double
    var end: Double
    var owner: JobID?
}

/// One node of a match: its position and the `stride` mask words it gives.
typealias MatchPick = (position: Int, words: [UInt64])

/// How to walk the nodes.
enum NodeScan {
    /// Lowest position first.
    case ascending
    /// Highest position first.
    case descending
    /// Fewest free cores first.
    case tightest
    /// Most free cores first.
    case roomiest
}

extension ResourceGraph {
    /// The bits of node `position` held by reservations overlapping `window`, or nil.
    func blocked(_ position: Int, _ window: MatchWindow) -> [UInt64]? {
        let bookings = nodeReservations[position]
        if bookings.isEmpty { return nil }
        var mask: [UInt64]?
        for booking in bookings where booking.job != window.owner && booking.at < window.end && booking.end > window.start {
            if mask == nil {
                mask = booking.words
            } else {
                for k in 0..<booking.words.count { mask![k] |= booking.words[k] }
            }
        }
        return mask
    }

    /// What node `position` offers in `window`: free cores and gpus, the bits reservations
    /// take out of its free words (nil when none), and whether it is idle.
    private func offer(_ position: Int, _ state: GraphState, _ window: MatchWindow, _ request: PreparedRequest)
        -> (cores: Int, gpus: Int, blocked: [UInt64]?, idle: Bool)? {
        guard state.usable[position], request.eligible(position) else { return nil }
        if let mask = blocked(position, window) {
            let base = position * state.stride, cw = state.coreWords
            var cores = 0, gpus = 0
            for k in 0..<state.stride {
                let bits = (state.free[base + k] & ~mask[k]).nonzeroBitCount
                if k < cw { cores += bits } else { gpus += bits }
            }
            return (cores, gpus, mask, false)
        }
        return (Int(state.freeCores[position]), Int(state.freeGpus[position]), nil, state.isIdle(position))
    }

    /// `slots` slots' worth of the free words of node `position`, less the `blocked` bits.
    private func take(_ slots: Int, _ position: Int, _ state: GraphState, blocked: [UInt64]?, _ request: PreparedRequest) -> [UInt64] {
        var free = Array(state.freeWords(position))
        if let blocked { for k in 0..<free.count { free[k] &= ~blocked[k] } }
        let cw = state.coreWords
        let high = request.order == .high
        let cores = MaskBits.pick(free[..<cw], count: slots * request.cores, high: high)!
        let gpus = MaskBits.pick(free[cw...], count: slots * request.gpus, high: high)!
        return cores + gpus
    }

    /// Walks usable nodes with at least `a` free cores and `b` free gpus (idle when `idle`),
    /// in `scan` order, until `body` returns false.
    /// Nodes the constraint of `request` rules out are skipped in the ascending and
    /// descending scans (by jumping over them in its bitset).
    private func walk(_ scan: NodeScan, _ state: GraphState, cores a: Int, gpus b: Int, idle: Bool,
                      _ request: PreparedRequest, _ body: (Int) -> Bool) {
        let index = state.index
        let (a32, b32) = (Int32(clamping: a), Int32(clamping: b))
        switch scan {
        case .ascending:
            var next = index.first(from: 0, cores: a32, gpus: b32, idle: idle)
            while let position = next {
                if request.eligible(position) {
                    if !body(position) { return }
                    next = index.first(from: position + 1, cores: a32, gpus: b32, idle: idle)
                } else {
                    guard let from = request.nextEligible(from: position) else { return }
                    next = index.first(from: from, cores: a32, gpus: b32, idle: idle)
                }
            }
        case .descending:
            var next = index.last(before: state.count, cores: a32, gpus: b32, idle: idle)
            while let position = next {
                if request.eligible(position) {
                    if !body(position) { return }
                    next = index.last(before: position, cores: a32, gpus: b32, idle: idle)
                } else {
                    guard let before = request.previousEligible(before: position) else { return }
                    next = index.last(before: before + 1, cores: a32, gpus: b32, idle: idle)
                }
            }
        case .tightest, .roomiest:
            index.byFreeCores(atLeast: a, descending: scan == .roomiest) { position in
                guard state.freeGpus[position] >= b32, !idle || state.isIdle(position) else { return true }
                return body(position)
            }
        }
    }

    /// The scan of a node order.
    private func scan(_ order: NodeOrder) -> NodeScan {
        switch order {
        case .first, .locality: .ascending
        case .high: .descending
        case .best: .tightest
        }
    }

    /// The resources `request` gets from `state` over `window`, or nil when it does not fit.
    func match(_ request: PreparedRequest, in state: GraphState, window: MatchWindow) -> [MatchPick]? {
        let picks = request.nodeCount.map { matchNodes($0, request, state, window) }
            ?? matchSlots(request, state, window)
        return picks?.sorted { $0.position < $1.position }
    }

    /// N nodes with `request.slots` slots each.
    private func matchNodes(_ count: Int, _ request: PreparedRequest, _ state: GraphState, _ window: MatchWindow) -> [MatchPick]? {
        let needCores = request.slots * request.cores, needGpus = request.slots * request.gpus
        // Idle nodes have all their cores free, so the same minimums select big-enough idle nodes.
        func accept(_ position: Int) -> MatchPick? {
            guard let offer = offer(position, state, window, request) else { return nil }
            if request.whole {
                return offer.idle ? (position, nodes.shape(position).fullWords) : nil
            }
            guard offer.cores >= needCores, offer.gpus >= needGpus else { return nil }
            return (position, take(request.slots, position, state, blocked: offer.blocked, request))
        }
        var picks: [MatchPick] = []
        if request.order == .locality {
            var previous = -2
            walk(.ascending, state, cores: needCores, gpus: needGpus, idle: request.whole, request) { position in
                guard let pick = accept(position) else { return true }
                if position != previous + 1 { picks.removeAll(keepingCapacity: true) }
                picks.append(pick)
                previous = position
                return picks.count < count
            }
            if picks.count == count { return picks }
            picks = []
        }
        walk(scan(request.order), state, cores: needCores, gpus: needGpus, idle: request.whole, request) { position in
            if let pick = accept(position) { picks.append(pick) }
            return picks.count < count
        }
        return picks.count == count ? picks : nil
    }

    /// `request.slots` slots packed onto nodes.
    private func matchSlots(_ request: PreparedRequest, _ state: GraphState, _ window: MatchWindow) -> [MatchPick]? {
        var left = request.slots
        var picks: [MatchPick] = []
        if request.whole {
            let order: NodeScan = request.order == .locality ? .roomiest : scan(request.order)
            walk(order, state, cores: request.cores, gpus: request.gpus, idle: true, request) { position in
                guard let offer = offer(position, state, window, request), offer.idle else { return true }
                let room = request.capacity(cores: offer.cores, gpus: offer.gpus)
                guard room >= 1 else { return true }
                picks.append((position, nodes.shape(position).fullWords))
                left -= room
                return left > 0
            }
            return left <= 0 ? picks : nil
        }
        if request.order == .locality {
            // The tightest single node that holds every slot, if any.
            var single: MatchPick?
            walk(.tightest, state, cores: left * request.cores, gpus: left * request.gpus, idle: false, request) { position in
                guard let offer = offer(position, state, window, request),
                      request.capacity(cores: offer.cores, gpus: offer.gpus) >= left else { return true }
                single = (position, take(left, position, state, blocked: offer.blocked, request))
                return false
            }
            if let single { return [single] }
        }
        let order: NodeScan = request.order == .locality ? .roomiest : scan(request.order)
        walk(order, state, cores: request.cores, gpus: request.gpus, idle: false, request) { position in
            guard let offer = offer(position, state, window, request) else { return true }
            let slots = min(left, request.capacity(cores: offer.cores, gpus: offer.gpus))
            guard slots >= 1 else { return true }
            picks.append((position, take(slots, position, state, blocked: offer.blocked, request)))
            left -= slots
            return left > 0
        }
        return left == 0 ? picks : nil
    }
}
