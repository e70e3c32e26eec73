"""Findings over time: how many findings each account had in each recorded scan.

Pure: the points come from the history database (:meth:`stalecreds.history.History.trend`) and
from the scan at hand (:func:`scan_points`); the terminal (``stalecreds history``) and the HTML
report draw them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from stalecreds.assessment import Assessment

SPARK_LEVELS = "▁▂▃▄▅▆▇█"
"""The characters of a terminal sparkline, lowest first."""


class TrendPoint(NamedTuple):
    """The findings of one account in one scan.

    ``as_of`` is the scan's as-of time (aware UTC); ``findings`` counts that account's
    credentials with at least one finding rule.
    """

    account_id: str
    as_of: datetime
    findings: int


def scan_points(assessments: Iterable[Assessment], as_of: datetime) -> list[TrendPoint]:
    """The trend points of one scan: one per account it saw, by account ID.

    An account whose credentials have no finding gets a point with 0 findings.
    """
    findings: Counter[str] = Counter()
    for assessment in assessments:
        findings[assessment.owner.account_id] += 1 if assessment.finding_rules else 0
    return [TrendPoint(account, as_of, findings[account]) for account in sorted(findings)]


def by_account(points: Iterable[TrendPoint]) -> dict[str, list[TrendPoint]]:
    """Points grouped by account ID (accounts sorted), each account's points oldest first.

    Of several points of one account at the same time (the same report scanned again), the
    last one given is kept.
    """
    latest = {(point.account_id, point.as_of): point for point in points}
    grouped: dict[str, list[TrendPoint]] = {}
    for key in sorted(latest):
        grouped.setdefault(key[0], []).append(latest[key])
    return grouped


def running_total(series: dict[str, list[TrendPoint]]) -> list[tuple[datetime, int]]:
    """Findings across all the accounts of ``series`` at each scan time, oldest first.

    At each time any account was scanned, the sum of every account's latest count so far (an
    account not scanned yet adds nothing). Scans of an AWS Organization share one time, so
    this is then simply their sum.
    """
    events = sorted(
        (point.as_of, account, point.findings)
        for account, points in series.items()
        for point in points
    )
    latest: dict[str, int] = {}
    totals: list[tuple[datetime, int]] = []
    total = 0
    for moment, account, findings in events:
        total += findings - latest.get(account, 0)
        latest[account] = findings
        if totals and totals[-1][0] == moment:
            totals[-1] = (moment, total)
        else:
            totals.append((moment, total))
    return totals


def with_scan(
    history: Iterable[TrendPoint], assessments: Iterable[Assessment], as_of: datetime
) -> dict[str, list[TrendPoint]]:
    """The trend of the accounts of one scan: their points in ``history``, then the scan's own.

    Grouped as :func:`by_account`; accounts the scan did not see are left out.
    """
    now = scan_points(assessments, as_of)
    accounts = {point.account_id for point in now}
    return by_account([point for point in history if point.account_id in accounts] + now)


def previous_total(
    series: dict[str, list[TrendPoint]], as_of: datetime
) -> tuple[datetime, int] | None:
    """The latest :func:`running_total` entry before ``as_of``, or None if there is none."""
    earlier = [entry for entry in running_total(series) if entry[0] < as_of]
    return earlier[-1] if earlier else None


def sparkline(counts: Sequence[int]) -> str:
    """``counts`` as a row of :data:`SPARK_LEVELS` characters, scaled to the largest count.

    Zero is the lowest level; an empty sequence gives an empty string.
    """
    top = max(counts, default=0) or 1
    last = len(SPARK_LEVELS) - 1
    return "".join(SPARK_LEVELS[min(last, count * last // top)] for count in counts)
