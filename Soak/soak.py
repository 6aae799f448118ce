#!/usr/bin/env python3
"""A soak of fluxs under faults (make soak SOAK_MINUTES=N; Soak/README.md).

A configured instance of 16 brokers on loopback (CURVE, statedir on rank 0, purge
limits set), each broker kept running by a supervisor as systemd would. For the
given minutes, 8 submitters send a steady stream of real and test-mode jobs (each
keeps a window of unfinished jobs), a canceller cancels some of them, a writer
commits to the KVS, and faults strike: leaf brokers (and, every third fault, brokers
with children, whose subtrees move to their grandparents) are killed with SIGKILL and
restarted, and once, halfway, rank 0 is killed and restarted from its statedir.

At the end every acknowledged job must have a result, every acknowledged commit
must be in the KVS, the instance must shut down leaving no process behind, and
rank 0's memory must stay under a bound. Figures are printed: jobs/s held, submit
latency percentiles, RSS over time. Exit status 0 when every check holds.
"""

import argparse
import errno
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import fluxs
from fluxs.job import JobspecV1, submit
from fluxs.job.kill import cancel
from fluxs.job.list import job_list, job_list_id
from fluxs.kvs import KVSTxn, get as kvs_get

INACTIVE = 64
PURGE_LIMIT = 10000
KVS_SLOTS = 1000
# The brokers started (each leads a session of its own) and the soak's marker, for
# killing what is left on the way out.
LIVE = []
TOKEN = []


def log(text):
    print(f"soak: {time.strftime('%H:%M:%S')} {text}", flush=True)


class Failures:
    """What went wrong; the soak fails when this is not empty."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = []

    def add(self, text):
        with self.lock:
            self.items.append(text)
        log(f"FAILURE: {text}")


# -- the instance ----------------------------------------------------------------------


def free_ports(count):
    """Loopback ports free now (held open together so they differ)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def write_config(conf, bindir, size, cores):
    """A conf.d: bootstrap hosts s0..sN-1 on loopback ports, a CURVE certificate,
    configured resources, short overlay timeouts and purge limits."""
    os.makedirs(conf)
    subprocess.run([os.path.join(bindir, "fluxs"), "keygen", os.path.join(conf, "..", "curve.cert")], check=True)
    hosts = ",\n".join(
        f'  {{ host = "s{r}", bind = "tcp://127.0.0.1:{p}", connect = "tcp://127.0.0.1:{p}" }}'
        for r, p in enumerate(free_ports(size))
    )
    cert = os.path.realpath(os.path.join(conf, "..", "curve.cert"))
    with open(os.path.join(conf, "bootstrap.toml"), "w") as f:
        f.write(f'[bootstrap]\ncurve_cert = "{cert}"\nhosts = [\n{hosts}\n]\n')
    with open(os.path.join(conf, "tbon.toml"), "w") as f:
        f.write('[tbon]\ntopo = "kary:2"\nkeepalive-period = "0.5s"\ntimeout = "5s"\n')
    with open(os.path.join(conf, "exec.toml"), "w") as f:
        f.write('[exec]\nkill-timeout = "2s"\n')
    with open(os.path.join(conf, "job-manager.toml"), "w") as f:
        f.write(f"[job-manager]\ninactive-num-limit = {PURGE_LIMIT}\n")
    rpath = os.path.realpath(os.path.join(conf, "..", "R.json"))
    with open(rpath, "w") as f:
        f.write(
            '{"version": 1, "execution": {"R_lite": [{"rank": "0-%d", "children": {"core": "0-%d"}}], '
            '"nodelist": ["s[0-%d]"], "starttime": 0, "expiration": 0}}\n' % (size - 1, cores - 1, size - 1)
        )
    with open(os.path.join(conf, "resource.toml"), "w") as f:
        f.write(f'[resource]\npath = "{rpath}"\nnoverify = true\n')


