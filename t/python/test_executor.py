"""fluxs.job.FluxExecutor: jobs as concurrent.futures futures."""

import concurrent.futures as cf
import errno
import signal
import threading

import pytest

import fluxs
import fluxs.job
from conftest import WAIT, wait_job, wait_until
from fluxs.job import FluxExecutor, FluxExecutorFuture, JobException, JobID

MAIN_SEQUENCE = ["submit", "validate", "depend", "priority", "alloc", "start", "finish", "release", "free", "clean"]


@pytest.fixture
def executor(instance_uri):
    ex = FluxExecutor(handle_kwargs={"url": instance_uri})
    yield ex
    ex.shutdown(wait=True, cancel_futures=True)


def _all_done(futures, timeout=WAIT):
    done, not_done = cf.wait(futures, timeout=timeout)
    assert not not_done, f"{len(not_done)} futures not done within {timeout} s"
    return done


def test_results(executor, jobspec):
    futures = {
        0: executor.submit(jobspec(["true"])),
        3: executor.submit(jobspec(["sh", "-c", "exit 3"])),
        -signal.SIGTERM: executor.submit(jobspec(["sh", "-c", "kill -TERM $$"])),
    }
    for code, future in futures.items():
        assert isinstance(future, FluxExecutorFuture)
        assert future.result(timeout=WAIT) == code
        assert future.exception() is None and future.done() and not future.cancelled()


def test_jobid(executor, jobspec, handle):
    future = executor.submit(jobspec(["true"]))
    jobid = future.jobid(timeout=WAIT)
    assert isinstance(jobid, JobID)
    assert future.result(timeout=WAIT) == 0
    assert future.jobid() == jobid
    assert fluxs.job.job_list_id(handle, jobid).get_jobinfo().result == "COMPLETED"


def test_submit_arguments(executor, jobspec, handle):
    """The arguments of fluxs.job.submit after the handle: urgency, waitable."""
    future = executor.submit(jobspec(["true"]).dumps(), urgency=20, waitable=True)
    assert future.result(timeout=WAIT) == 0
    assert fluxs.job.job_list_id(handle, future.jobid()).get_jobinfo().urgency == 20


def test_exception_canceled(executor, jobspec, handle):
    future = executor.submit(jobspec(["true"]), urgency=0)  # held: it never runs
    fluxs.job.cancel(handle, future.jobid(timeout=WAIT), "pytest cancel")
    exc = future.exception(timeout=WAIT)
    assert isinstance(exc, JobException)
    assert (exc.type, exc.note) == ("cancel", "pytest cancel")
    with pytest.raises(JobException):
        future.result()


def test_exception_canceled_running(executor, jobspec, handle, tmp_path):
    marker = tmp_path / "ready"
    future = executor.submit(jobspec(["sh", "-c", f'touch "{marker}"; exec sleep 300']))
    started = threading.Event()
    future.add_event_callback("start", lambda f, e: started.set())
    assert started.wait(WAIT)
    # Canceled once its task runs (a signal sent before may miss it: the kill-timeout
    # would then end it, 5 s later).
    wait_until(marker.exists, what="the task starting")
    fluxs.job.cancel(handle, future.jobid())
    assert isinstance(future.exception(timeout=WAIT), JobException)


def test_exception_refused(executor, jobspec):
    spec = jobspec(["true"]).jobspec
    spec["version"] = 9
    future = executor.submit(spec)
    exc = future.exception(timeout=WAIT)
    assert isinstance(exc, OSError) and exc.errno == errno.EINVAL and "version" in exc.strerror
    with pytest.raises(OSError):
        future.jobid(timeout=WAIT)
    future = executor.submit(42)  # not a jobspec at all
    assert isinstance(future.exception(timeout=WAIT), TypeError)


def test_event_callbacks(executor, jobspec):
    early, late = [], []
    future = executor.submit(jobspec(["true"]))
    for name in MAIN_SEQUENCE:
        future.add_event_callback(name, lambda f, e: early.append(e.name))
    assert future.result(timeout=WAIT) == 0
    # The events up to finish have come; release, free and clean may still be coming.
    done = threading.Event()
    future.add_event_callback("clean", lambda f, e: done.set())
    assert done.wait(WAIT)
    assert early == MAIN_SEQUENCE
    # Added afterwards, a callback hears the events that already happened.
    for name in ("submit", "start", "finish", "clean", "exception"):
        future.add_event_callback(name, lambda f, e: late.append((f, e.name)))
    assert late == [(future, "submit"), (future, "start"), (future, "finish"), (future, "clean")]
    with pytest.raises(ValueError):
        future.add_event_callback("no-such-event", lambda f, e: None)


def test_exception_event(executor, jobspec, handle):
    seen = []
    future = executor.submit(jobspec(["true"]), urgency=0)
    future.add_event_callback("exception", lambda f, e: seen.append(e.context["type"]))
    fluxs.job.raise_job(handle, future.jobid(timeout=WAIT), "pytest", severity=0, note="raised")
    assert isinstance(future.exception(timeout=WAIT), JobException)
    assert seen == ["pytest"]


def test_jobid_callbacks(executor, jobspec):
    before = []
    got = threading.Event()
    future = executor.submit(jobspec(["true"]))
    future.add_jobid_callback(lambda f: (before.append(f.jobid()), got.set()))
    assert got.wait(WAIT)
    after = []
    assert future.add_jobid_callback(lambda f: after.append(f.jobid())) is future  # known: at once
    assert before == after == [future.jobid()]
    assert future.result(timeout=WAIT) == 0
    done = []
    assert future.add_done_callback(done.append) is future
    assert done == [future]


