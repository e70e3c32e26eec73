"""One scan per report file, for :func:`stalecreds.accounts.parallel.scan_accounts`.

Each credential report file in a folder is one account (its ID comes from the report's ARNs).
The live scanners (the caller's account, assumed roles, profiles) are in
:mod:`stalecreds.aws.account_scanners`.
"""

from __future__ import annotations

import dataclasses
import io
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from stalecreds.accounts.parallel import AccountScan
from stalecreds.accounts.selection import Account
from stalecreds.errors import InputError
from stalecreds.files import read_stream_bounded
from stalecreds.model import UserCredentials
from stalecreds.report.input import REPORT_MAX_BYTES, read_report
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
    rules: VerdictRules, exemptions: Exemptions, *, name_files: bool = False
) -> Callable[[Account], AccountScan]:
    """A function that scans the report file named by ``Account.name``, whole.

    The result's source carries the file's modification time (``ReportSource.modified``, UTC);
    with ``name_files`` (the scan reads several files) every credential's owner names the file
    (``UserCredentials.source_file``). It raises :class:`InputError` for a file that cannot be
    read or is malformed.
    """

    def scan_one(account: Account) -> AccountScan:
        path = Path(account.name or "")
        try:
            with path.open("rb") as stream:
                modified = datetime.fromtimestamp(os.fstat(stream.fileno()).st_mtime, UTC)
                data = read_stream_bounded(
                    stream, REPORT_MAX_BYTES, str(path), "a credential report"
                )
        except IsADirectoryError:
            raise InputError(str(path), "is a folder, not a credential report") from None
        except OSError as error:
            raise InputError(str(path), error.strerror or str(error)) from None
        lines, source = read_report(io.BytesIO(data), str(path))
        source = dataclasses.replace(source, modified=modified)
        result = ReportScan(lines, source, rules, exemptions).collect()
        if not name_files:
            return result
        owners: dict[int, UserCredentials] = {}
        named = []
        for assessment in result.assessments:
            owner = owners.get(id(assessment.owner))
            if owner is None:
                owner = owners[id(assessment.owner)] = assessment.owner._replace(
                    source_file=str(path)
                )
            named.append(assessment._replace(owner=owner))
        return dataclasses.replace(result, assessments=tuple(named))

    return scan_one