class Supervisor:
    """Keeps every broker running, as systemd's Restart=always would: a broker that
    exits (killed, or shut down after losing its parent) is started again."""

    def __init__(self, bindir, workdir, size, token, failures):
        self.broker = os.path.join(bindir, "fluxs-broker")
        self.workdir = workdir
        self.size = size
        self.token = token
        self.failures = failures
        self.procs = {}
        self.pids = set()
        self.restarts = {r: 0 for r in range(size)}
        self.exits = []
        self.stopping = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def uri(self, rank=0):
        return f"local://{self.workdir}/run/{rank}/local"

    def start(self, rank):
        run = os.path.join(self.workdir, "run", str(rank))
        os.makedirs(run, exist_ok=True)
        args = [self.broker, f"--config-path={self.workdir}/conf.d", f"-Srundir={run}", "-Sbroker.rc2_none=1"]
        if rank == 0:
            args.append(f"-Sstatedir={self.workdir}/state")
        env = dict(os.environ, FLUXS_FAKE_HOSTNAME=f"s{rank}", FLUXS_SOAK=self.token)
        env.pop("FLUXS_URI", None)
        out = open(os.path.join(self.workdir, f"broker-{rank}.log"), "ab")
        proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        out.close()
        with self.lock:
            self.procs[rank] = proc
            self.pids.add(proc.pid)
            LIVE.append(proc)

    def start_all(self):
        for rank in range(self.size):
            self.start(rank)
        self.thread.start()

    def kill(self, rank):
        with self.lock:
            proc = self.procs.get(rank)
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)

    def pid(self, rank):
        with self.lock:
            proc = self.procs.get(rank)
        return proc.pid if proc and proc.poll() is None else None

    def _watch(self):
        while True:
            time.sleep(0.1)
            with self.lock:
                if self.stopping:
                    return
                gone = [(r, p) for r, p in self.procs.items() if p.poll() is not None]
            for rank, proc in gone:
                self.exits.append((time.monotonic(), rank, proc.returncode))
                time.sleep(0.3)  # systemd's RestartSec, shortened
                with self.lock:
                    if self.stopping:
                        return
                self.restarts[rank] += 1
                self.start(rank)

    def stop(self, deadline):
        """Shuts the instance down from rank 0 and waits for every broker to exit;
        a broker still there at the deadline is a failure (and is killed)."""
        with self.lock:
            self.stopping = True
        self.thread.join()
        env = dict(os.environ, FLUXS_URI=self.uri())
        bindir = os.path.dirname(self.broker)
        try:
            shut = subprocess.run([os.path.join(bindir, "fluxs"), "shutdown"], env=env, capture_output=True, text=True,
                                  timeout=max(deadline - time.monotonic(), 1))
            if shut.returncode != 0:
                self.failures.add(f"fluxs shutdown: exit {shut.returncode}: {shut.stderr.strip()}")
        except subprocess.TimeoutExpired:
            self.failures.add("fluxs shutdown did not return")
        for rank, proc in sorted(self.procs.items()):
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.failures.add(f"rank {rank} (pid {proc.pid}) did not exit after the shutdown; killed")
                proc.kill()
                proc.wait()


def leftovers(token, sessions, workdir):
    """Processes still running that the soak started: its marker in their
    environment, a broker's session, or the work directory on their command line."""
    found = []
    ancestors = set()
    pid = os.getpid()
    while pid > 1:
        ancestors.add(pid)
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        pid = int(stat[stat.rindex(")") + 2:].split()[1])
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in ancestors:
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            session = int(stat[stat.rindex(")") + 2:].split()[3])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    marked = f"FLUXS_SOAK={token}".encode() in f.read().split(b"\0")
            except PermissionError:
                marked = False
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
        if stat.split()[2] == "Z" and session not in sessions:
            continue
        if marked or session in sessions or workdir in cmdline:
            found.append(f"pid {entry}: {cmdline}")
    return found


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return None


# -- clients ---------------------------------------------------------------------------


def connect(uri, stop, deadline=None):
    """A handle to rank 0, retried while it restarts; None when `stop` is set."""
    while not stop.is_set():
        try:
            return fluxs.Flux(uri)
        except OSError:
            if deadline is not None and time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return None


