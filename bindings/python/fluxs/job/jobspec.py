"""Jobspecs (RFC 14, version 1 as RFC 25 restricts it), built as flux-core's
``flux.job.Jobspec`` and ``JobspecV1`` build them: ``JobspecV1.from_command``,
``from_batch_command``, ``from_nest_command``, then setters for the rest."""

import copy
import json
import math
import os
import shutil

from fluxs.util import parse_fsd


def _slot(count, children):
    return {"type": "slot", "count": count, "label": "task", "with": children}


def _resource(kind, count, children=None, exclusive=False):
    res = {"type": kind, "count": count}
    if exclusive:
        res["exclusive"] = True
    if children:
        res["with"] = children
    return res


def _positive(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, not {value!r}")


def _broker_path():
    """The fluxs-broker that child instances run: beside the fluxs on PATH."""
    override = os.environ.get("FLUXS_BROKER_PATH")
    if override:
        return override
    found = shutil.which("fluxs-broker")
    if found:
        return found
    fluxs = shutil.which("fluxs")
    if fluxs:
        return os.path.join(os.path.dirname(os.path.realpath(fluxs)), "fluxs-broker")
    return "fluxs-broker"


class Jobspec:
    """A jobspec: ``resources``, ``tasks``, ``attributes`` and ``version``, as a dict
    (``jobspec``) or JSON text (``dumps()``), with setters for the usual attributes.
    fluxs checks it when it is submitted (see fluxs-jobspec(1))."""

    def __init__(self, resources, tasks, attributes=None, version=1):
        if not isinstance(resources, list) or not isinstance(tasks, list):
            raise TypeError("resources and tasks must be lists")
        self._spec = {
            "version": version,
            "resources": resources,
            "tasks": tasks,
            "attributes": attributes if attributes is not None else {"system": {"duration": 0}},
        }

    @classmethod
    def from_dict(cls, spec):
        """A Jobspec from a decoded jobspec."""
        if not isinstance(spec, dict):
            raise TypeError("a jobspec is a JSON object")
        return cls(spec.get("resources"), spec.get("tasks"), spec.get("attributes"), spec.get("version", 1))

    @classmethod
    def from_json(cls, text):
        """A Jobspec from its JSON text."""
        return cls.from_dict(json.loads(text))

    # -- the parts -------------------------------------------------------------------

    @property
    def jobspec(self):
        """The jobspec as a dict (the object itself: changes show)."""
        return self._spec

    @property
    def resources(self):
        """The resources section."""
        return self._spec["resources"]

    @property
    def tasks(self):
        """The tasks section."""
        return self._spec["tasks"]

    @property
    def attributes(self):
        """The attributes section."""
        return self._spec["attributes"]

    @property
    def version(self):
        """The jobspec version (1)."""
        return self._spec["version"]

    def dumps(self, **kwargs):
        """The jobspec as JSON text (keyword arguments go to ``json.dumps``)."""
        return json.dumps(self._spec, **kwargs)

    def __str__(self):
        return self.dumps()

    def copy(self):
        """A deep copy."""
        return self.from_dict(copy.deepcopy(self._spec))

    # -- attributes ------------------------------------------------------------------

    @staticmethod
    def _path(key):
        parts = key.split(".")
        if parts[0] != "attributes":
            parts.insert(0, "attributes")
        if len(parts) < 2 or not all(parts):
            raise ValueError(f"invalid attribute key {key!r}")
        return parts

    def setattr(self, key, val):
        """Sets an attribute: ``setattr("system.duration", 60)``; the "attributes."
        prefix is optional, as in flux-core."""
        node = self._spec
        parts = self._path(key)
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"{key}: {part} is not a table")
        node[parts[-1]] = val

    def getattr(self, key):
        """The value of an attribute; KeyError when it is not set."""
        node = self._spec
        for part in self._path(key):
            if not isinstance(node, dict):
                raise KeyError(key)
            node = node[part]
        return node

    def setattr_shell_option(self, key, val):
        """Sets the job shell option ``key`` (attributes.system.shell.options)."""
        self.setattr("system.shell.options." + key, val)

    def _system(self):
        return self._spec["attributes"].setdefault("system", {})

    @property
    def duration(self):
        """The time limit in seconds (0 for none); set it with seconds or an FSD."""
        return self._system().get("duration", 0)

    @duration.setter
    def duration(self, value):
        seconds = parse_fsd(value)
        self._system()["duration"] = int(seconds) if seconds == int(seconds) else seconds

    @property
    def cwd(self):
        """The tasks' working directory."""
        return self._system().get("cwd")

    @cwd.setter
    def cwd(self, value):
        self._system()["cwd"] = os.fspath(value)

    @property
    def environment(self):
        """The tasks' environment, a dict of strings (the job gets only this)."""
        return self._system().get("environment")

    @environment.setter
    def environment(self, value):
        if not isinstance(value, dict):
            raise TypeError("environment must be a dict")
        self._system()["environment"] = {str(k): str(v) for k, v in value.items()}

    @property
    def queue(self):
        """The queue."""
        return self._system().get("queue")

    @queue.setter
    def queue(self, value):
        self._system()["queue"] = value

    def _io(self, stream):
        section = "input" if stream == "stdin" else "output"
        return self._system().get("shell", {}).get("options", {}).get(section, {}).get(stream, {}).get("path")

    def _set_io(self, stream, path):
        section = "input" if stream == "stdin" else "output"
        self.setattr_shell_option(f"{section}.{stream}", {"type": "file", "path": os.fspath(path)})

    stdin = property(
        lambda self: self._io("stdin"),
        lambda self, path: self._set_io("stdin", path),
        doc="A file the tasks read as their input.",
    )
    stdout = property(
        lambda self: self._io("stdout"),
        lambda self, path: self._set_io("stdout", path),
        doc="A file for the tasks' output ({{id}} and the like are expanded).",
    )
    stderr = property(
        lambda self: self._io("stderr"),
        lambda self, path: self._set_io("stderr", path),
        doc="A file for the tasks' error output.",
    )

    #: flux-core's names of stdin, stdout and stderr.
    input = stdin
    output = stdout
    error = stderr

    def add_file(self, path, data, perms=0o600, encoding=None):
        """Adds a file the shell writes into the job's temporary directory
        (attributes.system.files, see fluxs-submit(1) --add-file)."""
        entry = {"data": data, "mode": perms}
        if encoding:
            entry["encoding"] = encoding
        files = self._system().setdefault("files", {})
        files[path] = entry


