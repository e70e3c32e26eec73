"""One scan per account, for :func:`stalecreds.accounts.parallel.scan_accounts`.

Live: the caller's own account is scanned with the caller's session; any other account through
``--role-name`` (STS ``AssumeRole``, partition from the caller's ARN). Offline: each credential
report file in a folder is one account (its ID comes from the report's ARNs).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from stalecreds.accounts.parallel import AccountScan
from stalecreds.accounts.selection import Account
from stalecreds.aws.live_options import LiveScanOptions
from stalecreds.errors import InputError
from stalecreds.files import read_file_bounded
from stalecreds.model import Caller
from stalecreds.report.input import REPORT_MAX_BYTES, read_report
from stalecreds.report.scan import ReportScan
from stalecreds.rules.exemptions import Exemptions
from stalecreds.rules.verdicts import VerdictRules

REPORT_SUFFIXES = (".csv", ".json")
"""Files in a ``--report`` folder that are read as credential reports."""


def live_account_scanner(
    base: object,
    caller: Caller,
    rules: VerdictRules,
    options: LiveScanOptions,
    *,
    role_name: str,
    external_id: str | None,
) -> Callable[[Account], AccountScan]:
    """A function that scans one account: directly for the caller's, else through the role.

    ``base`` is the caller's boto3 session. Its models are loaded here, on the calling thread,
    and shared by every assumed-role session (:func:`stalecreds.aws.session.share_models`); the
    returned
    function may then run on many threads at once. It raises
    :class:`~stalecreds.errors.AwsError` when the role cannot be assumed or the account read.
    """
    import boto3

    from stalecreds.aws.assume import account_session, partition_of
    from stalecreds.aws.live_scan import scan_account
    from stalecreds.aws.session import iam_client, preload_models

    assert isinstance(base, boto3.Session)
    partition = partition_of(caller.arn)
    caller_iam = preload_models(base)  # clients are thread-safe; sessions are not

    def scan_one(account: Account) -> AccountScan:
        if account.account_id == caller.account_id:
            iam = caller_iam
        else:
            session = account_session(
                base,
                account.account_id,
                partition=partition,
                role_name=role_name,
                external_id=external_id,
            )
            iam = iam_client(session)
        return scan_account(iam, rules, options, account_name=account.name)

    return scan_one


def profile_scanner(
    sessions: dict[str, object], rules: VerdictRules, options: LiveScanOptions
) -> Callable[[Account], AccountScan]:
    """A function that scans the account of each named profile (``Account.name`` is the profile)."""
    from stalecreds.aws.live_scan import scan_account
    from stalecreds.aws.session import iam_client

    def scan_one(account: Account) -> AccountScan:
        session = sessions[account.name or ""]
        return scan_account(iam_client(session), rules, options)  # type: ignore[arg-type]

    return scan_one


def report_files(folder: Path) -> list[Account]:
    """The report files of ``folder`` (sorted), as accounts named by their path.

    Raises :class:`InputError` when the folder holds none.
    """
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in REPORT_SUFFIXES)
    if not files:
        raise InputError(str(folder), "no credential reports (*.csv, *.json) in this folder")
    return [Account("", str(path)) for path in files]


def report_file_scanner(
    rules: VerdictRules, exemptions: Exemptions
) -> Callable[[Account], AccountScan]:
    """A function that scans the report file named by ``Account.name``, whole.

    It raises :class:`InputError` for a file that cannot be read or is malformed.
    """

    def scan_one(account: Account) -> AccountScan:
        path = Path(account.name or "")
        data = read_file_bounded(path, REPORT_MAX_BYTES, "a credential report")
        lines, source = read_report(io.BytesIO(data), str(path))
        return ReportScan(lines, source, rules, exemptions).collect()

    return scan_one
