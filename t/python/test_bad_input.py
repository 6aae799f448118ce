"""Bad input and lost connections: unknown job ids, broken jobspecs, wrong types, and
a broker that goes away under pending requests. Nothing may hang."""

import copy
import errno
import signal
import threading

import pytest

import fluxs
import fluxs.job
import fluxs.kvs
from conftest import WAIT, oserror
from fluxs.constants import FLUX_RPC_STREAMING
from fluxs.job import JobID, JobspecV1

#: An id no instance ever gives: its timestamp bits are 0.
UNKNOWN = JobID(12345)


# -- unknown job ids -----------------------------------------------------------------


@pytest.mark.parametrize(
    "action",
    [
        lambda h: fluxs.job.wait(h, UNKNOWN),
        lambda h: fluxs.job.result(h, UNKNOWN),
        lambda h: fluxs.job.cancel(h, UNKNOWN),
        lambda h: fluxs.job.kill(h, UNKNOWN),
        lambda h: fluxs.job.raise_job(h, UNKNOWN, "x"),
        lambda h: fluxs.job.job_list_id(h, UNKNOWN).get(timeout=WAIT),
        lambda h: fluxs.job.job_list_id(h, UNKNOWN).get_jobinfo(),
        lambda h: fluxs.job.JobList(h, ids=[UNKNOWN]).jobs(),
        lambda h: list(fluxs.job.event_watch(h, UNKNOWN)),
        lambda h: fluxs.job.event_wait(h, UNKNOWN, "start"),
        lambda h: fluxs.job.event_watch_async(h, UNKNOWN).get_event(timeout=WAIT),
    ],
    ids=[
        "wait",
        "result",
        "cancel",
        "kill",
        "raise",
        "job_list_id",
        "get_jobinfo",
        "JobList",
        "event_watch",
        "event_wait",
        "event_watch_async",
    ],
)
def test_unknown_job(handle, action):
    with pytest.raises(OSError) as excinfo:
        action(handle)
    exc = oserror(excinfo, errno.ENOENT)
    assert isinstance(exc, FileNotFoundError)
    assert "unknown job" in exc.strerror or "not found" in exc.strerror, exc.strerror


def test_unknown_job_get_job(handle):
    assert fluxs.job.get_job(handle, UNKNOWN) is None


# -- broken jobspecs -----------------------------------------------------------------


def _broken(mutate):
    spec = copy.deepcopy(JobspecV1.from_command(["true"]).jobspec)
    mutate(spec)
    return spec


@pytest.mark.parametrize(
    "mutate,words",
    [
        (lambda s: s.update(version=7), "version"),
        (lambda s: s["tasks"][0].update(command=[]), "command"),
        (lambda s: s.update(resources=[]), "resources"),
        (lambda s: s["attributes"]["system"].update(duration="soon"), "duration"),
        (lambda s: s.pop("tasks"), "tasks"),
        (lambda s: s["resources"][0].update(count=0), "count"),
        (lambda s: s["resources"][0].update(type="bogus"), "bogus"),
        (lambda s: s["attributes"]["system"].update(dependencies=[{"scheme": "nope", "value": "1"}]), "nope"),
    ],
    ids=["version", "command", "resources", "duration", "no-tasks", "count", "type", "dependency"],
)
def test_broken_jobspec(handle, mutate, words):
    with pytest.raises(OSError) as excinfo:
        fluxs.job.submit(handle, _broken(mutate))
    assert words in oserror(excinfo, errno.EINVAL).strerror


def test_unsatisfiable_jobspec(handle):
    with pytest.raises(OSError) as excinfo:
        fluxs.job.submit(handle, JobspecV1.from_command(["true"], num_tasks=100000))
    assert "unsatisfiable" in oserror(excinfo, errno.ENOSPC).strerror


@pytest.mark.parametrize("jobspec", [42, None, ["a"], 3.5, object()])
def test_jobspec_type(handle, jobspec):
    with pytest.raises(TypeError):
        fluxs.job.submit(handle, jobspec)
    with pytest.raises(TypeError):
        fluxs.job.submit_async(handle, jobspec)


@pytest.mark.parametrize("text", ["not json", "{", b"\xff\xfe"])
def test_jobspec_text_not_json(handle, text):
    with pytest.raises(ValueError):
        fluxs.job.submit(handle, text)


