// The health of a broker's links to its parent and children, as a state machine: signs
// of life, keepalive ticks, control messages (hello, goodbye), failed sends and the
// orderly shutdown's goodbyes go in, with the time; what to do comes out (keepalives to
// send, losses to announce, requests to fail). No I/O and no clock here: Overlay feeds
// it from its sockets and timers and performs the actions (Overlay+Health.swift).
//
// Healing (tbon.heal): a broker whose parent is silent moves to the next of its
// `healTargets` (its grandparent, then further up) instead of shutting down; a broker
// that loses a child expects that child's children to come to it as orphans, and gives
// up on those that have not come within `orphanGrace`.
import FluxsFormats
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// The state of one broker's links.
struct OverlayHealth {
    /// What is known of a direct child.
    struct Child: Equatable {
        var state: PeerState = .offline
        var lastSeen = 0.0
        /// Whether the child said more than hello since it connected (before that, it
        /// may still be starting, and has firstWordTimeout to speak again).
        var settled = false
    }

    /// What the overlay must do.
    enum Action: Equatable {
        /// Send a keepalive to a neighbour.
        case keepalive(to: UInt32)
        /// The parent is silent: this broker (and its subtree) must go.
        case parentLost(reason: String)
        /// The parent is silent: connect to `to`, an ancestor further up, instead.
        case reconnect(to: UInt32, lost: UInt32, reason: String)
        /// Orphans of a lost child that did not come in time: their subtrees are lost.
        case orphansLost([UInt32])
        /// A child vanished: fail what is pending in its subtree, log, publish overlay.lost.
        case childLost(UInt32, reason: String)
        /// A child said goodbye: fail what is still pending there.
        case childLeft(UInt32)
        /// A child went away while this subtree shuts down (not a loss).
        case childLeftDuringShutdown(UInt32)
        /// A lost child is back.
        case childRejoined(UInt32)
        /// Every child said goodbye (or was given up on): the shutdown may go on.
        case shutdownDone
    }

    private(set) var children: [UInt32: Child]
    /// The parent's rank (nil on rank 0); an ancestor further up once healed.
    private(set) var parent: UInt32?
    /// The ancestors to move to, nearest first, when the parent goes silent (empty
    /// when healing is off or nobody further up would admit this broker).
    var healTargets: [UInt32] = []
    /// How long a broker waits for the first word of its first parent, or for a child's
    /// first word after its hello, either of which may still be starting
    /// (broker.quorum-timeout): only then does tbon.timeout apply.
    var firstWordTimeout = 0.0
    /// Whether the parent has spoken since this broker started.
    private(set) var parentHeard = false
    /// Orphans expected (children of a lost child), and when to give up on each.
    private(set) var expectedOrphans: [UInt32: Double] = [:]
    private(set) var parentLastSeen: Double
    /// Children still to say goodbye while this subtree shuts down (nil: not shutting down).
    private(set) var awaitingGoodbye: Set<UInt32>?
    /// How long a neighbour may be silent (tbon.timeout).
    let timeout: Double

    init(children: [UInt32], parent: UInt32?, timeout: Double, now: Double) {
        self.children = Dictionary(uniqueKeysWithValues: children.map { ($0, Child()) })
        self.parent = parent
        self.timeout = timeout
        parentLastSeen = now
    }

    /// The children that are online, in rank order.
    var onlineChildren: [UInt32] { children.filter { $0.value.state == .online }.keys.sorted() }

    /// Whether `child` is one of ours and online.
    func isOnline(_ child: UInt32) -> Bool { children[child]?.state == .online }

    /// Why a request cannot go toward `target` through `child`, or nil when it can.
    func unreachable(_ target: UInt32, via child: UInt32) -> ServiceError? {
        switch children[child]?.state {
        case .online?: return nil
        case .lost?: return ServiceError(EHOSTUNREACH, "rank \(target) is unreachable: rank \(child) is lost")
        default: return ServiceError(EHOSTUNREACH, "rank \(target) is unreachable: rank \(child) is offline")
        }
    }

    // MARK: - Inputs

