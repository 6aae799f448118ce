"""Small shared helpers: Flux Standard Durations (RFC 23)."""

_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_fsd(text):
    """Seconds of a Flux Standard Duration such as ``90``, ``1.5m``, ``2h``, ``1d``.

    :raises ValueError: anything else, or a negative or infinite duration
    """
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        text = str(text).strip()
        unit = text[-1:] if text[-1:] in _UNITS else ""
        number = text[: len(text) - len(unit)]
        try:
            seconds = float(number) * _UNITS[unit]
        except ValueError:
            raise ValueError(f"invalid Flux standard duration {text!r}") from None
    if seconds < 0 or seconds != seconds or seconds == float("inf"):
        raise ValueError(f"invalid Flux standard duration {text!r}")
    return seconds

