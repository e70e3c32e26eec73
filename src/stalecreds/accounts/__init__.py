"""Many accounts: which ones a run covers (lists, files, shards) and scanning them in parallel.

One account's failure never stops the others: it becomes an :class:`AccountFailure` in the
merged :class:`MultiAccountResult`. The per-account scanners (live, assumed role, profile, report
file) are in :mod:`stalecreds.accounts.scanners`; they import boto3 only when called.
"""

from __future__ import annotations

from stalecreds.accounts.parallel import (
    AccountFailure,
    AccountOutcome,
    AccountScan,
    MultiAccountResult,
    merge,
    scan_accounts,
)
from stalecreds.accounts.selection import (
    Account,
    parse_account_ids,
    parse_shard,
    read_accounts_file,
    select_accounts,
)

__all__ = [
    "Account",
    "AccountFailure",
    "AccountOutcome",
    "AccountScan",
    "MultiAccountResult",
    "merge",
    "parse_account_ids",
    "parse_shard",
    "read_accounts_file",
    "scan_accounts",
    "select_accounts",
]
