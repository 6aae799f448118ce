// swift-tools-version:6.0
// fluxs: a hierarchical resource manager for HPC, in the family of Flux.
// Targets are laid out as in man/man7/fluxs-layout.7 and README.md.
import PackageDescription

let package = Package(
    name: "fluxs",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fluxs", targets: ["fluxs"]),
        .executable(name: "fluxs-bench", targets: ["fluxs-bench"]),
        .library(name: "FluxsFormats", targets: ["FluxsFormats"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // C libraries found through pkg-config; later targets just `import CZMQ` / `import CHwloc`.
        .systemLibrary(
            name: "CZMQ", path: "Sources/CZMQ", pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(
            name: "CHwloc", path: "Sources/CHwloc", pkgConfig: "hwloc",
            providers: [.apt(["libhwloc-dev"])]),

        // Pure data formats (no I/O): idset, hostlist, FLUID, jobspec, R, eventlog, durations.
        .target(name: "FluxsFormats"),
        // YAML front end for jobspec (kept apart so lean programs need not link Yams).
        .target(name: "FluxsYAML", dependencies: [
            "FluxsFormats", .product(name: "Yams", package: "Yams"),
        ]),

        // The thin command-line front end.
        .executableTarget(name: "fluxs", dependencies: [
            "FluxsFormats", "FluxsYAML",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The benchmark suite behind `make bench`.
        .executableTarget(name: "fluxs-bench", dependencies: ["FluxsFormats", "FluxsYAML"]),

        .testTarget(name: "FluxsFormatsTests", dependencies: ["FluxsFormats", "FluxsYAML"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SystemLibraryTests", dependencies: ["CZMQ", "CHwloc"]),
    ]
)
