// Memos: a child instance posts its URI on its job (job-manager.memo); the record and
// the listing fields show it; guests may only touch their own jobs.
import FluxsFormats
import FluxsJobs
import FluxsMessage
import Glibc
import Testing

struct JobMemoTests {
    @Test func aMemoMarksAnInstance() {
        var h = Harness()
        let (id, _) = h.submit()
        h.on(.allocated(id, node(0, "node0"), annotations: [:]))
        h.on(.started(id))
        h.tick()
        let actions = h.perform(h.core.memo(h.request(), id: id, memo: ["uri": "local:///tmp/x/local"], by: owner, at: h.now))
        #expect(actions.contains { if case .respond(_, .ok) = $0 { true } else { false } })
        #expect(h.names(id).last == "memo")
        let record = h.core.record(id)!
        #expect(record.isInstance)
        #expect(record.contextualInfo(now: h.now) == "instance:node0")
        #expect(h.replayMatches(id))
    }

    @Test func refusals() {
        var h = Harness()
        let (id, _) = h.submit()
        let other = h.core.memo(h.request(), id: id, memo: ["uri": "x"], by: guest, at: h.now)
        #expect(other.contains { if case .respond(_, .error(let e)) = $0 { e.errnum == EPERM } else { false } })
        let empty = h.core.memo(h.request(), id: id, memo: [:], by: owner, at: h.now)
        #expect(empty.contains { if case .respond(_, .error(let e)) = $0 { e.errnum == EINVAL } else { false } })
        let unknown = h.core.memo(h.request(), id: JobID(99), memo: ["a": 1], by: owner, at: h.now)
        #expect(unknown.contains { if case .respond(_, .error(let e)) = $0 { e.errnum == ENOENT } else { false } })
    }
}
