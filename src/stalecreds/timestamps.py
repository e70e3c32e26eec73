"""Times read from files stalecreds wrote (plans, journals, the history, JSON results).

Such a file may have been edited: a time must be ISO 8601 with a UTC offset, and between
:data:`EARLIEST` and :data:`LATEST`, so that the arithmetic done with it (windows of up to a
century, clock-skew margins) can never leave Python's ``datetime`` range.
"""

from __future__ import annotations

from datetime import UTC, datetime

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
"""The earliest time accepted (IAM began in 2010)."""
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
"""The latest time accepted (as ``--as-of`` accepts)."""


def parse_time(value: object) -> datetime:
    """``value`` (an ISO 8601 string with a UTC offset) as an aware UTC datetime.

    Raises ``ValueError`` with a message that quotes the value: not a string, not ISO 8601, no
    UTC offset, or outside :data:`EARLIEST` to :data:`LATEST`.
    """
    if not isinstance(value, str):
        raise ValueError(f"must be an ISO 8601 time, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"is not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"has no UTC offset: {value!r}")
    # NOTE: the year is checked before converting: 0001-01-01T00:00:00+01:00 and
    # 9999-12-31T23:59:59-01:00 are beyond datetime's range once in UTC (OverflowError).
    if not EARLIEST.year <= parsed.year <= LATEST.year:
        raise ValueError(f"is outside the years {EARLIEST.year} to {LATEST.year}: {value!r}")
    moment = parsed.astimezone(UTC)
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(f"is outside the years {EARLIEST.year} to {LATEST.year}: {value!r}")
    return moment
