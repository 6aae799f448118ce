// A cgroup (version 2) per job shell, where the system lets the broker make one: under
// the broker's own cgroup, `fluxs-<broker pid>-<job id>`. The shell moves itself into it
// before starting any task, so every process the job starts, even one that left the
// process group with setsid, is inside; when the shell has ended, cgroup.kill ends
// whatever is left and the directory is removed once it is empty. Without a writable
// cgroup2 hierarchy (or without cgroup.kill) jobs rely on their process group alone.
import FluxsProcess
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// The job cgroups of one broker.
struct JobCgroups {
    /// The broker's cgroup directory, nil when job cgroups cannot be had.
    let base: String?

    /// Finds the broker's cgroup in the cgroup2 hierarchy and checks it accepts children.
    init() {
        base = Self.findBase()
    }

    /// A new cgroup directory for a job's shell, nil when none can be made.
    func make(jobID: UInt64) -> String? {
        guard let base else { return nil }
        let path = "\(base)/fluxs-\(getpid())-\(jobID)"
        if mkdir(path, 0o755) != 0 && errno != EEXIST { return nil }
        return path
    }

    /// Kills everything in `path`, then removes it once empty (retrying for a second).
    func release(_ path: String, reactor: Reactor) {
        Descriptors.writeFile("\(path)/cgroup.kill", "1")
        var tries = 0
        func attempt() {
            if rmdir(path) == 0 || errno == ENOENT { return }
            tries += 1
            if tries < 100 { _ = reactor.after(0.01) { attempt() } }
        }
        attempt()
    }

    private static func findBase() -> String? {
        guard let mounts = try? Descriptors.readFile("/proc/self/mountinfo"),
              let own = try? Descriptors.readFile("/proc/self/cgroup") else { return nil }
        // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ... - FSTYPE SOURCE SUPER
        var mountpoint: String?
        for line in mounts.split(separator: "\n") {
            let halves = line.split(separator: " - ", maxSplits: 1)
            guard halves.count == 2, halves[1].hasPrefix("cgroup2 ") else { continue }
            let fields = halves[0].split(separator: " ")
            if fields.count >= 5 { mountpoint = String(fields[4]) }
            break
        }
        guard let mountpoint else { return nil }
        guard let entry = own.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else { return nil }
        let relative = String(entry.dropFirst(3))
        let base = mountpoint + (relative == "/" ? "" : relative)
        guard access("\(base)/cgroup.procs", W_OK) == 0 else { return nil }
        // Only with cgroup.kill (Linux 5.14) can a job's leftovers be ended at once.
        let probe = "\(base)/fluxs-\(getpid())-probe"
        guard mkdir(probe, 0o755) == 0 || errno == EEXIST else { return nil }
        defer { rmdir(probe) }
        return access("\(probe)/cgroup.kill", W_OK) == 0 ? base : nil
    }

}
