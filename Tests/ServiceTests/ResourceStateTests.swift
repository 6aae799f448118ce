// ResourceState, rank 0's resources as a state machine, alone: inputs in (R configured, a
// rank's hello, ranks lost, the stored drains read back, drain and undrain requests),
// actions and state out. Every rank's hello assembles R and announces resource.up;
// exclude; verification of a configured R drains a short rank and announces it; drain
// and undrain modes and refusals; lost ranks; the status and R answers.
import FluxsBroker
import FluxsFormats
import FluxsHwloc
import FluxsMessage
@testable import ResourceModule
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The clock of every input.
private let now = 100.0

/// What a rank finds: `cores` cores on `host`.
private func found(_ host: String, cores: Int) -> NodeInventory {
    NodeInventory(hostname: host, packages: 1, numaNodes: 1, cores: cores, pus: cores, memoryBytes: 1 << 30,
                  cpuset: "0-\(cores - 1)")
}

/// An R of two nodes (ranks 0 and 1) of `cores` cores, on node0 and node1 (or without hostnames).
private func twoNodes(cores: UInt32 = 2, hostnames: Bool = true) -> ResourceSet {
    ResourceSet(nodes: (0...1 as ClosedRange<UInt32>).map {
        ResourceSet.Node(rank: $0, hostname: hostnames ? "node\($0)" : nil, cores: IDSet(range: 0...cores - 1))
    })
}

/// R as assembled from found("node0", cores: 2) and found("node1", cores: 3).
private let assembled = ResourceSet(nodes: [
    ResourceSet.Node(rank: 0, hostname: "node0", cores: IDSet(range: 0...1)),
    ResourceSet.Node(rank: 1, hostname: "node1", cores: IDSet(range: 0...2)),
])

/// What rank 1 of a four-core R lacks when it has two.
private let short = "has 2 cores, R says 4 (cores 2-3 missing)"

/// One input to the state.
enum ResourceInput: Sendable {
    case configure(ResourceSet)
    case hello(UInt32, NodeInventory)
    case lose(IDSet)
    case drainsRead(Result<[String: JSONValue], ServiceError>)
    case drain(JSONValue)
    case undrain(JSONValue)
}

extension ResourceState {
    /// Takes `input` at `now`: its actions, or the error that refused it.
    fileprivate mutating func take(_ input: ResourceInput) -> Result<[Action], ServiceError> {
        switch input {
        case .configure(let R): return .success(configure(R, at: now))
        case .hello(let rank, let inventory): return .success(hello(rank: rank, inventory: inventory, at: now))
        case .lose(let ranks): return .success(lose(ranks))
        case .drainsRead(let stored): return .success(drainsRead(stored))
        case .drain(let body): return Result { () throws(ServiceError) in try drain(body, at: now) }
        case .undrain(let body): return Result { () throws(ServiceError) in try undrain(body) }
        }
    }
}

