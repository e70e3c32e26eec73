"""Scan history in SQLite: what each scan saw, and how findings change over time.

Per credential: when it was first seen unused and when it stopped being a finding (and how);
per account: the number of findings in each scan. Each scan also records the maximum ages it
judged with, and each credential when it was created or last set, so that a key rotated into the
same report slot, or a scan with other maximum ages, is not taken for use.

The database (default ``<user data dir>/stalecreds/history.sqlite``) is versioned by
``PRAGMA user_version`` and migrated forward on open; it uses WAL journaling and a busy timeout,
so concurrent scans can record into it. Every error (corrupt file, lock held too long, newer
schema) is a :class:`HistoryError`; the CLI records history only after the scan's output is
written, so a history problem never loses a result.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from platformdirs import user_data_path

from stalecreds.errors import HistoryError as HistoryError  # its home before errors.py
from stalecreds.history.trend import TrendPoint
from stalecreds.model import AccessKey, CredentialKind, SigningCertificate
from stalecreds.rules.assessment import Assessment
from stalecreds.rules.verdicts import Thresholds

BUSY_TIMEOUT_MS = 30_000
"""How long a writer waits for another scan's write to finish."""

_MIGRATIONS = (
    """
    CREATE TABLE scans (
        id INTEGER PRIMARY KEY,
        as_of TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        source TEXT NOT NULL
    );
    CREATE TABLE observations (
        scan_id INTEGER NOT NULL REFERENCES scans(id),
        credential TEXT NOT NULL,
        account_id TEXT NOT NULL,
        user TEXT NOT NULL,
        arn TEXT NOT NULL,
        kind TEXT NOT NULL,
        slot INTEGER,
        access_key_id TEXT,
        status TEXT,
        verdict TEXT NOT NULL,
        finding INTEGER NOT NULL,
        last_used TEXT
    );
    CREATE INDEX observations_by_credential ON observations(credential, scan_id);
    CREATE INDEX observations_by_scan ON observations(scan_id);
    """,
    # 2: the maximum ages each scan judged with, and when each credential was created or last
    # set (report access_key_N_last_rotated / password_last_changed); NULL in older rows.
    """
    ALTER TABLE scans ADD COLUMN password_max_age_days INTEGER;
    ALTER TABLE scans ADD COLUMN access_key_max_age_days INTEGER;
    ALTER TABLE observations ADD COLUMN created TEXT;
    CREATE INDEX observations_by_account ON observations(account_id, scan_id);
    """,
)
"""Schema migrations; migration ``n`` brings ``user_version`` from ``n`` to ``n + 1``.

Only ever append: a released migration is never changed.
"""

_OBSERVATION_COLUMNS = (
    "scan_id, credential, account_id, user, arn, kind, slot, access_key_id, status, verdict, "
    "finding, last_used, created"
)


def default_history_path() -> Path:
    """Where the history lives unless ``--history PATH`` says otherwise."""
    return user_data_path("stalecreds", appauthor=False) / "history.sqlite"


def history_file(option: str) -> Path:
    """The database a ``--history [PATH]`` option names: PATH, or the default for a bare flag."""
    return Path(option) if option else default_history_path()


def credential_key(assessment: Assessment) -> str:
    """A stable name for a credential across scans: account, ARN, kind and key ID or slot."""
    owner = assessment.owner
    credential = assessment.credential
    if isinstance(credential, AccessKey):
        which = credential.access_key_id or f"slot{credential.slot}"
    elif isinstance(credential, SigningCertificate):
        which = f"cert{credential.slot}"
    else:
        which = "password"
    return f"{owner.account_id}|{owner.arn}|{assessment.kind.value}|{which}"


