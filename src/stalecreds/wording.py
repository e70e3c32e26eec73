"""Small helpers for the words of messages and reports."""

from __future__ import annotations


def plural(count: int, word: str) -> str:
    """``count`` with thousands separators and ``word``, plus ``s`` unless the count is 1.

    ``plural(1, "finding")`` is ``1 finding``; ``plural(1200, "account")`` is ``1,200 accounts``.
    """
    return f"{count:,} {word}{'' if count == 1 else 's'}"