def test_wait_inside_callback(executor, jobspec):
    """A callback runs on the executor's thread: waiting there for the result is refused."""
    errors = []
    got = threading.Event()

    def on_jobid(f):
        try:
            f.result()
        except RuntimeError as exc:
            errors.append(str(exc))
        got.set()

    future = executor.submit(jobspec(["true"]))
    future.add_jobid_callback(on_jobid)
    assert got.wait(WAIT)
    assert future.result(timeout=WAIT) == 0
    assert errors and "inside callback" in errors[0]


def test_attach(executor, jobspec, handle):
    jobid = fluxs.job.submit(handle, jobspec(["sh", "-c", "exit 4"]))
    wait_job(handle, jobid)
    future = executor.attach(jobid)
    assert future.jobid(timeout=WAIT) == jobid
    assert future.result(timeout=WAIT) == 4
    names = []
    done = threading.Event()
    future.add_event_callback("clean", lambda f, e: done.set())
    assert done.wait(WAIT)
    for name in MAIN_SEQUENCE:
        future.add_event_callback(name, lambda f, e: names.append(e.name))
    assert names == MAIN_SEQUENCE


def test_attach_running(executor, jobspec, handle):
    jobid = fluxs.job.submit(handle, jobspec(["true"]), urgency=0)
    future = executor.attach(jobid.f58)
    started = threading.Event()
    future.add_event_callback("priority", lambda f, e: started.set())
    assert started.wait(WAIT)
    handle.rpc("job-manager.urgency", {"id": int(jobid), "urgency": 16}).get(timeout=WAIT)
    assert future.result(timeout=WAIT) == 0


def test_attach_unknown(executor):
    future = executor.attach(JobID(12345))
    exc = future.exception(timeout=WAIT)
    assert isinstance(exc, (ValueError, OSError)), repr(exc)
    assert str(exc)


def test_shutdown_wait(instance_uri, test_jobspec):
    ex = FluxExecutor(threads=2, handle_kwargs={"url": instance_uri})
    futures = [ex.submit(test_jobspec(0.2)) for _ in range(10)]
    ex.shutdown(wait=True)
    assert all(f.done() for f in futures)
    assert [f.result() for f in futures] == [0] * 10
    with pytest.raises(RuntimeError):
        ex.submit(test_jobspec(0))
    ex.shutdown(wait=True)  # twice is harmless


def test_context_manager(instance_uri, jobspec):
    with FluxExecutor(handle_kwargs={"url": instance_uri}) as ex:
        futures = [ex.submit(jobspec(["true"])) for _ in range(3)]
    assert [f.result(timeout=0) for f in futures] == [0, 0, 0]


def test_cancel_futures(instance_uri, jobspec):
    """Futures no thread took yet are canceled by shutdown(cancel_futures=True).

    The executor's only thread is busy in a callback of the first future while the
    others are submitted and shutdown is called, so none of them was taken."""
    ex = FluxExecutor(threads=1, handle_kwargs={"url": instance_uri})
    later = []
    calls = []

    def on_jobid(f):
        del f
        later.extend(ex.submit(jobspec(["true"])) for _ in range(3))
        ex.shutdown(wait=False, cancel_futures=True)
        calls.append(True)

    first = ex.submit(jobspec(["true"]))
    first.add_jobid_callback(on_jobid)
    assert first.result(timeout=WAIT) == 0
    ex.shutdown(wait=True)
    assert calls == [True] and len(later) == 3
    assert all(f.cancelled() for f in later)
    with pytest.raises(cf.CancelledError):
        later[0].jobid(timeout=WAIT)


def test_cancel_pending_future(instance_uri, jobspec):
    """Future.cancel() before a thread takes the future: the job is never submitted."""
    ex = FluxExecutor(threads=1, handle_kwargs={"url": instance_uri})
    later = []

    def on_jobid(f):
        del f
        later.append(ex.submit(jobspec(["true"])))
        later.append(later[0].cancel())

    first = ex.submit(jobspec(["true"]))
    first.add_jobid_callback(on_jobid)
    assert first.result(timeout=WAIT) == 0
    ex.shutdown(wait=True)
    assert later[1] is True and later[0].cancelled()


def test_many_test_mode_jobs(instance_uri, test_jobspec):
    spec = test_jobspec(0)
    with FluxExecutor(threads=2, handle_kwargs={"url": instance_uri}) as ex:
        futures = [ex.submit(spec) for _ in range(500)]
        _all_done(futures, timeout=3 * WAIT)
    assert [f.result() for f in futures] == [0] * 500
    assert len({f.jobid() for f in futures}) == 500


def test_bad_arguments(instance_uri):
    with pytest.raises(ValueError):
        FluxExecutor(threads=0)
    with FluxExecutor(handle_kwargs={"url": instance_uri}) as ex:
        with pytest.raises(NotImplementedError):
            ex.map(len, [[1]])


def test_bad_uri():
    with pytest.raises(OSError):
        FluxExecutor(handle_kwargs={"url": "local:///nonexistent/socket"})


def test_lost_instance(private_instance, jobspec):
    """The broker dies: pending futures fail with ECONNRESET, new ones are refused."""
    ex = FluxExecutor(handle_kwargs={"url": private_instance.uri})
    try:
        future = ex.submit(jobspec(["sleep", "300"]))
        future.jobid(timeout=WAIT)
        private_instance.kill(signal.SIGKILL)
        exc = future.exception(timeout=WAIT)
        assert isinstance(exc, OSError) and exc.errno == errno.ECONNRESET
        with pytest.raises(RuntimeError):
            for _ in range(100):  # the thread notices the loss soon after the future
                ex.submit(jobspec(["true"])).exception(timeout=WAIT)
    finally:
        ex.shutdown(wait=True)
