// The client library against a real broker running in this process on its own
// thread: calls, errors, streams, events, services provided by a client, timeouts,
// and the synchronous handle.
import FluxsBroker
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsReactor
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A broker on a background thread, serving until shutdown.
final class TestBroker: Sendable {
    let uri: FluxsURI

    init() throws {
        var template = Array("/tmp/fluxs-client-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        let dir = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        try #require(made != nil)
        uri = try FluxsURI(parsing: "local://\(dir)/local")
        let box = Unmanaged.passRetained(Box(rundir: dir))
        var thread = pthread_t()
        pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            guard let reactor = try? Reactor() else { return nil }
            var attrs = Attributes()
            try? attrs.setAtStart("rundir", box.rundir)
            let broker = Broker(reactor: reactor, attributes: attrs)
            try? broker.start(BrokerOptions())
            reactor.run()
            rmdir(box.rundir)
            return nil
        }, box.toOpaque())
        pthread_detach(thread)
        while access("\(dir)/local", F_OK) != 0 { usleep(1000) }
    }

    func shutdown() throws {
        let handle = try FluxsHandle(uri: uri)
        try handle.rpc(.broker.shutdown)
    }

    final class Box {
        let rundir: String
        init(rundir: String) { self.rundir = rundir }
    }
}

@Suite(.serialized)
struct ClientTests {
    @Test func asyncCallsErrorsStreamsAndEvents() async throws {
        let broker = try TestBroker()
        let client = try FluxsClient.connect(uri: broker.uri)

        #expect(try await client.call(.attr.get, ["name": "size"])["value"] == "1")

        await #expect(throws: ServiceError(38, "no service \"nosuch\" is registered (topic nosuch.method)")) {
            try await client.call(ServiceMethod("nosuch.method"))
        }

        try await client.call(.log.append, ["message": "from the async test", "appname": "t"])
        var messages: [String] = []
        for try await entry in client.stream(.log.dmesg) { messages.append(entry["message"]?.stringValue ?? "") }
        #expect(messages.contains("from the async test"))

        let events = try await client.events("test.")
        let seq = try await client.publish("test.hello", ["n": 1])
        var iterator = events.makeAsyncIterator()
        let event = try #require(try await iterator.next())
        #expect(event.topic == "test.hello")
        #expect(event.sequence == seq)
        #expect(try JSONValue(parsing: event.payload) == ["n": 1])

        try broker.shutdown()
    }

    @Test func aClientProvidesAServiceOthersCall() async throws {
        let broker = try TestBroker()
        let provider = try FluxsClient.connect(uri: broker.uri)
        try await provider.provide("calc") { request in
            let body = try JSONValue(parsing: request.payload)
            guard request.topic == "calc.add" else { throw ServiceError(38, "calc has no \(request.topic)") }
            return ["sum": .int((body["a"]?.intValue ?? 0) + (body["b"]?.intValue ?? 0))]
        }
        let caller = try FluxsClient.connect(uri: broker.uri)
        #expect(try await caller.call(ServiceMethod("calc.add"), ["a": 2, "b": 40])["sum"] == 42)
        await #expect(throws: ServiceError(38, "calc has no calc.sub")) { try await caller.call(ServiceMethod("calc.sub")) }
        try broker.shutdown()
    }

    @Test func callsTimeOut() async throws {
        let broker = try TestBroker()
        let provider = try FluxsClient.connect(uri: broker.uri)
        try await provider.provide("slow") { _ in
            try await Task.sleep(nanoseconds: 3_000_000_000)
            return [:]
        }
        let caller = try FluxsClient.connect(uri: broker.uri)
        let start = Reactor.now()
        await #expect(throws: ServiceError(ETIMEDOUT, "slow.op: no response after 0.2s")) {
            try await caller.call(ServiceMethod("slow.op"), timeout: 0.2)
        }
        #expect(Reactor.now() - start < 2)
        try broker.shutdown()
    }

    @Test func aLostBrokerFailsWhatWaits() async throws {
        let broker = try TestBroker()
        let client = try FluxsClient.connect(uri: broker.uri)
        let stream = client.stream(.log.dmesg, ["follow": true])
        try broker.shutdown()
        await #expect(throws: ServiceError.self) {
            for try await _ in stream {}
        }
        await #expect(throws: ServiceError.self) { try await client.call(.broker.ping) }
    }

    @Test func synchronousHandle() throws {
        let broker = try TestBroker()
        let handle = try FluxsHandle(uri: broker.uri)
        #expect(try handle.rpc(.broker.ping, ["x": 1])["x"] == 1)
        #expect(throws: ServiceError(ENOENT, "attribute nope is not set")) { try handle.rpc(.attr.get, ["name": "nope"]) }
        try handle.subscribe("sync.")
        let seq = try handle.publish("sync.event", ["k": "v"])
        let event = try handle.nextEvent(timeout: 5)
        #expect(event.topic == "sync.event" && event.sequence == seq)
        var count = 0
        try handle.stream(.log.dmesg) { _ in count += 1; return true }
        #expect(count > 0)
        #expect(throws: ServiceError.self) { _ = try handle.receive(timeout: 0.05) }
        try broker.shutdown()
    }

    @Test func connectingToNothingSaysWhere() {
        #expect(throws: ServiceError(ENOENT, "cannot connect to local:///nonexistent/local: No such file or directory")) {
            _ = try FluxsHandle(uri: try FluxsURI(parsing: "local:///nonexistent/local"))
        }
        #expect(throws: ServiceError(EINVAL, "unsupported URI \"ssh://x\" (expected local://PATH)")) {
            _ = try FluxsURI(parsing: "ssh://x")
        }
    }
}