def is_lost_connection(exc):
    """An error that a rank-0 restart explains: the connection went, or a service was
    not loaded yet."""
    return exc.errno in (errno.ECONNRESET, errno.EPIPE, errno.ENOENT, errno.ECONNREFUSED, errno.ENOSYS,
                         errno.ENOTCONN, errno.ESHUTDOWN, errno.EHOSTUNREACH, errno.EAGAIN) or \
        "connection" in str(exc).lower()


class Ledger:
    """Every acknowledged job, its kind, and its result once inactive."""

    def __init__(self):
        self.lock = threading.Lock()
        self.kinds = {}
        self.results = {}
        self.owner = {}
        self.active = set()
        self.outstanding = [0] * 64
        self.latencies = []
        self.submit_errors = {}
        self.finished_at = []

    def submitted(self, jobid, kind, who, latency):
        with self.lock:
            self.kinds[jobid] = kind
            self.owner[jobid] = who
            self.active.add(jobid)
            self.outstanding[who] += 1
            self.latencies.append(latency)

    def finished(self, jobid, result):
        with self.lock:
            if jobid in self.results or jobid not in self.kinds:
                return
            self.results[jobid] = result
            self.active.discard(jobid)
            self.outstanding[self.owner[jobid]] -= 1
            self.finished_at.append(time.monotonic())

    def unfinished(self):
        with self.lock:
            return sorted(self.active)


def make_job(rng, workdir):
    """A job of the mix: short test-mode, short real, real on two nodes, long test-mode
    (which the canceller may cancel)."""
    roll = rng.random()
    if roll < 0.55:
        spec = JobspecV1.from_command(["true"])
        spec.setattr("system.exec.test.run_duration", f"{rng.uniform(0, 0.2):.3f}s")
        return "test", spec
    if roll < 0.85:
        spec = JobspecV1.from_command(["true"] if rng.random() < 0.5 else ["sleep", "0.1"], cwd=workdir)
        return "real", spec
    if roll < 0.95:
        spec = JobspecV1.from_command(["sh", "-c", "echo $FLUXS_TASK_RANK"], num_tasks=2, num_nodes=2, cwd=workdir)
        return "real-2n", spec
    spec = JobspecV1.from_command(["true"])
    spec.setattr("system.exec.test.run_duration", "20s")
    return "long", spec


def submitter(who, uri, ledger, stop, window, seed, workdir, failures):
    rng = random.Random(seed)
    h = connect(uri, stop)
    while h is not None and not stop.is_set():
        if ledger.outstanding[who] >= window:
            time.sleep(0.01)
            continue
        kind, spec = make_job(rng, workdir)
        started = time.monotonic()
        try:
            jobid = submit(h, spec)
        except OSError as exc:
            key = f"{errno.errorcode.get(exc.errno, exc.errno)}: {exc}"
            with ledger.lock:
                ledger.submit_errors[key] = ledger.submit_errors.get(key, 0) + 1
            if not is_lost_connection(exc):
                failures.add(f"submitter {who}: submit refused: {exc}")
                time.sleep(0.1)
            h = connect(uri, stop)
            continue
        ledger.submitted(int(jobid), kind, who, time.monotonic() - started)


def collector(uri, ledger, stop):
    """Follows inactive jobs (job-manager.list, since the last one seen, with an
    overlap) so that submitters see their window drain, and records results."""
    h = connect(uri, stop)
    since = 0.0
    while h is not None and not stop.is_set():
        try:
            jobs = job_list(h, max_entries=0, states=INACTIVE, since=since).get()["jobs"]
        except OSError:
            h = connect(uri, stop)
            continue
        newest = since
        for record in jobs:
            ledger.finished(int(record["id"]), record.get("result", "?"))
            newest = max(newest, float(record.get("t_inactive", 0)))
        since = max(since, newest - 5.0)
        stop.wait(0.3)


def canceller(uri, ledger, stop, seed):
    """Cancels an unfinished job now and then (long ones mostly)."""
    rng = random.Random(seed)
    h = connect(uri, stop)
    cancelled = 0
    while h is not None and not stop.wait(0.2):
        with ledger.lock:
            candidates = [j for j in ledger.active if ledger.kinds[j] == "long" or rng.random() < 0.02]
        if not candidates:
            continue
        try:
            cancel(h, rng.choice(candidates), "soak")
            cancelled += 1
        except OSError as exc:
            if is_lost_connection(exc):
                h = connect(uri, stop)
    return cancelled


