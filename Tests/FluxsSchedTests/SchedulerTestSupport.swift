// Helpers shared by the FluxsSched tests: small machines, jobs, and reading decisions.
import Foundation
import FluxsFormats
import Testing
@testable import FluxsSched

/// `nodes` identical nodes of `cores` cores (and `gpus` gpus), ranks from 0.
func machine(nodes: Int = 1, cores: Int = 4, gpus: Int = 0) -> ResourceSet {
    ResourceSet(nodes: (0..<nodes).map {
        ResourceSet.Node(rank: UInt32($0), hostname: "node\($0)", cores: IDSet(range: 0...UInt32(cores - 1)),
                         gpus: gpus > 0 ? IDSet(range: 0...UInt32(gpus - 1)) : IDSet())
    })
}

/// A job of `cores` one-core slots.
func job(_ id: UInt64, cores: Int, duration: Double, priority: Int64 = 16, submit: Double = 0) -> PendingJob {
    PendingJob(id: JobID(id), priority: priority, submitTime: submit,
               request: ResourceRequest(nnodes: nil, nslots: cores, coresPerSlot: 1, duration: duration))
}

extension Array where Element == SchedulerDecision {
    /// The jobs allocated, in order.
    var allocated: [JobID] {
        compactMap { if case .allocate(let job, _) = $0 { job } else { nil } }
    }

    /// The annotations, by job.
    var annotations: [JobID: (estimatedStart: Double?, reason: String)] {
        var result: [JobID: (Double?, String)] = [:]
        for case .annotate(let job, let start, let reason) in self { result[job] = (start, reason) }
        return result
    }
}

extension Scheduler {
    /// Submits jobs that must all be accepted.
    mutating func submitAll(_ jobs: [PendingJob]) {
        for job in jobs { #expect(submit(job).isEmpty, "job \(job.id) was not accepted") }
    }
}

/// The text of a test fixture under Fixtures/.
func fixtureText(_ name: String) throws -> String {
    let url = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/" + name)
    return try String(contentsOf: url, encoding: .utf8)
}
