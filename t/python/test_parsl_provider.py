"""FluxsProvider (bindings/python/parsl_fluxs) against a real fluxs instance.

Blocks are submitted, polled through running to completed, failed, timed out,
held pending and cancelled.  Needs Parsl (the clients' venv) and the instance
FLUXS_URI names (the fixture instance_uri of conftest.py; two nodes or more for the
multi-node and pending tests, which are skipped on one); skipped without them:

    fluxs start --test-size=2 .venv-clients/bin/python -m pytest t/python/test_parsl_provider.py
  No test depends on how fast the machine is: a block that must be
seen running waits for a file the test writes, and every wait has a deadline of
minutes, not seconds, that only a broken instance reaches.
"""

import json
import os
import subprocess
import sys
import time

import pytest

pytest.importorskip("parsl")

_BINDINGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bindings", "python")
if os.path.abspath(_BINDINGS) not in [os.path.abspath(p) for p in sys.path]:
    sys.path.insert(0, os.path.abspath(_BINDINGS))

from parsl.jobs.states import JobState  # noqa: E402
from parsl.launchers import SimpleLauncher  # noqa: E402
from parsl.utils import RepresentationMixin  # noqa: E402

from parsl_fluxs import FluxsProvider, FluxsRunLauncher  # noqa: E402
from fluxs.job import JobID  # noqa: E402

DEADLINE = 180.0  # seconds; reached only when something is broken


# Each test is bounded (by pytest-timeout, or by t/python/conftest.py without it).
pytestmark = pytest.mark.timeout(600)


def _uri():
    return os.environ["FLUXS_URI"]


def _fluxs(*args):
    env = dict(os.environ, FLUXS_URI=_uri())
    return subprocess.run(["fluxs"] + list(args), env=env, check=True,
                          stdout=subprocess.PIPE, universal_newlines=True).stdout


def _instance_size():
    return int(_fluxs("getattr", "size").strip())


def _wait_state(provider, job_id, states, deadline=DEADLINE):
    """Poll until the block's state is one of STATES; return its JobStatus."""
    end = time.monotonic() + deadline
    seen = []
    while True:
        status = provider.status([job_id])[0]
        if not seen or seen[-1] != status.state:
            seen.append(status.state)
        if status.state in states:
            return status
        assert not status.terminal, f"block {job_id} ended as {status} (states seen: {seen})"
        assert time.monotonic() < end, f"block {job_id} still {status} after {deadline}s (seen: {seen})"
        time.sleep(0.1)


def _wait_file(path, deadline=DEADLINE):
    end = time.monotonic() + deadline
    while not os.path.exists(path):
        assert time.monotonic() < end, f"{path} did not appear in {deadline}s"
        time.sleep(0.1)


def _fluxs_result(job_id, deadline=DEADLINE):
    """The state and result of a job, as fluxs jobs tells them once inactive."""
    end = time.monotonic() + deadline
    while True:
        job = json.loads(_fluxs("jobs", "-a", "--json", job_id))
        if job["state"] == "INACTIVE":
            return job
        assert time.monotonic() < end, f"job {job_id} still {job['state']}"
        time.sleep(0.1)


