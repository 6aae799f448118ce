// What the broker's start and end touch besides its attributes: the lifecycle state
// machine (BrokerLifecycle, pure), the initial program and the options it waits with,
// the ranks that joined (rank 0 waits for all before the instance is up), the run
// directory made here, and the exit code and callbacks of the end.
import FluxsMessage

/// The broker's start and end.
struct BrokerLife {
    /// The lifecycle state machine.
    var machine = BrokerLifecycle()
    /// When the broker started (seconds since the epoch).
    let startTime = Broker.wallClock()
    /// How to run the initial program, until it starts.
    var pendingProgram: BrokerOptions?
    /// The initial program, once started.
    var initialProgram: InitialProgram?
    /// True when this broker made the run directory (and removes it at the end).
    var createdRundir = false
    /// The ranks that joined rank 0.
    var joinedRanks: Set<UInt32> = []
    /// Runs once every rank has joined.
    var quorumReached: (() -> Void)?
    /// The exit code that overrides the initial program's (a failure of the broker's own).
    var exitCodeOverride: Int32?
    /// Called once, when the broker has shut down, with the exit code for the process.
    var onExit: ((Int32) -> Void)?
    /// Called once when the instance is up.
    var onStarted: (() -> Void)?
}

/// The broker's local clients: the listening socket, the numbering of connections, and
/// who may connect as what ([access] in the configuration).
struct LocalClients {
    var listener: LocalListener?
    var nextNumber = 0
    /// Other users connect with the guest (user) role.
    var allowGuests = false
    /// Root connects as an owner of the instance.
    var rootIsOwner = false
}

/// The broker's log: the ring of recent entries and the dmesg streams that follow it.
struct BrokerLog {
    var ring: LogRing
    var followers: [Message] = []
}
