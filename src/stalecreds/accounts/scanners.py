"""One scan per report file, for :func:`stalecreds.accounts.parallel.scan_accounts`.

Each credential report file in a folder is one account (its ID comes from the report's ARNs).
The live scanners (the caller's account, assumed roles, profiles) are in
:mod:`stalecreds.aws.account_scanners`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from stalecreds.accounts.parallel import AccountScan
from stalecreds.accounts.selection import Account
from stalecreds.errors import InputError
from stalecreds.report.input import read_report
from stalecreds.report.scan import ReportScan
from stalecreds.rules.exemptions import Exemptions
from stalecreds.rules.verdicts import VerdictRules

REPORT_SUFFIXES = (".csv", ".json")
"""Files in a ``--report`` folder that are read as credential reports."""


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
        try:
            data = path.read_bytes()
        except OSError as error:
            raise InputError(str(path), error.strerror or str(error)) from None
        lines, source = read_report(io.BytesIO(data), str(path))
        return ReportScan(lines, source, rules, exemptions).collect()

    return scan_one
