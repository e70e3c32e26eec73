"""Findings over time: how many findings each account had in each recorded scan.

Pure: the points come from the history database (:meth:`stalecreds.history.store.History.trend`) and
from the scan at hand (:func:`scan_points`); the terminal (``stalecreds history``) and the HTML
report draw them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from stalecreds.rules.assessment import Assessment

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
    """The trend up to one scan: its accounts' earlier points in ``history``, then its own.

    Grouped as :func:`by_account`. Accounts the scan did not see, and points at or after its
    ``as_of`` (a report judged as of an earlier time than scans already recorded), are left out.
    """
    now = scan_points(assessments, as_of)
    accounts = {point.account_id for point in now}
    earlier = [p for p in history if p.account_id in accounts and p.as_of < as_of]
    return by_account(earlier + now)


class Previous(NamedTuple):
    """The findings the accounts of a scan had at their previous scans.

    ``findings`` sums each account's latest count before the scan; ``accounts`` is how many of
    the scan's accounts had an earlier scan (of ``of``); ``as_of`` is the latest of those scans.
    """

    as_of: datetime
    findings: int
    accounts: int
    of: int


def previous(series: dict[str, list[TrendPoint]], as_of: datetime) -> Previous | None:
    """What :class:`Previous` says for ``series`` (:func:`with_scan`) and the scan at ``as_of``.

    None when no account has a point before ``as_of``.
    """
    earlier = [
        [point for point in points if point.as_of < as_of][-1:] for points in series.values()
    ]
    latest = [found[0] for found in earlier if found]
    if not latest:
        return None
    return Previous(
        max(point.as_of for point in latest),
        sum(point.findings for point in latest),
        len(latest),
        len(series),
    )


def most_changed(series: dict[str, list[TrendPoint]], limit: int) -> list[str]:
    """Up to ``limit`` account IDs, the largest change from first to latest point first.

    Ties go to the most findings now, then to the account ID: an account that got better or
    worse is drawn, not only the largest ones.
    """

    def rank(account: str) -> tuple[int, int, str]:
        points = series[account]
        return (-abs(points[-1].findings - points[0].findings), -points[-1].findings, account)

    return sorted(series, key=rank)[:limit]


def sparkline(counts: Sequence[int]) -> str:
    """``counts`` as a row of :data:`SPARK_LEVELS` characters, scaled to the largest count.

    Zero is the lowest level; an empty sequence gives an empty string.
    """
    top = max(counts, default=0) or 1
    last = len(SPARK_LEVELS) - 1
    return "".join(SPARK_LEVELS[min(last, count * last // top)] for count in counts)
