// The exec module alone in an EmbeddedModuleHost, running real commands: exec.spawn's
// stream (started with the pid, output, exit, then ENODATA), the spawn options (env,
// cwd, stdin) and malformed spawns, exec.write to a command's stdin, exec.kill,
// exec.list, exec.disconnect and unloading killing what was started, and guests
// refused every method. Every test waits for what it started to end (killing it
// first when needed), so no process is left behind.
#if canImport(Foundation)
import Foundation
#endif
import ExecModule
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct ExecServiceTests {
    /// Long enough for a loaded machine.
    static let timeout = 60.0
    static let localURI = "local:///tmp/fluxs-exec-test/local"

    /// A host with the exec module loaded.
    static func exec() throws -> EmbeddedModuleHost {
        let host = try EmbeddedModuleHost(attributes: ["local-uri": localURI])
        try host.load(ExecModule.self)
        return host
    }

    /// Sends exec.spawn (streaming) of `cmd`; returns its matchtag.
    static func spawn(_ host: EmbeddedModuleHost, _ cmd: [String], stdin: Bool = false) -> UInt32 {
        host.request(.exec.spawn, ["cmd": .array(cmd.map { .string($0) }), "stdin": .bool(stdin)], flags: .streaming)
    }

    /// The successful responses of a stream, as JSON.
    static func events(_ host: EmbeddedModuleHost, _ tag: UInt32) -> [JSONValue] {
        host.answers(to: tag).filter { $0.errnum == 0 }.compactMap { try? JSONValue(parsing: $0.payload) }
    }

    /// The pid in the stream's "started" response.
    static func pid(_ host: EmbeddedModuleHost, _ tag: UInt32) -> pid_t? {
        events(host, tag).first { $0["event"] == "started" }?["pid"]?.intValue.flatMap { pid_t(exactly: $0) }
    }

    /// The bytes of one output stream ("stdout" or "stderr"), "data" and "data64" alike.
    static func output(_ host: EmbeddedModuleHost, _ tag: UInt32, _ stream: String = "stdout") -> [UInt8] {
        events(host, tag).filter { $0["event"] == "output" && $0["stream"]?.stringValue == stream }.flatMap { e -> [UInt8] in
            if let text = e["data"]?.stringValue { return Array(text.utf8) }
            return e["data64"]?.stringValue.flatMap { Data(base64Encoded: $0) }.map { Array($0) } ?? Array("<bad base64>".utf8)
        }
    }

    /// The "exit" response of a stream.
    static func exit(_ host: EmbeddedModuleHost, _ tag: UInt32) -> JSONValue? {
        events(host, tag).first { $0["event"] == "exit" }
    }

    /// True once the stream has ended (with an error response: ENODATA or another).
    static func ended(_ host: EmbeddedModuleHost, _ tag: UInt32) -> Bool {
        (host.answers(to: tag).last?.errnum ?? 0) != 0
    }

    /// The processes exec.list shows.
    static func list(_ host: EmbeddedModuleHost) -> [JSONValue] {
        host.answer(to: host.request(.exec.list))?["procs"]?.arrayValue ?? [JSONValue.string("no answer")]
    }

    /// Kills (SIGKILL) every stream of `tags` still running, waits for all of them to
    /// end and checks that exec runs nothing any more.
    static func finish(_ host: EmbeddedModuleHost, _ tags: [UInt32], sourceLocation: SourceLocation = #_sourceLocation) {
        for tag in tags where !ended(host, tag) {
            if let pid = pid(host, tag) { host.request(.exec.kill, ["pid": .int(Int64(pid)), "signal": .int(Int64(SIGKILL))]) }
        }
        #expect(host.settle(timeout: timeout) { tags.allSatisfy { ended(host, $0) } }, "streams ended",
                sourceLocation: sourceLocation)
        #expect(list(host).isEmpty, "nothing left running", sourceLocation: sourceLocation)
    }

    // MARK: - exec.spawn

    @Test func echoStreamsStartedOutputExitThenENODATA() throws {
        let host = try Self.exec()
        let tag = Self.spawn(host, ["/bin/echo", "hi"])
        let started = try #require(Self.events(host, tag).first)
        #expect(started["event"] == "started")
        #expect(started["rank"] == 0)
        let pid = try #require(Self.pid(host, tag))
        #expect(pid > 0)

        #expect(host.settle(timeout: Self.timeout) { Self.ended(host, tag) })
        let answers = host.answers(to: tag)
        #expect(answers.last?.errnum == ENODATA)
        #expect(answers.dropLast().allSatisfy { $0.errnum == 0 })
        let events = Self.events(host, tag)
        #expect(events.map { $0["event"]?.stringValue ?? "?" } == ["started", "output", "exit"])
        #expect(events[1] == ["event": "output", "stream": "stdout", "data": "hi\n"])
        #expect(events.last == ["event": "exit", "status": 0])
        Self.finish(host, [tag])
    }

    /// A command and what it must write and exit with.
    struct RunCase: CustomTestStringConvertible, Sendable {
        var name: String
        var payload: JSONValue
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var status: Int64 = 0
        var signal: Int64?
        var testDescription: String { name }
    }

    static let runCases: [RunCase] = [
        RunCase(name: "a command found on PATH", payload: ["cmd": ["echo", "a", "b"]], stdout: Array("a b\n".utf8)),
        RunCase(name: "stderr and an exit code", payload: ["cmd": ["sh", "-c", "echo oops >&2; exit 3"]],
                stderr: Array("oops\n".utf8), status: 3),
        RunCase(name: "env over the broker's", payload: ["cmd": ["sh", "-c", "printf %s \"$GREETING\""], "env": ["GREETING": "hello"]],
                stdout: Array("hello".utf8)),
        RunCase(name: "FLUXS_URI is the broker's local uri", payload: ["cmd": ["sh", "-c", "printf %s \"$FLUXS_URI\""]],
                stdout: Array(localURI.utf8)),
        RunCase(name: "cwd", payload: ["cmd": ["/bin/pwd"], "cwd": "/"], stdout: Array("/\n".utf8)),
        RunCase(name: "killed by a signal", payload: ["cmd": ["sh", "-c", "kill -TERM $$"]], status: 143, signal: 15),
        RunCase(name: "bytes that are not UTF-8", payload: ["cmd": ["printf", "a\\377\\376"]], stdout: [0x61, 0xFF, 0xFE]),
        RunCase(name: "UTF-8 text", payload: ["cmd": ["printf", "h\u{e9}\u{1F600}"]], stdout: Array("h\u{e9}\u{1F600}".utf8)),
        RunCase(name: "stdin is /dev/null without a pipe", payload: ["cmd": ["cat"]]),
        RunCase(name: "both streams", payload: ["cmd": ["sh", "-c", "echo out; echo err >&2"]],
                stdout: Array("out\n".utf8), stderr: Array("err\n".utf8)),
    ]

    @Test(arguments: runCases) func commandsRun(_ c: RunCase) throws {
        let host = try Self.exec()
        let tag = host.request(.exec.spawn, c.payload, flags: .streaming)
        #expect(Self.pid(host, tag) != nil)
        #expect(host.settle(timeout: Self.timeout) { Self.ended(host, tag) })
        #expect(host.error(of: tag)?.errnum == ENODATA)
        #expect(Self.output(host, tag, "stdout") == c.stdout)
        #expect(Self.output(host, tag, "stderr") == c.stderr)
        #expect(Self.exit(host, tag)?["status"]?.intValue == c.status)
        #expect(Self.exit(host, tag)?["signal"]?.intValue == c.signal)
        Self.finish(host, [tag])
    }

    /// A spawn the module must refuse with one error response.
    struct RefusedCase: CustomTestStringConvertible, Sendable {
        var name: String
        var payload: JSONValue = [:]
        var raw: String?
        var flags: MessageFlags = .streaming
        var errnum: Int32 = EPROTO
        var says: String
        var testDescription: String { name }
    }

    static let refusedCases: [RefusedCase] = [
        RefusedCase(name: "not streaming", payload: ["cmd": ["/bin/echo", "hi"]], flags: [], says: "streaming request"),
        RefusedCase(name: "no cmd", says: "exec.spawn needs \"cmd\""),
        RefusedCase(name: "cmd a string", payload: ["cmd": "/bin/echo hi"], says: "exec.spawn needs \"cmd\""),
        RefusedCase(name: "cmd empty", payload: ["cmd": []], says: "non-empty array of strings"),
        RefusedCase(name: "cmd with a number", payload: ["cmd": ["/bin/echo", 1]], says: "non-empty array of strings"),
        RefusedCase(name: "env not an object", payload: ["cmd": ["true"], "env": "X=1"], says: "\"env\" must be an object"),
        RefusedCase(name: "env value not a string", payload: ["cmd": ["true"], "env": ["X": 1]], says: "X must be"),
        RefusedCase(name: "env name with =", payload: ["cmd": ["true"], "env": ["X=Y": "1"]], says: "X=Y must be"),
        RefusedCase(name: "cwd empty", payload: ["cmd": ["true"], "cwd": ""], says: "\"cwd\" must be"),
        RefusedCase(name: "stdin not a boolean", payload: ["cmd": ["true"], "stdin": "yes"], says: "\"stdin\" must be"),
        RefusedCase(name: "not JSON", raw: "{\"cmd\": [", says: "payload is not JSON"),
        RefusedCase(name: "no such command", payload: ["cmd": ["fluxs-test-no-such-command"]], errnum: ENOENT,
                    says: "fluxs-test-no-such-command: command not found"),
        RefusedCase(name: "no such cwd", payload: ["cmd": ["true"], "cwd": "/fluxs-test-no-such-dir"], errnum: ENOENT,
                    says: "/fluxs-test-no-such-dir"),
        RefusedCase(name: "cwd a file", payload: ["cmd": ["true"], "cwd": "/bin/sh"], errnum: ENOTDIR, says: "not a directory"),
        RefusedCase(name: "a file that may not be executed", payload: ["cmd": ["/etc/passwd"]], errnum: EACCES, says: "/etc/passwd"),
    ]

    @Test(arguments: refusedCases) func spawnsRefused(_ c: RefusedCase) throws {
        let host = try Self.exec()
        let tag = host.request(.exec.spawn, c.payload, raw: c.raw.map { Array($0.utf8) }, flags: c.flags)
        #expect(host.answers(to: tag).count == 1)
        let error = try #require(host.error(of: tag))
        #expect(error.errnum == c.errnum)
        #expect(error.message.contains(c.says), "\(error.message)")
        if c.errnum == EPROTO { #expect(host.logs.contains { $0.level == .warning && $0.message.contains("exec.spawn") }) }
        #expect(Self.list(host).isEmpty)
        host.settle()
        #expect(host.answers(to: tag).count == 1)
    }

    // MARK: - exec.write

    @Test func writesReachTheCommandsStdin() throws {
        let host = try Self.exec()
        let tag = Self.spawn(host, ["/bin/cat"], stdin: true)
        let pid = Int64(try #require(Self.pid(host, tag)))

        let first = host.request(.exec.write, ["pid": .int(pid), "data": "hello\n"])
        #expect(host.answer(to: first) == [:])
        #expect(host.settle(timeout: Self.timeout) { Self.output(host, tag) == Array("hello\n".utf8) })
        let second = host.request(.exec.write, ["pid": .int(pid), "data64": .string(Data([0xFF, 0x0A]).base64EncodedString())])
        #expect(host.answer(to: second) == [:])
        #expect(host.settle(timeout: Self.timeout) { Self.output(host, tag) == Array("hello\n".utf8) + [0xFF, 0x0A] })
        #expect(!Self.ended(host, tag))

        let bad = host.request(.exec.write, ["pid": .int(pid), "data": 5])
        #expect(host.error(of: bad)?.errnum == EPROTO)
        let badBase64 = host.request(.exec.write, ["pid": .int(pid), "data64": "%%%"])
        #expect(host.error(of: badBase64)?.errnum == EPROTO)

        let eof = host.request(.exec.write, ["pid": .int(pid), "data": "bye\n", "eof": true])
        #expect(host.settle(timeout: Self.timeout) { Self.ended(host, tag) })
        #expect(host.answer(to: eof) == [:])
        #expect(Self.output(host, tag) == Array("hello\n".utf8) + [0xFF, 0x0A] + Array("bye\n".utf8))
        #expect(Self.exit(host, tag) == ["event": "exit", "status": 0])
        #expect(host.error(of: tag)?.errnum == ENODATA)

        let late = host.request(.exec.write, ["pid": .int(pid), "data": "x"])
        #expect(host.error(of: late)?.errnum == ENOENT)
        Self.finish(host, [tag])
    }

    @Test func writesNeedAStdinPipe() throws {
        let host = try Self.exec()
        let tag = Self.spawn(host, ["sleep", "1000"])
        let pid = Int64(try #require(Self.pid(host, tag)))
        let write = host.request(.exec.write, ["pid": .int(pid), "data": "x"])
        #expect(host.error(of: write)?.errnum == EINVAL)
        let noPid = host.request(.exec.write, ["data": "x"])
        #expect(host.error(of: noPid)?.errnum == EPROTO)
        Self.finish(host, [tag])
    }

    // MARK: - exec.kill, exec.list

    @Test func killSignalsTheProcessGroup() throws {
        let host = try Self.exec()
        // The shell's child sleeps in the same group: killing the group ends both.
        let tag = Self.spawn(host, ["sh", "-c", "sleep 1000; echo never"])
        let pid = Int64(try #require(Self.pid(host, tag)))

        let bad = host.request(.exec.kill, ["pid": .int(pid), "signal": 99])
        #expect(host.error(of: bad)?.errnum == EPROTO)
        let unknown = host.request(.exec.kill, ["pid": .int(Int64(Int32.max)), "signal": 15])
        #expect(host.error(of: unknown)?.errnum == ENOENT)
        let probe = host.request(.exec.kill, ["pid": .int(pid), "signal": 0])
        #expect(host.answer(to: probe) == [:])
        #expect(!Self.ended(host, tag))

        let kill = host.request(.exec.kill, ["pid": .int(pid), "signal": 15])
        #expect(host.answer(to: kill) == [:])
        #expect(host.settle(timeout: Self.timeout) { Self.ended(host, tag) })
        #expect(Self.exit(host, tag) == ["event": "exit", "status": 143, "signal": 15])
        #expect(Self.output(host, tag).isEmpty)
        #expect(host.error(of: tag)?.errnum == ENODATA)
        Self.finish(host, [tag])
    }

    @Test func listShowsWhatRuns() throws {
        let host = try Self.exec()
        #expect(host.answer(to: host.request(.exec.list)) == ["rank": 0, "procs": []])
        let tag = Self.spawn(host, ["sleep", "1000"])
        let pid = Int64(try #require(Self.pid(host, tag)))
        let procs = Self.list(host)
        #expect(procs.count == 1)
        let proc = try #require(procs.first)
        #expect(proc["pid"]?.intValue == pid)
        #expect(proc["cmd"] == ["sleep", "1000"])
        #expect(proc["userid"]?.intValue == Int64(getuid()))
        #expect(proc["sender"] == "test")
        #expect(proc["state"] == "running")
        #expect((proc["runtime"]?.doubleValue ?? -1) >= 0)
        Self.finish(host, [tag])
    }

    // MARK: - Ending what a client started

    @Test func disconnectKillsTheClientsProcesses() throws {
        let host = try Self.exec()
        let tags = [Self.spawn(host, ["sleep", "1000"]), Self.spawn(host, ["/bin/cat"], stdin: true)]
        #expect(tags.allSatisfy { Self.pid(host, $0) != nil })
        let notice = host.request(.exec.disconnect)
        #expect(host.settle(timeout: Self.timeout) { tags.allSatisfy { Self.ended(host, $0) } })
        #expect(host.answers(to: notice).isEmpty)  // a notice is never answered
        for tag in tags {
            #expect(Self.exit(host, tag) == ["event": "exit", "status": 137, "signal": 9])
            #expect(host.error(of: tag)?.errnum == ENODATA)
        }
        Self.finish(host, tags)
    }

    @Test func unloadingKillsWhatRunsAndEndsItsStreams() throws {
        let host = try Self.exec()
        let tag = Self.spawn(host, ["sleep", "1000"])
        let pid = try #require(Self.pid(host, tag))
        host.unload()
        let error = try #require(host.error(of: tag))
        #expect(error.errnum == ECONNRESET)
        #expect(error.message.contains("(pid \(pid)) was killed"))
        // Killed and reaped: not even a zombie is left.
        #expect(host.settle(timeout: Self.timeout) { kill(pid, 0) != 0 })
    }

    // MARK: - Guests

    /// Every exec method but the disconnect notice is the owner's.
    static let guestMethods: [ServiceMethod] = [.exec.spawn, .exec.write, .exec.kill, .exec.list]

    @Test(arguments: guestMethods) func guestsAreRefused(_ method: ServiceMethod) throws {
        let host = try Self.exec()
        let running = Self.spawn(host, ["sleep", "1000"])
        let pid = Int64(try #require(Self.pid(host, running)))
        let payload: JSONValue = ["cmd": ["/bin/echo", "hi"], "pid": .int(pid), "signal": 9, "data": "x"]
        for roles: Roles in [.user, []] {
            let tag = host.request(method, payload, userid: 5001, roles: roles, flags: method == .exec.spawn ? .streaming : [])
            #expect(host.answers(to: tag).count == 1)
            #expect(host.error(of: tag)?.errnum == EPERM)
        }
        // Nothing was started, and what runs still runs.
        host.settle()
        #expect(Self.list(host).count == 1)
        #expect(!Self.ended(host, running))
        Self.finish(host, [running])
    }
}