class CredentialHistory(NamedTuple):
    """One credential over time.

    When it was first seen unused, last seen, its latest verdict, and when it stopped being a
    finding (``resolved``: the first scan after its last finding that saw its account, through
    any credential): all ISO 8601 UTC ``as_of`` times of scans. ``resolution`` says how, as that
    scan saw it compared with the last finding, first match wins:

    * ``removed``: the key, password or certificate was gone;
    * ``replaced``: it was created or set again (a report key rotated into the same slot, a
      password set again): the credential that was a finding is gone;
    * ``deactivated``: the key was ``Inactive``;
    * ``used again``: a later last use than at the last finding;
    * ``no longer a finding (max age changed)``: nothing of the above, and that scan judged
      with another maximum age for this kind of credential than the last finding's scan;
    * ``no longer a finding``: nothing of the above (for example now exempt).

    None while unresolved. Rows recorded before schema 2 have no creation time or maximum ages;
    for them ``replaced`` and ``max age changed`` cannot be told.
    """

    account_id: str
    user: str
    kind: str
    access_key_id: str | None
    slot: int | None
    first_seen_unused: str | None
    last_seen: str
    latest_verdict: str
    resolved: str | None
    resolution: str | None


class ScanFindings(NamedTuple):
    """The findings of one account in one recorded scan, with the scan's ID and maximum ages.

    ``thresholds`` is None for scans recorded before schema 2 (or without known maximum ages).
    """

    scan_id: int
    account_id: str
    as_of: datetime
    findings: int
    thresholds: Thresholds | None


