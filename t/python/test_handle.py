"""fluxs.Flux: connecting, RPCs (plain, streaming, with callbacks), attributes, events,
the reactor, one handle used from several threads, and bad URIs."""

import errno
import os
import select
import socket
import threading
import time
import uuid

import pytest

import fluxs
from conftest import WAIT, oserror
from fluxs.constants import FLUX_RPC_STREAMING


# -- connecting ----------------------------------------------------------------------


def test_connect(handle, instance_uri):
    assert handle.url == instance_uri
    assert handle.fileno() >= 0
    answer = handle.rpc("broker.ping", {"hello": "world"}).get(timeout=WAIT)
    assert answer["hello"] == "world"
    assert answer["userid"] == os.getuid()
    assert "route" in answer and "rolemask" in answer


def test_url_argument(instance_uri):
    with fluxs.Flux(instance_uri) as h:
        assert h.rpc("broker.ping", {}).get(timeout=WAIT)["userid"] == os.getuid()


def test_unset_uri(monkeypatch):
    monkeypatch.delenv("FLUXS_URI", raising=False)
    with pytest.raises(OSError) as excinfo:
        fluxs.Flux()
    assert "FLUXS_URI" in oserror(excinfo, errno.ENOENT).strerror


@pytest.mark.parametrize("url", ["tcp://localhost:8050", "ssh://host/tmp/sock", "local://relative/path", "nonsense"])
def test_unsupported_uri(url):
    with pytest.raises(OSError) as excinfo:
        fluxs.Flux(url)
    assert url in oserror(excinfo, errno.EINVAL).strerror


def test_missing_socket(tmp_path):
    url = f"local://{tmp_path}/no-such-socket"
    with pytest.raises(OSError) as excinfo:
        fluxs.Flux(url)
    text = oserror(excinfo, errno.ENOENT).strerror
    assert url in text and "cannot connect" in text