def kvs_writer(uri, acked, lost, stop, failures):
    """Commits N, one at a time, to the key soak.k<N mod KVS_SLOTS> (so that the KVS
    holds a bounded amount of the soak's data); `acked` gets each acknowledged N.
    Before a key is written again, its value is checked: an acknowledged commit found
    missing then (or at the end) goes to `lost`."""
    h = connect(uri, stop)
    last = {}
    n = 0
    while h is not None and not stop.wait(0.05):
        n += 1
        slot = n % KVS_SLOTS
        try:
            if slot in last:
                problem = commit_problem(h, slot, last[slot])
                if problem:
                    lost.append(problem)
            txn = KVSTxn(h)
            txn.put(f"soak.k{slot}", {"n": n, "pad": "x" * (n % 200)})
            txn.commit()
            acked.append(n)
            last[slot] = n
        except OSError as exc:
            if not is_lost_connection(exc):
                failures.add(f"kvs commit {n} refused: {exc}")
            h = connect(uri, stop)


def commit_problem(h, slot, n):
    """What is wrong with key soak.k<slot>, whose last acknowledged commit was N (a
    later commit whose answer was lost with rank 0 may have been applied after it)."""
    try:
        value = kvs_get(h, f"soak.k{slot}")
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return f"soak.k{slot} is gone, committed {n}"
        raise
    if not (value.get("n", -1) >= n and value["n"] % KVS_SLOTS == slot):
        return f"soak.k{slot} = {value.get('n')}, committed {n}"
    return None


# -- the run ---------------------------------------------------------------------------


def wait_online(sup, size, deadline):
    """Waits until rank 0 reports every rank online (fluxs overlay status)."""
    bindir = os.path.dirname(sup.broker)
    env = dict(os.environ, FLUXS_URI=sup.uri())
    while time.monotonic() < deadline:
        try:
            out = subprocess.run([os.path.join(bindir, "fluxs"), "overlay", "status"], env=env, capture_output=True,
                                 text=True, timeout=30)
        except subprocess.TimeoutExpired:
            continue
        if out.returncode == 0 and out.stdout.count(": full") == size:
            return True
        time.sleep(0.5)
    return False


