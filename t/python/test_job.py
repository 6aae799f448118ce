"""fluxs.job: submitting, waiting, results, cancel/kill/raise, events, listings."""

import errno
import os
import pwd
import signal
import uuid

import pytest

import fluxs
import fluxs.job
from conftest import WAIT, oserror, wait_event, wait_job, wait_until
from fluxs.constants import (
    FLUX_JOB_RESULT_COMPLETED,
    FLUX_JOB_RESULT_FAILED,
    FLUX_JOB_STATE_INACTIVE,
    FLUX_JOB_STATE_PENDING,
    FLUX_JOBID_ANY,
)
from fluxs.job import EventLogEvent, JobException, JobID, JobInfo, JobList

MAIN_SEQUENCE = ["submit", "validate", "depend", "priority", "alloc", "start", "finish", "release", "free", "clean"]


def _names(events):
    return [e.name for e in events]


def _held(handle, jobspec):
    """A job held in SCHED (urgency 0): it never runs until released."""
    return fluxs.job.submit(handle, jobspec(["true"]), urgency=0)


def _running(handle, tmp_path, jobspec, name="ready"):
    """A job whose task is running ``sleep 300`` (its shell exec'd it)."""
    marker = tmp_path / name
    jobid = fluxs.job.submit(handle, jobspec(["sh", "-c", f'echo $$ > "{marker}"; exec sleep 300']))
    wait_until(lambda: marker.exists() and marker.read_text().strip(), what=f"the task of {jobid} starting")
    return jobid


# -- submit, wait, result ------------------------------------------------------------


def test_submit_and_wait(handle, jobspec):
    jobid = fluxs.job.submit(handle, jobspec(["true"]))
    assert isinstance(jobid, JobID) and jobid > 0
    status = wait_job(handle, jobid)
    assert status == (jobid, True, "")
    assert isinstance(status.jobid, JobID)
    with pytest.raises(OSError) as excinfo:
        wait_job(handle, jobid)
    assert str(jobid) in oserror(excinfo, errno.ECHILD).strerror
    assert isinstance(excinfo.value, ChildProcessError)


def test_submit_async(handle, jobspec):
    futures = [fluxs.job.submit_async(handle, jobspec(["true"])) for _ in range(10)]
    ids = [f.get_id() for f in futures]
    assert len(set(ids)) == 10 and ids == sorted(ids)  # answered in order
    assert [fluxs.job.submit_get_id(f) for f in futures] == ids
    for jobid in ids:
        assert wait_job(handle, jobid).success


def test_wait_as_jobs_end(handle, jobspec):
    """A wait by id sent while the job is ending (its clean event posted, not yet
    committed) waits for it: it is not refused as already waited for."""
    for _ in range(8):
        futures = [fluxs.job.submit_async(handle, jobspec(["true"])) for _ in range(10)]
        for jobid in [f.get_id() for f in futures]:
            assert wait_job(handle, jobid) == (jobid, True, "")


def test_submit_forms(handle, jobspec):
    """A Jobspec, its dict, its JSON text (str or bytes)."""
    spec = jobspec(["true"])
    for form in (spec, spec.jobspec, spec.dumps(), spec.dumps().encode()):
        assert wait_job(handle, fluxs.job.submit(handle, form)).success


def test_urgency(handle, jobspec):
    jobid = fluxs.job.submit(handle, jobspec(["true"]), urgency=31)
    assert wait_job(handle, jobid).success
    assert fluxs.job.result(handle, jobid).urgency == 31
    with pytest.raises(OSError) as excinfo:
        fluxs.job.submit(handle, jobspec(["true"]), urgency=32)
    assert "urgency" in oserror(excinfo, errno.EINVAL).strerror
    # pre_signed takes J (str or bytes; see test_security.py), not a Jobspec.
    with pytest.raises(TypeError):
        fluxs.job.submit(handle, jobspec(["true"]), pre_signed=True)


def test_failed_job(handle, jobspec):
    jobid = fluxs.job.submit(handle, jobspec(["sh", "-c", "exit 7"]))
    status = wait_job(handle, jobid)
    assert status.jobid == jobid and not status.success
    assert "7" in status.errstr
    info = fluxs.job.result(handle, jobid)
    assert (info.result, info.returncode, info.success) == ("FAILED", 7, False)


def test_result_does_not_reap(handle, jobspec):
    jobid = fluxs.job.submit(handle, jobspec(["true"]))
    future = fluxs.job.result_async(handle, jobid)
    info = future.get_info(timeout=WAIT)
    assert isinstance(info, JobInfo) and info.id == jobid and info.result == "COMPLETED"
    assert fluxs.job.result(handle, jobid).returncode == 0
    assert wait_job(handle, jobid).success  # still there to reap


