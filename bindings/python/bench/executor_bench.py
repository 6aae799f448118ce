"""Benchmarks of the fluxs Python API, run inside an instance (fluxs-bench runs them on
1,024 fake cores, in the exec test mode):

  python3 executor_bench.py executor COUNT   FluxExecutor throughput: prints "N jobs/s"
  python3 executor_bench.py submit COUNT     fluxs.job.submit latency: prints the median "N us"
"""

import statistics
import sys
import time

import fluxs
from fluxs.job import FluxExecutor, JobspecV1, submit


def test_jobspec():
    """A one-core job that runs for no time in the exec test mode."""
    spec = JobspecV1.from_command(["true"])
    spec.setattr("system.exec.test.run_duration", 0)
    return spec


def executor_throughput(count):
    """Jobs per second from the first submit to the last result."""
    spec = test_jobspec()
    start = time.monotonic()
    with FluxExecutor() as executor:
        futures = [executor.submit(spec) for _ in range(count)]
        failed = sum(1 for f in futures if f.result() != 0)
    elapsed = time.monotonic() - start
    if failed:
        sys.exit(f"executor_bench: {failed} jobs failed")
    print(f"FluxExecutor {count} jobs: {count / elapsed:.0f} jobs/s")


def submit_latency(count):
    """The median time of one fluxs.job.submit, in microseconds."""
    handle = fluxs.Flux()
    spec = test_jobspec()
    times = []
    for _ in range(count):
        start = time.perf_counter()
        submit(handle, spec)
        times.append(time.perf_counter() - start)
    print(f"fluxs.job.submit median of {count}: {statistics.median(times) * 1e6:.0f} us")


if __name__ == "__main__":
    what, number = sys.argv[1], int(sys.argv[2])
    {"executor": executor_throughput, "submit": submit_latency}[what](number)
