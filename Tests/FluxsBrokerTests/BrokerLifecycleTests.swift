// The broker life-cycle table, transition by transition.
import FluxsBroker
import Testing

struct BrokerLifecycleTests {
    typealias E = BrokerLifecycle.Event
    typealias A = BrokerLifecycle.Action

    func run(_ events: [E]) -> (BrokerLifecycle.State, [[A]]) {
        var machine = BrokerLifecycle()
        let actions = events.map { machine.on($0) }
        return (machine.state, actions)
    }

    @Test func initialProgramExitEndsTheInstanceWithItsCode() {
        let (state, actions) = run([.started(hasInitialProgram: true), .initialProgramExited(code: 3, signal: nil)])
        #expect(state == .shutdown)
        #expect(actions == [[.startInitialProgram], [.finish(exitCode: 3)]])
    }

    @Test func shutdownTerminatesThenFinishesWithZero() {
        let (state, actions) = run([
            .started(hasInitialProgram: true), .shutdownRequested, .initialProgramExited(code: 143, signal: 15),
        ])
        #expect(state == .shutdown)
        #expect(actions == [[.startInitialProgram], [.terminateInitialProgram, .armGraceTimer], [.finish(exitCode: 0)]])
    }

    @Test func aSignalIsForwardedAndTheProgramsCodePropagates() {
        let (_, actions) = run([.started(hasInitialProgram: true), .signalReceived(2), .initialProgramExited(code: 130, signal: 2)])
        #expect(actions[1] == [.forwardSignal(2), .armGraceTimer])
        #expect(actions[2] == [.finish(exitCode: 130)])
    }

    @Test func graceExpiryKillsAndAProgramThatIgnoredUsKeepsItsCode() {
        let (state, actions) = run([
            .started(hasInitialProgram: true), .shutdownRequested, .graceExpired, .initialProgramExited(code: 137, signal: 9),
        ])
        #expect(actions[2] == [.killInitialProgram])
        #expect(actions[3] == [.finish(exitCode: 0)])
        #expect(state == .shutdown)
    }

    @Test func withoutAnInitialProgramShutdownFinishesAtOnce() {
        let (state, actions) = run([.started(hasInitialProgram: false), .shutdownRequested])
        #expect(actions == [[], [.finish(exitCode: 0)]])
        #expect(state == .shutdown)
    }

    @Test func nothingHappensAfterShutdown() {
        let (_, actions) = run([.started(hasInitialProgram: false), .shutdownRequested, .shutdownRequested, .graceExpired])
        #expect(actions.suffix(2) == [[], []])
    }
}