def test_wait_any(private_instance, jobspec, test_jobspec):
    """In an instance of its own, wait() without an id takes each job once, then ECHILD."""
    with fluxs.Flux(private_instance.uri) as h:
        with pytest.raises(OSError) as excinfo:
            fluxs.job.wait_async(h).get(timeout=WAIT)
        oserror(excinfo, errno.ECHILD)
        ids = {fluxs.job.submit(h, test_jobspec(0)) for _ in range(3)}
        ids.add(fluxs.job.submit(h, jobspec(["false"])))
        seen = {}
        for _ in range(4):
            future = fluxs.job.wait_async(h, FLUX_JOBID_ANY)
            future.wait_for(WAIT)
            status = fluxs.job.wait_get_status(future)
            seen[status.jobid] = status.success
        assert set(seen) == ids
        assert sorted(seen.values()) == [False, True, True, True]
        with pytest.raises(OSError) as excinfo:
            fluxs.job.wait(h)
        assert "no more jobs" in oserror(excinfo, errno.ECHILD).strerror


# -- cancel, kill, raise -------------------------------------------------------------


def test_cancel_pending(handle, jobspec):
    jobid = _held(handle, jobspec)
    fluxs.job.cancel(handle, jobid, "pytest reason")
    status = wait_job(handle, jobid)
    assert not status.success and status.errstr == "cancel: pytest reason"
    info = fluxs.job.result(handle, jobid)
    assert info.result == "CANCELED" and info.result_abbrev == "CA" and info.returncode == -128
    assert info.exception == (True, 0, "cancel", "pytest reason")
    with pytest.raises(OSError) as excinfo:  # inactive now
        fluxs.job.cancel(handle, jobid)
    oserror(excinfo, errno.EINVAL)


def test_cancel_running(handle, jobspec, tmp_path):
    jobid = _running(handle, tmp_path, jobspec)
    fluxs.job.cancel_async(handle, jobid).get(timeout=WAIT)
    status = wait_job(handle, jobid)
    assert not status.success and status.errstr.startswith("cancel")
    assert fluxs.job.result(handle, jobid).result == "CANCELED"


def test_kill(handle, jobspec, tmp_path):
    jobid = _running(handle, tmp_path, jobspec)
    fluxs.job.kill(handle, jobid)
    status = wait_job(handle, jobid)
    assert not status.success
    info = fluxs.job.result(handle, jobid)
    assert (info.result, info.returncode) == ("FAILED", -signal.SIGTERM)
    assert os.WIFSIGNALED(info.waitstatus) and os.WTERMSIG(info.waitstatus) == signal.SIGTERM
    with pytest.raises(OSError) as excinfo:  # not running any more
        fluxs.job.kill(handle, jobid)
    oserror(excinfo, errno.EINVAL)


def test_kill_signal(handle, test_jobspec):
    jobid = fluxs.job.submit(handle, test_jobspec(300))
    wait_event(handle, jobid, "start")
    fluxs.job.kill_async(handle, jobid, signal.SIGUSR1).get(timeout=WAIT)
    assert not wait_job(handle, jobid).success
    assert fluxs.job.result(handle, jobid).returncode == -signal.SIGUSR1


def test_kill_pending(handle, jobspec):
    jobid = _held(handle, jobspec)
    with pytest.raises(OSError) as excinfo:
        fluxs.job.kill(handle, jobid)
    assert "not running" in oserror(excinfo, errno.EINVAL).strerror
    fluxs.job.cancel(handle, jobid)
    wait_job(handle, jobid)


def test_raise(handle, test_jobspec):
    jobid = fluxs.job.submit(handle, test_jobspec(300))
    wait_event(handle, jobid, "start")
    fluxs.job.raise_job(handle, jobid, "pytest", severity=3, note="only a note")
    assert fluxs.job.job_list_id(handle, jobid).get_jobinfo().state == "RUN"
    with pytest.raises(OSError) as excinfo:
        fluxs.job.raise_job(handle, jobid, "pytest", severity=8)
    oserror(excinfo, errno.EINVAL)
    fluxs.job.raise_job_async(handle, jobid, "mytype", 0, "fatal note").get(timeout=WAIT)
    status = wait_job(handle, jobid)
    assert not status.success and status.errstr == "mytype: fatal note"
    exceptions = [e for e in fluxs.job.event_watch(handle, jobid) if e.name == "exception"]
    assert [(e.context["type"], e.context["severity"], e.context["note"]) for e in exceptions] == [
        ("pytest", 3, "only a note"),
        ("mytype", 0, "fatal note"),
    ]
    assert fluxs.job.result(handle, jobid).result == "FAILED"


