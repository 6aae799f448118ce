// A PMI server that serves only its node's ranks and swaps puts with the other nodes in
// each barrier: two servers for a job of 4 ranks on 2 nodes, their exchanges joined by
// hand as the job shells join them through a KVS fence.
import FluxsPMI
import Testing

struct PMIExchangeTests {
    @Test func twoNodesSeeEachOthersPutsAfterTheBarrier() throws {
        let layout = [[0, 1], [2, 3]]
        var node0 = try PMIServer(size: 4, nodeLayout: layout, localRanks: [0, 1], exchangesPuts: true)
        var node1 = try PMIServer(size: 4, nodeLayout: layout, localRanks: [2, 3], exchangesPuts: true)
        // Connection i is local rank i: node 1's connection 0 is rank 2.
        _ = node1.handle(connection: 0, line: "cmd=put kvsname=kvs_0 key=card-2 value=two\n")
        _ = node0.handle(connection: 1, line: "cmd=put kvsname=kvs_0 key=card-1 value=one\n")
        // Not visible across nodes before the barrier.
        let early = node0.handle(connection: 0, line: "cmd=get kvsname=kvs_0 key=card-2\n")
        #expect(early.replies.first?.line.contains("rc=-1") == true)

        #expect(node0.handle(connection: 0, line: "cmd=barrier_in\n") == PMIServerOutput())
        let last0 = node0.handle(connection: 1, line: "cmd=barrier_in\n")
        #expect(last0.replies.isEmpty)
        #expect(last0.events == [.exchange(puts: ["card-1": "one"])])
        _ = node1.handle(connection: 0, line: "cmd=barrier_in\n")
        let last1 = node1.handle(connection: 1, line: "cmd=barrier_in\n")
        #expect(last1.events == [.exchange(puts: ["card-2": "two"])])

        let all = ["card-1": "one", "card-2": "two"]
        let out0 = node0.completeExchange(all)
        #expect(out0.replies.map(\.connection).sorted() == [0, 1])
        #expect(out0.replies.allSatisfy { $0.line == "cmd=barrier_out rc=0\n" })
        _ = node1.completeExchange(all)
        #expect(node0.handle(connection: 0, line: "cmd=get kvsname=kvs_0 key=card-2\n").replies.first?.line
            == "cmd=get_result rc=0 value=two\n")
        #expect(node1.handle(connection: 1, line: "cmd=get kvsname=kvs_0 key=card-1\n").replies.first?.line
            == "cmd=get_result rc=0 value=one\n")
        // The next barrier exchanges only what was put since.
        _ = node0.handle(connection: 0, line: "cmd=barrier_in\n")
        #expect(node0.handle(connection: 1, line: "cmd=barrier_in\n").events == [.exchange(puts: [:])])
    }

    @Test func localRanksMustFitTheJob() {
        #expect(throws: PMIError.self) { try PMIServer(size: 2, localRanks: [1, 2]) }
        #expect(throws: PMIError.self) { try PMIServer(size: 2, localRanks: [1, 1]) }
    }

    @Test func aNodeServerNamesItsRanksOnInit() throws {
        var server = try PMIServer(size: 4, nodeLayout: [[0, 1], [2, 3]], localRanks: [2, 3])
        // Connection 1 is rank 3: a barrier needs both local ranks only.
        _ = server.handle(connection: 0, line: "cmd=barrier_in\n")
        let out = server.handle(connection: 1, line: "cmd=barrier_in\n")
        #expect(out.replies.count == 2)
        #expect(server.rank(ofConnection: 1) == 3)
    }
}
