// The reactor: fds, timers (one-shot, periodic, cancel), signals, child exits,
// cross-thread wakeups and ZeroMQ readiness with its edge-triggered fd.
import CZMQ
import FluxsReactor
import FluxsReactorZMQ
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized)
struct ReactorTests {
    @Test func timersFireInDeadlineOrderAndCancelWorks() throws {
        let reactor = try Reactor()
        var order: [Int] = []
        reactor.after(0.03) { [unowned reactor] in order.append(3); reactor.stop() }
        reactor.after(0.01) { order.append(1) }
        let cancelled = reactor.after(0.02) { order.append(99) }
        reactor.after(0.015) { order.append(2) }
        cancelled.cancel()
        reactor.run()
        #expect(order == [1, 2, 3])
    }

    @Test func periodicTimerRepeatsAndNeverFiresEarly() throws {
        let reactor = try Reactor()
        let start = Reactor.now()
        var ticks: [Double] = []
        var timer: TimerWatcher?
        timer = reactor.every(0.01) { [unowned reactor] in
            ticks.append(Reactor.now() - start)
            if ticks.count == 5 { timer?.cancel(); reactor.stop() }
        }
        reactor.run()
        #expect(ticks.count == 5)
        #expect(ticks[0] >= 0.01)
        #expect(ticks[4] >= 0.05)
    }

    @Test func fdReadinessAndWritability() throws {
        let reactor = try Reactor()
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        var got: [UInt8] = []
        let reader = try reactor.watch(fd: fds[0]) { [unowned reactor] in
            var b = [UInt8](repeating: 0, count: 16)
            let n = read(fds[0], &b, 16)
            if n > 0 { got += b[0..<n] }
            if got.count >= 3 { reactor.stop() }
        }
        defer { reader.cancel() }
        let writer = try reactor.watch(fd: fds[1]) {}
        writer.pauseReading(true)
        writer.whenWritable {
            var b: [UInt8] = [1, 2, 3]
            _ = write(fds[1], &b, 3)
            writer.cancel()
        }
        reactor.run()
        #expect(got == [1, 2, 3])
    }

    @Test func signalArrivesThroughTheLoop() throws {
        let reactor = try Reactor()
        var seen = false
        try reactor.onSignal(SIGUSR1) { [unowned reactor] in seen = true; reactor.stop() }
        // Aimed at this thread: other test threads do not block the signal.
        let me = pthread_self()
        reactor.after(0.01) { pthread_kill(me, SIGUSR1) }
        reactor.after(5) { [unowned reactor] in reactor.stop() }
        reactor.run()
        #expect(seen)
    }

    @Test func childExitStatusIsReported() throws {
        let reactor = try Reactor()
        var statuses: [Int32] = []
        for argv in [["/bin/sh", "-c", "exit 3"], ["/bin/sh", "-c", "kill -9 $$"]] {
            var pid: pid_t = 0
            let cargs = argv.map { strdup($0) } + [nil]
            defer { cargs.forEach { free($0) } }
            #expect(posix_spawn(&pid, argv[0], nil, nil, cargs, environ) == 0)
            try reactor.onChildExit(pid) { [unowned reactor] status in
                statuses.append(status)
                if statuses.count == 2 { reactor.stop() }
            }
        }
        reactor.after(10) { [unowned reactor] in reactor.stop() }
        reactor.run()
        #expect(Set(statuses) == Set([3 << 8, 9]))
    }

    @Test func wakeFromAnotherThread() throws {
        let reactor = try Reactor()
        let waker = reactor.waker
        let ran = Flag()
        let thread = Thread { waker.post { ran.value = true } }
        _ = thread
        reactor.after(5) { [unowned reactor] in reactor.stop() }
        let check = reactor.addCheck { [unowned reactor] in if ran.value { reactor.stop() }; return false }
        reactor.run()
        reactor.removeCheck(check)
        #expect(ran.value)
    }

