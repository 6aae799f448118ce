"""Fixtures of the tests of the fluxs Python API (bindings/python/fluxs).

The suite runs inside an instance, as ``make check`` runs it:

    fluxs start --test-size=2 /usr/bin/python3 -m pytest -q t/python

with PYTHONPATH naming bindings/python (this file adds it when it is missing). The
tests that need an instance use the fixtures ``instance_uri``, ``handle`` or
``jobspec`` and are skipped, with the reason, when FLUXS_URI is not set; the others
(job ids, jobspecs, messages) run anywhere.

Every test of this suite is bounded: by pytest-timeout (Debian's python3-pytest-timeout)
when it is installed, else by an alarm of this file (TEST_TIMEOUT seconds), and every
wait inside a test has its own, shorter deadline. No test asserts on how fast anything
is: a loaded machine only makes the suite slower.
"""

import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest

BINDINGS = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bindings", "python"))
if BINDINGS not in sys.path:
    sys.path.insert(0, BINDINGS)

import fluxs  # noqa: E402
import fluxs.job  # noqa: E402
from fluxs.job import JobspecV1  # noqa: E402

#: The test files of the Python API (the clients' suites, test_psij_* and test_parsl_*,
#: keep their own bounds).
API_TESTS = frozenset(
    (
        "test_handle.py",
        "test_message.py",
        "test_jobid.py",
        "test_jobspec.py",
        "test_job.py",
        "test_bad_input.py",
        "test_executor.py",
        "test_kvs.py",
        "test_journal.py",
    )
)
#: The bound of one test, setup and teardown included, in seconds: reached only when
#: something hangs.
TEST_TIMEOUT = 120
#: The bound of one wait inside a test (a response, a job's end), in seconds.
WAIT = 60.0


def pytest_configure(config):
    if not config.pluginmanager.hasplugin("timeout"):
        config.addinivalue_line("markers", "timeout(seconds): the bound of a test (t/python/conftest.py)")


