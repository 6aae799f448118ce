"""Job ids (RFC 19 FLUIDs) in every text form: ``JobID``, whose ``str()`` is f58, as
flux-core's ``flux.job.JobID``."""

import locale
import os

from fluxs.job._wordlist import WORDS

_F58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_F58_INDEX = {c: i for i, c in enumerate(_F58)}
_WORD_INDEX = {w: i for i, w in enumerate(WORDS)}
_BASE = 1626
_MAX = (1 << 64) - 1


def _f58_prefix():
    """"ƒ", or "f" when the locale cannot show it or FLUXS_F58_FORCE_ASCII is set
    (as the commands do)."""
    if os.environ.get("FLUXS_F58_FORCE_ASCII"):
        return "f"
    encoding = (locale.getpreferredencoding(False) or "").lower().replace("-", "")
    return "ƒ" if encoding == "utf8" else "f"


def _encode_f58(value, prefix="ƒ"):
    digits = []
    while True:
        value, rem = divmod(value, 58)
        digits.append(_F58[rem])
        if value == 0:
            break
    return prefix + "".join(reversed(digits))


def _encode_words(value):
    groups = []
    for group in range(2):
        digits = (value >> (32 * group)) & 0xFFFFFFFF
        words = []
        for _ in range(3):
            digits, rem = divmod(digits, _BASE)
            words.append(WORDS[rem])
        groups.append("-".join(words))
    return "--".join(groups)


def _parse_words(text):
    parts = [p for p in text.split("-") if p]
    if len(parts) != 6:
        raise ValueError
    groups = [0, 0]
    for i, word in enumerate(parts):
        index = _WORD_INDEX.get(word.lower())
        if index is None or index >= _BASE:
            raise ValueError
        groups[i // 3] += index * _BASE ** (i % 3)
    if max(groups) > 0xFFFFFFFF:
        raise ValueError
    return groups[1] << 32 | groups[0]


def _parse(text):
    text = text.strip()
    if not text:
        raise ValueError
    if text[0] in ("ƒ", "f") and len(text) > 1 and all(c in _F58_INDEX for c in text[1:]):
        value = 0
        for c in text[1:]:
            value = value * 58 + _F58_INDEX[c]
        return value
    if text.startswith(("0x", "0X")):
        return int(text[2:], 16)
    if text.startswith("job."):
        text = text[4:]
    if text.count(".") == 3:
        groups = text.split(".")
        if all(len(g) == 4 for g in groups):
            return int("".join(groups), 16)
        raise ValueError
    if text.isdigit():
        return int(text)
    if "-" in text:
        return _parse_words(text)
    raise ValueError


class JobID(int):
    """A job id: an int that prints itself in f58 and parses every form fluxs and
    Flux write (f58 with "ƒ" or "f", decimal, 0x hexadecimal, dothex, kvs, words).

    >>> JobID("ƒ2ZVGUcH")
    >>> JobID(1234).f58, JobID(1234).dothex

    :raises ValueError: text that is no job id, or a value outside 64 bits
    """

    def __new__(cls, value):
        if isinstance(value, str):
            try:
                number = _parse(value)
            except ValueError:
                raise ValueError(f"invalid job id: {value!r}") from None
        elif isinstance(value, bytes):
            return cls(value.decode("utf-8"))
        else:
            number = int(value)
        if number < 0:
            number &= _MAX  # the wire's signed 64-bit form
        if number > _MAX:
            raise ValueError(f"job id out of range: {value!r}")
        return super().__new__(cls, number)

    @property
    def orig(self):
        """The id as flux-core keeps what it was made from (its decimal form here)."""
        return str(int(self))

    @property
    def dec(self):
        """Decimal."""
        return str(int(self))

    @property
    def hex(self):
        """0x hexadecimal."""
        return hex(int(self))

    @property
    def dothex(self):
        """Four dot-separated groups of four hex digits."""
        digits = f"{int(self):016x}"
        return ".".join(digits[i : i + 4] for i in range(0, 16, 4))

    @property
    def kvs(self):
        """The job's KVS directory, job.DOTHEX."""
        return "job." + self.dothex

    @property
    def f58(self):
        """Base58 with the "ƒ" prefix ("f" when the locale is not UTF-8)."""
        return _encode_f58(int(self), _f58_prefix())

    @property
    def f58plain(self):
        """Base58 with an ASCII "f" prefix."""
        return _encode_f58(int(self), "f")

    @property
    def words(self):
        """Six mnemonicode words."""
        return _encode_words(int(self))

    def encode(self, encoding="f58"):
        """The id in a named form: dec, hex, dothex, kvs, f58, f58plain or words."""
        if encoding not in ("dec", "hex", "dothex", "kvs", "f58", "f58plain", "words"):
            raise ValueError(f"unknown job id encoding {encoding!r}")
        return getattr(self, encoding)

    def __str__(self):
        return self.f58

    def __repr__(self):
        return f"JobID({int(self)})"


def id_parse(jobid_str):
    """The value of a job id written in any form (an int)."""
    return int(JobID(jobid_str))


def id_encode(jobid, encoding="f58"):
    """A job id written in a named form."""
    return JobID(jobid).encode(encoding)


def wire(jobid):
    """A job id as requests carry it: the 64 bits read as a signed number."""
    value = int(JobID(jobid))
    return value - (1 << 64) if value >= 1 << 63 else value

