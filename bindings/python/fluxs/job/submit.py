"""Submitting jobs: ``submit``, ``submit_async``, ``submit_get_id``
(job-manager.submit, see fluxs-job-manager(7))."""

import json

from fluxs.constants import FLUX_JOB_URGENCY_DEFAULT
from fluxs.job.jobid import JobID
from fluxs.job.jobspec import Jobspec


def _jobspec_object(jobspec):
    if isinstance(jobspec, Jobspec):
        return jobspec.jobspec
    if isinstance(jobspec, dict):
        return jobspec
    if isinstance(jobspec, bytes):
        jobspec = jobspec.decode("utf-8")
    if isinstance(jobspec, str):
        try:
            return json.loads(jobspec)
        except ValueError as exc:
            raise ValueError(f"the jobspec is not JSON: {exc}") from None
    raise TypeError("jobspec must be a Jobspec, a dict or JSON text")


def submit_async(flux_handle, jobspec, urgency=FLUX_JOB_URGENCY_DEFAULT, waitable=False, debug=False, pre_signed=False):
    """Submits a job; returns a future whose ``get_id()`` (or ``submit_get_id``) is
    its :py:class:`JobID`.

    :param jobspec: a Jobspec, a dict or its JSON text
    :param urgency: 0 (held) to 31 (expedited); above 16 only for the instance owner
    :param waitable: accepted for flux-core's sake: every fluxs job can be waited for
    :param debug: accepted, ignored
    :param pre_signed: must be False: fluxs takes the jobspec itself
    """
    del waitable, debug
    if pre_signed:
        raise ValueError("pre-signed jobspecs are not supported")
    future = flux_handle.rpc("job-manager.submit", {"jobspec": _jobspec_object(jobspec), "urgency": urgency})
    future.get_id = lambda: submit_get_id(future)
    return future


def submit_get_id(future):
    """The id a submit future was answered with; OSError (EINVAL with the problems
    of the jobspec, ENOSPC when it can never run, EPERM) on refusal."""
    return JobID(future.get()["id"])


def submit(flux_handle, jobspec, urgency=FLUX_JOB_URGENCY_DEFAULT, waitable=False, debug=False, pre_signed=False):
    """Submits a job and returns its :py:class:`JobID` (see ``submit_async``)."""
    return submit_get_id(submit_async(flux_handle, jobspec, urgency, waitable, debug, pre_signed))