def test_cancel_all(private_instance, jobspec, test_jobspec):
    with fluxs.Flux(private_instance.uri) as h:
        held = [_held(h, jobspec) for _ in range(3)]
        running = fluxs.job.submit(h, test_jobspec(300))
        wait_event(h, running, "start")
        assert fluxs.job.cancel_all(h, states="pending", reason="all pending") == 3
        for jobid in held:
            assert wait_job(h, jobid).errstr == "cancel: all pending"
        assert fluxs.job.job_list_id(h, running).get_jobinfo().state == "RUN"
        assert fluxs.job.cancel_all(h) == 1
        assert not wait_job(h, running).success
        assert fluxs.job.cancel_all(h) == 0
        with pytest.raises(OSError) as excinfo:
            fluxs.job.cancel_all(h, states="bogus")
        oserror(excinfo, errno.EINVAL)


# -- events --------------------------------------------------------------------------


def test_event_watch_finished_job(handle, jobspec):
    jobid = fluxs.job.submit(handle, jobspec(["true"]))
    wait_job(handle, jobid)
    events = list(fluxs.job.event_watch(handle, jobid))
    assert _names(events) == MAIN_SEQUENCE
    assert all(isinstance(e, EventLogEvent) for e in events)
    assert events[0].context["userid"] == os.getuid() and events[0].context["urgency"] == 16
    assert events[6].context == {"status": 0}
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)
    assert str(events[-1]).endswith(" clean") and events[0].context_string.startswith("{")


def test_event_watch_live(handle, jobspec):
    """Watching from submission: each event as it is posted, up to clean."""
    jobid = _held(handle, jobspec)
    watcher = fluxs.job.event_watch_async(handle, jobid)
    first = [watcher.get_event(timeout=WAIT) for _ in range(4)]
    assert _names(first) == ["submit", "validate", "depend", "priority"]
    handle.rpc("job-manager.urgency", {"id": int(jobid), "urgency": 16}).get(timeout=WAIT)
    rest = []
    while True:
        event = watcher.get_event(timeout=WAIT)
        if event is None:
            break
        rest.append(event.name)
    # Releasing a held job posts urgency and a new priority before it runs.
    assert rest[:2] == ["urgency", "priority"] and rest[2:] == MAIN_SEQUENCE[4:]
    assert watcher.get_event(timeout=WAIT) is None
    assert wait_job(handle, jobid).success


def test_event_watch_then(handle, jobspec):
    jobid = fluxs.job.submit(handle, jobspec(["true"]))
    names = []

    def callback(future, tag):
        event = future.get_event()
        names.append((tag, event.name if event else None))

    fluxs.job.event_watch_async(handle, jobid).then(callback, "t")
    assert handle.reactor_run(timeout=WAIT) == 0
    assert names == [("t", n) for n in MAIN_SEQUENCE] + [("t", None)]
    wait_job(handle, jobid)


def test_event_watch_other_eventlog(handle, jobspec):
    """Another eventlog of the job directory: it ends only when canceled."""
    jobid = fluxs.job.submit(handle, jobspec(["true"]))
    wait_job(handle, jobid)
    watcher = fluxs.job.event_watch_async(handle, jobid, eventlog="guest.nothing")
    with pytest.raises(OSError) as excinfo:
        watcher.get_event(timeout=WAIT)
    oserror(excinfo, errno.ENOENT)


def test_event_wait(handle, jobspec):
    jobid = fluxs.job.submit(handle, jobspec(["true"]))
    event = fluxs.job.event_wait(handle, jobid, "finish")
    assert event.name == "finish" and event.context["status"] == 0
    assert fluxs.job.event_wait(handle, jobid, "clean").name == "clean"
    with pytest.raises(OSError) as excinfo:
        fluxs.job.event_wait(handle, jobid, "no-such-event")
    assert "no-such-event" in oserror(excinfo, errno.ENODATA).strerror
    wait_job(handle, jobid)


def test_event_wait_canceled(handle, jobspec):
    jobid = _held(handle, jobspec)
    fluxs.job.cancel(handle, jobid, "never mind")
    with pytest.raises(JobException) as excinfo:
        fluxs.job.event_wait(handle, jobid, "start")
    exc = excinfo.value
    assert (exc.type, exc.note, exc.severity) == ("cancel", "never mind", 0)
    assert str(exc) == "job.exception type=cancel: never mind"
    assert exc.timestamp > 0
    # Without raiseJobException, the exception is one more event.
    assert fluxs.job.event_wait(handle, jobid, "clean", raiseJobException=False).name == "clean"
    wait_job(handle, jobid)


