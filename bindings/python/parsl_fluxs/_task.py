"""What a worker sends back: the value the app returned, or the exception it raised."""

import collections

TaskResult = collections.namedtuple("TaskResult", ("returnval", "exception"))
TaskResult.__doc__ = """The outcome of one app run by FluxsExecutor: ``returnval`` when
it returned, ``exception`` (not None) when it raised."""
