"""fluxs.job.JournalConsumer: the events of many jobs over one
job-manager.events-journal stream."""

import errno

import pytest

import fluxs
import fluxs.job
from conftest import WAIT, wait_job
from fluxs.constants import FLUX_RPC_STREAMING
from fluxs.job import EventLogEvent, JournalConsumer

MAIN_SEQUENCE = ["submit", "validate", "depend", "priority", "alloc", "start", "finish", "release", "free", "clean"]


def _collect(consumer, jobids, last="clean"):
    """The events of ``jobids`` that the consumer delivers, up to ``last`` of each."""
    events = {j: [] for j in jobids}
    open_ids = set(jobids)
    while open_ids:
        event = consumer.poll(timeout=WAIT)
        if event.jobid in events:
            events[event.jobid].append(event)
            if event.name == last:
                open_ids.discard(event.jobid)
    return events


def test_events_in_order(handle, jobspec):
    consumer = JournalConsumer(handle).start()
    jobid = fluxs.job.submit(handle, jobspec(["true"]))
    events = _collect(consumer, [jobid])[jobid]
    assert [e.name for e in events] == MAIN_SEQUENCE
    assert all(isinstance(e, EventLogEvent) and e.jobid == jobid for e in events)
    assert events[0].context["urgency"] == 16 and events[6].context == {"status": 0}
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)
    # The same as the job's eventlog.
    assert [dict(e) for e in events] == [dict(e) for e in fluxs.job.event_watch(handle, jobid)]
    consumer.stop()
    wait_job(handle, jobid)


def test_many_jobs(handle, jobspec, test_jobspec):
    consumer = JournalConsumer(handle).start()
    ids = [fluxs.job.submit(handle, test_jobspec(0)) for _ in range(20)]
    failing = fluxs.job.submit(handle, jobspec(["false"]))
    events = _collect(consumer, ids + [failing])
    for jobid in ids:
        assert [e.name for e in events[jobid]] == MAIN_SEQUENCE
    assert events[failing][6].name == "finish" and events[failing][6].context["status"] == 256
    consumer.stop()


def test_allow_filters(handle, jobspec):
    consumer = JournalConsumer(handle, events=["start", "clean", "exception"]).start()
    good = fluxs.job.submit(handle, jobspec(["true"]))
    held = fluxs.job.submit(handle, jobspec(["true"]), urgency=0)
    fluxs.job.cancel(handle, held, "filtered")
    events = _collect(consumer, [good, held])
    assert [e.name for e in events[good]] == ["start", "clean"]
    assert [e.name for e in events[held]] == ["exception", "clean"]
    assert events[held][0].context["note"] == "filtered"
    consumer.stop()


def test_poll_timeout(handle):
    consumer = JournalConsumer(handle, events=["no-such-event"]).start()
    with pytest.raises(TimeoutError):
        consumer.poll(timeout=0.05)
    consumer.stop()


def test_callback(handle, jobspec):
    seen = []
    mine = {}

    def on_event(event, tag):
        # Events come while submit() waits for its answer: the id may not be known yet.
        seen.append((tag, event))
        if event.name == "clean" and event.jobid == mine.get("id"):
            consumer.stop()

    consumer = JournalConsumer(handle).set_callback(on_event, "cb")
    consumer.start()
    mine["id"] = fluxs.job.submit(handle, jobspec(["true"]))
    if not any(e.name == "clean" and e.jobid == mine["id"] for _, e in seen):
        assert handle.reactor_run(timeout=WAIT) == 0
    assert [(tag, e.name) for tag, e in seen if e.jobid == mine["id"]] == [("cb", n) for n in MAIN_SEQUENCE]


def test_callback_end_of_stream(instance_uri):
    """A closed handle ends the stream: the callback hears None."""
    h = fluxs.Flux(instance_uri)
    seen = []
    JournalConsumer(h).set_callback(seen.append).start()
    h.close()
    assert seen == [None]


def test_two_consumers(handle, instance_uri, jobspec):
    """Each subscriber gets every event, whichever handle submitted."""
    with fluxs.Flux(instance_uri) as other:
        first = JournalConsumer(handle).start()
        second = JournalConsumer(other, events=["clean"]).start()
        jobid = fluxs.job.submit(other, jobspec(["true"]))
        assert [e.name for e in _collect(first, [jobid])[jobid]] == MAIN_SEQUENCE
        assert [e.name for e in _collect(second, [jobid])[jobid]] == ["clean"]
        first.stop()
        second.stop()


def test_unsupported_history(handle):
    with pytest.raises(ValueError):
        JournalConsumer(handle, full=True)
    with pytest.raises(ValueError):
        JournalConsumer(handle, since=1.0)


def test_journal_request(handle, jobspec):
    """The raw stream: an empty first response, then events per commit."""
    stream = handle.rpc("job-manager.events-journal", {"allow": ["clean"]}, flags=FLUX_RPC_STREAMING)
    assert stream.get(timeout=WAIT) == {"events": []}
    stream.reset()
    jobid = fluxs.job.submit(handle, jobspec(["true"]))
    while True:
        batch = stream.get(timeout=WAIT)["events"]
        stream.reset()
        if any(item["id"] == jobid for item in batch):
            break
    (item,) = [i for i in batch if i["id"] == jobid]
    assert EventLogEvent(item["entry"]).name == "clean"
    with pytest.raises(OSError) as excinfo:  # without the streaming flag
        handle.rpc("job-manager.events-journal", {}).get(timeout=WAIT)
    assert excinfo.value.errno == errno.EPROTO


def test_cancel_ends_the_stream(handle, jobspec):
    """job-manager.events-journal-cancel ends the stream with ENODATA, and the job
    manager sends nothing more on it; stop() asks for that."""
    stream = handle.rpc("job-manager.events-journal", {}, flags=FLUX_RPC_STREAMING)
    assert stream.get(timeout=WAIT) == {"events": []}
    stream.reset()
    assert handle.rpc("job-manager.events-journal-cancel", {"matchtag": stream.matchtag}).get(timeout=WAIT) == {}
    with pytest.raises(OSError) as excinfo:
        stream.get(timeout=WAIT)
    assert excinfo.value.errno == errno.ENODATA
    with pytest.raises(OSError) as excinfo:
        handle.rpc("job-manager.events-journal-cancel", {}).get(timeout=WAIT)
    assert excinfo.value.errno == errno.EPROTO
    # stop(): jobs that end afterwards bring nothing (the handle would drop it anyway,
    # but the stream itself is gone: a raw journal of the same handle still works).
    consumer = JournalConsumer(handle).start()
    consumer.stop()
    other = JournalConsumer(handle, events=["clean"]).start()
    jobid = fluxs.job.submit(handle, jobspec(["true"]))
    while other.poll(WAIT).jobid != jobid:
        pass
    other.stop()