def time_to_heal(sup, size, killed_at, healed):
    """Records how long after rank 0's SIGKILL every rank was online again."""
    time.sleep(1)
    if wait_online(sup, size, killed_at + 120):
        healed.append(time.monotonic() - killed_at)


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--brokers", type=int, default=16)
    parser.add_argument("--submitters", type=int, default=8)
    parser.add_argument("--window", type=int, default=16, help="unfinished jobs per submitter")
    parser.add_argument("--cores", type=int, default=4, help="cores per broker in the configured R")
    parser.add_argument("--build-dir", required=True, help="where fluxs and fluxs-broker are")
    parser.add_argument("--workdir", help="kept when given (default: a temporary directory, removed)")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--rss-limit-mb", type=int, default=1024, help="rank 0's RSS must stay under this")
    args = parser.parse_args()

    bindir = os.path.realpath(args.build_dir)
    workdir = os.path.realpath(args.workdir) if args.workdir else tempfile.mkdtemp(prefix="fluxs-soak-")
    os.makedirs(workdir, exist_ok=True)
    rng = random.Random(args.seed)
    token = f"{os.getpid()}-{args.seed}"
    TOKEN.append(token)
    failures = Failures()
    log(f"{args.brokers} brokers, {args.submitters} submitters, {args.minutes:g} min, seed {args.seed}, in {workdir}")

    write_config(os.path.join(workdir, "conf.d"), bindir, args.brokers, args.cores)
    sup = Supervisor(bindir, workdir, args.brokers, token, failures)
    sup.start_all()
    if not wait_online(sup, args.brokers, time.monotonic() + 120):
        failures.add("the instance did not come up with every rank online in 120 s")
    started = time.monotonic()
    log("instance up")

    ledger = Ledger()
    acked = []
    lost_commits = []
    stop = threading.Event()
    threads = [threading.Thread(target=submitter, args=(i, sup.uri(), ledger, stop, args.window, args.seed + i, workdir, failures))
               for i in range(args.submitters)]
    threads += [threading.Thread(target=canceller, args=(sup.uri(), ledger, stop, args.seed - 1)),
                threading.Thread(target=kvs_writer, args=(sup.uri(), acked, lost_commits, stop, failures))]
    gather_stop = threading.Event()
    gatherer = threading.Thread(target=collector, args=(sup.uri(), ledger, gather_stop))
    for t in threads + [gatherer]:
        t.start()

    # Faults and samples until the time is up.
    duration = args.minutes * 60
    rank0_at = started + duration * rng.uniform(0.4, 0.6)
    rank0_done = False
    next_leaf = started + rng.uniform(8, 16)
    leaves = [r for r in range(args.brokers) if 2 * r + 1 >= args.brokers]
    # Every third fault kills a broker with children instead: its subtree moves to its
    # grandparent (tbon.heal) and must keep running its jobs.
    interiors = [r for r in range(1, args.brokers) if 2 * r + 1 < args.brokers]
    leaf_kills = 0
    interior_kills = 0
    healed = []
    samples = []
    next_sample = started
    while time.monotonic() < started + duration:
        now = time.monotonic()
        if now >= next_sample:
            pid0 = sup.pid(0)
            others = [rss_kb(sup.pid(r)) or 0 for r in range(1, args.brokers) if sup.pid(r)]
            samples.append((now - started, rss_kb(pid0) if pid0 else None, max(others) if others else None,
                            len(ledger.finished_at)))
            next_sample = now + 5
        if not rank0_done and now >= rank0_at:
            log("SIGKILL rank 0 (restarted from its statedir)")
            sup.kill(0)
            rank0_done = True
            healer = threading.Thread(target=time_to_heal, args=(sup, args.brokers, now, healed))
            healer.start()
            next_leaf = max(next_leaf, now + 20)
        elif now >= next_leaf:
            if interiors and (leaf_kills + interior_kills) % 3 == 2:
                rank = rng.choice(interiors)
                log(f"SIGKILL rank {rank} (it has children)")
                interior_kills += 1
            else:
                rank = rng.choice(leaves)
                log(f"SIGKILL rank {rank} (a leaf)")
                leaf_kills += 1
            sup.kill(rank)
            next_leaf = now + rng.uniform(8, 16)
        time.sleep(0.1)
    stop.set()
    for t in threads + ([healer] if rank0_done else []):
        t.join()
    submitted_for = time.monotonic() - started
    log(f"stopped submitting: {len(ledger.kinds)} jobs acknowledged, {len(acked)} commits acknowledged")

    # Every acknowledged job must end (long test-mode jobs take 20 s; the instance may
    # still be healing from the last fault).
    drain_deadline = time.monotonic() + 180
    while ledger.unfinished() and time.monotonic() < drain_deadline:
        time.sleep(0.5)
    gather_stop.set()
    gatherer.join()
    h = connect(sup.uri(), threading.Event(), deadline=time.monotonic() + 60)
    missing = []
    for jobid in ledger.unfinished():
        try:
            record = job_list_id(h, jobid).get()["job"]
            missing.append(f"{fluxs.job.JobID(jobid).f58} is {record.get('state')}")
        except OSError as exc:
            missing.append(f"{fluxs.job.JobID(jobid).f58}: {exc}")
    if missing:
        failures.add(f"{len(missing)} acknowledged jobs have no result, e.g. {', '.join(missing[:5])}")
    last = {}
    for n in acked:
        last[n % KVS_SLOTS] = n
    for slot, n in sorted(last.items()):
        try:
            problem = commit_problem(h, slot, n)
        except OSError as exc:
            problem = f"soak.k{slot}: {exc}"
        if problem:
            lost_commits.append(problem)
    if lost_commits:
        failures.add(f"{len(lost_commits)} acknowledged commits are missing, e.g. {', '.join(lost_commits[:5])}")
    h.close()
    if not wait_online(sup, args.brokers, time.monotonic() + 60):
        failures.add("after the last fault, not every rank was online again within 60 s")

    # Shut down; nothing may remain.
    sup.stop(time.monotonic() + 90)
    # Processes still exiting get 10 s to finish.
    remaining = leftovers(token, sup.pids, workdir)
    quiet_deadline = time.monotonic() + 10
    while remaining and time.monotonic() < quiet_deadline:
        time.sleep(0.2)
        remaining = leftovers(token, sup.pids, workdir)
    if remaining:
        failures.add(f"{len(remaining)} processes left behind: {'; '.join(remaining[:5])}")
        for line in remaining:
            try:
                os.kill(int(line.split()[1].rstrip(":")), signal.SIGKILL)
            except (OSError, ValueError):
                pass
    peak0 = max((s[1] for s in samples if s[1]), default=0)
    if peak0 > args.rss_limit_mb * 1024:
        failures.add(f"rank 0's RSS reached {peak0 / 1024:.0f} MB (limit {args.rss_limit_mb} MB)")

    # Figures.
    by_result, by_kind = {}, {}
    for jobid, kind in ledger.kinds.items():
        by_kind[kind] = by_kind.get(kind, 0) + 1
        result = ledger.results.get(jobid, "none")
        by_result[result] = by_result.get(result, 0) + 1
    rates = []
    for (t0, _, _, n0), (t1, _, _, n1) in zip(samples, samples[1:]):
        rates.append((n1 - n0) / (t1 - t0))
    print()
    print(f"soak figures ({args.brokers} brokers, {args.submitters} submitters, {submitted_for / 60:.1f} min, seed {args.seed})")
    print(f"  jobs acknowledged      {len(ledger.kinds)} ({', '.join(f'{k} {v}' for k, v in sorted(by_kind.items()))})")
    print(f"  results                {', '.join(f'{k} {v}' for k, v in sorted(by_result.items()))}")
    print(f"  jobs/s overall         {len(ledger.finished_at) / submitted_for:.1f}")
    if rates:
        print(f"  jobs/s per 5 s         min {min(rates):.1f}, median {statistics.median(rates):.1f}, max {max(rates):.1f}")
    lat = [x * 1000 for x in ledger.latencies]
    print(f"  submit latency (ms)    p50 {percentile(lat, 50):.2f}, p99 {percentile(lat, 99):.2f}, max {max(lat, default=0):.2f}")
    print(f"  submits refused        {sum(ledger.submit_errors.values())} ({'; '.join(f'{k} x{v}' for k, v in ledger.submit_errors.items()) or 'none'})")
    print(f"  kvs commits            {len(acked)} acknowledged, {len(lost_commits)} missing")
    print(f"  faults                 {leaf_kills} leaf SIGKILLs, {interior_kills} of brokers with children, {1 if rank0_done else 0} rank-0 SIGKILL; restarts {sum(sup.restarts.values())}")
    if healed:
        print(f"  rank 0 back, all ranks online {healed[0]:.1f} s after its SIGKILL")
    print("  RSS (MB) at t(s)       " + ", ".join(
        f"{t:.0f}: {r0 / 1024:.0f}/{ro / 1024:.0f}" for t, r0, ro, _ in samples[:: max(1, len(samples) // 12)] if r0 and ro)
        + "  (rank 0 / largest other)")
    print(f"  rank 0 peak RSS        {peak0 / 1024:.0f} MB")
    print()
    if failures.items:
        print(f"soak: FAILED ({len(failures.items)}): " + "\n  ".join(failures.items))
        print(f"soak: logs kept in {workdir}")
        return 1
    print("soak: every job accounted for, every commit present, nothing left behind")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def run():
    """main(), and on any way out (an error, SIGTERM, ^C) the brokers' sessions killed."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return main()
    finally:
        for proc in LIVE:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for line in leftovers(TOKEN[0], set(), "\0") if TOKEN else []:
            try:
                os.kill(int(line.split()[1].rstrip(":")), signal.SIGKILL)
            except (OSError, ValueError):
                pass


if __name__ == "__main__":
    sys.exit(run())