def test_refused_socket(tmp_path):
    path = str(tmp_path / "sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.close()  # the file stays, nobody listens
    with pytest.raises(OSError) as excinfo:
        fluxs.Flux(f"local://{path}")
    oserror(excinfo, errno.ECONNREFUSED)


# -- RPCs ----------------------------------------------------------------------------


def test_rpc_payload_forms(handle):
    assert handle.rpc("broker.ping", '{"a":1}').get(timeout=WAIT)["a"] == 1
    assert handle.rpc("broker.ping", b'{"b":2}').get(timeout=WAIT)["b"] == 2
    assert set(handle.rpc("broker.ping").get(timeout=WAIT)) >= {"route", "userid", "rolemask"}
    msg = handle.rpc("broker.ping", {"c": 3}).get_msg(timeout=WAIT)
    assert msg.errnum == 0 and msg.payload_json["c"] == 3
    assert '"c":3' in handle.rpc("broker.ping", {"c": 3}).get_str(timeout=WAIT)


def test_rpc_nodeid(handle):
    size = int(handle.attr_get("size"))
    last = size - 1
    answer = handle.rpc("broker.ping", {}, nodeid=last).get(timeout=WAIT)
    assert answer["route"].split("!")[-1] == str(last)
    info = handle.rpc("broker.info", {}, nodeid=last).get(timeout=WAIT)
    assert info["rank"] == last and info["size"] == size


def test_rpc_errors(handle):
    with pytest.raises(OSError) as excinfo:
        handle.rpc("attr.get", {"name": "no-such-attribute"}).get(timeout=WAIT)
    assert "no-such-attribute" in oserror(excinfo, errno.ENOENT).strerror
    with pytest.raises(OSError) as excinfo:
        handle.rpc("job-manager.no-such-method", {}).get(timeout=WAIT)
    oserror(excinfo, errno.ENOSYS)
    with pytest.raises(OSError) as excinfo:
        handle.rpc("attr.get", "not json").get(timeout=WAIT)
    oserror(excinfo, errno.EPROTO)


def test_future_state(handle):
    future = handle.rpc("broker.ping", {})
    assert future.handle is handle and future.topic == "broker.ping" and not future.streaming
    future.wait_for(WAIT)
    assert future.is_ready()
    assert future.get()["userid"] == os.getuid()
    assert future.get()["userid"] == os.getuid()  # get() does not consume


def test_wait_for_timeout(handle):
    key = f"pytest.handle.{uuid.uuid4().hex}"
    watch = handle.rpc("kvs.watch", {"key": key}, flags=FLUX_RPC_STREAMING)
    assert watch.streaming
    assert watch.get(timeout=WAIT)["missing"] is True
    watch.reset()
    with pytest.raises(TimeoutError):
        watch.wait_for(0.05)  # nobody changes the key
    with pytest.raises(TimeoutError):
        watch.get(timeout=0)
    watch.cancel()


def test_streaming_rpc_and_reset(handle):
    text = f"pytest streaming {uuid.uuid4().hex}"
    handle.rpc("log.append", {"message": text, "level": 6}).get(timeout=WAIT)
    stream = handle.rpc("log.dmesg", {}, flags=FLUX_RPC_STREAMING)
    messages = []
    for _ in range(100000):
        try:
            entry = stream.get(timeout=WAIT)
        except OSError as exc:
            assert exc.errno == errno.ENODATA
            break
        messages.append(entry["message"])
        stream.reset()
    else:
        pytest.fail("log.dmesg did not end")
    assert any(text in m for m in messages)
    # Without the streaming flag, a streaming request is refused.
    with pytest.raises(OSError) as excinfo:
        handle.rpc("log.dmesg", {}).get(timeout=WAIT)
    oserror(excinfo, errno.EPROTO)


# -- callbacks and the reactor ---------------------------------------------------------


def test_then_and_reactor_run(handle):
    seen = []

    def callback(future, index, tag=None):
        seen.append((index, future.get()["i"], tag))

    for i in range(10):
        handle.rpc("broker.ping", {"i": i}).then(callback, i, tag="x")
    assert handle.reactor_run(timeout=WAIT) == 0
    assert sorted(seen) == [(i, i, "x") for i in range(10)]


def test_then_after_response(handle):
    future = handle.rpc("broker.ping", {"late": True})
    future.wait_for(WAIT)
    seen = []
    future.then(lambda f: seen.append(f.get()["late"]))  # already answered: called at once
    assert seen == [True]
    assert handle.reactor_run(timeout=WAIT) == 0


def test_streaming_then(handle):
    handle.rpc("log.append", {"message": "pytest streaming then", "level": 6}).get(timeout=WAIT)
    entries, ends = [], []

    def callback(future):
        try:
            entries.append(future.get())
        except OSError as exc:
            ends.append(exc.errno)

    handle.rpc("log.dmesg", {}, flags=FLUX_RPC_STREAMING).then(callback)
    assert handle.reactor_run(timeout=WAIT) == 0
    assert entries and ends == [errno.ENODATA]


def test_callback_sends_rpc(handle):
    """A callback may send requests and chain callbacks of its own."""
    chain = []

    def step(future, depth):
        chain.append(future.get()["depth"])
        if depth < 5:
            handle.rpc("broker.ping", {"depth": depth + 1}).then(step, depth + 1)

    handle.rpc("broker.ping", {"depth": 0}).then(step, 0)
    assert handle.reactor_run(timeout=WAIT) == 0
    assert chain == [0, 1, 2, 3, 4, 5]


def test_timer_and_reactor_stop(handle):
    key = f"pytest.handle.{uuid.uuid4().hex}"
    watch = handle.rpc("kvs.watch", {"key": key}, flags=FLUX_RPC_STREAMING).then(lambda f: None)
    fired = []

    def on_timer(h, watcher, revents, args):
        del watcher, revents
        fired.append(args)
        if len(fired) == 3:
            h.reactor_stop()

    timer = handle.timer_watcher_create(0.01, on_timer, repeat=0.01, args="tick").start()
    # The watch keeps the reactor busy: it returns because of reactor_stop.
    assert handle.reactor_run(timeout=WAIT) == 1
    assert fired == ["tick"] * 3
    timer.stop()
    watch.cancel()
    assert handle.reactor_run(timeout=WAIT) == 0


def test_own_poll_loop(handle):
    """fileno() and dispatch() drive callbacks from a caller's own loop."""
    seen = []
    handle.rpc("broker.ping", {"poll": 1}).then(lambda f: seen.append(f.get()["poll"]))
    deadline = time.monotonic() + WAIT
    while not seen and time.monotonic() < deadline:
        select.select([handle.fileno()], [], [], 0.5)
        handle.dispatch()
    assert seen == [1]


# -- attributes ----------------------------------------------------------------------


def test_attr_get(handle):
    assert handle.attr_get("rank") == "0"
    assert handle.get_rank() == 0
    assert int(handle.attr_get("size")) >= 1
    with pytest.raises(OSError) as excinfo:
        handle.attr_get("pytest-no-such-attribute")
    oserror(excinfo, errno.ENOENT)


def test_attr_set(handle):
    name = f"pytest-attr-{uuid.uuid4().hex[:8]}"
    handle.attr_set(name, 42)
    try:
        assert handle.attr_get(name) == "42"
    finally:
        handle.rpc("attr.rm", {"name": name}).get(timeout=WAIT)
    with pytest.raises(OSError):
        handle.attr_set("rank", "7")


# -- events --------------------------------------------------------------------------


def test_event_send_recv(handle):
    prefix = f"pytest-ev-{uuid.uuid4().hex[:8]}"
    handle.event_subscribe(prefix)
    answer = handle.event_send(f"{prefix}.one", {"n": 1})
    assert isinstance(answer["seq"], int)
    handle.event_send(f"{prefix}.two", "plain text")
    handle.event_send(f"{prefix}.three")
    first = handle.event_recv(prefix, timeout=WAIT)
    assert first.topic == f"{prefix}.one" and first.payload_json == {"n": 1}
    second = handle.event_recv(timeout=WAIT)
    assert second.topic == f"{prefix}.two" and second.payload_json == "plain text"
    third = handle.event_recv(f"{prefix}.three", timeout=WAIT)
    assert third.topic == f"{prefix}.three" and third.get_payload() is None
    handle.event_unsubscribe(prefix)
    with pytest.raises(OSError) as excinfo:
        handle.event_unsubscribe(prefix)
    oserror(excinfo, errno.ENOENT)


def test_event_recv_nothing(handle):
    prefix = f"pytest-none-{uuid.uuid4().hex[:8]}"
    handle.event_subscribe(prefix)
    assert handle.event_recv(prefix, timeout=0.05) is None


def test_event_between_handles(handle, instance_uri):
    prefix = f"pytest-x-{uuid.uuid4().hex[:8]}"
    handle.event_subscribe(prefix)
    with fluxs.Flux(instance_uri) as other:
        other.event_send(f"{prefix}.hi", {"from": "other"})
    msg = handle.event_recv(prefix, timeout=WAIT)
    assert msg.payload_json == {"from": "other"}


def test_event_watcher(handle):
    prefix = f"pytest-w-{uuid.uuid4().hex[:8]}"
    got = []

    def on_event(h, msg, label):
        got.append((label, msg.topic, msg.payload_json["i"]))
        if len(got) == 3:
            h.event_watcher_destroy(watcher)

    watcher = handle.event_watcher_create(prefix, on_event, args=("w",))
    handle.event_subscribe(prefix)
    for i in range(3):
        handle.event_send(f"{prefix}.e", {"i": i})
    assert handle.reactor_run(timeout=WAIT) == 0
    assert got == [("w", f"{prefix}.e", i) for i in range(3)]


# -- threads -------------------------------------------------------------------------


def _run_threads(target, count):
    errors = []

    def guarded(index):
        try:
            target(index)
        except BaseException as exc:  # pylint: disable=broad-except
            errors.append((index, exc))

    threads = [threading.Thread(target=guarded, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 2 * WAIT
    for t in threads:
        t.join(max(deadline - time.monotonic(), 0.1))
    assert not any(t.is_alive() for t in threads), "threads still running"
    assert not errors, errors


def test_threads_one_handle(handle):
    """8 threads send 50 pings each through one handle, each waiting for its own."""

    def pinger(t):
        for i in range(50):
            answer = handle.rpc("broker.ping", {"t": t, "i": i}).get(timeout=WAIT)
            assert (answer["t"], answer["i"]) == (t, i)

    _run_threads(pinger, 8)


def test_threads_pipelined(handle):
    """8 threads send 50 pings each before waiting for any."""

    def pinger(t):
        futures = [handle.rpc("broker.ping", {"t": t, "i": i}) for i in range(50)]
        for i, future in reversed(list(enumerate(futures))):
            answer = future.get(timeout=WAIT)
            assert (answer["t"], answer["i"]) == (t, i)

    _run_threads(pinger, 8)


def test_threads_with_callbacks(handle):
    """Callbacks run on whichever thread reads; every one runs once."""
    seen = []
    lock = threading.Lock()

    def record(future, t, i):
        with lock:
            seen.append((t, i, future.get()["i"]))

    def worker(t):
        last = None
        for i in range(50):
            last = handle.rpc("broker.ping", {"i": i}).then(record, t, i)
        handle.rpc("broker.ping", {}).get(timeout=WAIT)
        del last

    _run_threads(worker, 4)
    # Responses a thread read for callbacks are dispatched by now or in the reactor.
    handle.reactor_run(timeout=WAIT)
    assert sorted(seen) == sorted((t, i, i) for t in range(4) for i in range(50))


# -- closing -------------------------------------------------------------------------


def test_close(instance_uri):
    h = fluxs.Flux(instance_uri)
    watch = h.rpc("kvs.watch", {"key": f"pytest.{uuid.uuid4().hex}"}, flags=FLUX_RPC_STREAMING)
    watch.get(timeout=WAIT)
    watch.reset()
    h.close()
    with pytest.raises(OSError) as excinfo:
        watch.get(timeout=WAIT)
    oserror(excinfo, errno.ECONNRESET)
    with pytest.raises(OSError) as excinfo:
        h.rpc("broker.ping", {})
    oserror(excinfo, errno.ECONNRESET)
    h.close()  # twice is harmless


def test_context_manager(instance_uri):
    with fluxs.Flux(instance_uri) as h:
        h.rpc("broker.ping", {}).get(timeout=WAIT)
    with pytest.raises(OSError):
        h.rpc("broker.ping", {}).get(timeout=WAIT)


def test_synchronous_rpc_in_callback(handle):
    """A callback may wait for a response of its own (as flux-core allows)."""
    inner = []

    def callback(future):
        inner.append(handle.rpc("broker.ping", {"inner": future.get()["outer"]}).get(timeout=WAIT)["inner"])

    for i in range(3):
        handle.rpc("broker.ping", {"outer": i}).then(callback)
    assert handle.reactor_run(timeout=WAIT) == 0
    assert sorted(inner) == [0, 1, 2]


def test_get_when_nothing_more_comes(handle):
    """get() on a future that will get no more responses fails at once."""
    future = handle.rpc("broker.ping", {})
    future.get(timeout=WAIT)
    future.reset()
    with pytest.raises(OSError) as excinfo:
        future.get()
    oserror(excinfo, errno.ENODATA)
    watch = handle.rpc("kvs.watch", {"key": f"pytest.{uuid.uuid4().hex}"}, flags=FLUX_RPC_STREAMING)
    watch.get(timeout=WAIT)
    watch.reset()
    watch.cancel()
    with pytest.raises(OSError) as excinfo:
        watch.get()
    oserror(excinfo, errno.ENODATA)
