"""Signed job requests from Python (fluxs.security, submit's pre_signed): J's form
(RFC 39 with an RFC 38 header), the owner's none-signed J accepted, a J claiming
another uid or a plain jobspec passed as J refused, and MUNGE's error when munged
cannot be reached. Guests signing with MUNGE against a private munged are in
t/t0810-guests.t."""

import base64
import errno
import json
import os

import pytest

import fluxs
import fluxs.job
from fluxs.security import sign_munge, sign_none

from conftest import oserror, wait_job


def test_a_none_signature_has_the_rfc_39_form():
    J = sign_none(b'{"version":1}', userid=1000)
    header, payload, signature = J.split(".")
    assert base64.b64decode(header) == b"version\0i1\0mechanism\0snone\0userid\0i1000\0"
    assert base64.b64decode(payload) == b'{"version":1}'
    assert signature == "none"
    assert sign_none(b"x").split(".")[0] == base64.b64encode(f"version\0i1\0mechanism\0snone\0userid\0i{os.getuid()}\0".encode()).decode()


def test_the_owner_is_no_guest(handle):
    assert handle.is_guest() is False


def test_the_owner_submits_a_j_signed_ahead(handle, test_jobspec):
    spec = json.dumps(test_jobspec().jobspec).encode()
    jobid = fluxs.job.submit(handle, sign_none(spec), pre_signed=True)
    assert wait_job(handle, jobid).success
    jobid = fluxs.job.submit(handle, sign_none(spec).encode(), pre_signed=True, urgency=16)
    assert wait_job(handle, jobid).success


def test_a_j_claiming_another_uid_is_refused(handle, test_jobspec):
    spec = json.dumps(test_jobspec().jobspec).encode()
    with pytest.raises(OSError) as excinfo:
        fluxs.job.submit(handle, sign_none(spec, userid=os.getuid() + 1), pre_signed=True)
    assert "J is signed for uid" in oserror(excinfo, errno.EPERM).strerror


def test_a_plain_jobspec_passed_as_j_is_refused(handle, test_jobspec):
    with pytest.raises(OSError) as excinfo:
        fluxs.job.submit(handle, json.dumps(test_jobspec().jobspec), pre_signed=True)
    assert "J: not HEADER.PAYLOAD.SIGNATURE" in oserror(excinfo, errno.EINVAL).strerror
    with pytest.raises(TypeError):
        fluxs.job.submit(handle, {"version": 1}, pre_signed=True)


def test_an_unreachable_munged_is_said_so(tmp_path):
    with pytest.raises(OSError) as excinfo:
        sign_munge(b"{}", socket=str(tmp_path / "nowhere.sock"))
    exc = oserror(excinfo, errno.EPERM)
    assert exc.strerror.startswith("cannot sign the job with MUNGE: ")
    assert "nowhere.sock" in exc.strerror
