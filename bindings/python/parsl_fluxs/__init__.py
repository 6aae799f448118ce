"""Parsl for fluxs: an execution provider whose blocks are ``fluxs batch`` jobs
(:class:`FluxsProvider`), a launcher for blocks of several nodes
(:class:`FluxsRunLauncher`), and an executor that runs each app as a fluxs job
(:class:`FluxsExecutor`, as Parsl's FluxExecutor does with Flux)."""

from parsl_fluxs.launcher import FluxsRunLauncher
from parsl_fluxs.provider import FluxsProvider

__all__ = ["FluxsProvider", "FluxsRunLauncher", "FluxsExecutor"]


def __getattr__(name):
    # The executor needs pyzmq and, once started, the fluxs Python API; load it
    # only when it is asked for.
    if name == "FluxsExecutor":
        from parsl_fluxs.executor import FluxsExecutor
        return FluxsExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
