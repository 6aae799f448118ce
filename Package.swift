// swift-tools-version:6.0
// fluxs: a hierarchical resource manager for HPC, in the family of Flux.
// Targets are laid out as README.md (Layout) and fluxs-protocol(7) (ARCHITECTURE) say.
import PackageDescription

let package = Package(
    name: "fluxs",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fluxs", targets: ["fluxs"]),
        .executable(name: "fluxs-broker", targets: ["fluxs-broker"]),
        .executable(name: "fluxs-bench", targets: ["fluxs-bench"]),
        .executable(name: "fluxs-sched-sim", targets: ["fluxs-sched-sim"]),
        .library(name: "FluxsFormats", targets: ["FluxsFormats"]),
        .library(name: "FluxsClient", targets: ["FluxsClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // C libraries found through pkg-config; later targets just `import CZMQ` / `import CHwloc`.
        .systemLibrary(
            name: "CZMQ", path: "Sources/CZMQ", pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(
            name: "CHwloc", path: "Sources/CHwloc", pkgConfig: "hwloc",
            providers: [.apt(["libhwloc-dev"])]),
        .systemLibrary(
            name: "CMunge", path: "Sources/CMunge", pkgConfig: "munge",
            providers: [.apt(["libmunge-dev"])]),
        .systemLibrary(
            name: "CSodium", path: "Sources/CSodium", pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]),

        // Small Linux wrappers (pidfd_open, SO_PEERCRED, wait macros).
        .target(name: "CFluxsSupport"),

        // Starting processes and facts about this one (environment, install directory).
        .target(name: "FluxsProcess", dependencies: ["FluxsMessage"]),

        // Pure data formats (no I/O): idset, hostlist, FLUID, jobspec, R, eventlog, durations, -o output formats.
        .target(name: "FluxsFormats"),
        // YAML front end for jobspec (kept apart so lean programs need not link Yams).
        .target(name: "FluxsYAML", dependencies: [
            "FluxsFormats", .product(name: "Yams", package: "Yams"),
        ]),

        // The message model and codec (pure; man/man7/fluxs-protocol.7).
        .target(name: "FluxsMessage", dependencies: ["FluxsFormats"]),
        // What services say to each other and who may say it (pure): the catalog of
        // methods with their access rules, the typed payloads with one JSON codec each,
        // the job's KVS keys, the job id's wire form, the exit status.
        .target(name: "FluxsProtocol", dependencies: ["FluxsFormats", "FluxsMessage"]),
        // The epoll event loop: fds, timers, signals, child exits, ZeroMQ sockets.
        .target(name: "FluxsReactor", dependencies: ["CFluxsSupport"]),
        // ZeroMQ sockets on the reactor (apart, so that programs without ZeroMQ, such as
        // the job shell, do not load libzmq and its libraries at every start).
        .target(name: "FluxsReactorZMQ", dependencies: ["FluxsReactor", "CZMQ"]),
        // The client library: synchronous FluxsHandle and asynchronous FluxsClient.
        .target(name: "FluxsClient", dependencies: ["FluxsFormats", "FluxsMessage", "FluxsProtocol"]),
        // The broker core: local socket, routing, built-in services, module frame.
        .target(name: "FluxsBroker", dependencies: [
            "FluxsFormats", "FluxsMessage", "FluxsProtocol", "FluxsReactor", "FluxsReactorZMQ", "FluxsProcess", "CFluxsSupport", "CZMQ",
        ]),
        // Services, one target each.
        .target(name: "HeartbeatModule", dependencies: ["FluxsBroker", "FluxsProtocol", "FluxsFormats", "FluxsMessage", "FluxsReactor"]),
        .target(name: "ExecModule", dependencies: [
            "FluxsBroker", "FluxsProtocol", "FluxsFormats", "FluxsMessage", "FluxsReactor", "FluxsProcess", "CFluxsSupport",
        ]),
        // PMI-1 simple wire protocol: client (broker bootstrap) and server (test-size, shell).
        .target(name: "FluxsPMI", dependencies: ["FluxsMessage", "CFluxsSupport"]),
        // Node discovery with hwloc: cores, NUMA, memory, GPUs, as a NodeInventory.
        .target(name: "FluxsHwloc", dependencies: ["CHwloc", "FluxsFormats", "FluxsMessage"]),
        // The scheduler's pure core: resource graph, matching, planner, queue policies.
        .target(name: "FluxsSched", dependencies: ["FluxsFormats", "FluxsMessage"]),
        // The job manager's pure core: job records from eventlogs, states, priorities,
        // dependencies, listing and formatting.
        .target(name: "FluxsJobs", dependencies: ["FluxsFormats", "FluxsMessage", "FluxsProtocol"]),
        // The key-value store: namespaces of nested directories, all-or-nothing commits (pure).
        .target(name: "FluxsKVS", dependencies: ["FluxsFormats", "FluxsMessage", "FluxsProtocol"]),
        // The KVS on disk: one SQLite file (WAL) through GRDB.
        .target(name: "KVSStore", dependencies: [
            "FluxsKVS", "FluxsFormats", "FluxsMessage", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The kvs service (rank 0): requests, waits, watches, fences; SQLite off the loop.
        .target(name: "KVSModule", dependencies: [
            "FluxsBroker", "FluxsProtocol", "FluxsKVS", "KVSStore", "FluxsFormats", "FluxsMessage", "FluxsReactor", "CFluxsSupport",
        ]),
        // The resource service: discovery on every rank, R, up/down/drain on rank 0.
        .target(name: "ResourceModule", dependencies: [
            "FluxsBroker", "FluxsProtocol", "FluxsHwloc", "FluxsFormats", "FluxsMessage", "FluxsReactor", "FluxsProcess", "CFluxsSupport",
        ]),
        // The job manager: submission, states and eventlogs, priorities, dependencies, listing.
        .target(name: "JobManagerModule", dependencies: [
            "FluxsBroker", "FluxsProtocol", "FluxsJobs", "FluxsFormats", "FluxsMessage", "FluxsReactor",
        ]),
        // The job-exec service: starts a fluxs-shell per job and node, reports the job's end.
        .target(name: "JobExecModule", dependencies: [
            "FluxsBroker", "FluxsProtocol", "FluxsFormats", "FluxsMessage", "FluxsReactor", "FluxsProcess", "CFluxsSupport",
        ]),
        // The job shell's pure core: its tasks' ends in, what to do out.
        .target(name: "FluxsShellCore", dependencies: ["FluxsProtocol"]),
        // The setuid helper that starts a guest's job shell as that guest (C, small on purpose).
        // Signs job requests (J) with MUNGE and checks them: submitters and tests.
        .target(name: "FluxsSign", dependencies: ["CMunge", "CSodium", "FluxsFormats"]),
        .executableTarget(name: "fluxs-imp", linkerSettings: [.linkedLibrary("munge"), .linkedLibrary("sodium")]),
        // The job shell: a job's tasks on one node, their stdio, binding, signals and PMI.
        .executableTarget(name: "fluxs-shell", dependencies: [
            "FluxsFormats", "FluxsMessage", "FluxsProtocol", "FluxsShellCore", "FluxsClient", "FluxsReactor", "FluxsPMI", "FluxsProcess",
            "CFluxsSupport",
        ]),
        // The sched service (rank 0): the job manager's counterpart, running FluxsSched.
        .target(name: "SchedModule", dependencies: [
            "FluxsBroker", "FluxsProtocol", "FluxsSched", "FluxsFormats", "FluxsMessage", "FluxsReactor",
        ]),
        // The scheduler simulator: workloads and SWF traces through the real scheduler in virtual time.
        .executableTarget(name: "fluxs-sched-sim", dependencies: [
            "FluxsSched", "FluxsFormats", "FluxsMessage", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The broker program.
        .executableTarget(name: "fluxs-broker", dependencies: [
            "FluxsBroker", "FluxsFormats", "FluxsMessage", "FluxsProtocol", "FluxsReactor", "FluxsPMI", "FluxsClient", "FluxsProcess", "CZMQ",
            .product(name: "TOMLKit", package: "TOMLKit"), "HeartbeatModule", "ExecModule",
            "KVSModule", "ResourceModule", "SchedModule", "JobManagerModule", "JobExecModule",
        ]),

        // The thin command-line front end.
        // (FluxsKVS and KVSStore: fluxs dump and restore --checkpoint read and write a statedir's KVS file.)
        .executableTarget(name: "fluxs", dependencies: [
            "FluxsFormats", "FluxsYAML", "FluxsClient", "FluxsMessage", "FluxsProtocol", "FluxsPMI", "FluxsProcess", "CFluxsSupport",
            "FluxsKVS", "KVSStore", "FluxsSign", "FluxsReactor",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The benchmark suite behind `make bench`.
        .executableTarget(name: "fluxs-bench", dependencies: [
            "FluxsFormats", "FluxsYAML", "FluxsClient", "FluxsMessage", "FluxsProtocol", "FluxsProcess", "FluxsKVS", "KVSStore", "FluxsHwloc", "FluxsSched",
        ]),

        .testTarget(name: "FluxsFormatsTests", dependencies: ["FluxsFormats", "FluxsYAML"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FluxsSignTests", dependencies: ["FluxsSign", "FluxsFormats"]),
        .testTarget(name: "FluxsMessageTests", dependencies: ["FluxsMessage", "FluxsFormats"]),
        .testTarget(name: "FluxsProtocolTests", dependencies: ["FluxsProtocol", "FluxsFormats", "FluxsMessage"]),
        .testTarget(name: "FluxsShellCoreTests", dependencies: ["FluxsShellCore", "FluxsProtocol"]),
        .testTarget(name: "FluxsReactorTests", dependencies: ["FluxsReactor", "FluxsReactorZMQ", "CZMQ"]),
        .testTarget(name: "FluxsBrokerTests", dependencies: ["FluxsBroker", "FluxsFormats", "FluxsMessage", "FluxsProtocol"]),
        .testTarget(name: "FluxsClientTests", dependencies: [
            "FluxsClient", "FluxsBroker", "FluxsReactor", "FluxsFormats", "FluxsMessage", "FluxsProtocol",
        ]),
        .testTarget(name: "FluxsPMITests", dependencies: ["FluxsPMI"]),
        .testTarget(name: "FluxsHwlocTests", dependencies: ["FluxsHwloc", "FluxsFormats", "FluxsMessage"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "FluxsSchedTests", dependencies: ["FluxsSched", "FluxsFormats", "FluxsMessage"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "FluxsJobsTests", dependencies: ["FluxsJobs", "FluxsFormats", "FluxsMessage"]),
        .testTarget(name: "FluxsKVSTests", dependencies: ["FluxsKVS", "FluxsFormats", "FluxsMessage", "FluxsProtocol"]),
        .testTarget(name: "KVSStoreTests", dependencies: [
            "KVSStore", "FluxsKVS", "FluxsFormats", "FluxsMessage", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "SystemLibraryTests", dependencies: ["CZMQ", "CHwloc"]),
        // Every service alone in an EmbeddedModuleHost: messages in, messages and events out.
        .testTarget(name: "ServiceTests", dependencies: [
            "FluxsBroker", "FluxsProtocol", "FluxsFormats", "FluxsMessage", "FluxsReactor", "HeartbeatModule", "ExecModule",
            "KVSModule", "ResourceModule", "SchedModule", "JobManagerModule", "JobExecModule",
        ]),
    ]
)

// `make fuzz` (FLUXS_FUZZ=1): the libFuzzer targets of the parsers and codecs, built
// with -sanitize=fuzzer,address in a build folder of their own (Fuzz/README.md).
if Context.environment["FLUXS_FUZZ"] != nil {
    package.products.append(.executable(name: "fluxs-fuzz", targets: ["fluxs-fuzz"]))
    package.targets.append(.executableTarget(name: "fluxs-fuzz", dependencies: [
        "FluxsFormats", "FluxsYAML", "FluxsMessage", "FluxsPMI", .product(name: "TOMLKit", package: "TOMLKit"),
    ], path: "Fuzz/fluxs-fuzz"))
}
