"""fluxs.kvs: put/commit/get, directories, KVSDir, KVSTxn, unlink, watch and unwatch."""

import errno
import uuid

import pytest

import fluxs
import fluxs.kvs
from conftest import WAIT, oserror, wait_until
from fluxs.constants import FLUX_RPC_STREAMING


@pytest.fixture
def base():
    """A KVS directory name of the test's own."""
    return f"pytest.{uuid.uuid4().hex[:12]}"


def _watchers(handle):
    return handle.rpc("module.stats", {"name": "kvs"}).get(timeout=WAIT)["watchers"]


def test_put_commit_get(handle, base):
    values = {"int": 42, "str": "text", "list": [1, "a", None], "obj": {"x": {"y": True}}, "float": 2.5, "null": None}
    for name, value in values.items():
        fluxs.kvs.put(handle, f"{base}.{name}", value)
    version = fluxs.kvs.commit(handle)
    assert isinstance(version, int) and version > 0
    for name, value in values.items():
        assert fluxs.kvs.get(handle, f"{base}.{name}") == value
    assert fluxs.kvs.get_key_raw(handle, f"{base}.obj") == '{"x": {"y": true}}'
    assert fluxs.kvs.commit(handle) is None  # nothing staged


def test_puts_are_staged(handle, base):
    fluxs.kvs.put(handle, f"{base}.a", 1)
    assert not fluxs.kvs.exists(handle, f"{base}.a")
    fluxs.kvs.dropcache(handle)
    assert fluxs.kvs.commit(handle) is None
    assert not fluxs.kvs.exists(handle, f"{base}.a")


def test_get_errors(handle, base):
    fluxs.kvs.put(handle, f"{base}.dir.v", 1)
    fluxs.kvs.commit(handle)
    with pytest.raises(OSError) as excinfo:
        fluxs.kvs.get(handle, f"{base}.missing")
    oserror(excinfo, errno.ENOENT)
    with pytest.raises(OSError) as excinfo:
        fluxs.kvs.get(handle, f"{base}.dir")
    oserror(excinfo, errno.EISDIR)
    with pytest.raises(OSError) as excinfo:
        fluxs.kvs.get(handle, f"{base}.dir.v.below")
    assert excinfo.value.errno in (errno.ENOTDIR, errno.ENOENT)


def test_exists_isdir(handle, base):
    fluxs.kvs.put(handle, f"{base}.d.v", "x")
    fluxs.kvs.mkdir(handle, f"{base}.empty")
    fluxs.kvs.commit(handle)
    assert fluxs.kvs.exists(handle, f"{base}.d.v") and not fluxs.kvs.isdir(handle, f"{base}.d.v")
    assert fluxs.kvs.exists(handle, f"{base}.d") and fluxs.kvs.isdir(handle, f"{base}.d")
    assert fluxs.kvs.isdir(handle, f"{base}.empty")
    assert not fluxs.kvs.exists(handle, f"{base}.nothing") and not fluxs.kvs.isdir(handle, f"{base}.nothing")
    assert not fluxs.kvs.exists(handle, f"{base}.d.v.below")


def test_unlink(handle, base):
    fluxs.kvs.put(handle, f"{base}.a", 1)
    fluxs.kvs.put(handle, f"{base}.d.b", 2)
    fluxs.kvs.commit(handle)
    fluxs.kvs.unlink(handle, f"{base}.a")
    fluxs.kvs.commit(handle)
    assert not fluxs.kvs.exists(handle, f"{base}.a")
    fluxs.kvs.unlink(handle, f"{base}.d", recursive=True)
    fluxs.kvs.commit(handle)
    assert not fluxs.kvs.exists(handle, f"{base}.d")


def test_failed_commit_changes_nothing(handle, base):
    fluxs.kvs.put(handle, f"{base}.v", 1)
    fluxs.kvs.commit(handle)
    txn = fluxs.kvs.KVSTxn(handle)
    txn.put(f"{base}.w", 2)
    txn.unlink(f"{base}.v.notadir.x")  # through a value: ENOTDIR
    with pytest.raises(OSError):
        txn.commit()
    assert txn.ops  # kept, to retry or drop
    assert not fluxs.kvs.exists(handle, f"{base}.w")
    assert fluxs.kvs.get(handle, f"{base}.v") == 1


def test_txn(handle, base):
    txn = fluxs.kvs.KVSTxn(handle)
    txn.put(f"{base}.a", {"n": 1})
    txn.put(f"{base}.log", "one\n")
    txn.append(f"{base}.log", "two\n")
    txn.mkdir(f"{base}.empty")
    version = txn.commit()
    assert version and txn.ops == []
    assert fluxs.kvs.get(handle, f"{base}.log") == "one\ntwo\n"
    assert fluxs.kvs.get(handle, f"{base}.a") == {"n": 1}
    assert fluxs.kvs.isdir(handle, f"{base}.empty")
    assert txn.commit() is None


