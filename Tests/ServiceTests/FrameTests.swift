// The module frame, through the heartbeat service (the smallest): the handler table,
// roles, payload decoding, and what a module that knows nothing of a method says.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import HeartbeatModule
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct FrameTests {
    /// A host with the heartbeat module loaded.
    static func heartbeat() throws -> EmbeddedModuleHost {
        let host = try EmbeddedModuleHost(attributes: ["heartbeat.period": "60s"])
        try host.load(HeartbeatModule.self)
        return host
    }

    /// (what is sent, the errno expected, or 0 and a check of the answer)
    struct Case: CustomTestStringConvertible {
        var name: String
        var method: ServiceMethod
        var raw: [UInt8]?
        var roles: Roles = .owner
        var errnum: Int32
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "a method of the table", method: .heartbeat.get, errnum: 0),
        Case(name: "a method the service lacks", method: ServiceMethod("heartbeat.nosuch"), errnum: ENOSYS),
        Case(name: "an owner's method from a guest", method: .heartbeat.get, roles: .user, errnum: EPERM),
        Case(name: "no roles at all", method: .heartbeat.get, roles: [], errnum: EPERM),
        Case(name: "a payload that is not JSON", method: .heartbeat.get, raw: Array("{nope".utf8), errnum: EPROTO),
        Case(name: "a payload that is not an object", method: .heartbeat.get, raw: Array("[1,2]".utf8), errnum: EPROTO),
        Case(name: "ping, from anyone", method: .ping("heartbeat"), roles: .user, errnum: 0),
    ]

    @Test(arguments: cases) func requests(_ c: Case) throws {
        let host = try Self.heartbeat()
        let tag = host.request(c.method, raw: c.raw, roles: c.roles)
        #expect(host.answers(to: tag).count == 1)
        #expect(host.error(of: tag)?.errnum ?? 0 == c.errnum)
    }

    @Test func malformedRequestsAreLogged() throws {
        let host = try Self.heartbeat()
        host.request(.heartbeat.get, raw: Array("garbage".utf8))
        #expect(host.logs.contains { $0.level == .warning && $0.message.contains("heartbeat.get") })
    }

    @Test func anAnswerNamesWhatIsMissing() throws {
        let host = try Self.heartbeat()
        let tag = host.request(ServiceMethod("heartbeat.nosuch"))
        #expect(host.error(of: tag)?.message == "heartbeat has no method \"nosuch\"")
        let guest = host.request(.heartbeat.get, userid: 4242, roles: .user)
        #expect(host.error(of: guest)?.message == "heartbeat.get is for the instance owner")
    }

    @Test func noResponseRequestsGetNone() throws {
        let host = try Self.heartbeat()
        let tag = host.request(.heartbeat.get, flags: .noresponse)
        #expect(host.answers(to: tag).isEmpty)
    }

    @Test func heartbeatAnswersItsPeriodAndPublishesPulses() throws {
        let host = try EmbeddedModuleHost(attributes: ["heartbeat.period": "0.01s"])
        try host.load(HeartbeatModule.self)
        let tag = host.request(.heartbeat.get)
        #expect(host.answer(to: tag)?["period"]?.doubleValue == 0.01)
        #expect(host.settle { host.published.count >= 2 })
        #expect(host.published.allSatisfy { $0.topic == "heartbeat.pulse" })
        #expect(host.published.last?.payload["count"]?.intValue == Int64(host.published.count))
        host.unload()
    }
}
