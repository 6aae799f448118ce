// The PMI-1 line codec: Hydra's and MPICH's variants (keys in any order, msg=success,
// rc missing, values holding '='), errors for lines that are not PMI, formatting, and
// the line splitter over arbitrary chunking.
import FluxsPMI
import Testing

struct PMIMessageTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let line: String
        let command: String
        let fields: [String: String]
        var testDescription: String { line.debugDescription }
    }

    static let goodLines: [Case] = [
        // Hydra 4.0.2, as observed on this machine.
        Case(line: "cmd=response_to_init pmi_version=1 pmi_subversion=1 rc=0\n", command: "response_to_init",
             fields: ["pmi_version": "1", "pmi_subversion": "1", "rc": "0"]),
        Case(line: "cmd=maxes kvsname_max=256 keylen_max=64 vallen_max=1024\n", command: "maxes",
             fields: ["kvsname_max": "256", "keylen_max": "64", "vallen_max": "1024"]),
        Case(line: "cmd=get_result rc=0 msg=success value=(vector,(0,1,1))\n", command: "get_result",
             fields: ["rc": "0", "msg": "success", "value": "(vector,(0,1,1))"]),
        Case(line: "cmd=barrier_out\n", command: "barrier_out", fields: [:]),
        Case(line: "cmd=universe_size size=-1\n", command: "universe_size", fields: ["size": "-1"]),
        Case(line: "cmd=initack\n", command: "initack", fields: [:]),
        Case(line: "cmd=set size=4\n", command: "set", fields: ["size": "4"]),
        // MPICH requests.
        Case(line: "cmd=init pmi_version=1 pmi_subversion=1\n", command: "init",
             fields: ["pmi_version": "1", "pmi_subversion": "1"]),
        Case(line: "cmd=put kvsname=kvs_0 key=-bcast-1-0 value=2f6d70696368\n", command: "put",
             fields: ["kvsname": "kvs_0", "key": "-bcast-1-0", "value": "2f6d70696368"]),
        Case(line: "cmd=get kvsname=kvs_0 key=hostname[3]/x\n", command: "get",
             fields: ["kvsname": "kvs_0", "key": "hostname[3]/x"]),
        Case(line: "cmd=abort exitcode=7\n", command: "abort", fields: ["exitcode": "7"]),
        // Leniency: order, whitespace, CRLF, '=' in values, empty values, free text.
        Case(line: "rc=0 vallen_max=1024 cmd=maxes", command: "maxes", fields: ["rc": "0", "vallen_max": "1024"]),
        Case(line: "  cmd=get_appnum \t rc=0   appnum=3 \r\n", command: "get_appnum", fields: ["rc": "0", "appnum": "3"]),
        Case(line: "cmd=put key=k value=a=b==\n", command: "put", fields: ["key": "k", "value": "a=b=="]),
        Case(line: "cmd=put key=k value=\n", command: "put", fields: ["key": "k", "value": ""]),
        Case(line: "cmd=publish_result rc=-1 msg=no such service\n", command: "publish_result",
             fields: ["rc": "-1", "msg": "no such service"]),
        Case(line: "mcmd=spawn\n", command: "spawn", fields: [:]),
    ]

    @Test(arguments: goodLines)
    func parsesGoodLines(_ c: Case) throws {
        let message = try PMIMessage.parse(c.line)
        #expect(message.command == c.command)
        #expect(message.fields.count == c.fields.count)
        for (key, value) in c.fields {
            #expect(message[key] == value, "key \(key)")
        }
    }

    @Test func rcAndSuccess() throws {
        #expect(try PMIMessage.parse("cmd=barrier_out").rc == nil)
        #expect(try PMIMessage.parse("cmd=barrier_out").succeeded)
        #expect(try PMIMessage.parse("cmd=get_result rc=0 msg=success value=x").succeeded)
        let failed = try PMIMessage.parse("cmd=get_result rc=-1 msg=key_x_not_found")
        #expect(failed.rc == -1)
        #expect(!failed.succeeded)
        #expect(!(try PMIMessage.parse("cmd=put_result rc=junk").succeeded))
    }

    static let badLines = ["", "\n", "   \n", "rc=0", "cmd=a cmd=b", "=v cmd=x", "cmd=", "word cmd=x", "cmd=x word"]

    @Test(arguments: badLines)
    func refusesBadLines(_ line: String) {
        #expect(throws: PMIError.self) { try PMIMessage.parse(line) }
    }

    @Test func formatsOneLineWithNewline() throws {
        let message = PMIMessage("put", ["kvsname": "kvs_0", "key": "k", "value": "v"])
        #expect(message.line == "cmd=put kvsname=kvs_0 key=k value=v\n")
        #expect(message.description == "cmd=put kvsname=kvs_0 key=k value=v")
        #expect(PMIMessage("barrier_in").line == "cmd=barrier_in\n")
        #expect(try PMIMessage.parse(message.line) == message)
    }

    @Test func subscriptSetsAndRemoves() {
        var message = PMIMessage("get_result", ["rc": "0"])
        message["value"] = "x"
        message["rc"] = "-1"
        #expect(message.line == "cmd=get_result rc=-1 value=x\n")
        message["rc"] = nil
        #expect(message.line == "cmd=get_result value=x\n")
    }

    @Test func wireWords() {
        #expect(PMIMessage.isWireWord("{\"a\":1,\"b\":[2,3]}"))
        #expect(PMIMessage.isWireWord(""))
        #expect(!PMIMessage.isWireWord("a b"))
        #expect(!PMIMessage.isWireWord("a\tb"))
        #expect(!PMIMessage.isWireWord("a\n"))
    }

    @Test func lineBufferCutsAnyChunking() throws {
        var buffer = PMILineBuffer()
        buffer.append(Array("cmd=initack\ncmd=set size=2\ncmd=se".utf8))
        #expect(try buffer.nextLine() == "cmd=initack")
        #expect(try buffer.nextLine() == "cmd=set size=2")
        #expect(try buffer.nextLine() == nil)
        for byte in "t rank=1\n".utf8 { buffer.append([byte]) }
        #expect(try buffer.nextLine() == "cmd=set rank=1")
        #expect(try buffer.nextLine() == nil)
        #expect(buffer.bufferedCount == 0)
    }

    @Test func lineBufferRefusesEndlessLine() {
        var buffer = PMILineBuffer(maxLineLength: 16)
        buffer.append(Array(repeating: UInt8(ascii: "x"), count: 17))
        #expect(throws: PMIError.self) { try buffer.nextLine() }
    }
}