def test_kvsdir(handle, base):
    with fluxs.kvs.get_dir(handle, base) as d:  # committed on leaving the block
        d["x"] = 1
        d["sub.y"] = "why"
        d.mkdir("empty")
    d = fluxs.kvs.KVSDir(handle, base)
    assert sorted(d.keys()) == ["empty", "sub", "x"] and len(d) == 3
    assert sorted(d) == ["empty", "sub", "x"]
    assert "x" in d and "nothing" not in d
    assert d["x"] == 1
    sub = d["sub"]
    assert isinstance(sub, fluxs.kvs.KVSDir) and sub.path == f"{base}.sub" and sub["y"] == "why"
    assert sorted(d.files()) == ["x"] and sorted(d.directories()) == ["empty", "sub"]
    assert dict((k, v) for k, v in d.items() if k == "x") == {"x": 1}
    with pytest.raises(KeyError):
        d["nothing"]  # pylint: disable=pointless-statement
    del d["sub"]
    d["x"] = 2
    d.commit()
    assert sorted(fluxs.kvs.KVSDir(handle, base).keys()) == ["empty", "x"]
    assert fluxs.kvs.get(handle, f"{base}.x") == 2
    with pytest.raises(OSError) as excinfo:
        fluxs.kvs.KVSDir(handle, f"{base}.x").keys()
    oserror(excinfo, errno.ENOTDIR)


def test_kvsdir_not_committed_on_error(handle, base):
    with pytest.raises(RuntimeError):
        with fluxs.kvs.get_dir(handle, base) as d:
            d["x"] = 1
            raise RuntimeError("abandon")
    assert not fluxs.kvs.exists(handle, f"{base}.x")


def test_root_dir(handle, base):
    fluxs.kvs.put(handle, f"{base}.x", 1)
    fluxs.kvs.commit(handle)
    root = fluxs.kvs.KVSDir(handle)
    assert "pytest" in root.keys() and isinstance(root["pytest"], fluxs.kvs.KVSDir)
    assert fluxs.kvs.get_dir(handle)["pytest"][base.split(".")[1]]["x"] == 1


def test_watch(handle, instance_uri, base):
    key = f"{base}.w"
    values = fluxs.kvs.watch(handle, key)
    assert next(values) is None  # missing for now
    with fluxs.Flux(instance_uri) as writer:
        for value in (1, "two", {"three": 3}):
            fluxs.kvs.put(writer, key, value)
            fluxs.kvs.commit(writer)
            assert next(values) == value
        fluxs.kvs.put(writer, f"{key}.sub", 4)  # a value becomes a directory
        fluxs.kvs.commit(writer)
        entry = next(values)
        assert isinstance(entry, fluxs.kvs.KVSDir) and entry["sub"] == 4
        fluxs.kvs.unlink(writer, key, recursive=True)
        fluxs.kvs.commit(writer)
        assert next(values) is None
    values.close()


def test_watch_async_each_commit(handle, base):
    key = f"{base}.counter"
    fluxs.kvs.put(handle, key, 0)
    fluxs.kvs.commit(handle)
    future = fluxs.kvs.watch_async(handle, key)
    first = future.get(timeout=WAIT)
    assert first["value"] == 0
    future.reset()
    versions = []
    for i in range(1, 6):
        fluxs.kvs.put(handle, key, i)
        versions.append(fluxs.kvs.commit(handle))
    seen = []
    for _ in range(5):
        answer = future.get(timeout=WAIT)
        seen.append((answer["value"], answer["version"]))
        future.reset()
    assert seen == list(zip(range(1, 6), versions))  # every commit, in order
    future.cancel()


def test_unwatch_ends_the_stream(handle, base):
    """kvs.unwatch with the watch's matchtag ends its stream with ENODATA."""
    watch = handle.rpc("kvs.watch", {"key": f"{base}.u"}, flags=FLUX_RPC_STREAMING)
    watch.get(timeout=WAIT)
    watch.reset()
    handle.rpc("kvs.unwatch", {"matchtag": watch.matchtag}).get(timeout=WAIT)
    with pytest.raises(OSError) as excinfo:
        watch.get(timeout=WAIT)
    oserror(excinfo, errno.ENODATA)


def test_cancel_ends_the_watch(instance_uri, base):
    """Future.cancel() of a watch has the service drop it (kvs.unwatch); so does
    closing the watch() generator."""
    with fluxs.Flux(instance_uri) as h:
        future = fluxs.kvs.watch_async(h, f"{base}.c")
        future.get(timeout=WAIT)
        future.reset()
        values = fluxs.kvs.watch(h, f"{base}.d")
        assert next(values) is None
        during = _watchers(h)  # these two, and any of other clients
        assert during >= 2
        future.cancel()
        values.close()
        wait_until(lambda: _watchers(h) <= during - 2, what="the service dropping the canceled watches")
        # Responses to the canceled watch are no longer delivered.
        fluxs.kvs.put(h, f"{base}.c", 1)
        fluxs.kvs.commit(h)
        h.rpc("broker.ping", {}).get(timeout=WAIT)
        assert not future.is_ready()


def test_namespace_argument(handle, base):
    """The primary namespace by name works as the default."""
    fluxs.kvs.put(handle, f"{base}.n", 5)
    fluxs.kvs.commit(handle)
    assert fluxs.kvs.get(handle, f"{base}.n", namespace="primary") == 5
    txn = fluxs.kvs.KVSTxn(handle, namespace="no-such-namespace")
    txn.put(f"{base}.n", 6)
    with pytest.raises(OSError) as excinfo:
        txn.commit()
    oserror(excinfo, errno.ENOTSUP if excinfo.value.errno == errno.ENOTSUP else errno.ENOENT)
