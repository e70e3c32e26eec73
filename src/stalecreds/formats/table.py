"""The view people read: findings first, grouped by user, then clean-up candidates, then the rest.

Dates are shown as ``YYYY-MM-DD`` with the age in days; the last line sums the scan up. Colour is
used only when writing to a terminal (see :mod:`stalecreds.formats.console`).

It fits the width it is given (:func:`~stalecreds.formats.console.output_width`): user names,
credentials (an access key ID is one word) and verdicts are never broken inside a word, and
reasons and dates wrap. When a section's table cannot fit that way it is printed stacked, one
block per user, instead of dropping columns. A section of more than :data:`LIST_LIMIT`
credentials is counted per account instead of listed, so the view takes time linear in the
report and memory bounded by the limit (JSON and CSV list every credential).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from itertools import groupby
from typing import TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from stalecreds.formats.base import ScanOutput, printable
from stalecreds.formats.console import text_console
from stalecreds.formats.findings import credential_label, day_and_age, sort_key
from stalecreds.formats.fit import Column, build_table, fit_widths
from stalecreds.rules.assessment import Assessment, FindingRule
from stalecreds.rules.verdicts import Verdict
from stalecreds.wording import plural

LIST_LIMIT = 1_000
"""A section (findings, clean-up candidates, other credentials) lists at most this many
credentials; a larger one is counted per account and verdict. rich lays a table row out in about
a millisecond, so this bounds the view at a few seconds and its memory at a few MiB."""

_VERDICT_STYLE = {
    Verdict.UNUSED: "bold red",
    Verdict.NEVER_USED: "bold red",
    Verdict.UNCERTAIN: "yellow",
    Verdict.UNKNOWN: "yellow",
    Verdict.IN_USE: "green",
    Verdict.NEW: "cyan",
    Verdict.UNTRACKED: "dim",
}


def _verdict_text(assessment: Assessment) -> str:
    exempt = " (exempt)" if assessment.owner.exemption is not None else ""
    return assessment.verdict.value + exempt


def _reason(assessment: Assessment) -> str:
    reason = assessment.reason
    if FindingRule.ROOT_ACCESS_KEY in assessment.finding_rules:
        reason += " The root user should have no access keys."
    return printable(reason)


def _print_listed(
    console: Console, title: str, rows: list[Assessment], scan: ScanOutput, *, reasons: bool
) -> None:
    """One section, every credential: a table when it fits, else one block per user."""
    rows = sorted(rows, key=sort_key)
    many_accounts = len({a.owner.account_id for a in rows}) > 1
    first = [i == 0 or sort_key(rows[i - 1])[:3] != sort_key(a)[:3] for i, a in enumerate(rows)]
    last = [*first[1:], True]
    columns: list[Column] = []
    if many_accounts:
        ids = [printable(a.owner.account_id) if f else "" for a, f in zip(rows, first, strict=True)]
        columns.append(Column("Account", ids))
    columns += [
        Column(
            "User", [printable(a.owner.user) if f else "" for a, f in zip(rows, first, strict=True)]
        ),
        Column("Credential", [printable(credential_label(a)) for a in rows], wrap=True, give=2),
        Column("Verdict", [_verdict_text(a) for a in rows], wrap=True, give=1),
        Column(
            "Last used",
            [day_and_age(a.last_used, scan.as_of, missing="never") for a in rows],
            wrap=True,
            jump=True,
        ),
        Column("Created", [day_and_age(a.created, scan.as_of) for a in rows], wrap=True, jump=True),
    ]
    if reasons:
        columns.append(Column("Reason", [_reason(a) for a in rows], flexible=True))
    widths = fit_widths(columns, console.width)
    if widths is not None:
        verdict_at = 3 if many_accounts else 2
        styles = [
            [_VERDICT_STYLE[a.verdict] if i == verdict_at else None for i in range(len(columns))]
            for a in rows
        ]
        console.print(build_table(title, columns, widths, styles, last))
        return
    console.print(Text(title, style="bold"))
    for _, group in groupby(rows, key=lambda a: sort_key(a)[:3]):
        members = list(group)
        owner = members[0].owner
        head = Text(printable(owner.user), style="bold")
        if many_accounts:
            head.append(f"  account {printable(owner.account_id)}")
        console.print(head)
        for assessment in members:
            line = Text(printable(credential_label(assessment)) + " · ")
            line.append(_verdict_text(assessment), style=_VERDICT_STYLE[assessment.verdict])
            console.print(Padding(line, (0, 0, 0, 2), expand=False))
            used = f"last used {day_and_age(assessment.last_used, scan.as_of, missing='never')}"
            created = f"created {day_and_age(assessment.created, scan.as_of)}"
            dates = [f"{used} · {created}"]
            if 4 + cell_len(dates[0]) > console.width:  # one line each: an age stays whole
                dates = [used, created]
            for text in dates:
                console.print(Padding(Text(text, style="dim"), (0, 0, 0, 4), expand=False))
            if reasons:
                console.print(Padding(Text(_reason(assessment)), (0, 0, 0, 4), expand=False))


def _verdict_counts(counts: Counter[Verdict]) -> str:
    return " · ".join(f"{counts[v]:,} {v.value.replace('_', ' ')}" for v in Verdict if counts[v])


def _print_counted(console: Console, title: str, section: _Section) -> None:
    """One section too long to list: its credentials counted per account and verdict."""
    accounts = sorted(section.by_account)
    columns = [
        Column("Account", [printable(a) for a in accounts]),
        Column("Credentials", [f"{section.by_account[a].total():,}" for a in accounts]),
        Column(
            "Verdicts", [_verdict_counts(section.by_account[a]) for a in accounts], flexible=True
        ),
    ]
    heading = f"{title}: more than {LIST_LIMIT:,}, counted per account"
    widths = fit_widths(columns, console.width)
    if widths is not None:
        console.print(build_table(heading, columns, widths))
        return
    console.print(Text(heading, style="bold"))
    for account in accounts:
        counts = section.by_account[account]
        console.print(Text(f"{printable(account)}: {_verdict_counts(counts)}"))


class _Section:
    """The credentials of one section, kept while they are few enough to list, always counted."""

    def __init__(self) -> None:
        self.rows: list[Assessment] | None = []
        self.count = 0
        self.by_account: dict[str, Counter[Verdict]] = {}

    def add(self, assessment: Assessment) -> None:
        self.count += 1
        account = assessment.owner.account_id
        counts = self.by_account.get(account)
        if counts is None:
            counts = self.by_account[account] = Counter()
        counts[assessment.verdict] += 1
        if self.rows is not None:
            self.rows.append(assessment)
            if len(self.rows) > LIST_LIMIT:
                self.rows = None  # counted from now on; memory stays bounded


def _print_section(
    console: Console, title: str, section: _Section, scan: ScanOutput, *, reasons: bool
) -> None:
    if section.rows is None:
        _print_counted(console, title, section)
    else:
        _print_listed(console, title, section.rows, scan, reasons=reasons)


def _account_cells(row: dict[str, object]) -> list[str]:
    error = row["error"]
    detail = ""
    if isinstance(error, dict):
        detail = f"{error['step']}: {error['action']} {error['code']}: {error['message']}"
    counts = ("" if row[k] is None else f"{row[k]:,}" for k in ("users", "credentials", "findings"))
    return [
        printable(str(row["account_id"] or "?")),
        printable(str(row["name"] or "")),
        str(row["status"]),
        *counts,
        printable(detail),
    ]


def _print_accounts(console: Console, rows: list[dict[str, object]]) -> None:
    """The accounts (or report files) of a scan of several, with each one's counts or error."""
    title = f"Accounts ({len(rows)})"
    cells = [_account_cells(row) for row in rows]
    headers = ("Account", "Name", "Status", "Users", "Credentials", "Findings", "Error")
    columns = [
        Column(header, [c[i] for c in cells], wrap=header == "Name", flexible=header == "Error")
        for i, header in enumerate(headers)
    ]
    styles = [
        [("bold red" if i == 2 and c[2] == "failed" else None) for i in range(7)] for c in cells
    ]
    widths = fit_widths(columns, console.width)
    if widths is not None:
        console.print(build_table(title, columns, widths, styles))
        return
    console.print(Text(title, style="bold"))
    for c in cells:
        name = f" ({c[1]})" if c[1] else ""
        line = Text(f"{c[0]}{name} · ")
        line.append(c[2], style="bold red" if c[2] == "failed" else "")
        if c[2] != "failed":
            line.append(f" · users {c[3]} · credentials {c[4]} · findings {c[5]}")
        console.print(line)
        if c[6]:
            console.print(Padding(Text(c[6]), (0, 0, 0, 2), expand=False))


