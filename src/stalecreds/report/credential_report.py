"""Read the rows of an IAM credential report (CSV) into :class:`~stalecreds.model.UserCredentials`.

Normalisation rules, applied here and nowhere else (column meanings: IAM User Guide, "Getting
credential reports", and ``shared/spec/credential-report.md``):

* Columns are found by header name; unknown extra columns are ignored; a missing one is an error.
  A repeated header line (reports concatenated with ``cat``) is skipped.
* ``N/A``, ``no_information`` and ``not_supported`` in a date column mean "no date".
* Booleans are ``true``/``false`` in any case; ``password_enabled`` may be ``not_supported`` on
  the root row, where it means the root user has a password, except in ``aws-us-gov``, whose
  root user cannot sign in to the console (no password).
* Timestamps are ISO 8601 with an offset (``+00:00`` or ``Z``) and become aware UTC datetimes.
* An access key exists when its ``access_key_N_last_rotated`` is a date, whatever ``_active``
  says; a password exists only when ``password_enabled`` is true. A signing certificate is listed
  when it is active or has a date.
* The root row is ``<root_account>`` or an ARN ending in ``:root``. Account ID and partition come
  from the ARN.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import TYPE_CHECKING, NamedTuple

from stalecreds.errors import ReportFormatError
from stalecreds.model import (
    AccessKey,
    LastUse,
    Password,
    SigningCertificate,
    Status,
    UserCredentials,
)
from stalecreds.rules.facts import ROOT_USER_NAME, root_has_console_password

if TYPE_CHECKING:
    import _csv

REPORT_COLUMNS = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)
"""The 22 columns of a credential report, in IAM's order (S1)."""

_NO_DATE = frozenset({"N/A", "no_information", "not_supported"})
_NO_TEXT = frozenset({"N/A", "not_supported", ""})
_NOT_SUPPORTED = "not_supported"


@dataclass(frozen=True, slots=True)
class ReportWarning:
    """Something odd but readable in a report: ``line`` (1-based, or ``None``) and a message."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


class WarningLog:
    """Warnings in the order found, keeping the first ``limit`` and counting the rest."""

    def __init__(self, limit: int = 1000) -> None:
        self.limit = limit
        self.items: list[ReportWarning] = []
        self.dropped = 0

    def add(self, line: int | None, message: str) -> None:
        """Record a warning about ``line`` (or the whole input when ``None``)."""
        if len(self.items) < self.limit:
            self.items.append(ReportWarning(line, message))
        else:
            self.dropped += 1

    def extend(self, later: WarningLog) -> None:
        """Append the warnings of ``later`` (found after these), as if added here in order."""
        for warning in later.items:
            self.add(warning.line, warning.message)
        self.dropped += later.dropped

    def __len__(self) -> int:
        return len(self.items) + self.dropped


class _CellError(Exception):
    """A bad cell, by column (its index in :data:`REPORT_COLUMNS`); located by the reader."""

    def __init__(self, column: int, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def _flag(value: str, column: int) -> bool:
    if value == "true":
        return True
    if value == "false":
        return False
    lowered = value.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise _CellError(column, f"expected true or false, got {value!r}")


_parse_timestamp = datetime.fromisoformat


def _moment(value: str, column: int) -> datetime | None:
    if value in _NO_DATE:
        return None
    try:
        parsed = _parse_timestamp(value)
    except ValueError:
        raise _CellError(
            column,
            f"expected an ISO 8601 timestamp, N/A, no_information or not_supported, got {value!r}",
        ) from None
    if parsed.tzinfo is UTC:
        return parsed
    if parsed.tzinfo is None:
        missing = "UTC offset" if len(value) > 10 else "time and UTC offset"
        raise _CellError(
            column,
            f"timestamp {value!r} has no {missing} (expected e.g. 2016-11-16T14:10:34+00:00)",
        )
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise _CellError(column, f"timestamp {value!r} is out of range") from None


def _text(value: str) -> str | None:
    return None if value in _NO_TEXT else value


_KEY_SLOTS = tuple((slot, REPORT_COLUMNS.index(f"access_key_{slot}_active")) for slot in (1, 2))
"""Per key slot: the slot and the column of its first cell (``_active``, then the other four)."""
_CERT_SLOTS = tuple((slot, REPORT_COLUMNS.index(f"cert_{slot}_active")) for slot in (1, 2))
"""Per certificate slot: the slot and the column of ``_active`` (``_last_rotated`` follows)."""
_MFA = REPORT_COLUMNS.index("mfa_active")
_CERTS = slice(_CERT_SLOTS[0][1], _CERT_SLOTS[-1][1] + 2)
"""The four certificate cells."""
_NO_KEY = ["false", "N/A", "N/A", "N/A", "N/A"]
"""The cells of a key slot without a key, as IAM writes them: nothing to parse or check."""
_NO_CERTIFICATES = ["false", "N/A", "false", "N/A"]
"""The certificate cells of a user without certificates, as IAM writes them."""
# Attribute access on an Enum class is slow in Python 3.11; _user uses these names.
_ACTIVE = Status.ACTIVE
_INACTIVE = Status.INACTIVE
_ARN_PREFIXES_KEPT = 10_000
"""ARN prefixes (one per account in an IAM report) kept with their partition and account."""


def _parse_arn(arn: str) -> tuple[str, str]:
    """Return ``(partition, account_id)`` from an IAM ARN (the ``arn`` column)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[1] or not parts[4]:
        raise _CellError(1, f"expected an IAM ARN (arn:PARTITION:iam::ACCOUNT:…), got {arn!r}")
    return parts[1], parts[4]