class History:
    """An open history database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._migrate()
        except (sqlite3.Error, OSError) as error:
            raise HistoryError(f"{self.path}: cannot open the history database: {error}") from None

    def _version(self) -> int:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(_MIGRATIONS):
            raise HistoryError(
                f"{self.path}: the history was written by a newer stalecreds "
                f"(schema {version}; this one knows {len(_MIGRATIONS)})"
            )
        return version

    def _migrate(self) -> None:
        """Apply the missing migrations, each in its own write transaction.

        The version is read again inside each transaction, so two processes opening an old
        database at once do not both apply a migration.
        """
        if self._version() == len(_MIGRATIONS):
            return
        while True:
            with self._transaction():
                version = self._version()
                if version == len(_MIGRATIONS):
                    return
                for statement in _MIGRATIONS[version].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {version + 1}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record(
        self,
        assessments: Iterable[Assessment],
        *,
        as_of: datetime,
        recorded_at: datetime,
        source: str,
        thresholds: Thresholds | None = None,
    ) -> int:
        """Record one scan's credentials in one transaction; returns the scan's ID.

        ``thresholds`` are the maximum ages the scan judged with; by default those of
        ``assessments`` when it is a scan (it has a ``thresholds`` attribute, as
        :class:`~stalecreds.report.scan.ScanResult` has), else unknown (NULL).
        """
        if thresholds is None:
            thresholds = getattr(assessments, "thresholds", None)
        if not isinstance(thresholds, Thresholds):
            thresholds = None
        try:
            with self._transaction():
                cursor = self._db.execute(
                    "INSERT INTO scans (as_of, recorded_at, source, password_max_age_days, "
                    "access_key_max_age_days) VALUES (?, ?, ?, ?, ?)",
                    (
                        as_of.isoformat(),
                        recorded_at.isoformat(),
                        source,
                        None if thresholds is None else thresholds.password_days,
                        None if thresholds is None else thresholds.access_key_days,
                    ),
                )
                scan_id = int(cursor.lastrowid or 0)
                self._db.executemany(
                    f"INSERT INTO observations ({_OBSERVATION_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (_row(scan_id, a) for a in assessments),
                )
        except sqlite3.Error as error:
            raise HistoryError(f"{self.path}: cannot record the scan: {error}") from None
        return scan_id

    def _read(self, query: str) -> list[Any]:
        try:
            return self._db.execute(query).fetchall()
        except sqlite3.Error as error:
            raise HistoryError(f"{self.path}: cannot read the history: {error}") from None

    def credentials(self) -> list[CredentialHistory]:
        """Every credential ever recorded, with its first unused and resolved times.

        Sorted by account, user, kind and slot. One ordered pass over the observations and
        each account's scan times: about linear in the size of the history.
        """
        scans: dict[int, _Scan] = {
            scan_id: _Scan(as_of, _thresholds(password_days, access_key_days))
            for scan_id, as_of, password_days, access_key_days in self._read(
                "SELECT id, as_of, password_max_age_days, access_key_max_age_days FROM scans"
            )
        }
        # The scans that saw each account (through any credential), in time order.
        account_scans: dict[str, list[tuple[str, int]]] = {}
        for account, scan_id in self._read("SELECT DISTINCT account_id, scan_id FROM observations"):
            account_scans.setdefault(account, []).append((scans[scan_id].as_of, scan_id))
        account_times: dict[str, list[str]] = {}
        for account, seen in account_scans.items():
            seen.sort()
            account_times[account] = [as_of for as_of, _ in seen]
        rows = [
            _Observation(*row)
            for row in self._read(
                f"SELECT {_READ_COLUMNS} FROM observations o JOIN scans s ON s.id = o.scan_id "
                "ORDER BY o.credential, s.as_of, s.id"
            )
        ]
        found: list[tuple[tuple[object, ...], CredentialHistory]] = []
        start = 0
        while start < len(rows):
            end = start + 1
            while end < len(rows) and rows[end].credential == rows[start].credential:
                end += 1
            account = rows[start].account_id
            history = _credential(
                rows[start:end], scans, account_scans[account], account_times[account]
            )
            slot = history.slot
            order = (account, history.user, history.kind, slot is not None, slot or 0)
            found.append(((*order, rows[start].credential), history))
            start = end
        found.sort(key=lambda entry: entry[0])
        return [history for _, history in found]

    def inactive_since(self) -> dict[str, datetime]:
        """When each access key still ``Inactive`` was first seen so, by access key ID.

        For a key whose latest observation is not ``Active``: the ``as_of`` of the first scan of
        that unbroken run (aware UTC).
        """
        rows = self._read(
            """
            SELECT o.access_key_id, s.as_of, o.status FROM observations o
            JOIN scans s ON s.id = o.scan_id
            WHERE o.access_key_id IS NOT NULL ORDER BY o.access_key_id, s.as_of
            """
        )
        since: dict[str, datetime] = {}
        for key_id, as_of, status in rows:
            if status == "Active":
                since.pop(key_id, None)
            elif key_id not in since:
                since[key_id] = datetime.fromisoformat(as_of)
        return since

    def scan_findings(self, *, thresholds: Thresholds | None = None) -> list[ScanFindings]:
        """Findings per account per scan, with scan IDs, oldest first (then in recorded order).

        With ``thresholds``, only scans judged with those maximum ages, and scans recorded
        before schema 2 (their maximum ages are unknown: NULL).
        """
        rows = self._read(
            """
            SELECT s.id, o.account_id, s.as_of, SUM(o.finding), s.password_max_age_days,
                s.access_key_max_age_days
            FROM observations o JOIN scans s ON s.id = o.scan_id
            GROUP BY o.account_id, s.id ORDER BY s.as_of, s.id, o.account_id
            """
        )
        points = [
            ScanFindings(
                scan_id,
                account,
                datetime.fromisoformat(as_of),
                findings,
                _thresholds(password_days, access_key_days),
            )
            for scan_id, account, as_of, findings, password_days, access_key_days in rows
        ]
        if thresholds is None:
            return points
        return [p for p in points if p.thresholds is None or p.thresholds == thresholds]

    def trend(self, *, thresholds: Thresholds | None = None) -> list[TrendPoint]:
        """Findings per account per scan, oldest first (scans of one time in recorded order).

        With ``thresholds``, only scans judged with those maximum ages, and scans recorded
        before schema 2, whose maximum ages are unknown (they are kept, not guessed away).
        """
        return [
            TrendPoint(p.account_id, p.as_of, p.findings)
            for p in self.scan_findings(thresholds=thresholds)
        ]


class _Scan(NamedTuple):
    as_of: str
    thresholds: Thresholds | None


def _thresholds(password_days: int | None, access_key_days: int | None) -> Thresholds | None:
    if password_days is None or access_key_days is None:
        return None
    try:
        return Thresholds(password_days, access_key_days)
    except ValueError:
        return None


class _Observation(NamedTuple):
    credential: str
    account_id: str
    user: str
    kind: str
    access_key_id: str | None
    slot: int | None
    status: str | None
    verdict: str
    finding: int
    last_used: str | None
    created: str | None
    scan_id: int


_READ_COLUMNS = ", ".join(f"o.{name}" for name in _Observation._fields)

_UNUSED_VERDICTS = frozenset({"unused", "never_used", "uncertain"})


def _credential(
    rows: list[_Observation],
    scans: dict[int, _Scan],
    account_scans: list[tuple[str, int]],
    account_times: list[str],
) -> CredentialHistory:
    """One credential's history from its observations and its account's scans, oldest first."""
    latest = rows[-1]
    first_unused = next(
        (scans[r.scan_id].as_of for r in rows if r.verdict in _UNUSED_VERDICTS), None
    )
    finding = next((r for r in reversed(rows) if r.finding), None)
    resolved = resolution = None
    if finding is not None:
        # The first scan of the account after the last finding (scans of one time: the last).
        index = bisect_right(account_times, scans[finding.scan_id].as_of)
        if index < len(account_times):
            resolved = account_times[index]
            while index + 1 < len(account_times) and account_times[index + 1] == resolved:
                index += 1
            then = next((r for r in reversed(rows) if scans[r.scan_id].as_of == resolved), None)
            resolving_scan = scans[account_scans[index][1] if then is None else then.scan_id]
            resolution = _resolution(finding, then, scans[finding.scan_id], resolving_scan)
    return CredentialHistory(
        latest.account_id,
        latest.user,
        latest.kind,
        latest.access_key_id,
        latest.slot,
        first_unused,
        scans[latest.scan_id].as_of,
        latest.verdict,
        resolved,
        resolution,
    )


def _resolution(
    finding: _Observation, then: _Observation | None, finding_scan: _Scan, resolving_scan: _Scan
) -> str:
    """How a finding was resolved: see :class:`CredentialHistory`."""
    if then is None:
        return "removed"
    if finding.created and then.created and _time(then.created) != _time(finding.created):
        return "replaced"
    if then.status == "Inactive":
        return "deactivated"
    if then.last_used and (
        not finding.last_used or _time(then.last_used) > _time(finding.last_used)
    ):
        return "used again"
    if _max_age_changed(finding.kind, finding_scan.thresholds, resolving_scan.thresholds):
        return "no longer a finding (max age changed)"
    return "no longer a finding"


def _time(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _max_age_changed(kind: str, before: Thresholds | None, after: Thresholds | None) -> bool:
    if before is None or after is None:
        return False
    if kind == CredentialKind.PASSWORD.value:
        return before.password_days != after.password_days
    if kind == CredentialKind.ACCESS_KEY.value:
        return before.access_key_days != after.access_key_days
    return before != after


def _row(scan_id: int, assessment: Assessment) -> tuple[object, ...]:
    owner = assessment.owner
    credential = assessment.credential
    slot = credential.slot if isinstance(credential, AccessKey | SigningCertificate) else None
    key_id = credential.access_key_id if isinstance(credential, AccessKey) else None
    status = assessment.status
    return (
        scan_id,
        credential_key(assessment),
        owner.account_id,
        owner.user,
        owner.arn,
        assessment.kind.value,
        slot,
        key_id,
        None if status is None else status.value,
        assessment.verdict.value,
        int(bool(assessment.finding_rules)),
        None if assessment.last_used is None else assessment.last_used.isoformat(),
        None if assessment.created is None else assessment.created.isoformat(),
    )