@pytest.fixture
def provider(tmp_path, instance_uri):
    """A provider submitting to the instance under test (instance_uri, of
    t/python/conftest.py: FLUXS_URI, or skip), its scripts in tmp_path; the
    blocks it submitted are cancelled and waited for after the test."""
    p = FluxsProvider(
        nodes_per_block=1,
        walltime="00:10:00",
        launcher=SimpleLauncher(),
        uri=_uri(),
        cmd_timeout=60,
    )
    p.script_dir = str(tmp_path)
    submitted = []
    real_submit = p.submit

    def submit(*args, **kwargs):
        job_id = real_submit(*args, **kwargs)
        submitted.append(job_id)
        return job_id

    p.submit = submit
    yield p
    # Leave nothing running in the instance.
    for job_id in submitted:
        subprocess.run(["fluxs", "cancel", job_id], env=dict(os.environ, FLUXS_URI=_uri()),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for job_id in submitted:
        try:
            _fluxs_result(job_id)
        except subprocess.CalledProcessError:
            pass  # purged by the test


def _gated(tmp_path, name, then="echo done"):
    """A block command that says it started, then waits for its gate file."""
    started = tmp_path / f"{name}.started"
    gate = tmp_path / f"{name}.gate"
    command = f"touch {started}; while [ ! -e {gate} ]; do sleep 0.1; done; {then}"
    return command, str(started), str(gate)


def test_repr_keeps_every_argument():
    old = RepresentationMixin._validate_repr
    RepresentationMixin._validate_repr = True
    try:
        p = FluxsProvider(queue="batch", account="proj", scheduler_options="# flux: --urgency=10",
                          worker_init="true", polling_interval=2)
        text = repr(p)
    finally:
        RepresentationMixin._validate_repr = old
    assert text.startswith("FluxsProvider(")
    assert "queue='batch'" in text and "account='proj'" in text
    assert p.label == "fluxs"
    assert p.status_polling_interval == 2


def test_bad_walltime_refused():
    with pytest.raises(ValueError):
        FluxsProvider(walltime="ten minutes")


def test_running_then_completed(provider, tmp_path):
    command, started, gate = _gated(tmp_path, "a", then="echo block-output; exit 0")
    job_id = provider.submit(command, 1, "parsl.test.completed")
    assert int(JobID(job_id)) > 0
    assert provider.status([job_id])[0].state in (JobState.PENDING, JobState.RUNNING)
    _wait_file(started)
    status = _wait_state(provider, job_id, {JobState.RUNNING})
    assert not status.terminal
    open(gate, "w").close()
    status = _wait_state(provider, job_id, {JobState.COMPLETED})
    assert status.exit_code == 0
    assert "block-output" in status.stdout
    # The script is in script_dir, with the options as directives.
    scripts = [f for f in os.listdir(tmp_path) if f.endswith(".submit")]
    assert len(scripts) == 1
    text = open(os.path.join(tmp_path, scripts[0])).read()
    assert text.startswith("#!/bin/bash\n")
    assert "# flux: --job-name=parsl.test.completed" in text
    assert "# flux: --nodes=1" in text
    assert "# flux: --time-limit=600s" in text
    job = _fluxs_result(job_id)
    assert job["name"] == "parsl.test.completed"
    assert job["duration"] == 600


def test_failed_block(provider):
    job_id = provider.submit("echo going wrong >&2; exit 3", 1, "parsl.test.failed")
    status = _wait_state(provider, job_id, {JobState.FAILED})
    assert status.terminal
    assert status.exit_code == 3
    assert "going wrong" in status.stderr


def test_cancel_running_block(provider, tmp_path):
    command, started, _gate = _gated(tmp_path, "c")
    job_id = provider.submit(command, 1, "parsl.test.cancel")
    _wait_file(started)
    _wait_state(provider, job_id, {JobState.RUNNING})
    assert provider.cancel([job_id]) == [True]
    assert provider.status([job_id])[0].state == JobState.CANCELLED
    assert _fluxs_result(job_id)["result"] == "CANCELED"
    # Once it has ended, it cannot be cancelled again.
    assert provider.cancel([job_id]) == [False]


def test_status_reads_cancel_from_elsewhere(provider, tmp_path):
    command, started, _gate = _gated(tmp_path, "e")
    job_id = provider.submit(command, 1, "parsl.test.cancelled-elsewhere")
    _wait_file(started)
    _fluxs("cancel", job_id)
    status = _wait_state(provider, job_id, {JobState.CANCELLED})
    assert status.terminal


def test_timeout(provider, tmp_path):
    provider.walltime = "00:00:02"
    command, started, _gate = _gated(tmp_path, "t")
    job_id = provider.submit(command, 1, "parsl.test.timeout")
    status = _wait_state(provider, job_id, {JobState.TIMEOUT})
    assert status.terminal
    assert os.path.exists(started)


def test_pending_in_order_and_cancel_pending(provider, tmp_path):
    size = _instance_size()
    if size < 2:
        pytest.skip("needs an instance of 2 nodes or more")
    # One block takes every node; the next must wait for it.
    provider.nodes_per_block = size
    command, started, gate = _gated(tmp_path, "big")
    big = provider.submit(command, 1, "parsl.test.big")
    _wait_file(started)
    provider.nodes_per_block = 1
    small = provider.submit("echo small", 1, "parsl.test.small")
    extra = provider.submit("echo extra", 1, "parsl.test.extra")
    statuses = provider.status([small, big, extra])
    assert [s.state for s in statuses] == [JobState.PENDING, JobState.RUNNING, JobState.PENDING]
    assert provider.cancel([extra]) == [True]
    assert _fluxs_result(extra)["result"] == "CANCELED"
    open(gate, "w").close()
    assert _wait_state(provider, small, {JobState.COMPLETED}).exit_code == 0
    _wait_state(provider, big, {JobState.COMPLETED})
    statuses = provider.status([extra, small, big])
    assert [s.state for s in statuses] == [JobState.CANCELLED, JobState.COMPLETED, JobState.COMPLETED]


def test_held_block(provider, tmp_path):
    provider.scheduler_options = "# flux: --urgency=0"
    job_id = provider.submit("echo held", 1, "parsl.test.held")
    assert provider.status([job_id])[0].state == JobState.HELD
    _fluxs("job", "urgency", job_id, "16")
    assert _wait_state(provider, job_id, {JobState.COMPLETED}).exit_code == 0


def test_queue_account_worker_init(provider, tmp_path):
    # An instance without queues ignores the queue, as Flux does; the bank is
    # an attribute the job carries.
    provider.queue = None
    provider.account = "proj"
    provider.worker_init = "export FROM_WORKER_INIT=yes"
    job_id = provider.submit('echo "init=$FROM_WORKER_INIT job=$JOBNAME"', 1, "parsl.test.init")
    status = _wait_state(provider, job_id, {JobState.COMPLETED})
    assert "init=yes job=parsl.test.init" in status.stdout
    jobspec = json.loads(_fluxs("job", "info", job_id, "jobspec"))
    assert jobspec["attributes"]["system"]["bank"] == "proj"


def test_unknown_and_mixed_ids(provider, tmp_path):
    job_id = provider.submit("true", 1, "parsl.test.known")
    status = _wait_state(provider, job_id, {JobState.COMPLETED})
    assert status.exit_code == 0
    # An id the instance never had reads as ended (as a purged job would).
    missing = "f" + "2" * 10
    command, started, gate = _gated(tmp_path, "m")
    running = provider.submit(command, 1, "parsl.test.mixed")
    _wait_file(started)
    statuses = provider.status([running, missing])
    assert [s.state for s in statuses] == [JobState.RUNNING, JobState.COMPLETED]
    assert provider.cancel([missing, running]) == [False, True]
    # A job purged from the instance has ended; a provider that did not see
    # it end (another one, say after a restart) reads it as completed.
    _fluxs_result(running)
    _fluxs("job", "purge", "-f", job_id)
    other = FluxsProvider(uri=_uri(), launcher=SimpleLauncher())
    statuses = other.status([job_id, running])
    assert [s.state for s in statuses] == [JobState.COMPLETED, JobState.CANCELLED]


def test_multinode_block(provider, tmp_path):
    size = _instance_size()
    if size < 2:
        pytest.skip("needs an instance of 2 nodes or more")
    provider.nodes_per_block = 2
    provider.launcher = FluxsRunLauncher(debug=False)
    job_id = provider.submit('echo "worker rank=$FLUXS_TASK_RANK"', 2, "parsl.test.multi")
    status = _wait_state(provider, job_id, {JobState.COMPLETED})
    lines = sorted(line for line in status.stdout.splitlines() if "worker rank=" in line)
    assert len(lines) == 4, status.stdout
    assert all(f"rank={r}" in "".join(lines) for r in range(4))
