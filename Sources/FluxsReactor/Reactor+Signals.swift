// Signals through one signalfd: a watched signal is blocked for the process (so it
// is only ever delivered through the fd) and its handlers run on the loop.
#if canImport(Glibc)
import Glibc
#endif
import CFluxsSupport

final class SignalState {
    let fd: Int32
    var mask = sigset_t()
    var handlers: [Int32: () -> Void] = [:]
    init(fd: Int32) { self.fd = fd }
}

extension Reactor {
    /// Calls `handler` on the loop whenever `signo` arrives. Blocks the signal for the
    /// calling thread (call before starting other threads so they inherit the mask).
    public func onSignal(_ signo: Int32, _ handler: @escaping () -> Void) throws(SystemError) {
        if signalState == nil {
            var empty = sigset_t()
            sigemptyset(&empty)
            let fd = signalfd(-1, &empty, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
            guard fd >= 0 else { throw SystemError("signalfd") }
            let state = SignalState(fd: fd)
            sigemptyset(&state.mask)
            signalState = state
            try watch(fd: fd) { [unowned self] in self.drainSignals() }
        }
        guard let state = signalState else { return }
        fluxs_sigset_add(&state.mask, signo)
        var one = sigset_t()
        sigemptyset(&one)
        fluxs_sigset_add(&one, signo)
        pthread_sigmask(SIG_BLOCK, &one, nil)
        guard signalfd(state.fd, &state.mask, 0) >= 0 else { throw SystemError("signalfd") }
        state.handlers[signo] = handler
    }

    private func drainSignals() {
        guard let state = signalState else { return }
        var info = signalfd_siginfo()
        while read(state.fd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            state.handlers[Int32(info.ssi_signo)]?()
        }
    }
}