@Suite struct ResourceStateTests {
    /// (the instance, the inputs and the actions each returns, the state after)
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var noverify = false
        var exclude: String?
        var steps: [(ResourceInput, [ResourceState.Action])]
        var R: ResourceSet?
        var up: IDSet = [0, 1]
        var drained: [UInt32: String] = [:]
        var ready = true
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "every rank's hello assembles R and announces resource.up", steps: [
            (.drainsRead(.success([:])), []),
            (.hello(0, found("node0", cores: 2)), []),
            (.hello(1, found("node1", cores: 3)), [.publish(.resourceUp, ["ranks": "1"]), .answerWaiting]),
        ], R: assembled),
        Case(name: "exclude by rank", exclude: "1", steps: [
            (.hello(0, found("node0", cores: 2)), []),
            (.hello(1, found("node1", cores: 3)), [.publish(.resourceUp, ["ranks": "1"])]),
            (.drainsRead(.success([:])), [.answerWaiting]),
        ], R: assembled.restricted(to: [0])),
        Case(name: "exclude by host, a host no rank runs on logged", exclude: "node[1,7]", steps: [
            (.hello(0, found("node0", cores: 2)), []),
            (.hello(1, found("node1", cores: 3)), [
                .publish(.resourceUp, ["ranks": "1"]), .log(.warning, "resource.exclude: no rank runs on node7"),
            ]),
        ], R: assembled.restricted(to: [0]), ready: false),
        Case(name: "verification drains a short rank, keeps and announces it", steps: [
            (.configure(twoNodes(cores: 4, hostnames: false)), []),
            (.drainsRead(.success([:])), [.answerWaiting]),
            (.hello(0, found("n0", cores: 4)), []),
            (.hello(1, found("n1", cores: 2)), [
                .publish(.resourceUp, ["ranks": "1"]), .log(.err, "resource: rank 1 drained: \(short)"),
                .saveDrains(["1": ["reason": .string(short), "timestamp": .double(now)]]),
                .publish(.resourceDrain, ["ranks": "1", "reason": .string(short)]),
            ]),
        ], R: twoNodes(cores: 4, hostnames: false), drained: [1: short]),
        Case(name: "a drain made before the stored drains are in is kept with them", steps: [
            (.configure(twoNodes(cores: 4, hostnames: false)), []),
            (.hello(1, found("n1", cores: 2)), [
                .publish(.resourceUp, ["ranks": "1"]), .log(.err, "resource: rank 1 drained: \(short)"),
                .publish(.resourceDrain, ["ranks": "1", "reason": .string(short)]),
            ]),
            (.drainsRead(.success(["0": ["reason": "old", "timestamp": .double(5)]])), [
                .saveDrains([
                    "0": ["reason": "old", "timestamp": .double(5)],
                    "1": ["reason": .string(short), "timestamp": .double(now)],
                ]),
                .answerWaiting,
            ]),
        ], R: twoNodes(cores: 4, hostnames: false), drained: [0: "old", 1: short]),
        Case(name: "a stored drain stays as it was", steps: [
            (.drainsRead(.success(["1": ["reason": "stored", "timestamp": .double(5)]])), []),
            (.configure(twoNodes(cores: 4, hostnames: false)), [.answerWaiting]),
            (.hello(1, found("n1", cores: 2)), [
                .publish(.resourceUp, ["ranks": "1"]), .log(.err, "resource: rank 1 drained: \(short)"),
            ]),
        ], R: twoNodes(cores: 4, hostnames: false), drained: [1: "stored"]),
        Case(name: "noverify trusts a configured R", noverify: true, steps: [
            (.configure(twoNodes(cores: 4)), []),
            (.hello(1, found("n1", cores: 2)), [.publish(.resourceUp, ["ranks": "1"])]),
        ], R: twoNodes(cores: 4), ready: false),
        Case(name: "R configured after a hello verifies it", steps: [
            (.hello(1, found("n1", cores: 2)), [.publish(.resourceUp, ["ranks": "1"])]),
            (.configure(twoNodes(cores: 4, hostnames: false)), [
                .log(.err, "resource: rank 1 drained: \(short)"),
                .publish(.resourceDrain, ["ranks": "1", "reason": .string(short)]),
            ]),
        ], R: twoNodes(cores: 4, hostnames: false), drained: [1: short], ready: false),
        Case(name: "lost ranks are down until they say hello again", noverify: true, steps: [
            (.configure(twoNodes()), []),
            (.hello(1, found("node1", cores: 2)), [.publish(.resourceUp, ["ranks": "1"])]),
            (.lose([1]), [.log(.notice, "resource: ranks 1 are down (lost by the overlay)")]),
            (.hello(1, found("node1", cores: 2)), [
                .log(.notice, "resource: rank 1 is up again"), .publish(.resourceUp, ["ranks": "1"]),
            ]),
            (.hello(1, found("node1", cores: 2)), []),
            (.lose([0, 1]), [.log(.notice, "resource: ranks 0-1 are down (lost by the overlay)")]),
        ], R: twoNodes(), up: [], ready: false),
        Case(name: "a failed read of the stored drains lets queries through", noverify: true, steps: [
            (.configure(twoNodes()), []),
            (.drainsRead(.failure(ServiceError(EIO, "kvs is broken"))), [
                .log(.err, "resource: cannot read the stored drains: kvs is broken"), .answerWaiting,
            ]),
        ], R: twoNodes(), up: [0]),
    ]

    @Test(arguments: cases) func inputsAndActions(_ c: Case) throws {
        var state = try ResourceState(size: 2, noverify: c.noverify, exclude: c.exclude)
        for (index, (input, expected)) in c.steps.enumerated() {
            #expect(state.take(input) == .success(expected), "step \(index): \(input)")
        }
        #expect(state.R == c.R)
        #expect(state.up == c.up)
        #expect(state.drained.mapValues(\.reason) == c.drained)
        #expect(state.ready == c.ready)
    }

    /// (rank 0's drain before, if any; the request; its actions or error; rank 0's reason
    /// and timestamp after)
    struct Request: CustomTestStringConvertible, Sendable {
        var name: String
        var before: String?
        var input: ResourceInput
        var out: Result<[ResourceState.Action], ServiceError>
        var after: (reason: String, timestamp: Double)?
        var testDescription: String { name }
    }

    /// The drains kept: rank `rank`'s `reason` at `timestamp`.
    private static func kept(_ drains: [(rank: String, reason: String, timestamp: Double)]) -> ResourceState.Action {
        .saveDrains(.object(Dictionary(uniqueKeysWithValues: drains.map {
            ($0.rank, ["reason": .string($0.reason), "timestamp": .double($0.timestamp)])
        })))
    }

    /// The actions of drain request of rank 0 with `mode` that leaves it drained for `reason` at `timestamp`.
    private static func drained0(_ mode: String, _ reason: String, _ timestamp: Double) -> [ResourceState.Action] {
        [
            kept([("0", reason, timestamp)]), .log(.info, "drain idset=0 mode=\(mode) reason=new"),
            .publish(.resourceDrain, ["ranks": "0", "reason": "new"]),
        ]
    }

    static let requests: [Request] = [
        Request(name: "drain a rank not drained", input: .drain(["targets": "0", "reason": "new"]),
                out: .success(drained0("none", "new", now)), after: ("new", now)),
        Request(name: "drain a drained rank, no mode", before: "old", input: .drain(["targets": "0", "reason": "new"]),
                out: .failure(ServiceError(EEXIST, "rank 0 already drained")), after: ("old", 5)),
        Request(name: "update keeps a reason", before: "old", input: .drain(["targets": "0", "reason": "new", "mode": "update"]),
                out: .success(drained0("update", "old", 5)), after: ("old", 5)),
        Request(name: "update fills an empty reason", before: "", input: .drain(["targets": "0", "reason": "new", "mode": "update"]),
                out: .success(drained0("update", "new", 5)), after: ("new", 5)),
        Request(name: "overwrite", before: "old", input: .drain(["targets": "0", "reason": "new", "mode": "overwrite"]),
                out: .success(drained0("overwrite", "new", 5)), after: ("new", 5)),
        Request(name: "force-overwrite", before: "old", input: .drain(["targets": "0", "reason": "new", "mode": "force-overwrite"]),
                out: .success(drained0("force-overwrite", "new", now)), after: ("new", now)),
        Request(name: "force is overwrite", before: "old", input: .drain(["targets": "0", "reason": "new", "force": true]),
                out: .success(drained0("overwrite", "new", 5)), after: ("new", 5)),
        Request(name: "drain by hostlist", input: .drain(["targets": "node[0-1]"]), out: .success([
            kept([("0", "", now), ("1", "", now)]), .log(.info, "drain idset=0-1 mode=none reason="),
            .publish(.resourceDrain, ["ranks": "0-1", "reason": ""]),
        ]), after: ("", now)),
        Request(name: "drain a rank R lacks", input: .drain(["targets": "0-3"]),
                out: .failure(ServiceError(ENOENT, "no such rank or host: 2-3"))),
        Request(name: "drain with an unknown mode", input: .drain(["targets": "0", "mode": "gently"]),
                out: .failure(ServiceError(EINVAL, "invalid drain mode 'gently' specified"))),
        Request(name: "undrain with a reason", before: "old", input: .undrain(["targets": "0", "reason": "fixed"]), out: .success([
            kept([]), .log(.info, "undrain idset=0 mode=none reason=fixed"),
            .publish(.resourceUndrain, ["ranks": "0", "reason": "fixed"]),
        ])),
        Request(name: "undrain of ranks not drained", before: "old", input: .undrain(["targets": "0-1"]),
                out: .failure(ServiceError(EEXIST, "rank 1 not drained")), after: ("old", 5)),
        Request(name: "undrain of ranks not drained, mode update", before: "old",
                input: .undrain(["targets": "0-1", "mode": "update"]), out: .success([
                    kept([]), .log(.info, "undrain idset=0-1 mode=update reason="), .publish(.resourceUndrain, ["ranks": "0-1"]),
                ])),
    ]

    @Test(arguments: requests) func drainAndUndrain(_ c: Request) throws {
        var state = try ResourceState(size: 2, noverify: true)
        _ = state.configure(twoNodes(), at: 1)
        let stored: [String: JSONValue] = c.before.map { ["0": ["reason": .string($0), "timestamp": .double(5)]] } ?? [:]
        #expect(state.drainsRead(.success(stored)) == [.answerWaiting])
        #expect(state.take(c.input) == c.out)
        #expect(state.drained[0]?.reason == c.after?.reason)
        #expect(state.drained[0]?.timestamp == c.after?.timestamp)
    }

    @Test func statusAndRAnswers() throws {
        var state = try ResourceState(size: 2, noverify: true)
        _ = state.configure(twoNodes(), at: 1)
        _ = state.drainsRead(.success(["1": ["reason": "fan", "timestamp": .double(5)], "7": ["reason": "gone", "timestamp": .double(5)]]))
        #expect(state.RAnswer == twoNodes().json)
        let status: [String: JSONValue] = [
            "R": twoNodes().json, "up": "0", "down": "1", "drained": ["1": ["reason": "fan", "timestamp": .double(5)]],
            "allocated": "", "nodelist": ["node0", "node1"],
        ]
        #expect(state.statusAnswer(allocated: nil) == .object(status))
        let held = ResourceSet(nodes: [ResourceSet.Node(rank: 1, hostname: "node1", cores: [0])])
        var allocated = status
        allocated["allocated"] = "1"
        allocated["allocated_R"] = held.json
        #expect(state.statusAnswer(allocated: held) == .object(allocated))
        #expect(state.stats == ["nnodes": 2, "up": "0", "drained": 2, "hellos": 0])
    }

    @Test func anExcludeThatIsNeitherRanksNorHostsIsRefused() {
        #expect(throws: ServiceError(EINVAL, "resource.exclude \"node[1\" is neither an idset of ranks nor a hostlist")) {
            try ResourceState(size: 2, exclude: "node[1")
        }
    }
}
