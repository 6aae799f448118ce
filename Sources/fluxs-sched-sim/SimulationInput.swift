// What a simulator run starts from, built from the command line: the machine (generated or
// read from an R file), the scheduler with its policies, and the jobs (from an SWF file or
// the synthetic generator). File reading lives here; the parsers are FluxsSched's and
// FluxsFormats'.
import FluxsFormats
import FluxsMessage
import FluxsSched
#if canImport(Glibc)
import Glibc
#endif

/// The machine, scheduler and workload of one run.
struct SimulationInput {
    var machine: ResourceSet
    var scheduler: Scheduler
    var jobs: [SimulatedJob]
    /// Where the jobs came from, for the report.
    var source: String
    /// Trace jobs that could not be replayed (unknown run time or processors).
    var skipped = 0

    init(_ options: SchedSim) throws {
        let queuePolicy = try QueuePolicy(parsing: options.policy)
        guard let matchPolicy = MatchPolicy(rawValue: options.match) else {
            throw ServiceError(EINVAL, "match policy \"\(options.match)\": expected one of "
                + MatchPolicy.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var trace: SWFTrace?
        if let path = options.swf { trace = try SWFTrace(parsing: try readFile(path), limit: options.limit ?? .max) }
        if let path = options.rFile {
            machine = try ResourceSet(parsing: try readFile(path))
        } else {
            let fromTrace = trace?.maxProcessors.map { ($0 + options.cores - 1) / options.cores }
            machine = Self.machine(nodes: options.nodes ?? fromTrace ?? 128, cores: options.cores, gpus: options.gpus)
        }
        scheduler = Scheduler(resources: machine, queuePolicy: queuePolicy, matchPolicy: matchPolicy,
                              queueDepth: options.queueDepth)
        if let trace, let path = options.swf {
            jobs = trace.jobs.compactMap(\.simulatedJob)
            skipped = trace.jobs.count - jobs.count
            source = path
        } else {
            let count = options.synthetic ?? 0
            let cores = machine.nnodes > 0 ? machine.ncores / machine.nnodes : options.cores
            jobs = SyntheticWorkload(nodes: machine.nnodes, coresPerNode: cores).jobs(count: count, seed: options.seed)
            source = "synthetic, seed \(options.seed)"
        }
    }

    /// `nodes` identical nodes node0...nodeN-1 with `cores` cores and `gpus` gpus each.
    static func machine(nodes: Int, cores: Int, gpus: Int) -> ResourceSet {
        let coreIDs = IDSet(range: 0...UInt32(cores - 1))
        let gpuIDs = gpus > 0 ? IDSet(range: 0...UInt32(gpus - 1)) : IDSet()
        return ResourceSet(nodes: (0..<nodes).map {
            ResourceSet.Node(rank: UInt32($0), hostname: "node\($0)", cores: coreIDs, gpus: gpuIDs)
        })
    }
}

/// The whole text of a file.
private func readFile(_ path: String) throws(ServiceError) -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ServiceError(errno, "\(path): \(ServiceError.text(of: errno))") }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count == 0 { break }
        if count < 0 {
            if errno == EINTR { continue }
            throw ServiceError(errno, "\(path): \(ServiceError.text(of: errno))")
        }
        bytes.append(contentsOf: chunk[0..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}
