"""fluxs.job.JobID: every text form, round trips, bad text, and agreement with the
command line's ``fluxs job id --to=FORM``."""

import random
import shutil
import subprocess

import pytest

from fluxs.job import JobID, id_encode, id_parse

FORMS = ("dec", "hex", "dothex", "kvs", "f58", "f58plain", "words")
MAX = (1 << 64) - 1
IDS = [0, 1, 57, 58, 1234, 0xFFFFFFFF, 1 << 32, 1020675009762295808, 1 << 63, MAX - 1, MAX]
_RNG = random.Random(19)
IDS += [_RNG.getrandbits(64) for _ in range(30)] + [_RNG.getrandbits(40) for _ in range(10)]


@pytest.mark.parametrize("value", IDS)
def test_round_trips(value):
    jobid = JobID(value)
    assert jobid == value and isinstance(jobid, int)
    for form in FORMS:
        text = jobid.encode(form)
        assert text == getattr(jobid, form)
        assert JobID(text) == value, (form, text)
        assert id_parse(text) == value
        assert id_encode(value, form) == text
    assert JobID(jobid) == value
    assert JobID(jobid.dec.encode()) == value  # bytes
    assert JobID(f"  {jobid.f58}\n") == value  # spaces around


def test_forms():
    jobid = JobID(1020675009762295808)
    assert jobid.dec == "1020675009762295808" == jobid.orig
    assert jobid.hex == "0xe2a2a837c000000"
    assert jobid.dothex == "0e2a.2a83.7c00.0000"
    assert jobid.kvs == "job.0e2a.2a83.7c00.0000"
    assert jobid.f58plain == "f3NR6YkJKrzs"
    assert jobid.f58 in ("ƒ3NR6YkJKrzs", "f3NR6YkJKrzs")  # "f" when the locale is not UTF-8
    assert jobid.words == "mister-ivan-wizard--baboon-margo-burma"
    assert str(jobid) == jobid.f58
    assert repr(jobid) == "JobID(1020675009762295808)"
    assert JobID(0).f58plain == "f1" and JobID(0).dothex == "0000.0000.0000.0000"
    assert JobID("ƒ3NR6YkJKrzs") == JobID("f3NR6YkJKrzs") == JobID("0E2A.2A83.7C00.0000") == jobid
    assert JobID("MISTER-ivan-wizard--baboon-margo-burma") == jobid  # words in any case
    assert JobID("0XE2A2A837C000000") == jobid


def test_str_is_f58():
    for value in IDS:
        assert str(JobID(value)) == JobID(value).f58
        assert JobID(value).f58[1:] == JobID(value).f58plain[1:]
        assert "{}".format(JobID(value)) == JobID(value).f58  # pylint: disable=consider-using-f-string


def test_wire_form():
    """A signed 64-bit job id, as requests carry it, is the same id."""
    assert JobID(-1) == MAX
    assert JobID(-(1 << 63)) == 1 << 63


def test_hashable():
    assert {JobID(5): "x"}[5] == "x"
    assert len({JobID(5), JobID("f6"), 5}) == 1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "ƒ",
        "f",
        "ƒ0",  # 0, O, I and l are not f58 digits
        "fOIl",
        "hello",
        "12ab",
        "-5",
        "0x",
        "0xzz",
        "1.2.3.4",
        "0000.0000.0000",
        "job.0000.0000.0000.00000",
        "job.",
        "academy-acrobat-active",
        "academy-acrobat-active--academy-acrobat-notaword",
        "18446744073709551616",
        "0x10000000000000000",
        "fjpXCZedGfVR",  # 2**64 in f58
    ],
)
def test_bad_text(text):
    with pytest.raises(ValueError) as excinfo:
        JobID(text)
    assert "job id" in str(excinfo.value)


def test_bad_values():
    with pytest.raises(ValueError):
        JobID(1 << 64)
    with pytest.raises(ValueError):
        JobID(5).encode("base64")
    with pytest.raises(ValueError):
        id_encode(5, "nope")
    with pytest.raises(ValueError):
        id_parse("nope")


@pytest.mark.skipif(shutil.which("fluxs") is None, reason="fluxs is not in PATH")
@pytest.mark.parametrize("form", FORMS)
def test_same_as_cli(form):
    ids = IDS[:20]
    # Any input form: give the command line each id as another form than the output.
    inputs = [JobID(v).encode(FORMS[(i + FORMS.index(form) + 1) % len(FORMS)]) for i, v in enumerate(ids)]
    out = subprocess.run(
        ["fluxs", "job", "id", f"--to={form}", *inputs], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    ours = [JobID(v).encode(form) for v in ids]
    if form == "f58":  # the prefix follows the locale, which may differ between the two
        out = [o.replace("ƒ", "f", 1) for o in out]
        ours = [o.replace("ƒ", "f", 1) for o in ours]
    assert out == ours
