"""The history workflow: record a scan, read the trend for a report, read the whole history.

The store is :class:`stalecreds.history.History` (SQLite); these calls open and close it. Every
one raises :class:`~stalecreds.errors.HistoryError` when the database cannot be opened, read or
written; whether that stops a run is the caller's choice (``scan --history`` only warns).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stalecreds.errors import HistoryError
from stalecreds.formats.base import ScanOutput
from stalecreds.history.store import CredentialHistory, History, ScanFindings, default_history_path
from stalecreds.history.trend import TrendPoint
from stalecreds.rules.verdicts import Thresholds
from stalecreds.workflows.scan import now


def record_scan(result: ScanOutput, path: Path) -> int:
    """Record a complete scan ``result`` in the history at ``path``; returns the scan's ID.

    ``result`` is iterated (collect a lazy :class:`~stalecreds.report.scan.ReportScan` first
    if it must also be rendered); it is recorded as of its ``as_of``, with its source's name and
    maximum ages, at the current time. Creates the database (and its folder) when missing.
    """
    with History(path) as history:
        return history.record(
            result,
            as_of=result.as_of,
            recorded_at=now(),
            source=result.source.name,
            thresholds=result.thresholds,
        )


def past_trend(path: Path, thresholds: Thresholds) -> list[TrendPoint]:
    """Findings per account of the scans recorded at ``path`` judged with ``thresholds``.

    A trend compares like with like. Empty when there is no history yet.
    """
    if not path.exists():
        return []
    with History(path) as history:
        return history.trend(thresholds=thresholds)


@dataclass(frozen=True)
class HistoryRequest:
    """Which history to read: ``path``, or the default under the user data folder when None."""

    path: Path | None = None


@dataclass(frozen=True)
class HistoryView:
    """The recorded history: per credential (first seen unused, resolved) and per scan.

    ``credentials`` are sorted by account, user and credential; ``scans`` holds the findings of
    each account in each scan, oldest first.
    """

    path: Path
    credentials: list[CredentialHistory]
    scans: list[ScanFindings]


def read_history(request: HistoryRequest | None = None) -> HistoryView:
    """Read the whole history. Raises :class:`HistoryError`, also when there is none yet."""
    path = (request or HistoryRequest()).path or default_history_path()
    if not path.exists():
        raise HistoryError(f"{path}: no history yet; record scans with 'scan --history'")
    with History(path) as history:
        return HistoryView(path, history.credentials(), history.scan_findings())