class _Layout(NamedTuple):
    """A report's columns, from its header line."""

    first_name: str
    """The header's first cell (BOM removed): how a repeated header line is noticed."""
    names: list[str]
    """The column names, stripped, in the report's order."""
    positions: list[int]
    """The report's position of each of :data:`REPORT_COLUMNS`."""
    reorder: Callable[[list[str]], tuple[str, ...]] | None
    """Picks :data:`REPORT_COLUMNS` from a row, in that order; ``None`` when they are in it."""


class CredentialReportReader:
    """Iterate a credential report's CSV lines as :class:`UserCredentials`, one per row, in order.

    ``lines`` is any iterable of text lines (a file opened with ``newline=""``, or
    ``text.splitlines(keepends=True)``), the first of them the header; ``first_line`` is its
    line number in the report (1 unless ``lines`` start further on, after a header given again
    in front of them); ``source`` names it in errors. Iteration raises
    :class:`ReportFormatError` at the first malformed header, row or cell, naming the line and
    column. Readable oddities (duplicate users, keys marked active with no date, account IDs that
    are not 12 digits) are added to ``warnings`` (a new :class:`WarningLog` unless one is given)
    while iterating.

    While iterating, :attr:`next_line` is the line the next row starts on, :attr:`first_seen`
    maps each user's ARN to the line it first appeared on, :attr:`accounts` holds the account
    IDs seen and :attr:`odd_accounts` those of them that are not 12 digits (warned about once).
    """

    def __init__(
        self,
        lines: Iterable[str],
        source: str,
        warnings: WarningLog | None = None,
        *,
        first_line: int = 1,
    ) -> None:
        self.source = source
        self.warnings = WarningLog() if warnings is None else warnings
        self.next_line = first_line
        self.first_seen: dict[str, int] = {}
        self.accounts: set[str] = set()
        self.odd_accounts: set[str] = set()
        self._lines = lines
        self._before = first_line - 1
        """Lines of the report before ``lines``: added to the CSV reader's line numbers."""
        self._csv: _csv.Reader | None = None
        self._layout: _Layout | None = None
        self._arns: dict[str, tuple[str, str]] = {}
        """Partition and account by ARN prefix: see :func:`_user`."""

    def __iter__(self) -> Iterator[UserCredentials]:
        return self.rows()

    def rows(self, stop_line: int | None = None) -> Iterator[UserCredentials]:
        """The users from where the previous call stopped (the top, at first), to the end.

        With ``stop_line``, stop instead when the next row would start on that line (if one
        does), before reading it; a later call goes on from there.
        """
        reader = self._csv
        if reader is None:
            reader = self._csv = csv.reader(self._lines, strict=True)
        try:
            if self._layout is None:
                self._layout = self._read_header(reader)
            yield from self._rows(reader, self._layout, stop_line)
        except csv.Error as error:
            message = f"not valid CSV: {error}"
            if "new-line character seen in unquoted field" in str(error):
                message = (
                    "a line ends in a bare carriage return (CR, old Mac line ends); a "
                    "credential report's lines end in LF or CRLF"
                )
            raise ReportFormatError(
                self.source, message, line=self._before + reader.line_num
            ) from None

    def _read_header(self, reader: _csv.Reader) -> _Layout:
        header = next(reader, None)
        if header is None:
            raise ReportFormatError(
                self.source, "the report is empty; expected a header line starting 'user,arn'"
            )
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        index = self._index(header)
        positions = [index[name] for name in REPORT_COLUMNS]
        # Cells reach _user in REPORT_COLUMNS order; IAM's own header needs no reordering.
        reorder = None if positions == list(range(len(positions))) else itemgetter(*positions)
        self.next_line = self._before + reader.line_num + 1
        return _Layout(header[0], list(index), positions, reorder)

    def _index(self, header: list[str]) -> dict[str, int]:
        index: dict[str, int] = {}
        for position, raw_name in enumerate(header):
            name = raw_name.strip()
            if name in index:
                raise ReportFormatError(
                    self.source,
                    f"column {name!r} appears twice in the header",
                    line=self._before + 1,
                    column=position + 1,
                )
            index[name] = position
        missing = [name for name in REPORT_COLUMNS if name not in index]
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise ReportFormatError(
                self.source,
                f"missing required column {missing[0]!r}{more}; is this an IAM credential report?",
                line=self._before + 1,
            )
        return index

    def _rows(
        self, reader: _csv.Reader, layout: _Layout, stop_line: int | None
    ) -> Iterator[UserCredentials]:
        first_name, names, positions, reorder = layout
        width = len(names)
        arns = self._arns
        seen = self.first_seen
        accounts = self.accounts
        warn = self.warnings.add
        before = self._before
        while self.next_line != stop_line:
            cells = next(reader, None)
            if cells is None:
                return
            start = self.next_line
            self.next_line = before + reader.line_num + 1
            if not cells:
                continue
            if len(cells) != width:
                short = len(cells) < width
                raise ReportFormatError(
                    self.source,
                    f"expected {width} fields, found {len(cells)}",
                    line=start,
                    column=len(cells) + 1 if short else width + 1,
                    column_name=names[len(cells)] if short else None,
                )
            if (
                cells[0].endswith(first_name)
                and [cell.strip().lstrip("\ufeff") for cell in cells] == names
            ):
                continue  # the header again: reports concatenated with cat (BOM and all)
            try:
                row = cells if reorder is None else list(reorder(cells))
                user = _user(row, start, warn, arns)
            except _CellError as error:
                position = positions[error.column]
                raise ReportFormatError(
                    self.source,
                    error.message,
                    line=start,
                    column=position + 1,
                    column_name=names[position],
                ) from None
            arn = user.arn
            first = seen.setdefault(arn, start)
            if first != start:
                warn(
                    start,
                    f"user {user.user!r} ({arn}) already appeared on line {first}; "
                    "both rows are listed",
                )
            account = user.account_id
            if account not in accounts:
                accounts.add(account)
                if not (len(account) == 12 and account.isdigit()):
                    self.odd_accounts.add(account)
                    warn(start, f"account ID {account!r} is not 12 digits")
            yield user


