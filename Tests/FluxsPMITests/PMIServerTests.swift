// The PMI-1 server state machine: the session of PMI-NOTES.md for two ranks, line for
// line; barrier semantics; unknown keys; abort; PMI_PORT's initack; bad lines becoming
// protocol errors; and the PMI_process_mapping encoder against RFC 13's table.
import FluxsPMI
import Testing

struct PMIServerTests {
    /// Feeds one line and returns the replies as (connection, line) pairs.
    static func send(_ server: inout PMIServer, _ connection: Int, _ line: String) -> ([(Int, String)], [PMIServerEvent]) {
        let output = server.handle(connection: connection, line: line)
        return (output.replies.map { ($0.connection, $0.line) }, output.events)
    }

    /// Feeds one line and returns the single reply line for that connection.
    static func ask(_ server: inout PMIServer, _ connection: Int, _ line: String) -> String? {
        let (replies, events) = send(&server, connection, line)
        #expect(events.isEmpty, "events for \(line): \(events)")
        #expect(replies.count == 1 && replies.first?.0 == connection, "replies for \(line): \(replies)")
        return replies.first?.1
    }

    @Test func notesSessionForTwoRanks() throws {
        var server = try PMIServer(size: 2)
        for rank in 0..<2 {
            #expect(Self.ask(&server, rank, "cmd=init pmi_version=1 pmi_subversion=1\n")
                == "cmd=response_to_init rc=0 pmi_version=1 pmi_subversion=1\n")
            #expect(Self.ask(&server, rank, "cmd=get_maxes\n") == "cmd=maxes rc=0 kvsname_max=64 keylen_max=64 vallen_max=1024\n")
            #expect(Self.ask(&server, rank, "cmd=get_appnum\n") == "cmd=appnum rc=0 appnum=0\n")
            #expect(Self.ask(&server, rank, "cmd=get_my_kvsname\n") == "cmd=my_kvsname rc=0 kvsname=kvs_0\n")
            #expect(Self.ask(&server, rank, "cmd=get kvsname=kvs_0 key=PMI_process_mapping\n")
                == "cmd=get_result rc=0 value=(vector,(0,1,2))\n")
        }
        // First barrier: nobody is released until both entered.
        var (replies, events) = Self.send(&server, 0, "cmd=barrier_in\n")
        #expect(replies.isEmpty && events.isEmpty)
        (replies, events) = Self.send(&server, 1, "cmd=barrier_in\n")
        #expect(replies.map(\.0) == [0, 1])
        #expect(replies.map(\.1) == ["cmd=barrier_out rc=0\n", "cmd=barrier_out rc=0\n"])
        // Node leader puts, second barrier, everyone reads.
        #expect(Self.ask(&server, 0, "cmd=put kvsname=kvs_0 key=-bcast-1-0 value=2f646576\n") == "cmd=put_result rc=0\n")
        #expect(Self.ask(&server, 1, "cmd=put kvsname=kvs_0 key=-allgather-shm-1-1 value=ab\n") == "cmd=put_result rc=0\n")
        _ = Self.send(&server, 1, "cmd=barrier_in\n")
        (replies, _) = Self.send(&server, 0, "cmd=barrier_in\n")
        #expect(replies.count == 2)
        #expect(server.barriersCompleted == 2)
        #expect(Self.ask(&server, 1, "cmd=get kvsname=kvs_0 key=-bcast-1-0\n") == "cmd=get_result rc=0 value=2f646576\n")
        #expect(Self.ask(&server, 0, "cmd=get kvsname=kvs_0 key=-allgather-shm-1-1\n") == "cmd=get_result rc=0 value=ab\n")
        (replies, events) = Self.send(&server, 0, "cmd=finalize\n")
        #expect(replies.map(\.1) == ["cmd=finalize_ack rc=0\n"])
        #expect(events.isEmpty)
        (replies, events) = Self.send(&server, 1, "cmd=finalize\n")
        #expect(replies.map(\.1) == ["cmd=finalize_ack rc=0\n"])
        #expect(events == [.allFinalized])
    }

    @Test func barrierReleasesOnlyWhenAllEntered() throws {
        var server = try PMIServer(size: 3)
        #expect(Self.send(&server, 2, "cmd=barrier_in").0.isEmpty)
        #expect(Self.send(&server, 0, "cmd=barrier_in").0.isEmpty)
        // A rank entering twice is a protocol error, and does not count twice.
        let (replies, events) = Self.send(&server, 0, "cmd=barrier_in")
        #expect(replies.isEmpty)
        guard case .protocolError(connection: 0, _)? = events.first else {
            Issue.record("expected a protocol error, got \(events)")
            return
        }
        let released = Self.send(&server, 1, "cmd=barrier_in").0
        #expect(released.map(\.0) == [0, 1, 2])
        // The next barrier starts empty.
        #expect(Self.send(&server, 1, "cmd=barrier_in").0.isEmpty)
    }

    @Test func unknownKeyAndWrongKvsname() throws {
        var server = try PMIServer(size: 1, kvsname: "kvs_7")
        #expect(Self.ask(&server, 0, "cmd=get kvsname=kvs_7 key=nope") == "cmd=get_result rc=-1 msg=key_not_found\n")
        #expect(Self.ask(&server, 0, "cmd=get kvsname=kvs_0 key=PMI_process_mapping")
            == "cmd=get_result rc=-1 msg=unknown_kvsname\n")
        #expect(Self.ask(&server, 0, "cmd=put kvsname=kvs_0 key=a value=b") == "cmd=put_result rc=-1 msg=unknown_kvsname\n")
        #expect(Self.ask(&server, 0, "cmd=get key=PMI_process_mapping") == "cmd=get_result rc=0 value=(vector,(0,1,1))\n")
    }

    @Test func putLimits() throws {
        var server = try PMIServer(size: 1)
        let longest = String(repeating: "v", count: 1023)
        #expect(Self.ask(&server, 0, "cmd=put kvsname=kvs_0 key=k value=\(longest)") == "cmd=put_result rc=0\n")
        #expect(Self.ask(&server, 0, "cmd=put kvsname=kvs_0 key=k value=\(longest)v")
            == "cmd=put_result rc=-1 msg=value_too_long\n")
        #expect(Self.ask(&server, 0, "cmd=put kvsname=kvs_0 key=\(String(repeating: "k", count: 64)) value=v")
            == "cmd=put_result rc=-1 msg=key_too_long\n")
        #expect(Self.ask(&server, 0, "cmd=put kvsname=kvs_0 value=v") == "cmd=put_result rc=-1 msg=missing_key\n")
        #expect(Self.ask(&server, 0, "cmd=put kvsname=kvs_0 key=e value=") == "cmd=put_result rc=0\n")
        #expect(Self.ask(&server, 0, "cmd=get kvsname=kvs_0 key=e") == "cmd=get_result rc=0 value=\n")
    }

    @Test func otherQueries() throws {
        var server = try PMIServer(size: 2, appnum: 3, universeSize: 8)
        #expect(Self.ask(&server, 1, "cmd=get_universe_size") == "cmd=universe_size rc=0 size=8\n")
        #expect(Self.ask(&server, 1, "cmd=get_appnum") == "cmd=appnum rc=0 appnum=3\n")
        #expect(Self.ask(&server, 1, "cmd=init pmi_version=2 pmi_subversion=0")
            == "cmd=response_to_init rc=-1 pmi_version=1 pmi_subversion=1 msg=only_PMI-1_is_supported\n")
        #expect(Self.ask(&server, 0, "cmd=publish_name service=s port=p")
            == "cmd=publish_result rc=-1 msg=name_publishing_is_not_supported\n")
        #expect(Self.ask(&server, 0, "cmd=lookup_name service=s")
            == "cmd=lookup_result rc=-1 msg=name_publishing_is_not_supported\n")
    }

    @Test func abortTellsTheCallerToEndTheJob() throws {
        var server = try PMIServer(size: 2)
        var (replies, events) = Self.send(&server, 1, "cmd=abort exitcode=5\n")
        #expect(replies.isEmpty)
        #expect(events == [.abort(rank: 1, exitCode: 5, message: nil)])
        (replies, events) = Self.send(&server, 0, "cmd=abort error_msg=boom")
        #expect(events == [.abort(rank: 0, exitCode: 1, message: "boom")])
    }

    static let badLines = ["garbage", "", "cmd=", "=x", "cmd=no_such_command", "mcmd=spawn", "cmd=initack pmiid=9"]

    @Test(arguments: badLines)
    func badLinesAreProtocolErrors(_ line: String) throws {
        var server = try PMIServer(size: 2)
        let (replies, events) = Self.send(&server, 1, line)
        #expect(replies.isEmpty)
        guard events.count == 1, case .protocolError(connection: 1, let message) = events[0] else {
            Issue.record("expected one protocol error, got \(events)")
            return
        }
        #expect(!message.isEmpty)
    }

    @Test func connectionWithoutRankIsAProtocolError() throws {
        var server = try PMIServer(size: 2)
        let (_, events) = Self.send(&server, 7, "cmd=init pmi_version=1 pmi_subversion=1")
        guard case .protocolError(connection: 7, let message)? = events.first else {
            Issue.record("got \(events)")
            return
        }
        #expect(message.contains("initack"))
    }

    @Test func initackBindsAnyConnectionToItsRank() throws {
        var server = try PMIServer(size: 2)
        let (replies, events) = Self.send(&server, 42, "cmd=initack pmiid=1\n")
        #expect(events.isEmpty)
        #expect(replies.map(\.0) == [42, 42, 42, 42])
        #expect(replies.map(\.1) == ["cmd=initack\n", "cmd=set size=2\n", "cmd=set rank=1\n", "cmd=set debug=0\n"])
        #expect(server.rank(ofConnection: 42) == 1)
        #expect(Self.ask(&server, 42, "cmd=get_my_kvsname") == "cmd=my_kvsname rc=0 kvsname=kvs_0\n")
        // Rank 1 is taken: neither another initack nor connection 1 by default may claim it.
        if case .protocolError? = Self.send(&server, 43, "cmd=initack pmiid=1").1.first {} else { Issue.record("rebind") }
        if case .protocolError? = Self.send(&server, 1, "cmd=get_appnum").1.first {} else { Issue.record("implicit") }
        // Abort names the bound rank.
        #expect(Self.send(&server, 42, "cmd=abort exitcode=2").1 == [.abort(rank: 1, exitCode: 2, message: nil)])
    }

    @Test func closedConnections() throws {
        var server = try PMIServer(size: 2)
        _ = Self.send(&server, 0, "cmd=finalize")
        #expect(server.connectionClosed(0).events.isEmpty)
        #expect(server.connectionClosed(1).events == [.connectionLost(connection: 1, rank: 1)])
    }

    @Test(arguments: [
        ([[0, 1], [2, 3]], "(vector,(0,2,2))"),
        ([[0, 2], [1, 3]], "(vector,(0,2,1),(0,2,1))"),
        ([[0, 1, 2, 3], [4, 5, 6, 7]], "(vector,(0,2,4))"),
        ([[0, 2, 4, 6], [1, 3, 5, 7]], "(vector,(0,2,1),(0,2,1),(0,2,1),(0,2,1))"),
        ([[0, 1], [2, 3], [4, 5, 6, 7], [8, 9, 10, 11]], "(vector,(0,2,2),(2,2,4))"),
        ([[0, 4], [1, 5], [2, 6, 8, 10], [3, 7, 9, 11]], "(vector,(0,4,1),(0,4,1),(2,2,1),(2,2,1))"),
        ([[0, 1, 2]], "(vector,(0,1,3))"),
    ])
    func processMapping(_ layout: [[Int]], _ expected: String) throws {
        #expect(try PMIProcessMapping.encode(nodeLayout: layout) == expected)
    }

    @Test func serverAnswersItsLayout() throws {
        var server = try PMIServer(size: 4, nodeLayout: [[0, 1], [2, 3]])
        #expect(Self.ask(&server, 3, "cmd=get kvsname=kvs_0 key=PMI_process_mapping")
            == "cmd=get_result rc=0 value=(vector,(0,2,2))\n")
    }

    @Test func badConfigurations() {
        #expect(throws: PMIError.self) { try PMIProcessMapping.encode(nodeLayout: [[0, 1], [1]]) }
        #expect(throws: PMIError.self) { try PMIProcessMapping.encode(nodeLayout: [[0, 5]]) }
        #expect(throws: PMIError.self) { try PMIServer(size: 3, nodeLayout: [[0, 1]]) }
        #expect(throws: PMIError.self) { try PMIServer(size: 0) }
        #expect(throws: PMIError.self) { try PMIServer(size: 1, kvsname: "has space") }
    }

    @Test func tooLongMappingIsEmpty() throws {
        // Fully cyclic over 2 nodes with vallen_max 32: the vector does not fit.
        let layout = [Array(stride(from: 0, to: 40, by: 2)), Array(stride(from: 1, to: 40, by: 2))]
        let server = try PMIServer(size: 40, nodeLayout: layout, limits: PMILimits(vallenMax: 32))
        #expect(server.processMapping == "")
    }
}
