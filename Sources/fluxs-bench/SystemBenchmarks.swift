// Benchmarks of a configured system instance: the round trip of a ping to rank 1 over
// a TCP overlay on loopback, plain and with CURVE, two brokers bootstrapped from a
// conf.d (FLUXS_FAKE_HOSTNAME gives each its host name).
import FluxsFormats
import FluxsMessage
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

func systemBenchmarks() -> [Benchmark] {
    [false, true].map { curve in
        Benchmark(group: "system", name: curve ? "curve-ping" : "tcp-ping") {
            let dir = "/tmp/fluxs-bench-conf-\(getpid())-\(curve)"
            mkdir(dir, 0o700)
            defer { Descriptors.removeTree(dir) }
            let port = 20000 + Int(getpid() % 20000)
            var toml = "[bootstrap]\n"
            if curve {
                _ = try runCapture([ProcessEnvironment.besideMe("fluxs"), "keygen", "\(dir)/cert"])
                toml += "curve_cert = \"\(dir)/cert\"\n"
            }
            toml += "hosts = [ { host = \"b0\", bind = \"tcp://127.0.0.1:\(port)\", connect = \"tcp://127.0.0.1:\(port)\" }, "
                + "{ host = \"b1\", bind = \"tcp://127.0.0.1:\(port + 1)\", connect = \"tcp://127.0.0.1:\(port + 1)\" } ]\n"
            let fd = open("\(dir)/boot.toml", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            Descriptors.writeAll(fd, toml)
            close(fd)
            let broker = ProcessEnvironment.besideMe("fluxs-broker")
            var leaf = SpawnRequest(argv: [broker, "--config-path=\(dir)"], environment: ProcessEnvironment.current.merging(["FLUXS_FAKE_HOSTNAME": "b1"]) { $1 },
                                    executable: broker)
            leaf.fileActions = [.open(0, path: "/dev/null", flags: O_RDONLY), .open(1, path: "/dev/null", flags: O_WRONLY)]
            let pid = try ProcessSpawner.spawn(leaf)
            defer {
                kill(pid, SIGTERM)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
            setenv("FLUXS_FAKE_HOSTNAME", "b0", 1)
            defer { unsetenv("FLUXS_FAKE_HOSTNAME") }
            let out = try runCapture([broker, "--config-path=\(dir)", ProcessEnvironment.besideMe("fluxs-bench"), "--probe", "ping", "1"])
            return BenchFigure(name: "ping to rank 1 over TCP loopback\(curve ? ", CURVE" : ""), median", value: try lastNumber(out), unit: "us")
        }
    }
}
