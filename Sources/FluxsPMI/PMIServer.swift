// The server side of PMI-1 as a pure state machine: no I/O, no clock. The caller feeds
// it (connection index, line) pairs and sends back what it returns; PMISocketServer is
// one such caller, over socketpairs.
//
// A job has `size` ranks, each on its own connection. With PMI_FD, connection i is
// rank i (bound on first use). With PMI_PORT, connections arrive in any order and each
// names its rank with `cmd=initack pmiid=RANK` before anything else.
//
// A server may serve only some of the job's ranks (`localRanks`, one connection each,
// connection i being rank localRanks[i]): a job shell serves the tasks of its node.
// The KVS is a dictionary written by `put` at once. RFC 13 only promises that a put is
// visible to other ranks after the next barrier: with `exchangesPuts`, once every local
// rank entered a barrier, the server reports the puts made here since the last one
// (`exchange`), and the caller, having swapped them with the other nodes, finishes the
// barrier with `completeExchange` and everything the other nodes put.
// `PMI_process_mapping` is pre-put from the node layout. An unknown key is answered
// `rc=-1`. `barrier_out` goes to every rank only once all `size` ranks sent
// `barrier_in`. Nothing here traps on input: a bad line becomes a `protocolError` event.

/// The PMI-1 server state machine for one job.
public struct PMIServer: Sendable {
    /// Number of ranks.
    public let size: Int
    /// The job's KVS name, answered to `get_my_kvsname`.
    public let kvsname: String
    /// The application number, answered to `get_appnum`.
    public let appnum: Int
    /// The universe size, answered to `get_universe_size`.
    public let universeSize: Int
    /// The limits answered to `get_maxes` and enforced on `put`.
    public let limits: PMILimits
    /// The PMI_process_mapping value ("" when it would not fit in a value, per RFC 13).
    public let processMapping: String

    /// The KVS contents.
    public private(set) var kvs: [String: String] = [:]
    /// Barriers completed so far.
    public private(set) var barriersCompleted = 0
    /// Ranks that have finalized.
    public private(set) var finalizedRanks: Set<Int> = []
    /// The ranks served here, by connection index.
    public let localRanks: [Int]
    /// Whether barriers exchange puts with other servers (see `completeExchange`).
    public let exchangesPuts: Bool
    private var pendingPuts: [String: String] = [:]

    private var rankOfConnection: [Int: Int] = [:]
    private var connectionOfRank: [Int: Int] = [:]
    private var barrierWaiting: [Int: Int] = [:]  // rank -> connection

    /// Makes a server for `size` ranks. `nodeLayout` lists the ranks on each node (nil:
    /// all on one node); it must cover 0..<size exactly once.
    public init(
        size: Int, nodeLayout: [[Int]]? = nil, kvsname: String = "kvs_0", appnum: Int = 0,
        universeSize: Int? = nil, limits: PMILimits = PMILimits(), localRanks: [Int]? = nil, exchangesPuts: Bool = false
    ) throws(PMIError) {
        guard size > 0 else { throw PMIError("PMI job size must be positive, not \(size)") }
        guard PMIMessage.isWireWord(kvsname), !kvsname.isEmpty, kvsname.utf8.count < limits.kvsnameMax else {
            throw PMIError("bad PMI kvsname \"\(kvsname)\"")
        }
        let layout = nodeLayout ?? [Array(0..<size)]
        let count = layout.reduce(0) { $0 + $1.count }
        guard count == size else {
            throw PMIError("node layout holds \(count) ranks for a job of \(size)")
        }
        let mapping = try PMIProcessMapping.encode(nodeLayout: layout)
        self.size = size
        self.kvsname = kvsname
        self.appnum = appnum
        self.universeSize = universeSize ?? size
        self.limits = limits
        self.processMapping = mapping.utf8.count < limits.vallenMax ? mapping : ""
        self.localRanks = localRanks ?? Array(0..<size)
        guard self.localRanks.allSatisfy({ (0..<size).contains($0) }), Set(self.localRanks).count == self.localRanks.count else {
            throw PMIError("local ranks \(self.localRanks) do not fit a job of \(size)")
        }
        self.exchangesPuts = exchangesPuts
        kvs["PMI_process_mapping"] = processMapping
    }