    /// The keepalive timer: keepalives to send, and silences that are losses.
    /// `shuttingDown`: the broker is shutting down (its parent's silence is expected).
    mutating func tick(now: Double, shuttingDown: Bool) -> [Action] {
        var actions: [Action] = []
        if let parent {
            actions.append(.keepalive(to: parent))
            let limit = parentHeard ? timeout : max(timeout, firstWordTimeout)
            if now - parentLastSeen > limit, !shuttingDown {
                let reason = "lost the parent (rank \(parent)): no sign of life for \(FluxDuration.format(limit))"
                if healTargets.isEmpty {
                    actions.append(.parentLost(reason: reason))
                } else {
                    let next = healTargets.removeFirst()
                    self.parent = next
                    parentLastSeen = now
                    actions.append(.reconnect(to: next, lost: parent, reason: reason))
                }
            }
        }
        let late = expectedOrphans.filter { $0.value < now }.keys.sorted()
        if !late.isEmpty {
            for orphan in late { expectedOrphans[orphan] = nil }
            actions.append(.orphansLost(late))
        }
        for child in onlineChildren {
            let limit = children[child]?.settled == false ? max(timeout, firstWordTimeout) : timeout
            if now - (children[child]?.lastSeen ?? now) > limit {
                actions += lose(child, reason: "no sign of life for \(FluxDuration.format(limit))", shuttingDown: shuttingDown)
            } else {
                actions.append(.keepalive(to: child))
            }
        }
        return actions
    }

    /// Anything from the parent.
    mutating func heardFromParent(now: Double) {
        parentLastSeen = now
        parentHeard = true
    }

    /// Connected to a parent (not yet a sign of its life): its silence counts from now.
    mutating func connectedToParent(now: Double) { parentLastSeen = now }

    /// An orphan (a descendant whose parent was lost) asks to become a child.
    mutating func adopt(_ orphan: UInt32) {
        expectedOrphans[orphan] = nil
        if children[orphan] == nil { children[orphan] = Child() }
    }

    /// A child that moved to another parent while this broker was away is no longer ours.
    mutating func forget(_ child: UInt32) -> [Action] {
        children[child] = nil
        expectedOrphans[child] = nil
        return goodbyeFrom(child)
    }

    /// A child was lost: its children may come as orphans until `deadline`.
    mutating func expect(orphans: [UInt32], until deadline: Double) {
        for orphan in orphans where !isOnline(orphan) { expectedOrphans[orphan] = deadline }
    }

    /// Anything from a child (a message that is not control makes it online too).
    mutating func heardFromChild(_ child: UInt32, now: Double, joining: Bool) -> [Action] {
        guard children[child] != nil else { return [] }
        children[child]?.lastSeen = now
        children[child]?.settled = true
        return joining && !isOnline(child) ? join(child, now: now) : []
    }

    /// A control message from a child: hello, goodbye, or a keepalive.
    mutating func childControl(_ topic: String, from child: UInt32, now: Double) -> [Action] {
        guard children[child] != nil else { return [] }
        children[child]?.lastSeen = now
        children[child]?.settled = topic != "hello"
        switch topic {
        case "hello":
            return join(child, now: now)
        case "goodbye":
            children[child]?.state = .offline
            return [.childLeft(child)] + goodbyeFrom(child)
        default:
            return isOnline(child) ? [] : join(child, now: now)
        }
    }

    /// ZeroMQ could not reach a child (its connection is gone).
    mutating func sendFailed(to child: UInt32, shuttingDown: Bool) -> [Action] {
        lose(child, reason: "its connection is gone", shuttingDown: shuttingDown)
    }

    /// The subtree starts to shut down: returns the children to tell (those online).
    mutating func beginShutdown() -> [UInt32] {
        let online = onlineChildren
        awaitingGoodbye = Set(online)
        return online
    }

    /// The children that did not say goodbye in time are given up on (lost).
    mutating func shutdownTimedOut() -> (late: [UInt32], actions: [Action]) {
        guard let late = awaitingGoodbye, !late.isEmpty else { return ([], []) }
        for child in late { children[child]?.state = .lost }
        awaitingGoodbye = []
        return (late.sorted(), finishShutdown())
    }

    /// The shutdown's done action, when it waits for no one (call after beginShutdown).
    mutating func finishShutdown() -> [Action] {
        guard let waiting = awaitingGoodbye, waiting.isEmpty else { return [] }
        awaitingGoodbye = nil
        return [.shutdownDone]
    }

    // MARK: - Transitions

    private mutating func join(_ child: UInt32, now: Double) -> [Action] {
        let before = children[child]?.state
        children[child]?.state = .online
        children[child]?.lastSeen = now
        return before == .lost ? [.childRejoined(child)] : []
    }

    private mutating func lose(_ child: UInt32, reason: String, shuttingDown: Bool) -> [Action] {
        guard isOnline(child) else { return [] }
        // While this subtree shuts down, a child that is gone has simply gone first (its
        // goodbye may still be on the way): not a loss.
        if awaitingGoodbye != nil || shuttingDown {
            children[child]?.state = .offline
            return [.childLeftDuringShutdown(child)] + goodbyeFrom(child)
        }
        children[child]?.state = .lost
        return [.childLost(child, reason: reason)]
    }

    private mutating func goodbyeFrom(_ child: UInt32) -> [Action] {
        guard awaitingGoodbye != nil else { return [] }
        awaitingGoodbye?.remove(child)
        return finishShutdown()
    }
}
