"""Scan history in SQLite: what each scan saw, and how findings change over time.

Per credential: when it was first seen unused and when it stopped being a finding; per account:
the number of findings in each scan.

The database (default ``<user data dir>/stalecreds/history.sqlite``) is versioned by
``PRAGMA user_version`` and migrated forward on open; it uses WAL journaling and a busy timeout,
so concurrent scans can record into it. Every error (corrupt file, lock held too long, newer
schema) is a :class:`HistoryError`; the CLI records history only after the scan's output is
written, so a history problem never loses a result.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from platformdirs import user_data_path

from stalecreds.assessment import Assessment
from stalecreds.errors import StalecredsError
from stalecreds.model import AccessKey, SigningCertificate
from stalecreds.trend import TrendPoint

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
)
"""Schema migrations; migration ``n`` brings ``user_version`` from ``n`` to ``n + 1``."""


class HistoryError(StalecredsError):
    """The history database cannot be opened, migrated, read or written."""


def default_history_path() -> Path:
    """Where the history lives unless ``--history PATH`` says otherwise."""
    return user_data_path("stalecreds", appauthor=False) / "history.sqlite"


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
    finding (``resolved``: the first later scan that saw its account, through any credential,
    without this one being a finding): all ISO 8601 UTC ``as_of`` times of scans. ``resolution``
    says how, as that scan saw it: ``removed`` (the key or password was gone), ``deactivated``
    (the key was ``Inactive``), ``used again`` (in use or new), or ``no longer a finding``
    (for example exempt, or a longer maximum age); None while unresolved.
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
            raise HistoryError(f"{path}: cannot open the history database: {error}") from None

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(_MIGRATIONS):
            raise HistoryError(
                f"{self.path}: the history was written by a newer stalecreds "
                f"(schema {version}; this one knows {len(_MIGRATIONS)})"
            )
        for number in range(version, len(_MIGRATIONS)):
            with self._transaction():
                for statement in _MIGRATIONS[number].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number + 1}")

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
    ) -> int:
        """Record one scan's credentials in one transaction; returns the scan's ID."""
        try:
            with self._transaction():
                cursor = self._db.execute(
                    "INSERT INTO scans (as_of, recorded_at, source) VALUES (?, ?, ?)",
                    (as_of.isoformat(), recorded_at.isoformat(), source),
                )
                scan_id = int(cursor.lastrowid or 0)
                self._db.executemany(
                    "INSERT INTO observations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (_row(scan_id, a) for a in assessments),
                )
        except sqlite3.Error as error:
            raise HistoryError(f"{self.path}: cannot record the scan: {error}") from None
        return scan_id

    def credentials(self) -> list[CredentialHistory]:
        """Every credential ever recorded, with its first unused and resolved times."""
        query = """
            WITH seen AS (
                SELECT o.*, s.as_of FROM observations o JOIN scans s ON s.id = o.scan_id
            ),
            c AS (
                SELECT credential, account_id, user, kind, access_key_id, slot,
                    MAX(as_of) AS last_seen FROM seen GROUP BY credential
            ),
            r AS (
                SELECT c.*,
                    (SELECT MIN(as_of) FROM seen u WHERE u.credential = c.credential
                        AND u.verdict IN ('unused', 'never_used', 'uncertain')) AS first_unused,
                    (SELECT verdict FROM seen v WHERE v.credential = c.credential
                        ORDER BY as_of DESC LIMIT 1) AS latest_verdict,
                    (SELECT MIN(a.as_of) FROM seen a WHERE a.account_id = c.account_id
                        AND a.as_of > (
                            SELECT MAX(as_of) FROM seen f WHERE f.credential = c.credential
                                AND f.finding = 1)
                        AND NOT EXISTS (SELECT 1 FROM seen g WHERE g.credential = c.credential
                            AND g.as_of = a.as_of AND g.finding = 1)) AS resolved
                FROM c
            )
            SELECT r.account_id, r.user, r.kind, r.access_key_id, r.slot, r.first_unused,
                r.last_seen, r.latest_verdict, r.resolved,
                CASE
                    WHEN r.resolved IS NULL THEN NULL
                    WHEN then_seen.verdict IS NULL THEN 'removed'
                    WHEN then_seen.status = 'Inactive' THEN 'deactivated'
                    WHEN then_seen.verdict IN ('in_use', 'new') THEN 'used again'
                    ELSE 'no longer a finding'
                END
            FROM r LEFT JOIN seen then_seen
                ON then_seen.credential = r.credential AND then_seen.as_of = r.resolved
            GROUP BY r.credential
            ORDER BY r.account_id, r.user, r.kind, r.slot
        """
        try:
            rows = self._db.execute(query).fetchall()
        except sqlite3.Error as error:
            raise HistoryError(f"{self.path}: cannot read the history: {error}") from None
        return [CredentialHistory(*row) for row in rows]

    def inactive_since(self) -> dict[str, datetime]:
        """When each access key still ``Inactive`` was first seen so, by access key ID.

        For a key whose latest observation is not ``Active``: the ``as_of`` of the first scan of
        that unbroken run (aware UTC).
        """
        query = """
            SELECT o.access_key_id, s.as_of, o.status FROM observations o
            JOIN scans s ON s.id = o.scan_id
            WHERE o.access_key_id IS NOT NULL ORDER BY o.access_key_id, s.as_of
        """
        try:
            rows = self._db.execute(query).fetchall()
        except sqlite3.Error as error:
            raise HistoryError(f"{self.path}: cannot read the history: {error}") from None
        since: dict[str, datetime] = {}
        for key_id, as_of, status in rows:
            if status == "Active":
                since.pop(key_id, None)
            elif key_id not in since:
                since[key_id] = datetime.fromisoformat(as_of)
        return since

    def trend(self) -> list[TrendPoint]:
        """Findings per account per scan, oldest first (scans of one time in recorded order)."""
        query = """
            SELECT o.account_id, s.as_of, SUM(o.finding) FROM observations o
            JOIN scans s ON s.id = o.scan_id GROUP BY o.account_id, s.id ORDER BY s.as_of, s.id
        """
        try:
            rows = self._db.execute(query).fetchall()
        except sqlite3.Error as error:
            raise HistoryError(f"{self.path}: cannot read the history: {error}") from None
        return [
            TrendPoint(account, datetime.fromisoformat(as_of), findings)
            for account, as_of, findings in rows
        ]


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
    )
