"""Which AWS accounts a run covers: explicit lists, files, exclusions and stable shards. Pure.

A shard ``K/N`` takes the accounts whose SHA-256 of the account ID, taken modulo ``N``, is
``K - 1``: every account lands in exactly one shard, the same one on every runner and every day,
whatever the order or the other accounts in the list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from stalecreds.errors import InputError, RequestError


class Account(NamedTuple):
    """An AWS account ID (12 digits) and its name when AWS Organizations gives one."""

    account_id: str
    name: str | None = None


def valid_account_id(value: str) -> bool:
    """True for a 12-digit AWS account ID."""
    return len(value) == 12 and value.isascii() and value.isdigit()


def parse_account_ids(values: Iterable[str], source: str = "--accounts") -> list[str]:
    """Account IDs from comma-separated values, in order, without duplicates.

    Raises :class:`~stalecreds.errors.RequestError` naming ``source`` for anything that is not
    12 digits.
    """
    ids: list[str] = []
    for value in values:
        bad = _first_invalid(value)
        if bad is not None:
            raise RequestError(f"{source}: {bad!r} is not a 12-digit account ID")
        ids += [i for i in _split_ids(value) if i not in ids]
    return ids


def _split_ids(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _first_invalid(value: str) -> str | None:
    return next((i for i in _split_ids(value) if not valid_account_id(i)), None)


def read_accounts_file(path: Path) -> list[str]:
    """Account IDs from a UTF-8 file (BOM allowed): one per line, commas allowed, ``#`` comments.

    Raises :class:`InputError` naming the file and line.
    """
    name = str(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()  # a BOM from Windows editors
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(name, f"cannot read the accounts file: {error}") from None
    ids: list[str] = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        bad = _first_invalid(text)
        if bad is not None:
            raise InputError(name, f"{bad!r} is not a 12-digit account ID", line=number)
        ids += [i for i in _split_ids(text) if i not in ids]
    return ids


def parse_shard(value: str) -> tuple[int, int]:
    """``K/N`` as ``(K, N)`` with ``1 <= K <= N``. Raises ``ValueError`` otherwise."""
    try:
        k_text, n_text = value.split("/")
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise ValueError(f"--shard must be K/N, like 2/8; got {value!r}") from None
    if not 1 <= k <= n:
        raise ValueError(f"--shard {value}: K must be between 1 and N")
    return k, n


def shard_of(account_id: str, shards: int) -> int:
    """The shard (1-based, of ``shards``) an account belongs to."""
    digest = hashlib.sha256(account_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % shards + 1


def select_accounts(
    accounts: Sequence[Account],
    *,
    exclude: Iterable[str] = (),
    shard: tuple[int, int] | None = None,
) -> list[Account]:
    """``accounts`` less the excluded IDs, restricted to one shard when given, in order."""
    excluded = set(exclude)
    chosen = [a for a in accounts if a.account_id not in excluded]
    if shard is not None:
        k, n = shard
        chosen = [a for a in chosen if shard_of(a.account_id, n) == k]
    return chosen