def test_jobspec_json_not_object(handle):
    with pytest.raises(OSError) as excinfo:
        fluxs.job.submit(handle, "[1, 2]")
    assert excinfo.value.errno in (errno.EINVAL, errno.EPROTO)


@pytest.mark.parametrize("jobid", ["nope", "ƒ0", "", "1.2.3"])
def test_bad_jobid_text(handle, jobid):
    with pytest.raises(ValueError):
        fluxs.job.wait(handle, jobid)
    with pytest.raises(ValueError):
        fluxs.job.cancel(handle, jobid)


# -- a lost connection ---------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_lost_connection(private_instance, jobspec, sig):
    """The broker dies under a pending wait and a pending KVS watch: both fail with
    ECONNRESET, as does every later request; nothing hangs."""
    h = fluxs.Flux(private_instance.uri)
    jobid = fluxs.job.submit(h, jobspec(["sleep", "300"]))
    wait = fluxs.job.wait_async(h, jobid)
    watch = h.rpc("kvs.watch", {"key": "pytest.lost"}, flags=FLUX_RPC_STREAMING)
    watch.get(timeout=WAIT)
    watch.reset()
    errors = []

    def waiter():  # a second thread blocked on the same handle
        try:
            watch.get(timeout=WAIT)
        except OSError as exc:
            errors.append(exc.errno)

    thread = threading.Thread(target=waiter, daemon=True)
    thread.start()
    private_instance.kill(sig)
    # Killed, the broker just vanishes; terminated, it may first answer what is
    # pending with ECANCELED as its modules stop.
    expected = {errno.ECONNRESET} if sig == signal.SIGKILL else {errno.ECONNRESET, errno.ECANCELED}
    with pytest.raises(OSError) as excinfo:
        wait.get(timeout=WAIT)
    assert excinfo.value.errno in expected, excinfo.value
    if excinfo.value.errno == errno.ECONNRESET:
        assert "lost connection" in excinfo.value.strerror
    thread.join(WAIT)
    assert not thread.is_alive() and len(errors) == 1 and errors[0] in expected
    private_instance.proc.wait(WAIT)  # the broker is gone: whatever comes next fails
    with pytest.raises(OSError) as excinfo:
        h.rpc("broker.ping", {}).get(timeout=WAIT)
    oserror(excinfo, errno.ECONNRESET)
    for action in (
        lambda: h.rpc("broker.ping", {}).get(timeout=WAIT),
        lambda: fluxs.job.submit(h, jobspec(["true"])),
        lambda: fluxs.kvs.get(h, "x"),
        lambda: h.event_subscribe("x"),
    ):
        with pytest.raises(OSError) as excinfo:
            action()
        oserror(excinfo, errno.ECONNRESET)
    h.close()


def test_lost_connection_reactor(private_instance):
    """A reactor waiting on a callback returns when the broker dies; the callback
    hears ECONNRESET."""
    h = fluxs.Flux(private_instance.uri)
    outcomes = []

    def on_response(future):
        try:
            outcomes.append(future.get())
        except OSError as exc:
            outcomes.append(exc.errno)

    h.rpc("kvs.watch", {"key": "pytest.lost"}, flags=FLUX_RPC_STREAMING).then(on_response)

    def on_timer(handle, watcher, revents, args):
        del handle, watcher, revents, args
        private_instance.kill(signal.SIGKILL)

    h.timer_watcher_create(0.01, on_timer).start()
    try:
        h.reactor_run(timeout=WAIT)
    except OSError as exc:
        assert exc.errno == errno.ECONNRESET
    assert outcomes[-1] == errno.ECONNRESET
    assert all(isinstance(o, dict) for o in outcomes[:-1])
    with pytest.raises(OSError) as excinfo:
        h.rpc("broker.ping").get(timeout=WAIT)
    oserror(excinfo, errno.ECONNRESET)
    h.close()


def test_connect_after_instance_ended(private_instance):
    uri = private_instance.uri
    with fluxs.Flux(uri) as h:
        h.rpc("broker.ping", {}).get(timeout=WAIT)
    private_instance.kill(signal.SIGTERM)
    private_instance.proc.wait(WAIT)
    with pytest.raises(OSError) as excinfo:
        fluxs.Flux(uri)
    assert excinfo.value.errno in (errno.ENOENT, errno.ECONNREFUSED)
    assert uri in excinfo.value.strerror
