// The overlay's health state machine: signs of life, ticks, hellos and goodbyes, failed
// sends and the orderly shutdown go in; keepalives, losses and the shutdown's end come out.
@testable import FluxsBroker
import FluxsMessage
import Testing

@Suite struct OverlayHealthTests {
    /// Rank 1 of a tree: parent 0, children 3 and 4, tbon.timeout 10 s, at time 100.
    static func rankOne() -> OverlayHealth {
        var health = OverlayHealth(children: [3, 4], parent: 0, timeout: 10, now: 100)
        _ = health.childControl("hello", from: 3, now: 100)
        _ = health.childControl("hello", from: 4, now: 100)
        return health
    }

    @Test func ticksSendKeepalivesWhileEveryoneSpeaks() {
        var health = Self.rankOne()
        health.heardFromParent(now: 105)
        #expect(health.tick(now: 105, shuttingDown: false) == [.keepalive(to: 0), .keepalive(to: 3), .keepalive(to: 4)])
    }

    struct Silence: CustomTestStringConvertible {
        var name: String
        var shuttingDown: Bool
        var expected: [OverlayHealth.Action]
        var testDescription: String { name }
    }

    static let silences: [Silence] = [
        Silence(name: "a silent parent and child, running", shuttingDown: false, expected: [
            .keepalive(to: 0), .parentLost(reason: "lost the parent (rank 0): no sign of life for 10s"),
            .childLost(3, reason: "no sign of life for 10s"), .keepalive(to: 4),
        ]),
        Silence(name: "the same, while the broker shuts down", shuttingDown: true, expected: [
            .keepalive(to: 0), .childLeftDuringShutdown(3), .keepalive(to: 4),
        ]),
    ]

    @Test(arguments: silences) func silenceIsALoss(_ c: Silence) {
        var health = Self.rankOne()
        _ = health.heardFromChild(4, now: 111, joining: true)
        #expect(health.tick(now: 111, shuttingDown: c.shuttingDown) == c.expected)
        #expect(!health.isOnline(3))
        #expect(health.children[3]?.state == (c.shuttingDown ? .offline : .lost))
        // Nothing more is said of a child already gone.
        #expect(!health.tick(now: 112, shuttingDown: c.shuttingDown).contains { if case .childLost = $0 { true } else { false } })
    }

    @Test func aLostChildThatSpeaksAgainRejoins() {
        var health = Self.rankOne()
        #expect(health.sendFailed(to: 3, shuttingDown: false) == [.childLost(3, reason: "its connection is gone")])
        #expect(health.unreachable(7, via: 3)?.message == "rank 7 is unreachable: rank 3 is lost")
        #expect(health.heardFromChild(3, now: 120, joining: false) == [])
        #expect(!health.isOnline(3))
        #expect(health.heardFromChild(3, now: 121, joining: true) == [.childRejoined(3)])
        #expect(health.unreachable(7, via: 3) == nil)
    }

    @Test func goodbyeIsNotALoss() {
        var health = Self.rankOne()
        #expect(health.childControl("goodbye", from: 4, now: 101) == [.childLeft(4)])
        #expect(health.unreachable(9, via: 4)?.message == "rank 9 is unreachable: rank 4 is offline")
        #expect(health.sendFailed(to: 4, shuttingDown: false) == [])
    }

    @Test func shutdownWaitsForEveryGoodbye() {
        var health = Self.rankOne()
        #expect(health.beginShutdown() == [3, 4])
        #expect(health.finishShutdown() == [])
        #expect(health.childControl("goodbye", from: 3, now: 101) == [.childLeft(3)])
        // A child whose connection goes during the shutdown has gone first, not been lost.
        #expect(health.sendFailed(to: 4, shuttingDown: false) == [.childLeftDuringShutdown(4), .shutdownDone])
        #expect(health.awaitingGoodbye == nil)
    }

    @Test func shutdownGivesUpOnLateChildren() {
        var health = Self.rankOne()
        _ = health.beginShutdown()
        _ = health.childControl("goodbye", from: 4, now: 101)
        let (late, actions) = health.shutdownTimedOut()
        #expect(late == [3])
        #expect(actions == [.shutdownDone])
        #expect(health.children[3]?.state == .lost)
    }

