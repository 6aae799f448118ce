"""The KVS (see fluxs-kvs(7)), with flux-core's ``flux.kvs`` names: ``get``, ``put``
and ``commit`` (puts are kept on the handle until committed), ``exists``, ``isdir``,
``get_dir`` and ``KVSDir``, ``mkdir``, ``unlink``, ``KVSTxn``, ``watch``."""

import errno
import json
import weakref

from fluxs.constants import FLUX_RPC_STREAMING

_PENDING = weakref.WeakKeyDictionary()


def _body(key, namespace):
    body = {"key": key}
    if namespace:
        body["namespace"] = namespace
    return body


def get(flux_handle, key, namespace=None):
    """The value at ``key`` (decoded JSON); OSError ENOENT when missing, EISDIR for a
    directory."""
    return flux_handle.rpc("kvs.get", _body(key, namespace)).get()["value"]


def get_key_raw(flux_handle, key, namespace=None):
    """The value at ``key`` as JSON text."""
    return json.dumps(get(flux_handle, key, namespace))


def _kind(flux_handle, key, namespace):
    """"dir", "value", or None when nothing is at ``key``."""
    try:
        get(flux_handle, key, namespace)
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            return "dir"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise
    return "value"


def exists(flux_handle, key, namespace=None):
    """Whether something (a value or a directory) is at ``key``."""
    return _kind(flux_handle, key, namespace) is not None


def isdir(flux_handle, key, namespace=None):
    """Whether ``key`` is a directory."""
    return _kind(flux_handle, key, namespace) == "dir"


class KVSTxn:
    """A transaction: ``put``, ``append``, ``mkdir``, ``unlink``, then ``commit()``
    applies them all or none."""

    def __init__(self, flux_handle, namespace=None):
        self.handle = flux_handle
        self.namespace = namespace
        self.ops = []

    def put(self, key, value):
        """Puts a JSON value at ``key``."""
        self.ops.append({"op": "put", "key": key, "value": value})

    def append(self, key, text):
        """Appends text to the string at ``key``."""
        self.ops.append({"op": "append", "key": key, "value": text})

    def mkdir(self, key):
        """Makes an empty directory at ``key``."""
        self.ops.append({"op": "mkdir", "key": key})

    def unlink(self, key, recursive=False):
        """Removes ``key`` (a directory with its contents when ``recursive``)."""
        self.ops.append({"op": "unlink", "key": key, "recursive": recursive})

    def commit(self):
        """Applies the operations; returns the namespace's new version."""
        if not self.ops:
            return None
        body = {"ops": self.ops}
        if self.namespace:
            body["namespace"] = self.namespace
        ops, self.ops = self.ops, []
        try:
            return self.handle.rpc("kvs.commit", body).get()["version"]
        except OSError:
            self.ops = ops + self.ops
            raise


def _txn(flux_handle):
    txn = _PENDING.get(flux_handle)
    if txn is None:
        txn = _PENDING[flux_handle] = KVSTxn(flux_handle)
    return txn


def put(flux_handle, key, value):
    """Stages a put on the handle's transaction (see ``commit``)."""
    _txn(flux_handle).put(key, value)


def mkdir(flux_handle, key):
    """Stages a mkdir on the handle's transaction."""
    _txn(flux_handle).mkdir(key)


def unlink(flux_handle, key, recursive=False):
    """Stages an unlink on the handle's transaction."""
    _txn(flux_handle).unlink(key, recursive)


def commit(flux_handle, flags=0):
    """Commits what the handle has staged; returns the new version."""
    del flags
    return _txn(flux_handle).commit()


def dropcache(flux_handle):
    """Forgets what the handle has staged and not committed."""
    _PENDING.pop(flux_handle, None)


class KVSDir:
    """A KVS directory as a mapping: ``d[name]`` is a value or a ``KVSDir``;
    assignments are staged and ``commit()`` applies them."""

    def __init__(self, flux_handle, path=".", namespace=None):
        self.handle = flux_handle
        self.path = path
        self.namespace = namespace
        self._txn = KVSTxn(flux_handle, namespace)

    def _key(self, name):
        return name if self.path in (".", "") else f"{self.path}.{name}"

    def _listing(self):
        body = _body(self.path, self.namespace)
        return self.handle.rpc("kvs.lookup", body).get()["dir"]

    def keys(self):
        """The names in the directory."""
        return list(self._listing().keys())

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def __contains__(self, name):
        return name in self._listing()

    def __getitem__(self, name):
        try:
            return get(self.handle, self._key(name), self.namespace)
        except OSError as exc:
            if exc.errno == errno.EISDIR:
                return KVSDir(self.handle, self._key(name), self.namespace)
            if exc.errno == errno.ENOENT:
                raise KeyError(name) from None
            raise

    def __setitem__(self, name, value):
        self._txn.put(self._key(name), value)

    def __delitem__(self, name):
        self._txn.unlink(self._key(name), recursive=True)

    def mkdir(self, name):
        """Stages an empty subdirectory."""
        self._txn.mkdir(self._key(name))

    def items(self):
        """(name, value or KVSDir) pairs."""
        return [(name, self[name]) for name in self.keys()]

    def files(self):
        """The names that hold values."""
        return [name for name, entry in self._listing().items() if not _is_dir(entry)]

    def directories(self):
        """The names that are directories."""
        return [name for name, entry in self._listing().items() if _is_dir(entry)]

    def commit(self):
        """Applies the staged changes."""
        return self._txn.commit()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *_):
        if exc_type is None:
            self.commit()
        return False


def _is_dir(entry):
    return isinstance(entry, dict) and "dir" in entry


def get_dir(flux_handle, key=".", namespace=None):
    """A :py:class:`KVSDir` of the directory at ``key``."""
    return KVSDir(flux_handle, key, namespace)


def watch_async(flux_handle, key, namespace=None):
    """A streaming future of ``key``: the first response is what is there now, then
    one per commit that changes it (``{"value": ...}``, ``{"dir": ...}`` or
    ``{"missing": true}``, each with ``version``); ``cancel()`` ends it."""
    return flux_handle.rpc("kvs.watch", _body(key, namespace), flags=FLUX_RPC_STREAMING)


def watch(flux_handle, key, namespace=None):
    """Yields the value at ``key`` now and after each change (None while missing)."""
    future = watch_async(flux_handle, key, namespace)
    try:
        while True:
            answer = future.get()
            future.reset()
            if "dir" in answer:
                yield KVSDir(flux_handle, key, namespace)
            else:
                yield answer.get("value")
    finally:
        future.cancel()