    @Test func zeromqMessagesAreAllDelivered() throws {
        let reactor = try Reactor()
        let ctx = try #require(zmq_ctx_new())
        defer { zmq_ctx_term(ctx) }
        let pull = try #require(zmq_socket(ctx, ZMQ_PULL))
        let push = try #require(zmq_socket(ctx, ZMQ_PUSH))
        defer { zmq_close(pull); zmq_close(push) }
        #expect(zmq_bind(pull, "inproc://reactor-test") == 0)
        #expect(zmq_connect(push, "inproc://reactor-test") == 0)
        var received = 0
        let watcher = try reactor.watch(zmqSocket: pull) { [unowned reactor] in
            var buf = [UInt8](repeating: 0, count: 16)
            while zmq_recv(pull, &buf, 16, ZMQ_DONTWAIT) >= 0 { received += 1 }
            if received == 100 { reactor.stop() }
        }
        defer { watcher.cancel() }
        // Sent in bursts from timers, so some arrive while the loop is asleep and
        // some between a receive and the next sleep (the edge-trigger trap).
        for burst in 0..<10 {
            reactor.after(0.002 * Double(burst)) {
                for _ in 0..<10 { _ = zmq_send(push, "x", 1, 0) }
            }
        }
        reactor.after(5) { [unowned reactor] in reactor.stop() }
        reactor.run()
        #expect(received == 100)
    }
}

/// A flag set on the reactor's thread (the post runs there) and read there.
final class Flag: @unchecked Sendable { var value = false }

/// A minimal thread for the cross-thread test.
final class Thread: @unchecked Sendable {
    init(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(body))
        var t = pthread_t()
        pthread_create(&t, nil, { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, box.toOpaque())
        pthread_detach(t)
    }
    final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
}

@Suite(.serialized)
struct ReactorCancellationTests {
    @Test func aHandlerMayCancelOtherWatchersOfTheSameTurn() throws {
        let reactor = try Reactor()
        let ctx = try #require(zmq_ctx_new())
        defer { zmq_ctx_term(ctx) }
        var sockets: [UnsafeMutableRawPointer] = []
        var watchers: [ZMQWatcher] = []
        for i in 0..<2 {
            let pull = try #require(zmq_socket(ctx, ZMQ_PULL))
            let push = try #require(zmq_socket(ctx, ZMQ_PUSH))
            #expect(zmq_bind(pull, "inproc://cancel-\(i)") == 0)
            #expect(zmq_connect(push, "inproc://cancel-\(i)") == 0)
            _ = zmq_send(push, "x", 1, 0)
            sockets += [pull, push]
        }
        var handled = 0
        for i in 0..<2 {
            watchers.append(try reactor.watch(zmqSocket: sockets[2 * i]) { [unowned reactor] in
                handled += 1
                // The first one to run drops every watcher, as a broker's shutdown does.
                for w in watchers { w.cancel() }
                watchers.removeAll()
                reactor.stop()
            })
        }
        reactor.after(5) { [unowned reactor] in reactor.stop() }
        reactor.run()
        #expect(handled == 1)
        for s in sockets { zmq_close(s) }
    }
}

@Suite(.serialized)
struct ReactorTimerReentryTests {
    @Test func aTimerHandlerMayAddAndCancelTimers() throws {
        let reactor = try Reactor()
        var order: [String] = []
        var periodic: TimerWatcher?
        periodic = reactor.every(0.005) { [unowned reactor] in
            order.append("tick")
            // As a keepalive that finds its parent gone does: arm another timer.
            reactor.after(0.005) { [unowned reactor] in
                order.append("after")
                periodic?.cancel()
                reactor.stop()
            }
        }
        reactor.after(5) { [unowned reactor] in reactor.stop() }
        reactor.run()
        #expect(order.prefix(1) == ["tick"])
        #expect(order.contains("after"))
    }
}