def pytest_collection_modifyitems(config, items):
    del config
    for item in items:
        if os.path.basename(str(item.fspath)) in API_TESTS and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Without pytest-timeout, a SIGALRM bounds each marked test's call."""
    marker = item.get_closest_marker("timeout")
    if (
        item.config.pluginmanager.hasplugin("timeout")
        or marker is None
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    seconds = marker.args[0] if marker.args else TEST_TIMEOUT

    def expire(signum, frame):
        del signum, frame
        pytest.fail(f"the test took more than {seconds} s (the bound of t/python/conftest.py)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def wait_until(predicate, timeout=WAIT, what="the condition", interval=0.05):
    """Polls ``predicate`` until it is true; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout} s")
        time.sleep(interval)


def wait_job(handle, jobid, timeout=WAIT):
    """Waits for a job (reaping it), for at most ``timeout`` seconds; its JobWaitResult."""
    future = fluxs.job.wait_async(handle, jobid)
    future.wait_for(timeout)
    return fluxs.job.wait_get_status(future)


def wait_event(handle, jobid, name, timeout=WAIT):
    """Waits for the event ``name`` of a job, for at most ``timeout`` seconds per
    event; the event (fails the test when the eventlog ends without it)."""
    watcher = fluxs.job.event_watch_async(handle, jobid)
    try:
        while True:
            event = watcher.get_event(timeout=timeout)
            if event is None:
                pytest.fail(f"job {jobid} ended without the event {name}")
            if event.name == name:
                return event
    finally:
        watcher.cancel()


@pytest.fixture(scope="session")
def instance_uri():
    """The URI of the instance under test (FLUXS_URI), or skip."""
    uri = os.environ.get("FLUXS_URI")
    if not uri:
        pytest.skip("FLUXS_URI is not set: run the suite inside an instance (fluxs start ... pytest t/python)")
    return uri


@pytest.fixture
def handle(instance_uri):
    """A handle on the instance under test, closed after the test."""
    h = fluxs.Flux()
    assert h.url == instance_uri
    yield h
    h.close()


@pytest.fixture
def jobspec(instance_uri, tmp_path):
    """A factory of jobspecs: ``jobspec(command, **from_command_kwargs)``, with the
    test's environment and its tmp_path as working directory by default."""
    del instance_uri

    def make(command, **kwargs):
        kwargs.setdefault("environment", dict(os.environ))
        kwargs.setdefault("cwd", str(tmp_path))
        return JobspecV1.from_command(list(command), **kwargs)

    return make


@pytest.fixture
def test_jobspec(jobspec):
    """A factory of test-mode jobspecs (no process runs): ``test_jobspec(seconds)``."""

    def make(run_duration=0, **kwargs):
        spec = jobspec(["true"], **kwargs)
        spec.setattr("system.exec.test.run_duration", run_duration)
        return spec

    return make


class PrivateInstance:
    """A one-broker instance of a test's own, started with ``fluxs start``; ``uri``
    reaches it, ``kill(sig)`` signals its broker."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.uri_file = os.path.join(workdir, "uri")
        self.pid_file = os.path.join(workdir, "pid")
        self.log_file = os.path.join(workdir, "log")
        script = (
            f'echo $$ > "{self.pid_file}"; '
            f'echo "$FLUXS_URI" > "{self.uri_file}.tmp" && mv "{self.uri_file}.tmp" "{self.uri_file}"; '
            "exec sleep 300"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLUXS_")}
        with open(self.log_file, "wb") as log:
            self.proc = subprocess.Popen(
                ["fluxs", "start", "bash", "-c", script],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self.uri = None
        self.initial_pid = None

    def wait_ready(self, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.uri_file):
            if self.proc.poll() is not None:
                pytest.fail(f"fluxs start ended ({self.proc.returncode}) before its initial program ran: {self.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the private instance did not start within {timeout} s: {self.log()}")
            time.sleep(0.05)
        with open(self.uri_file) as f:
            self.uri = f.read().strip()
        with open(self.pid_file) as f:
            self.initial_pid = int(f.read().strip())
        return self

    @property
    def socket_path(self):
        return self.uri[len("local://") :] if self.uri else None

    def log(self):
        try:
            with open(self.log_file, errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def kill(self, sig=signal.SIGKILL):
        """Signals the broker (and whatever shares its process group)."""
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def _is_initial_program(self):
        try:
            with open(f"/proc/{self.initial_pid}/cmdline", "rb") as f:
                return f.read().split(b"\0")[:2] == [b"sleep", b"300"]
        except OSError:
            return False

    def cleanup(self):
        """Ends the broker (SIGTERM, then SIGKILL after 15 s) and the initial program,
        and removes a run directory a killed broker left behind."""
        if self.proc.poll() is None:
            self.kill(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill(signal.SIGKILL)
                self.proc.wait(timeout=15)
        if self.initial_pid is not None and self._is_initial_program():
            try:
                os.kill(self.initial_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.socket_path:
            rundir = os.path.dirname(self.socket_path)
            if os.path.basename(rundir).startswith("fluxs-") and os.path.isdir(rundir):
                shutil.rmtree(rundir, ignore_errors=True)


@pytest.fixture
def private_instance():
    """A one-broker instance of the test's own (``.uri``, ``.kill(sig)``), ended after
    the test: for what would disturb the shared instance (losing the broker, counting
    every job of the user)."""
    if shutil.which("fluxs") is None:
        pytest.skip("fluxs is not in PATH")
    workdir = tempfile.mkdtemp(prefix="fluxs-pytest-")
    instance = PrivateInstance(workdir)
    try:
        yield instance.wait_ready()
    finally:
        instance.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


def oserror(excinfo, errnum):
    """Checks that a caught OSError has errno ``errnum`` and a message; returns it."""
    exc = excinfo.value
    assert exc.errno == errnum, f"expected {errno.errorcode[errnum]}, got {exc!r}"
    assert exc.strerror, f"{exc!r} has no message"
    return exc
