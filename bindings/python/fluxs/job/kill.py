"""Stopping jobs: ``cancel``, ``kill``, ``raise_job``, ``cancel_all`` and their
``_async`` forms (see fluxs-job-manager(7)). Each raises OSError ENOENT for an unknown
job, EPERM for another user's, EINVAL for one that is inactive (or not running)."""

import signal

from fluxs.job.jobid import wire


def cancel_async(flux_handle, jobid, reason=None):
    """Cancels a job (a fatal exception of type cancel, with ``reason`` as its note)."""
    body = {"id": wire(jobid)}
    if reason:
        body["note"] = reason
    return flux_handle.rpc("job-manager.cancel", body)


def cancel(flux_handle, jobid, reason=None):
    """Cancels a job and waits for the answer."""
    cancel_async(flux_handle, jobid, reason).get()


def kill_async(flux_handle, jobid, signum=None):
    """Sends a signal (default SIGTERM) to a running job's tasks."""
    return flux_handle.rpc("job-manager.kill", {"id": wire(jobid), "signal": int(signum or signal.SIGTERM)})


def kill(flux_handle, jobid, signum=None):
    """Sends a signal to a running job's tasks and waits for the answer."""
    kill_async(flux_handle, jobid, signum).get()


def raise_job_async(flux_handle, jobid, type="cancel", severity=0, note=None):  # pylint: disable=redefined-builtin
    """Raises an exception on a job: ``type`` a word, ``severity`` 0 (fatal) to 7."""
    body = {"id": wire(jobid), "type": type, "severity": severity}
    if note:
        body["note"] = note
    return flux_handle.rpc("job-manager.raise", body)


def raise_job(flux_handle, jobid, type="cancel", severity=0, note=None):  # pylint: disable=redefined-builtin
    """Raises an exception on a job and waits for the answer."""
    raise_job_async(flux_handle, jobid, type, severity, note).get()


def cancel_all(flux_handle, states="pending,running", userid=None, reason=None):
    """Cancels every active job in ``states`` (the caller's, or ``userid``'s; -1 for
    every user's, for the owner); returns how many."""
    body = {"states": states}
    if userid is not None:
        body["userid"] = userid
    if reason:
        body["note"] = reason
    return flux_handle.rpc("job-manager.cancel-all", body).get()["count"]


def job_raise(flux_handle, jobid, exc_type, severity, note=None):
    """flux-core's name of ``raise_job``."""
    raise_job(flux_handle, jobid, exc_type, severity, note)


def job_raise_async(flux_handle, jobid, exc_type, severity, note=None):
    """flux-core's name of ``raise_job_async``."""
    return raise_job_async(flux_handle, jobid, exc_type, severity, note)