class JobspecV1(Jobspec):
    """A version 1 jobspec, with flux-core's constructors."""

    @classmethod
    def from_command(
        cls,
        command,
        num_tasks=1,
        cores_per_task=1,
        gpus_per_task=None,
        num_nodes=None,
        exclusive=False,
        duration=None,
        environment=None,
        cwd=None,
        name=None,
        input=None,  # pylint: disable=redefined-builtin
        output=None,
        error=None,
        queue=None,
    ):
        """The jobspec of ``num_tasks`` copies of ``command`` (a list of strings), each
        with ``cores_per_task`` cores and ``gpus_per_task`` GPUs, spread over
        ``num_nodes`` nodes when given (then whole nodes when ``exclusive``).

        :raises ValueError: a count that is not a positive integer, or fewer tasks
            than nodes
        :raises TypeError: a command that is not a non-empty list of strings
        """
        if isinstance(command, str) or not command or not all(isinstance(a, str) for a in command):
            raise TypeError("command must be a non-empty list of strings")
        _positive("num_tasks", num_tasks)
        _positive("cores_per_task", cores_per_task)
        children = [_resource("core", cores_per_task)]
        if gpus_per_task:
            _positive("gpus_per_task", gpus_per_task)
            children.append(_resource("gpu", gpus_per_task))
        count = {"per_slot": 1}
        if num_nodes is not None:
            _positive("num_nodes", num_nodes)
            if num_tasks < num_nodes:
                raise ValueError(f"number of tasks ({num_tasks}) is less than the number of nodes ({num_nodes})")
            slots = math.ceil(num_tasks / num_nodes)
            if num_tasks % num_nodes:
                count = {"total": num_tasks}
            resources = [_resource("node", num_nodes, [_slot(slots, children)], exclusive)]
        else:
            if exclusive:
                raise ValueError("exclusive needs num_nodes")
            resources = [_slot(num_tasks, children)]
        tasks = [{"command": list(command), "slot": "task", "count": count}]
        spec = cls(resources, tasks)
        spec._apply(duration, environment, cwd, name, input, output, error, queue)
        return spec

    def _apply(self, duration, environment, cwd, name, stdin, stdout, stderr, queue):
        if duration is not None:
            self.duration = duration
        if environment is not None:
            self.environment = environment
        if cwd is not None:
            self.cwd = cwd
        if name is not None:
            self.setattr("system.job.name", name)
        if stdin is not None:
            self.stdin = stdin
        if stdout is not None:
            self.stdout = stdout
        if stderr is not None:
            self.stderr = stderr
        if queue is not None:
            self.queue = queue

    @classmethod
    def _instance(cls, command, num_slots, cores_per_slot, gpus_per_slot, num_nodes, exclusive):
        _positive("num_slots", num_slots)
        _positive("cores_per_slot", cores_per_slot)
        children = [_resource("core", cores_per_slot)]
        if gpus_per_slot:
            _positive("gpus_per_slot", gpus_per_slot)
            children.append(_resource("gpu", gpus_per_slot))
        if num_nodes is not None:
            _positive("num_nodes", num_nodes)
            slots = math.ceil(num_slots / num_nodes)
            resources = [_resource("node", num_nodes, [_slot(slots, children)], True if exclusive is None else exclusive)]
        else:
            resources = [_slot(num_slots, children)]
        tasks = [{"command": command, "slot": "task", "count": {"per_slot": 1}}]
        spec = cls(resources, tasks)
        # One broker a node, as fluxs batch and fluxs alloc run them; a broker that
        # fails ends the job.
        spec.setattr_shell_option("per-resource", {"type": "node", "count": 1})
        spec.setattr_shell_option("exit-on-error", 1)
        return spec

    @classmethod
    def from_batch_command(
        cls,
        script,
        jobname,
        args=None,
        num_slots=1,
        cores_per_slot=1,
        gpus_per_slot=None,
        num_nodes=None,
        broker_opts=None,
        exclusive=None,
        duration=None,
        environment=None,
        cwd=None,
        output=None,
        error=None,
        queue=None,
    ):
        """The jobspec of a batch job, as fluxs-batch(1) makes it: a child instance
        that runs ``script`` (its text, which must start with ``#!``) with ``args``
        as its initial program, and ends when it does."""
        if not script.startswith("#!"):
            raise ValueError("the script must start with #!")
        command = [_broker_path(), *(broker_opts or []), "--", "{{tmpdir}}/script", *(args or [])]
        spec = cls._instance(command, num_slots, cores_per_slot, gpus_per_slot, num_nodes, exclusive)
        spec.add_file("script", script, perms=0o700)
        spec.setattr("system.job.name", jobname)
        spec._apply(duration, environment, cwd, None, None, output, error, queue)
        if output is None:
            spec.stdout = "fluxs-{{id}}.out"
        return spec

    @classmethod
    def from_nest_command(
        cls,
        command,
        num_slots=1,
        cores_per_slot=1,
        gpus_per_slot=None,
        num_nodes=None,
        broker_opts=None,
        exclusive=None,
        duration=None,
        environment=None,
        cwd=None,
        name=None,
        queue=None,
    ):
        """The jobspec of a child instance, as fluxs-alloc(1) makes it, whose initial
        program is ``command`` (a list; empty: the instance waits for shutdown)."""
        argv = [_broker_path(), *(broker_opts or [])]
        if command:
            argv += ["--", *command]
        else:
            argv.append("-Sbroker.rc2_none=1")  # no initial program: serve until shutdown
        spec = cls._instance(argv, num_slots, cores_per_slot, gpus_per_slot, num_nodes, exclusive)
        spec._apply(duration, environment, cwd, name, None, None, None, queue)
        return spec
