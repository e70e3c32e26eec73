"""``stalecreds history`` output: the recorded history as two tables, or as JSON.

Per credential: when it was first seen unused and when (and how) it was resolved. Per account:
the number of scans, the trend of findings across them and the first and latest counts.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import IO

from stalecreds.history.store import CredentialHistory, ScanFindings
from stalecreds.history.trend import TrendPoint, by_account, sparkline


def history_json(credentials: list[CredentialHistory], scans: list[ScanFindings]) -> str:
    """The history as a JSON document: ``credentials`` and the per-account ``trend``.

    Trend entries carry the scan ID and the scan's maximum ages (null when not recorded).
    """
    return (
        json.dumps(
            {
                "credentials": [c._asdict() for c in credentials],
                "trend": [
                    {
                        "account_id": s.account_id,
                        "as_of": s.as_of.isoformat(),
                        "findings": s.findings,
                        "scan_id": s.scan_id,
                        "max_age_days": None
                        if s.thresholds is None
                        else {
                            "password": s.thresholds.password_days,
                            "access_key": s.thresholds.access_key_days,
                        },
                    }
                    for s in scans
                ],
            },
            indent=2,
        )
        + "\n"
    )


def render_history(
    credentials: list[CredentialHistory], scans: list[ScanFindings], out: IO[str]
) -> None:
    """The history as two tables: per credential, and findings per account per scan."""
    from rich.table import Table

    from stalecreds.formats.console import text_console

    console = text_console(out)
    table = Table(title=f"Credentials ({len(credentials)})", title_justify="left")
    for column in ("Account", "User", "Credential", "Latest", "First seen unused", "Resolved"):
        table.add_column(column, overflow="fold")
    for c in credentials:
        which = c.access_key_id or (f"slot {c.slot}" if c.slot else "")
        table.add_row(
            c.account_id,
            c.user,
            f"{c.kind} {which}".strip(),
            c.latest_verdict,
            (c.first_seen_unused or "")[:10],
            "" if c.resolved is None else f"{c.resolved[:10]} ({c.resolution})",
        )
    console.print(table)
    # One sparkline column per scan time of any account; "·" where an account was not scanned.
    # Of several scans of one account at one time, the last recorded one is drawn.
    series = by_account(TrendPoint(s.account_id, s.as_of, s.findings) for s in scans)
    times = sorted({s.as_of for s in scans})
    scan_count = Counter(s.account_id for s in scans)
    span = f", {times[0]:%Y-%m-%d} to {times[-1]:%Y-%m-%d}" if times else ""
    trends = Table(title=f"Findings per scan{span} (· not scanned)", title_justify="left")
    for column in ("Account", "Scans", "Trend", "First", "Latest"):
        trends.add_column(column, overflow="fold")
    for account, points in series.items():
        levels = sparkline([p.findings for p in points])
        drawn = dict(zip([p.as_of for p in points], levels, strict=True))
        first, latest = points[0], points[-1]
        trends.add_row(
            account,
            str(scan_count[account]),
            "".join(drawn.get(moment, "·") for moment in times),
            f"{first.findings} ({first.as_of:%Y-%m-%d})",
            f"{latest.findings} ({latest.as_of:%Y-%m-%d})",
        )
    console.print(trends)