    /// The rank bound to a connection, if any yet.
    public func rank(ofConnection connection: Int) -> Int? { rankOfConnection[connection] }

    /// Handles one line (with or without its newline) from a connection.
    public mutating func handle(connection: Int, line: some StringProtocol) -> PMIServerOutput {
        let message: PMIMessage
        do throws(PMIError) {
            message = try PMIMessage.parse(line)
        } catch {
            return Self.failure(connection, "rank \(rankText(connection)): \(error.message)")
        }
        return handle(connection: connection, message: message)
    }

    /// Handles one parsed request from a connection.
    public mutating func handle(connection: Int, message: PMIMessage) -> PMIServerOutput {
        if message.command == "initack" { return initack(connection, message) }
        guard let rank = bind(connection) else {
            return Self.failure(connection, "connection \(connection) has no rank: PMI_PORT clients must send initack first")
        }
        func reply(_ command: String, _ pairs: KeyValuePairs<String, String>) -> PMIServerOutput {
            PMIServerOutput(replies: [PMIReply(connection: connection, message: PMIMessage(command, pairs))])
        }
        switch message.command {
        case "init":
            let version = message["pmi_version"] == nil ? 1 : (message.int("pmi_version") ?? -1)
            guard version == 1 else {
                return reply("response_to_init", ["rc": "-1", "pmi_version": "1", "pmi_subversion": "1", "msg": "only_PMI-1_is_supported"])
            }
            return reply("response_to_init", ["rc": "0", "pmi_version": "1", "pmi_subversion": "1"])
        case "get_maxes":
            return reply("maxes", [
                "rc": "0", "kvsname_max": "\(limits.kvsnameMax)", "keylen_max": "\(limits.keylenMax)",
                "vallen_max": "\(limits.vallenMax)",
            ])
        case "get_appnum":
            return reply("appnum", ["rc": "0", "appnum": "\(appnum)"])
        case "get_my_kvsname":
            return reply("my_kvsname", ["rc": "0", "kvsname": kvsname])
        case "get_universe_size":
            return reply("universe_size", ["rc": "0", "size": "\(universeSize)"])
        case "put":
            if let problem = putProblem(message) { return reply("put_result", ["rc": "-1", "msg": problem]) }
            kvs[message["key"]!] = message["value"]!
            if exchangesPuts { pendingPuts[message["key"]!] = message["value"]! }
            return reply("put_result", ["rc": "0"])
        case "get":
            if let name = message["kvsname"], name != kvsname {
                return reply("get_result", ["rc": "-1", "msg": "unknown_kvsname"])
            }
            guard let key = message["key"], let value = kvs[key] else {
                return reply("get_result", ["rc": "-1", "msg": "key_not_found"])
            }
            return reply("get_result", ["rc": "0", "value": value])
        case "barrier_in":
            return barrierIn(rank, connection)
        case "finalize":
            finalizedRanks.insert(rank)
            var output = reply("finalize_ack", ["rc": "0"])
            if finalizedRanks.count == size { output.events.append(.allFinalized) }
            return output
        case "abort":
            let code = message.int("exitcode") ?? 1
            let text = message["error_msg"] ?? message["msg"]
            return PMIServerOutput(events: [.abort(rank: rank, exitCode: code, message: text)])
        case "publish_name", "unpublish_name", "lookup_name":
            let command = String(message.command.dropLast("_name".count)) + "_result"
            return reply(command, ["rc": "-1", "msg": "name_publishing_is_not_supported"])
        default:
            return Self.failure(connection, "rank \(rank): unsupported PMI command \"\(message.command)\"")
        }
    }

