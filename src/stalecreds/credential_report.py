"""Read the rows of an IAM credential report (CSV) into :class:`~stalecreds.model.UserCredentials`.

Normalisation rules, applied here and nowhere else (column meanings: IAM User Guide, "Getting
credential reports", and ``shared/spec/credential-report.md``):

* Columns are found by header name; unknown extra columns are ignored; a missing one is an error.
  A repeated header line (reports concatenated with ``cat``) is skipped.
* ``N/A``, ``no_information`` and ``not_supported`` in a date column mean "no date".
* Booleans are ``true``/``false`` in any case; ``password_enabled`` may be ``not_supported`` on
  the root row, where it means the root user has a password.
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
from typing import TYPE_CHECKING, NamedTuple

from stalecreds.errors import ReportFormatError
from stalecreds.facts import ROOT_USER_NAME
from stalecreds.model import (
    AccessKey,
    LastUse,
    Password,
    SigningCertificate,
    Status,
    UserCredentials,
)

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

    def __len__(self) -> int:
        return len(self.items) + self.dropped


class _CellError(Exception):
    """A bad cell, by position; turned into a located :class:`ReportFormatError` by the reader."""

    def __init__(self, position: int, message: str) -> None:
        super().__init__(message)
        self.position = position
        self.message = message


def _flag(cells: list[str], position: int) -> bool:
    value = cells[position]
    if value == "true":
        return True
    if value == "false":
        return False
    lowered = value.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise _CellError(position, f"expected true or false, got {value!r}")


_parse_timestamp = datetime.fromisoformat


def _moment(cells: list[str], position: int) -> datetime | None:
    value = cells[position]
    if value in _NO_DATE:
        return None
    try:
        parsed = _parse_timestamp(value)
    except ValueError:
        raise _CellError(
            position,
            f"expected an ISO 8601 timestamp, N/A, no_information or not_supported, got {value!r}",
        ) from None
    if parsed.tzinfo is UTC:
        return parsed
    if parsed.tzinfo is None:
        raise _CellError(position, f"timestamp {value!r} has no UTC offset")
    return parsed.astimezone(UTC)


def _text(cells: list[str], position: int) -> str | None:
    value = cells[position]
    return None if value in _NO_TEXT else value


class _Columns(NamedTuple):
    """Positions of the columns in one report's header."""

    user: int
    arn: int
    created: int
    password_enabled: int
    password_last_used: int
    password_last_changed: int
    mfa: int
    keys: tuple[tuple[int, int, int, int, int, int], ...]
    """Per key slot: (slot, active, last_rotated, last_used_date, region, service)."""
    certs: tuple[tuple[int, int, int], ...]
    """Per certificate slot: (slot, active, last_rotated)."""

    @classmethod
    def from_index(cls, index: dict[str, int]) -> _Columns:
        keys = tuple(
            (slot, *(index[f"access_key_{slot}_{name}"] for name in _KEY_FIELDS)) for slot in (1, 2)
        )
        certs = tuple(
            (slot, index[f"cert_{slot}_active"], index[f"cert_{slot}_last_rotated"])
            for slot in (1, 2)
        )
        return cls(
            index["user"],
            index["arn"],
            index["user_creation_time"],
            index["password_enabled"],
            index["password_last_used"],
            index["password_last_changed"],
            index["mfa_active"],
            keys,  # type: ignore[arg-type]  # built from five names per slot
            certs,
        )


_KEY_FIELDS = ("active", "last_rotated", "last_used_date", "last_used_region", "last_used_service")


def _parse_arn(cells: list[str], position: int) -> tuple[str, str]:
    """Return ``(partition, account_id)`` from an IAM ARN cell."""
    parts = cells[position].split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[1] or not parts[4]:
        raise _CellError(
            position, f"expected an IAM ARN (arn:PARTITION:iam::ACCOUNT:…), got {cells[position]!r}"
        )
    return parts[1], parts[4]