    @Test func aLeafWithNoChildrenShutsDownAtOnce() {
        var health = OverlayHealth(children: [], parent: 0, timeout: 10, now: 0)
        #expect(health.beginShutdown() == [])
        #expect(health.finishShutdown() == [.shutdownDone])
    }

    @Test func strangersAreIgnored() {
        var health = Self.rankOne()
        #expect(health.childControl("hello", from: 99, now: 100) == [])
        #expect(health.heardFromChild(99, now: 100, joining: true) == [])
        #expect(health.children[99] == nil)
    }

    @Test func aParentNotYetHeardFromHasTheQuorumTimeoutToSpeak() {
        var health = OverlayHealth(children: [], parent: 0, timeout: 10, now: 0)
        health.firstWordTimeout = 60
        health.connectedToParent(now: 0)
        #expect(health.tick(now: 30, shuttingDown: false) == [.keepalive(to: 0)])
        health.heardFromParent(now: 31)
        #expect(health.tick(now: 42, shuttingDown: false) == [
            .keepalive(to: 0), .parentLost(reason: "lost the parent (rank 0): no sign of life for 10s"),
        ])
    }

    @Test func aChildThatOnlySaidHelloHasTheQuorumTimeoutToSpeakAgain() {
        var health = OverlayHealth(children: [3], parent: nil, timeout: 10, now: 100)
        health.firstWordTimeout = 60
        _ = health.childControl("hello", from: 3, now: 100)
        #expect(health.tick(now: 130, shuttingDown: false) == [.keepalive(to: 3)])
        _ = health.childControl("keepalive", from: 3, now: 131)
        #expect(health.tick(now: 142, shuttingDown: false) == [.childLost(3, reason: "no sign of life for 10s")])
    }

    // MARK: - Healing

    @Test func aSilentParentIsLeftForTheNextAncestorThenTheOneAfter() {
        var health = OverlayHealth(children: [], parent: 3, timeout: 1, now: 0)
        health.healTargets = [1, 0]
        #expect(health.tick(now: 1.5, shuttingDown: false) == [
            .keepalive(to: 3), .reconnect(to: 1, lost: 3, reason: "lost the parent (rank 3): no sign of life for 1s"),
        ])
        #expect(health.parent == 1)
        // Rank 1 does not answer either: on to rank 0, then nothing is left.
        #expect(health.tick(now: 3, shuttingDown: false) == [
            .keepalive(to: 1), .reconnect(to: 0, lost: 1, reason: "lost the parent (rank 1): no sign of life for 1s"),
        ])
        health.heardFromParent(now: 3.5)
        #expect(health.tick(now: 4, shuttingDown: false) == [.keepalive(to: 0)])
        #expect(health.tick(now: 5, shuttingDown: false) == [
            .keepalive(to: 0), .parentLost(reason: "lost the parent (rank 0): no sign of life for 1s"),
        ])
    }

    @Test func orphansThatComeAreAdoptedAndThoseThatDoNotAreLost() {
        var health = Self.rankOne()
        health.expect(orphans: [7, 8], until: 130)
        health.adopt(7)
        #expect(health.childControl("hello", from: 7, now: 101) == [])
        #expect(health.isOnline(7))
        health.heardFromParent(now: 131)
        _ = health.heardFromChild(3, now: 131, joining: true)
        _ = health.heardFromChild(4, now: 131, joining: true)
        _ = health.heardFromChild(7, now: 131, joining: true)
        #expect(health.tick(now: 131, shuttingDown: false) == [
            .keepalive(to: 0), .orphansLost([8]), .keepalive(to: 3), .keepalive(to: 4), .keepalive(to: 7),
        ])
        #expect(health.expectedOrphans.isEmpty)
    }

    @Test func aChildThatMovedAwayIsForgotten() {
        var health = Self.rankOne()
        #expect(health.forget(3) == [])
        #expect(health.children[3] == nil)
        #expect(health.onlineChildren == [4])
    }
}