    /// Notes that a connection closed; reports it when its rank had not finalized.
    public mutating func connectionClosed(_ connection: Int) -> PMIServerOutput {
        let rank = rankOfConnection[connection] ?? (localRanks.indices.contains(connection) ? localRanks[connection] : nil)
        if let rank, finalizedRanks.contains(rank) { return PMIServerOutput() }
        if let rank, barrierWaiting[rank] == connection { barrierWaiting[rank] = nil }
        return PMIServerOutput(events: [.connectionLost(connection: connection, rank: rank)])
    }

    // MARK: - Commands with state

    private mutating func initack(_ connection: Int, _ message: PMIMessage) -> PMIServerOutput {
        guard let id = message.int("pmiid"), id >= 0, id < size else {
            return Self.failure(connection, "initack with a bad pmiid \"\(message["pmiid"] ?? "")\" for a job of \(size)")
        }
        guard rankOfConnection[connection] == nil, connectionOfRank[id] == nil else {
            return Self.failure(connection, "initack for rank \(id) on connection \(connection): already bound")
        }
        rankOfConnection[connection] = id
        connectionOfRank[id] = connection
        // As Hydra answers: `cmd=initack` with no rc, then size, rank and debug.
        let lines = [
            PMIMessage("initack"), PMIMessage("set", ["size": "\(size)"]),
            PMIMessage("set", ["rank": "\(id)"]), PMIMessage("set", ["debug": "0"]),
        ]
        return PMIServerOutput(replies: lines.map { PMIReply(connection: connection, message: $0) })
    }

    private mutating func barrierIn(_ rank: Int, _ connection: Int) -> PMIServerOutput {
        guard barrierWaiting[rank] == nil else {
            return Self.failure(connection, "rank \(rank) entered the barrier twice")
        }
        barrierWaiting[rank] = connection
        guard barrierWaiting.count == localRanks.count else { return PMIServerOutput() }
        if exchangesPuts {
            let puts = pendingPuts
            pendingPuts.removeAll()
            return PMIServerOutput(events: [.exchange(puts: puts)])
        }
        return releaseBarrier()
    }

    /// Finishes a barrier reported by `exchange`: `puts` (what every node put, this
    /// one's included) become visible and every local rank gets `barrier_out`.
    public mutating func completeExchange(_ puts: [String: String]) -> PMIServerOutput {
        kvs.merge(puts) { _, new in new }
        return releaseBarrier()
    }

    private mutating func releaseBarrier() -> PMIServerOutput {
        guard barrierWaiting.count == localRanks.count else { return PMIServerOutput() }
        let replies = barrierWaiting.sorted { $0.key < $1.key }.map {
            PMIReply(connection: $0.value, message: PMIMessage("barrier_out", ["rc": "0"]))
        }
        barrierWaiting.removeAll()
        barriersCompleted += 1
        return PMIServerOutput(replies: replies)
    }

    /// Why a put is refused (a wire word for `msg=`), nil when it is fine.
    private func putProblem(_ message: PMIMessage) -> String? {
        if let name = message["kvsname"], name != kvsname { return "unknown_kvsname" }
        guard let key = message["key"], !key.isEmpty else { return "missing_key" }
        guard let value = message["value"] else { return "missing_value" }
        if key.utf8.count >= limits.keylenMax { return "key_too_long" }
        if value.utf8.count >= limits.vallenMax { return "value_too_long" }
        return nil
    }

    // MARK: - Helpers

    /// The rank of a connection, binding connection i to rank localRanks[i] on first use.
    private mutating func bind(_ connection: Int) -> Int? {
        if let rank = rankOfConnection[connection] { return rank }
        guard localRanks.indices.contains(connection) else { return nil }
        let rank = localRanks[connection]
        guard connectionOfRank[rank] == nil else { return nil }
        rankOfConnection[connection] = rank
        connectionOfRank[rank] = connection
        return rank
    }

    private func rankText(_ connection: Int) -> String {
        rankOfConnection[connection].map(String.init) ?? "?(connection \(connection))"
    }

    private static func failure(_ connection: Int, _ message: String) -> PMIServerOutput {
        PMIServerOutput(events: [.protocolError(connection: connection, message: message)])
    }
}
