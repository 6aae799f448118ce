#!/usr/bin/env python3
"""Throughput of the PSI/J fluxs executor: submit N jobs of /bin/true, then wait for all.

Run inside an instance, with psij-python importable (the clients' virtualenv):

    fluxs start --test-size=2 .venv-clients/bin/python bindings/python/bench/psij_bench.py

Prints one line, ``psij 1000 jobs: N jobs/s``: N jobs divided by the time from the first
submission to the last job reported COMPLETED. Each job is a batch job (a child instance
running the PSI/J launcher), submitted one after the other as a PSI/J user would, with the
executor's default configuration (submission through the Python API, status from the
instance's job events). Exits 1 if a job fails or the jobs are not all done within
--timeout seconds.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from psij import Job, JobSpec, JobState  # noqa: E402
from psij_fluxs.executor import FluxsExecutorConfig, FluxsJobExecutor  # noqa: E402


def main() -> int:
    """Runs the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--jobs', type=int, default=1000, help='number of jobs (1000)')
    parser.add_argument('--timeout', type=float, default=1800,
                        help='seconds to wait for all the jobs (1800)')
    args = parser.parse_args()
    if not os.environ.get('FLUXS_URI'):
        print('psij_bench: error: FLUXS_URI is not set: run under fluxs start',
              file=sys.stderr)
        return 1

    workdir = Path(tempfile.mkdtemp(prefix='psij-bench-'))
    try:
        ex = FluxsJobExecutor(config=FluxsExecutorConfig(work_directory=workdir))
        jobs = [Job(JobSpec('/bin/true')) for _ in range(args.jobs)]
        start = time.monotonic()
        for job in jobs:
            ex.submit(job)
        submitted = time.monotonic()
        deadline = start + args.timeout
        failed = 0
        for job in jobs:
            left = deadline - time.monotonic()
            status = job.wait(timeout=timedelta(seconds=max(left, 0.001)))
            if status is None:
                print('psij_bench: error: jobs not done after %gs' % args.timeout,
                      file=sys.stderr)
                return 1
            if status.state != JobState.COMPLETED:
                failed += 1
        end = time.monotonic()
        if failed:
            print('psij_bench: error: %d jobs did not complete' % failed, file=sys.stderr)
            return 1
        print('psij %d jobs: %.1f jobs/s' % (args.jobs, args.jobs / (end - start)))
        print('psij_bench: submitted in %.1fs (%.1f jobs/s), all done in %.1fs'
              % (submitted - start, args.jobs / (submitted - start), end - start),
              file=sys.stderr)
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
