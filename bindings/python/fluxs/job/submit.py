"""Submitting jobs: ``submit``, ``submit_async``, ``submit_get_id``
(job-manager.submit, see fluxs-job-manager(7))."""

import json

from fluxs.constants import FLUX_JOB_URGENCY_DEFAULT
from fluxs.job.jobid import JobID
from fluxs.job.jobspec import Jobspec
from fluxs.security import sign_munge


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
    its :py:class:`JobID`. A guest's jobspec is signed with MUNGE first (see
    :py:mod:`fluxs.security`).

    :param jobspec: a Jobspec, a dict or its JSON text; with ``pre_signed``, J (the
        signed request, see :py:mod:`fluxs.security`) as str or bytes
    :param urgency: 0 (held) to 31 (expedited); above 16 only for the instance owner
    :param waitable: accepted for flux-core's sake: every fluxs job can be waited for
    :param debug: accepted, ignored
    :param pre_signed: ``jobspec`` is J, signed already
    :raises OSError: EPERM when a guest's jobspec cannot be signed (munged unreachable)
    """
    del waitable, debug
    if pre_signed:
        signed = jobspec.decode("utf-8") if isinstance(jobspec, bytes) else jobspec
        if not isinstance(signed, str):
            raise TypeError("a pre-signed jobspec is J, as str or bytes")
        payload = {"J": signed.strip()}
    elif flux_handle.is_guest():
        text = json.dumps(_jobspec_object(jobspec), separators=(",", ":"))
        payload = {"J": sign_munge(text.encode())}
    else:
        payload = {"jobspec": _jobspec_object(jobspec)}
    payload["urgency"] = urgency
    future = flux_handle.rpc("job-manager.submit", payload)
    future.get_id = lambda: submit_get_id(future)
    return future


def submit_get_id(future):
    """The id a submit future was answered with; OSError (EINVAL with the problems
    of the jobspec, ENOSPC when it can never run, EPERM) on refusal."""
    return JobID(future.get()["id"])


def submit(flux_handle, jobspec, urgency=FLUX_JOB_URGENCY_DEFAULT, waitable=False, debug=False, pre_signed=False):
    """Submits a job and returns its :py:class:`JobID` (see ``submit_async``)."""
    return submit_get_id(submit_async(flux_handle, jobspec, urgency, waitable, debug, pre_signed))