def render_table(scan: ScanOutput, out: TextIO) -> None:
    """Write ``scan`` as rich tables (or stacked blocks) and a summary line to ``out``.

    Reads the scan once. Lists at most :data:`LIST_LIMIT` credentials per section.
    """
    console = text_console(out)
    sections = {"findings": _Section(), "cleanup": _Section(), "rest": _Section()}
    findings, cleanup, rest = sections.values()
    for assessment in scan:
        if assessment.finding_rules:
            findings.add(assessment)
        elif assessment.cleanup_candidate:
            cleanup.add(assessment)
        else:
            rest.add(assessment)
    source = scan.source
    console.print(Text(printable(source.title), style="bold"))
    facts = []
    if source.generated_time is not None:
        facts.append(f"generated {source.generated_time:%Y-%m-%d %H:%M} UTC")
    facts.append(f"judged as of {scan.as_of:%Y-%m-%d %H:%M} UTC")
    thresholds = scan.thresholds
    facts.append(
        f"unused after {thresholds.password_days} days (passwords), "
        f"{thresholds.access_key_days} days (access keys)"
    )
    console.print(Text(" · ".join(facts), style="dim"))
    console.print()
    if findings.count:
        _print_section(console, f"Findings ({findings.count:,})", findings, scan, reasons=True)
    else:
        console.print(Text("No findings: every working credential was used within its window."))
    if cleanup.count:
        console.print()
        title = f"Inactive access keys no longer used: clean-up candidates ({cleanup.count:,})"
        _print_section(console, title, cleanup, scan, reasons=False)
    if rest.count:
        console.print()
        _print_section(console, f"Other credentials ({rest.count:,})", rest, scan, reasons=False)
    if any(section.rows is None for section in sections.values()):
        console.print()
        console.print(
            Text(
                f"Sections of more than {LIST_LIMIT:,} credentials are counted, not listed: "
                "--format csv or --format json (with -o FILE) lists every credential.",
                style="dim",
            )
        )
    account_rows: Callable[[], list[dict[str, object]]] | None = getattr(scan, "account_rows", None)
    if account_rows is not None:
        console.print()
        _print_accounts(console, account_rows())
    console.print()
    summary = scan.summary
    line = (
        f"{plural(summary.users, 'user')} · {plural(summary.credentials, 'credential')} · "
        f"{plural(summary.findings, 'finding')} · "
        f"{plural(summary.cleanup_candidates, 'clean-up candidate')}"
    )
    console.print(Text(line, style="bold"))
    counts = _verdict_counts(Counter(summary.by_verdict))
    if counts:
        console.print(Text(f"Verdicts: {counts}", style="dim"))