class CredentialReportReader:
    """Iterate a credential report's CSV lines as :class:`UserCredentials`, one per row, in order.

    ``lines`` is any iterable of text lines (a file opened with ``newline=""``, or
    ``text.splitlines(keepends=True)``); ``source`` names it in errors. Iteration raises
    :class:`ReportFormatError` at the first malformed header, row or cell, naming the line and
    column. Readable oddities (duplicate users, keys marked active with no date, account IDs that
    are not 12 digits) are added to ``warnings`` (a new :class:`WarningLog` unless one is given)
    while iterating.
    """

    def __init__(
        self, lines: Iterable[str], source: str, warnings: WarningLog | None = None
    ) -> None:
        self.source = source
        self.warnings = WarningLog() if warnings is None else warnings
        self._lines = lines

    def __iter__(self) -> Iterator[UserCredentials]:
        reader = csv.reader(self._lines, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise ReportFormatError(
                    self.source, "the report is empty; expected a header line starting 'user,arn'"
                )
            if header and header[0].startswith("\ufeff"):
                header[0] = header[0][1:]
            index = self._index(header)
            yield from self._rows(reader, header, index)
        except csv.Error as error:
            raise ReportFormatError(
                self.source, f"not valid CSV: {error}", line=reader.line_num
            ) from None

    def _index(self, header: list[str]) -> dict[str, int]:
        index: dict[str, int] = {}
        for position, raw_name in enumerate(header):
            name = raw_name.strip()
            if name in index:
                raise ReportFormatError(
                    self.source,
                    f"column {name!r} appears twice in the header",
                    line=1,
                    column=position + 1,
                )
            index[name] = position
        missing = [name for name in REPORT_COLUMNS if name not in index]
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise ReportFormatError(
                self.source,
                f"missing required column {missing[0]!r}{more}; is this an IAM credential report?",
                line=1,
            )
        return index

    def _rows(
        self, reader: _csv.Reader, header: list[str], index: dict[str, int]
    ) -> Iterator[UserCredentials]:
        width = len(header)
        names = list(index)
        columns = _Columns.from_index(index)
        seen: dict[str, int] = {}
        odd_accounts: set[str] = set()
        warn = self.warnings.add
        previous_end = reader.line_num
        for cells in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not cells:
                continue
            if len(cells) != width:
                raise ReportFormatError(
                    self.source, f"expected {width} fields, found {len(cells)}", line=start
                )
            if cells[0] == header[0] and [cell.strip() for cell in cells] == names:
                continue  # the header again: reports concatenated with cat
            try:
                user = _user(cells, columns, start, warn)
            except _CellError as error:
                raise ReportFormatError(
                    self.source,
                    error.message,
                    line=start,
                    column=error.position + 1,
                    column_name=names[error.position],
                ) from None
            arn = user.arn
            if arn in seen:
                warn(
                    start,
                    f"user {user.user!r} ({arn}) already appeared on line {seen[arn]}; "
                    "both rows are listed",
                )
            else:
                seen[arn] = start
            account = user.account_id
            if account not in odd_accounts and not (len(account) == 12 and account.isdigit()):
                odd_accounts.add(account)
                warn(start, f"account ID {account!r} is not 12 digits")
            yield user


def _user(
    cells: list[str], columns: _Columns, line: int, warn: Callable[[int | None, str], None]
) -> UserCredentials:
    """Build one :class:`UserCredentials` from a row's cells. Raises :class:`_CellError`."""
    name = cells[columns.user]
    if not name:
        raise _CellError(columns.user, "the user name is empty")
    arn = cells[columns.arn]
    partition, account_id = _parse_arn(cells, columns.arn)
    is_root = name == ROOT_USER_NAME or arn.endswith(":root")
    created = _moment(cells, columns.created)
    if created is None:
        raise _CellError(columns.created, f"expected a timestamp, got {cells[columns.created]!r}")

    password: Password | None = None
    enabled_position = columns.password_enabled
    if cells[enabled_position] == _NOT_SUPPORTED:
        if not is_root:
            raise _CellError(enabled_position, "not_supported is only valid on the root user's row")
        has_password = True
    else:
        has_password = _flag(cells, enabled_position)
    last_used = _moment(cells, columns.password_last_used)
    set_at = _moment(cells, columns.password_last_changed)
    if has_password:
        password = Password(set_at, last_used)

    keys: list[AccessKey] = []
    for slot, active_at, rotated_at, used_at, region_at, service_at in columns.keys:
        active = _flag(cells, active_at)
        key_created = _moment(cells, rotated_at)
        key_used = _moment(cells, used_at)
        if key_created is None:
            if active:
                warn(
                    line,
                    f"access_key_{slot}_active is true but access_key_{slot}_last_rotated is "
                    f"{cells[rotated_at]!r}; without a date the key cannot be judged and is "
                    "not listed",
                )
            continue
        last_use = (
            None
            if key_used is None
            else LastUse(key_used, _text(cells, region_at), _text(cells, service_at))
        )
        status = Status.ACTIVE if active else Status.INACTIVE
        keys.append(AccessKey(slot, None, status, key_created, last_use))

    certs: list[SigningCertificate] = []
    for slot, active_at, rotated_at in columns.certs:
        cert_active = _flag(cells, active_at)
        cert_created = _moment(cells, rotated_at)
        if cert_active or cert_created is not None:
            status = Status.ACTIVE if cert_active else Status.INACTIVE
            certs.append(SigningCertificate(slot, status, cert_created))

    return UserCredentials(
        name,
        arn,
        account_id,
        partition,
        is_root,
        created,
        _flag(cells, columns.mfa),
        password,
        tuple(keys),
        tuple(certs),
        line,
    )
