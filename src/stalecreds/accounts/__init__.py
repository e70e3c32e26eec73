"""Many accounts: which ones a run covers (lists, files, shards) and scanning them in parallel.

One account's failure never stops the others: it becomes an :class:`AccountFailure` in the
merged :class:`MultiAccountResult`. The report-file scanner of a folder is in
:mod:`stalecreds.accounts.scanners`; the live ones (assumed role, profile) are AWS calls, in
:mod:`stalecreds.aws.account_scanners`. Nothing here imports boto3.
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
