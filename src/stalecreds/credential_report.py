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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

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


class _Row:
    """Typed access to the cells of one row, raising located errors."""

    __slots__ = ("cells", "index", "line", "source")

    def __init__(self, source: str, index: dict[str, int], cells: list[str], line: int) -> None:
        self.source = source
        self.index = index
        self.cells = cells
        self.line = line

    def fail(self, column: str, message: str) -> ReportFormatError:
        position = self.index[column]
        return ReportFormatError(
            self.source, message, line=self.line, column=position + 1, column_name=column
        )

    def text(self, column: str) -> str:
        return self.cells[self.index[column]]

    def optional_text(self, column: str) -> str | None:
        value = self.cells[self.index[column]]
        return None if value in _NO_TEXT else value

    def flag(self, column: str) -> bool:
        value = self.cells[self.index[column]]
        lowered = value.lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        raise self.fail(column, f"expected true or false, got {value!r}")

    def moment(self, column: str) -> datetime | None:
        value = self.cells[self.index[column]]
        if value in _NO_DATE:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise self.fail(
                column,
                f"expected an ISO 8601 timestamp, N/A, no_information or not_supported, "
                f"got {value!r}",
            ) from None
        if parsed.tzinfo is UTC:
            return parsed
        if parsed.tzinfo is None:
            raise self.fail(column, f"timestamp {value!r} has no UTC offset")
        return parsed.astimezone(UTC)

    def required_moment(self, column: str) -> datetime:
        value = self.moment(column)
        if value is None:
            raise self.fail(column, f"expected a timestamp, got {self.text(column)!r}")
        return value


def _parse_arn(row: _Row) -> tuple[str, str, str]:
    """Return ``(arn, partition, account_id)`` from the ``arn`` column."""
    arn = row.text("arn")
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[1] or not parts[4]:
        raise row.fail("arn", f"expected an IAM ARN (arn:PARTITION:iam::ACCOUNT:…), got {arn!r}")
    return arn, parts[1], parts[4]


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
            raise ReportFormatError(self.source, f"not valid CSV: {error}", line=reader.line_num)

    def _index(self, header: list[str]) -> dict[str, int]:
        names = [name.strip() for name in header]
        index: dict[str, int] = {}
        for position, name in enumerate(names):
            if name in index:
                raise ReportFormatError(
                    self.source, f"column {name!r} appears twice in the header", line=1,
                    column=position + 1,
                )
            index[name] = position
        missing = [name for name in REPORT_COLUMNS if name not in index]
        if missing:
            raise ReportFormatError(
                self.source,
                f"missing required column {missing[0]!r}"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                + "; is this an IAM credential report?",
                line=1,
            )
        return index

    def _rows(
        self, reader: _csv.Reader, header: list[str], index: dict[str, int]
    ) -> Iterator[UserCredentials]:
        width = len(header)
        seen: dict[str, int] = {}
        odd_accounts: set[str] = set()
        previous_end = 1
        for cells in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not cells:
                continue
            if len(cells) != width:
                if cells == header or [c.strip() for c in cells] == list(index):
                    continue
                raise ReportFormatError(
                    self.source,
                    f"expected {width} fields, found {len(cells)}",
                    line=start,
                )
            if cells[0] == "user" and cells == header:
                continue
            row = _Row(self.source, index, cells, start)
            user = self._user(row)
            if user.arn in seen:
                self.warnings.add(
                    start,
                    f"user {user.user!r} ({user.arn}) already appeared on line "
                    f"{seen[user.arn]}; both rows are listed",
                )
            else:
                seen[user.arn] = start
            account = user.account_id
            if account not in odd_accounts and not (len(account) == 12 and account.isdigit()):
                odd_accounts.add(account)
                self.warnings.add(start, f"account ID {account!r} is not 12 digits")
            yield user

    def _user(self, row: _Row) -> UserCredentials:
        name = row.text("user")
        if not name:
            raise row.fail("user", "the user name is empty")
        arn, partition, account_id = _parse_arn(row)
        is_root = name == ROOT_USER_NAME or arn.endswith(":root")
        created = row.required_moment("user_creation_time")
        password = self._password(row, is_root)
        keys = tuple(
            key for slot in (1, 2) if (key := self._access_key(row, slot)) is not None
        )
        certs = tuple(
            cert for slot in (1, 2) if (cert := self._certificate(row, slot)) is not None
        )
        return UserCredentials(
            user=name,
            arn=arn,
            account_id=account_id,
            partition=partition,
            is_root=is_root,
            created=created,
            mfa_active=row.flag("mfa_active"),
            password=password,
            access_keys=keys,
            certificates=certs,
            line=row.line,
        )

    @staticmethod
    def _password(row: _Row, is_root: bool) -> Password | None:
        enabled = row.text("password_enabled")
        if enabled == _NOT_SUPPORTED:
            if not is_root:
                raise row.fail(
                    "password_enabled", "not_supported is only valid on the root user's row"
                )
            exists = True
        else:
            exists = row.flag("password_enabled")
        last_used = row.moment("password_last_used")
        set_at = row.moment("password_last_changed")
        if not exists:
            return None
        return Password(set_at=set_at, last_used=last_used)

    def _access_key(self, row: _Row, slot: int) -> AccessKey | None:
        prefix = f"access_key_{slot}_"
        active = row.flag(prefix + "active")
        created = row.moment(prefix + "last_rotated")
        used_at = row.moment(prefix + "last_used_date")
        if created is None:
            if active:
                self.warnings.add(
                    row.line,
                    f"{prefix}active is true but {prefix}last_rotated is "
                    f"{row.text(prefix + 'last_rotated')!r}; without a date the key "
                    "cannot be judged and is not listed",
                )
            return None
        last_use = (
            None
            if used_at is None
            else LastUse(
                at=used_at,
                region=row.optional_text(prefix + "last_used_region"),
                service=row.optional_text(prefix + "last_used_service"),
            )
        )
        return AccessKey(
            slot=slot,
            access_key_id=None,
            status=Status.ACTIVE if active else Status.INACTIVE,
            created=created,
            last_use=last_use,
        )

    @staticmethod
    def _certificate(row: _Row, slot: int) -> SigningCertificate | None:
        active = row.flag(f"cert_{slot}_active")
        created = row.moment(f"cert_{slot}_last_rotated")
        if not active and created is None:
            return None
        return SigningCertificate(
            slot=slot, status=Status.ACTIVE if active else Status.INACTIVE, created=created
        )