def _user(
    row: list[str],
    line: int,
    warn: Callable[[int | None, str], None],
    arns: dict[str, tuple[str, str]],
) -> UserCredentials:
    """Build one :class:`UserCredentials` from a row's cells in :data:`REPORT_COLUMNS` order.

    Cells are checked in column order, except ``mfa_active`` last. ``arns`` keeps the partition
    and account of each ARN prefix seen (all the users of an account share one). Raises
    :class:`_CellError`.
    """
    name, arn, created_text, enabled, password_last_used, password_last_changed = row[:6]
    if not name:
        raise _CellError(0, "the user name is empty")
    # Everything up to the last colon holds the ARN's first five parts, so it decides them.
    prefix = arn[: arn.rfind(":") + 1]
    account = arns.get(prefix)
    if account is None:
        if len(arns) >= _ARN_PREFIXES_KEPT:
            arns.clear()  # not an IAM report's ARNs; keep memory bounded
        account = arns[prefix] = _parse_arn(arn)
    partition, account_id = account
    is_root = name == ROOT_USER_NAME or arn.endswith(":root")
    created = _moment(created_text, 2)
    if created is None:
        raise _CellError(2, f"expected a timestamp, got {created_text!r}")

    password: Password | None = None
    if enabled == _NOT_SUPPORTED:
        if not is_root:
            raise _CellError(3, "not_supported is only valid on the root user's row")
        has_password = root_has_console_password(partition)
    else:
        has_password = _flag(enabled, 3)
    last_used = _moment(password_last_used, 4)
    set_at = _moment(password_last_changed, 5)
    if has_password:
        password = Password(set_at, last_used)

    keys: list[AccessKey] = []
    for slot, first in _KEY_SLOTS:
        cells = row[first : first + 5]
        if cells == _NO_KEY:
            continue
        active_text, rotated, used, region, service = cells
        active = _flag(active_text, first)
        key_created = _moment(rotated, first + 1)
        key_used = _moment(used, first + 2)
        if key_created is None:
            if active:
                warn(
                    line,
                    f"access_key_{slot}_active is true but access_key_{slot}_last_rotated is "
                    f"{rotated!r}; without a date the key cannot be judged and is not listed",
                )
            continue
        last_use = None if key_used is None else LastUse(key_used, _text(region), _text(service))
        keys.append(AccessKey(slot, None, _ACTIVE if active else _INACTIVE, key_created, last_use))

    certs: list[SigningCertificate] = []
    if row[_CERTS] != _NO_CERTIFICATES:
        for slot, first in _CERT_SLOTS:
            cert_active = _flag(row[first], first)
            cert_created = _moment(row[first + 1], first + 1)
            if cert_active or cert_created is not None:
                status = _ACTIVE if cert_active else _INACTIVE
                certs.append(SigningCertificate(slot, status, cert_created))

    return UserCredentials(
        name,
        arn,
        account_id,
        partition,
        is_root,
        created,
        _flag(row[_MFA], _MFA),
        password,
        tuple(keys),
        tuple(certs),
        line,
    )
