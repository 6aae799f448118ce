// The broker's life as a state machine with no I/O: a table of state, event and next
// state, and the actions the broker performs on each transition.
//
//   state      event                         next       actions
//   init       started                       run        start the initial program (or wait, with none)
//   run        initial program exited        shutdown   finish with its exit code
//   run        shutdown requested            cleanup    terminate the initial program (SIGTERM to its group), arm the grace timer
//   run        signal S (INT, TERM, HUP)     cleanup    forward S to the initial program's group, arm the grace timer
//   run        shutdown/signal, no program   shutdown   finish with 0
//   cleanup    initial program exited        shutdown   finish: 0 if `fluxs shutdown` ended it, else its code
//   cleanup    grace expired / 2nd request   cleanup    kill the initial program (SIGKILL to its group)
//   shutdown   anything                      shutdown   nothing

/// The broker's life-cycle state machine.
public struct BrokerLifecycle: Sendable {
    /// Where the broker is in its life.
    public enum State: String, Sendable {
        case initializing = "init", run, cleanup, shutdown
    }

    /// What happens to the broker.
    public enum Event: Sendable, Equatable {
        case started(hasInitialProgram: Bool)
        case initialProgramExited(code: Int32, signal: Int32?)
        case shutdownRequested
        case signalReceived(Int32)
        case graceExpired
    }

    /// What the broker must do.
    public enum Action: Sendable, Equatable {
        case startInitialProgram
        case terminateInitialProgram
        case forwardSignal(Int32)
        case killInitialProgram
        case armGraceTimer
        case finish(exitCode: Int32)
    }

    /// The current state.
    public private(set) var state: State = .initializing
    private var hasInitialProgram = false
    private var shutdownByRequest = false

    /// A broker that has not started.
    public init() {}

    /// Applies an event; returns the actions to perform, in order.
    public mutating func on(_ event: Event) -> [Action] {
        switch (state, event) {
        case (.initializing, .started(let hasProgram)):
            state = .run
            hasInitialProgram = hasProgram
            return hasProgram ? [.startInitialProgram] : []
        case (.run, .initialProgramExited(let code, _)):
            state = .shutdown
            return [.finish(exitCode: code)]
        case (.run, .shutdownRequested), (.initializing, .shutdownRequested),
            (.run, .signalReceived), (.initializing, .signalReceived):
            guard hasInitialProgram else {
                state = .shutdown
                return [.finish(exitCode: 0)]
            }
            state = .cleanup
            if case .signalReceived(let signo) = event { return [.forwardSignal(signo), .armGraceTimer] }
            shutdownByRequest = true
            return [.terminateInitialProgram, .armGraceTimer]
        case (.cleanup, .initialProgramExited(let code, let signal)):
            state = .shutdown
            let endedByUs = shutdownByRequest && (signal == 15 || signal == 9)
            return [.finish(exitCode: endedByUs ? 0 : code)]
        case (.cleanup, .graceExpired), (.cleanup, .shutdownRequested), (.cleanup, .signalReceived):
            return [.killInitialProgram]
        default:
            return []
        }
    }
}
