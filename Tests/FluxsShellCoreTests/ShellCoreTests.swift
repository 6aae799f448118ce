// The job shell's core: its tasks' ends in, what to do out (exit-on-error exceptions,
// the shell's own end as the worst task's, PMI aborts, SIGTERM).
import FluxsProtocol
import FluxsShellCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct ShellCoreTests {
    typealias End = FluxsProtocol.ExitStatus

    /// A shell of `tasks` started tasks.
    static func shell(_ tasks: Int, exitOnError: Bool = true, brokers: Bool = false) -> ShellCore {
        var core = ShellCore(me: "fluxs-shell[0]", exitOnError: exitOnError, tasksAreBrokers: brokers)
        for _ in 0..<tasks { core.started() }
        #expect(core.launched() == [])
        return core
    }

    struct Case: CustomTestStringConvertible {
        var name: String
        var ends: [(rank: Int, end: End)]
        var exitOnError = true
        var brokers = false
        var expected: [ShellCore.Action]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "all succeed", ends: [(0, .exited(0)), (1, .exited(0))], expected: [.finish(.exited(0), abortCode: nil)]),
        Case(name: "the worst exit code wins", ends: [(0, .exited(3)), (1, .exited(2))],
             expected: [.raise(note: "fluxs-shell[0]: task 1 exited with 2"), .finish(.exited(3), abortCode: nil)]),
        Case(name: "exit 130 is not SIGINT", ends: [(0, .exited(130)), (1, .exited(0))], expected: [.finish(.exited(130), abortCode: nil)]),
        Case(name: "a signal beats the exit code it reads as", ends: [(1, .exited(130)), (0, .signaled(2))],
             expected: [.raise(note: "fluxs-shell[0]: task 1 exited with 130"), .raise(note: "fluxs-shell[0]: task 0 killed by signal 2"),
                        .finish(.signaled(2), abortCode: nil)]),
        Case(name: "without exit-on-error nobody raises", ends: [(1, .signaled(9)), (0, .exited(0))], exitOnError: false,
             expected: [.finish(.signaled(9), abortCode: nil)]),
        Case(name: "a child instance's broker", ends: [(1, .signaled(9)), (0, .exited(0))], brokers: true,
             expected: [.raise(note: "fluxs-shell[0]: the child instance lost its broker rank 1 (killed by signal 9)"),
                        .finish(.signaled(9), abortCode: nil)]),
    ]

    @Test(arguments: cases) func tasksEnding(_ c: Case) {
        var core = Self.shell(c.ends.count, exitOnError: c.exitOnError, brokers: c.brokers)
        var actions: [ShellCore.Action] = []
        for (rank, end) in c.ends { actions += core.exited(rank: rank, end) }
        #expect(actions == c.expected)
        #expect(core.ended)
    }

    @Test func tasksThatCannotStart() {
        var core = ShellCore(me: "fluxs-shell[2]", exitOnError: true, tasksAreBrokers: false)
        core.startFailed(notRunnable: false)
        core.startFailed(notRunnable: true)
        #expect(core.launched() == [.finish(.exited(127), abortCode: nil)])
        #expect(core.launched() == [])
    }

    @Test func sigtermEndsQuietly() {
        var core = Self.shell(2)
        core.terminate()
        #expect(core.exited(rank: 1, .signaled(SIGTERM)) == [])
        #expect(core.exited(rank: 0, .signaled(SIGTERM)) == [.finish(.signaled(SIGTERM), abortCode: nil)])
    }

    @Test func aPMIAbortKillsRaisesAndSetsTheExitCode() {
        var core = Self.shell(2)
        #expect(core.aborted(rank: 1, code: 7, message: "PMI_Abort from rank 1: boom") == [
            .killTasks(SIGKILL), .raise(note: "fluxs-shell[0]: PMI_Abort from rank 1: boom"),
        ])
        _ = core.exited(rank: 1, .signaled(SIGKILL))
        let last = core.exited(rank: 0, .signaled(SIGKILL))
        #expect(last.last == .finish(.signaled(SIGKILL), abortCode: 7))
        // A failed exchange (no rank) sets no abort code; code 0 counts as 1.
        var other = Self.shell(1)
        _ = other.aborted(rank: nil, code: 0, message: "PMI exchange failed")
        #expect(other.abortCode == nil)
        #expect(other.status == .exited(1))
    }
}
