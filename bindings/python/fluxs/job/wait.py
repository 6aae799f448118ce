"""Waiting for jobs as wait(2) waits for children: ``wait``, ``wait_async``,
``wait_get_status`` (job-manager.wait, see fluxs-job-manager(7))."""

import collections

from fluxs.constants import FLUX_JOBID_ANY
from fluxs.job.jobid import JobID, wire
from fluxs.job.list import job_list_id

#: The outcome of a wait: the job's id, whether it succeeded, and the error text of
#: its fatal exception (or how it ended) when it did not.
JobWaitResult = collections.namedtuple("JobWaitResult", ["jobid", "success", "errstr"])


def wait_async(flux_handle, jobid=FLUX_JOBID_ANY):
    """Waits for a job (by default, for the next of the caller's jobs to end) and
    reaps it; returns a future for ``wait_get_status``."""
    body = {} if jobid == FLUX_JOBID_ANY else {"id": wire(jobid)}
    future = flux_handle.rpc("job-manager.wait", body)
    future.get_status = lambda: wait_get_status(future)
    return future


def wait_get_status(future):
    """The :py:class:`JobWaitResult` of a wait future. OSError ECHILD when there is
    nothing to wait for or the job was waited for already, ENOENT for an unknown job."""
    answer = future.get()
    errstr = answer.get("errstr", "")
    if not errstr and not answer.get("success"):
        code = answer.get("returncode")
        errstr = f"task(s) exited with exit code {code}" if code is not None else answer.get("result", "")
    return JobWaitResult(JobID(answer["id"]), bool(answer.get("success")), errstr)


def wait(flux_handle, jobid=FLUX_JOBID_ANY):
    """Waits for a job to end and reaps it; returns its :py:class:`JobWaitResult`."""
    return wait_get_status(wait_async(flux_handle, jobid))


def result_async(flux_handle, jobid):
    """Waits, without reaping, for a job to be inactive; the future's ``get_info()``
    is then its :py:class:`JobInfo` (``result``, ``returncode``, ``exception``...)."""
    future = flux_handle.rpc("job-manager.wait", {"id": wire(jobid), "reap": False})

    def get_info(timeout=None):
        future.get(timeout)
        return job_list_id(flux_handle, jobid).get_jobinfo()

    future.get_info = get_info
    return future


def result(flux_handle, jobid):
    """The :py:class:`JobInfo` of a job once it is inactive (waits for it, does not
    reap it)."""
    return result_async(flux_handle, jobid).get_info()