# -- listings ------------------------------------------------------------------------


def test_job_list_id(handle, jobspec):
    name = f"pytest-{uuid.uuid4().hex[:8]}"
    jobid = fluxs.job.submit(handle, jobspec(["true"], name=name, duration=600))
    wait_job(handle, jobid)
    future = fluxs.job.job_list_id(handle, jobid)
    record = future.get(timeout=WAIT)["job"]
    assert record["id"] == jobid
    info = future.get_jobinfo()
    assert info.id == jobid and isinstance(info.id, JobID)
    assert (info.state, info.status, info.result, info.returncode, info.success) == (
        "INACTIVE",
        "COMPLETED",
        "COMPLETED",
        0,
        True,
    )
    assert (info.state_single, info.result_abbrev) == ("I", "CD")
    assert (info.name, info.ntasks, info.nnodes, info.ncores, info.duration) == (name, 1, 1, 1, 600)
    assert info.userid == os.getuid() and info.username == pwd.getpwuid(os.getuid()).pw_name
    assert info.urgency == 16 and info.priority == 16
    assert info.nodelist and info.ranks is not None
    assert info.t_submit <= info.t_depend <= info.t_run <= info.t_cleanup <= info.t_inactive
    assert info.runtime >= 0
    assert info.exception.occurred is False
    assert info.no_such_key is None
    assert info.to_dict()["id"] == int(jobid)
    assert str(jobid) in repr(info)
    assert fluxs.job.get_job(handle, jobid)["name"] == name


def test_job_list(handle, jobspec):
    name = f"pytest-{uuid.uuid4().hex[:8]}"
    good = fluxs.job.submit(handle, jobspec(["true"], name=name))
    bad = fluxs.job.submit(handle, jobspec(["false"], name=name))
    held = _held(handle, jobspec)
    wait_job(handle, good)
    wait_job(handle, bad)
    every = {j["id"] for j in fluxs.job.job_list(handle).get(timeout=WAIT)["jobs"]}
    assert {good, bad, held} <= every
    named = fluxs.job.job_list(handle, name=name).get(timeout=WAIT)["jobs"]
    assert sorted(j["id"] for j in named) == sorted([good, bad])
    pending = {j["id"] for j in fluxs.job.job_list(handle, states=FLUX_JOB_STATE_PENDING).get(timeout=WAIT)["jobs"]}
    assert held in pending and good not in pending
    failed = fluxs.job.job_list(handle, results=FLUX_JOB_RESULT_FAILED, name=name).get(timeout=WAIT)["jobs"]
    assert [j["id"] for j in failed] == [bad]
    completed = fluxs.job.job_list(handle, states=FLUX_JOB_STATE_INACTIVE, results=FLUX_JOB_RESULT_COMPLETED)
    assert good in {j["id"] for j in completed.get(timeout=WAIT)["jobs"]}
    inactive = [j["id"] for j in fluxs.job.job_list_inactive(handle, name=name).get(timeout=WAIT)["jobs"]]
    assert sorted(inactive) == sorted([good, bad])
    assert len(fluxs.job.job_list(handle, max_entries=1).get(timeout=WAIT)["jobs"]) == 1
    fluxs.job.cancel(handle, held)
    wait_job(handle, held)


def test_joblist_class(handle, jobspec):
    name = f"pytest-{uuid.uuid4().hex[:8]}"
    good = fluxs.job.submit(handle, jobspec(["true"], name=name))
    bad = fluxs.job.submit(handle, jobspec(["false"], name=name))
    wait_job(handle, good)
    wait_job(handle, bad)
    jobs = JobList(handle, ids=[good, bad.f58]).jobs()
    assert sorted(j.id for j in jobs) == sorted([good, bad])
    assert all(isinstance(j, JobInfo) for j in jobs)
    by_id = {j.id: j for j in jobs}
    assert (by_id[good].result, by_id[bad].result, by_id[bad].returncode) == ("COMPLETED", "FAILED", 1)
    assert [j.id for j in JobList(handle, filters=["failed"], name=name).jobs()] == [bad]
    assert {j.id for j in JobList(handle, filters=["all"], name=name, user="all").jobs()} == {good, bad}
    assert {j.id for j in JobList(handle, filters=["inactive"], name=name, user=os.getuid()).jobs()} == {good, bad}
    assert not [j for j in JobList(handle, name=name).jobs()]  # default: pending and running
    with pytest.raises(OSError) as excinfo:
        JobList(handle, filters=["bogus"]).jobs()
    oserror(excinfo, errno.EINVAL)
