"""Scan many accounts, in parallel, where one failing account never stops the others.

Each account becomes an :class:`AccountOutcome`: its scan result, or an :class:`AccountFailure`
saying which step failed (assuming the role, scanning, reading a report file), which call and
with which error code. :class:`MultiAccountResult` merges the results into one scan output
(credentials of every account, one summary, all warnings) that any format renders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from stalecreds.accounts.selection import Account
from stalecreds.errors import AwsError, InputError, StalecredsError
from stalecreds.report.credential_report import WarningLog
from stalecreds.report.input import ReportSource
from stalecreds.report.scan import Summary
from stalecreds.rules.assessment import Assessment
from stalecreds.rules.verdicts import Thresholds

DEFAULT_MAX_WORKERS = 8
"""Accounts scanned at once (``--max-workers``); each scan also runs its own calls in parallel."""


class AccountScan(Protocol):
    """What one account's scan gives: its assessments, counts, warnings and failed lookups.

    It is complete and can be iterated more than once (a
    :class:`~stalecreds.report.scan.ScanResult`).
    """

    @property
    def source(self) -> ReportSource:
        """Where the account's data came from."""

    @property
    def summary(self) -> Summary:
        """Counts of the account."""

    @property
    def warnings(self) -> WarningLog:
        """Oddities found in the account."""

    @property
    def errors(self) -> tuple[str, ...]:
        """IAM lookups that failed (their credentials are ``unknown``)."""

    def __iter__(self) -> Iterator[Assessment]:
        """The account's assessments."""


class AccountFailure(NamedTuple):
    """Why an account could not be scanned: the step, the API call (or file), the error code."""

    step: str
    action: str
    code: str
    message: str


class AccountOutcome(NamedTuple):
    """One account's result or failure (exactly one of the two is set)."""

    account: Account
    result: AccountScan | None
    failure: AccountFailure | None


def failure_from(error: StalecredsError, step: str) -> AccountFailure:
    """An :class:`AccountFailure` from an error raised while scanning one account."""
    if isinstance(error, AwsError):
        failed_step = "assume-role" if error.action == "sts:AssumeRole" else step
        return AccountFailure(failed_step, error.action, error.code, error.message)
    if isinstance(error, InputError):
        # The code is the documented error class (errors.py): InputError or ReportFormatError.
        return AccountFailure(step, error.source, type(error).__name__, str(error))
    return AccountFailure(step, "", type(error).__name__, str(error))


def scan_accounts(
    accounts: Sequence[Account],
    scan_one: Callable[[Account], AccountScan],
    *,
    workers: int = DEFAULT_MAX_WORKERS,
    step: str = "scan",
    on_done: Callable[[Account, bool], None] | None = None,
) -> list[AccountOutcome]:
    """Run ``scan_one`` for every account on a bounded pool; outcomes in ``accounts`` order.

    ``scan_one`` raises :class:`StalecredsError` for an account it cannot scan; that becomes the
    account's failure. ``on_done(account, ok)`` is called as each account finishes.
    """
    outcomes: dict[str, AccountOutcome] = {}

    def run(account: Account) -> AccountOutcome:
        try:
            return AccountOutcome(account, scan_one(account), None)
        except StalecredsError as error:
            return AccountOutcome(account, None, failure_from(error, step))

    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        futures = [pool.submit(run, account) for account in accounts]
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[outcome.account.account_id + (outcome.account.name or "")] = outcome
            if on_done is not None:
                on_done(outcome.account, outcome.failure is None)
    except BaseException:
        # Ctrl-C (or an error): the accounts not started yet are never started; only those
        # already running are waited for, as the process ends.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return [outcomes[a.account_id + (a.name or "")] for a in accounts]


@dataclass(frozen=True)
class MultiAccountResult:
    """The merged result of many accounts, renderable by every format.

    ``errors`` lists failed lookups inside scanned accounts; ``failures`` lists accounts that
    could not be scanned at all. Either makes the result partial.
    """

    source: ReportSource
    as_of: datetime
    thresholds: Thresholds
    outcomes: tuple[AccountOutcome, ...]
    summary: Summary
    warnings: WarningLog
    errors: tuple[str, ...]

    def account_rows(self) -> list[dict[str, object]]:
        """One JSON-ready dict per account: ID, name, status, counts, or the failure."""
        rows: list[dict[str, object]] = []
        for outcome in self.outcomes:
            account = outcome.account
            row: dict[str, object] = {"account_id": account.account_id, "name": account.name}
            if outcome.result is not None:
                summary = outcome.result.summary
                row |= {
                    "status": "partial" if outcome.result.errors else "scanned",
                    "users": summary.users,
                    "credentials": summary.credentials,
                    "findings": summary.findings,
                    "error": None,
                }
            else:
                failure = outcome.failure
                assert failure is not None
                row |= {
                    "status": "failed",
                    "users": None,
                    "credentials": None,
                    "findings": None,
                    "error": failure._asdict(),
                }
            rows.append(row)
        return rows

    @property
    def failures(self) -> tuple[AccountOutcome, ...]:
        """The accounts that could not be scanned."""
        return tuple(o for o in self.outcomes if o.failure is not None)

    def __iter__(self) -> Iterator[Assessment]:
        for outcome in self.outcomes:
            if outcome.result is not None:
                yield from outcome.result


def merge(
    outcomes: Sequence[AccountOutcome],
    *,
    source: ReportSource,
    as_of: datetime,
    thresholds: Thresholds,
) -> MultiAccountResult:
    """Merge account outcomes: counts summed, warnings prefixed, failed lookups collected."""
    summary = Summary()
    warnings = WarningLog()
    errors: list[str] = []
    merged: list[AccountOutcome] = []
    for outcome in outcomes:
        # A live account by its ID; a report file (no ID known before it is read) by its path.
        label = (
            f"account {outcome.account.account_id}"
            if outcome.account.account_id
            else outcome.account.name or "?"
        )
        if outcome.result is None:
            merged.append(outcome)
            continue
        result = outcome.result
        summary.merge(result.summary)
        for warning in result.warnings.items:
            # The line is of that account's report: it goes into the message, beside its name.
            where = label if warning.line is None else f"{label}, line {warning.line}"
            warnings.add(None, f"{where}: {warning.message}")
        warnings.dropped += result.warnings.dropped
        errors += [f"{label}: {error}" for error in result.errors]
        account = outcome.account
        first = next(iter(result), None)
        if not account.account_id and first is not None:  # a report file: its ARNs name it
            account = account._replace(account_id=first.owner.account_id)
        merged.append(outcome._replace(account=account))
    return MultiAccountResult(
        source, as_of, thresholds, tuple(merged), summary, warnings, tuple(errors)
    )
