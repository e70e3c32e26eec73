"""HTML: one self-contained report file (``--format html --output report.html``).

The page holds everything it shows: CSS and a small script (``html_assets/``) inline, charts
as inline SVG (``html_charts``), no fonts, images or requests. A Content-Security-Policy allows
only that one stylesheet and that one script (by SHA-256 hash) and nothing from anywhere, so the
page can make no network request even if a value slipped through escaping. Every value from
the report is HTML-escaped.

It shows, in order:

* the headline numbers (users, credentials, findings, clean-up candidates) and verdict counts;
* a chart of credentials by verdict per account (stacked bars, the :data:`MAX_CHART_ACCOUNTS`
  largest accounts; the rest in one bar), and a histogram of days since last use of passwords
  and access keys (stacked by kind; never-used ones in their own bar);
* with the scan history (``scan --history --format html``): findings over time up to this
  scan, a line per account (the :data:`~stalecreds.formats.html_charts.MAX_TREND_LINES` whose
  findings changed most; the note gives all accounts' total), and the accounts' count at their
  previous scans beside the findings (saying so when some accounts are new);
* the report's warnings, collapsed;
* a table of every credential (findings first) that sorts by any column and filters by
  verdict, account, kind, user (name or ARN, substring) and "findings only". The filters and
  sort are kept in the URL fragment (``#verdict=unused&account=…&kind=access_key&user=bob&
  findings=1&sort=last_used&dir=desc``), so a link can open the report filtered.

Dates are UTC days with the age in whole days before the as-of time. The table reads well
without JavaScript and prints without the controls.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from importlib import resources
from typing import TextIO

from stalecreds import __version__
from stalecreds.formats.base import ScanOutput
from stalecreds.formats.findings import credential_label, sort_key
from stalecreds.formats.html_charts import (
    CHARTED_KINDS,
    KIND_NAMES,
    MAX_TREND_LINES,
    accounts_chart,
    age_chart,
    trend_chart,
)
from stalecreds.formats.html_charts import esc as _e
from stalecreds.history.trend import (
    Previous,
    TrendPoint,
    most_changed,
    previous,
    running_total,
    with_scan,
)
from stalecreds.model import CredentialKind
from stalecreds.rules.assessment import Assessment, FindingRule
from stalecreds.rules.verdicts import Verdict
from stalecreds.wording import plural

_ROW_BATCH = 1000
"""Table rows joined per write to the output stream."""

_RULE_LABELS = {
    FindingRule.UNUSED_CREDENTIAL: "unused credential",
    FindingRule.ROOT_ACCESS_KEY: "root access key",
    FindingRule.ROOT_CREDENTIALS_PRESENT: "root credential present",
}


@cache
def _asset(name: str) -> str:
    return resources.files("stalecreds.formats").joinpath("html_assets", name).read_text("utf-8")


def _csp_hash(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return f"'sha256-{digest}'"


# --- the table ----------------------------------------------------------------------------------

_COLUMNS = (
    ("account", "Account", "text"),
    ("user", "User", "text"),
    ("credential", "Credential", "text"),
    ("verdict", "Verdict", "text"),
    ("finding", "Finding", "number"),
    ("last_used", "Last used", "text"),
    ("created", "Created", "text"),
    ("reason", "Reason", "text"),
)
"""Table columns: ``(key, heading, sort type)``. The key names the column in the fragment."""


def _moment_cell(moment: datetime | None, as_of: datetime, missing: str) -> str:
    if moment is None:
        return f'<td class="nowrap" data-v="">{missing}</td>'
    stamp = moment.isoformat()
    return (
        f'<td class="nowrap" data-v="{_e(stamp)}"><time datetime="{_e(stamp)}" '
        f'title="{moment:%Y-%m-%d %H:%M:%S} UTC">{moment.date().isoformat()}</time> '
        f'<span class="age">({(as_of - moment).days:,} d)</span></td>'
    )


def _finding_cell(assessment: Assessment) -> str:
    if assessment.finding_rules:
        badges = " ".join(
            f'<span class="badge finding" title="finding rule {_e(rule.value)}">'
            f"{_e(_RULE_LABELS[rule])}</span>"
            for rule in assessment.finding_rules
        )
        return f'<td data-v="2">{badges}</td>'
    if assessment.cleanup_candidate:
        return '<td data-v="1"><span class="badge cleanup">clean-up candidate</span></td>'
    if assessment.exemption is not None:
        return (
            f'<td data-v="0"><span class="badge exempt" title="{_e(assessment.exemption)}">'
            "exempt</span></td>"
        )
    return '<td data-v="0"></td>'


def _row(index: int, assessment: Assessment, as_of: datetime) -> str:
    owner = assessment.owner
    verdict = assessment.verdict.value
    reason = assessment.reason
    if assessment.exemption is not None:
        reason = f"Exempt: {assessment.exemption}. {reason}"
    css = ' class="finding"' if assessment.finding_rules else ""
    return (
        f'<tr{css} data-i="{index}" data-verdict="{_e(verdict)}" '
        f'data-account="{_e(owner.account_id)}" data-kind="{_e(assessment.kind.value)}" '
        f'data-user="{_e(owner.user)}" data-arn="{_e(owner.arn)}" '
        f'data-finding="{1 if assessment.finding_rules else 0}">'
        f'<td class="nowrap">{_e(owner.account_id)}</td>'
        f'<td title="{_e(owner.arn)}">{_e(owner.user)}</td>'
        f"<td>{_e(credential_label(assessment))}</td>"
        f'<td data-v="{_e(verdict)}"><span class="chip v-{_e(verdict)}">'
        f"{_e(verdict.replace('_', ' '))}</span></td>"
        f"{_finding_cell(assessment)}"
        f"{_moment_cell(assessment.last_used, as_of, 'never')}"
        f"{_moment_cell(assessment.created, as_of, '-')}"
        f'<td class="reason">{_e(reason)}</td>'
        "</tr>"
    )


def _options(name: str, label: str, choices: Iterable[tuple[str, str]]) -> str:
    options = ['<option value="">All</option>'] + [
        f'<option value="{_e(value)}">{_e(text)}</option>' for value, text in choices
    ]
    return f'<label>{_e(label)}<select name="{name}">{"".join(options)}</select></label>'


def _table_head(assessments: list[Assessment]) -> str:
    """The filters, the row count and the table up to ``<tbody>``."""
    verdicts = Counter(a.verdict for a in assessments)
    accounts = Counter(a.owner.account_id for a in assessments)
    kinds = Counter(a.kind for a in assessments)
    controls = [
        '<form class="filters" id="filters" role="search" aria-label="Filter credentials">',
        _options(
            "verdict",
            "Verdict",
            (
                (v.value, f"{v.value.replace('_', ' ')} ({verdicts[v]:,})")
                for v in Verdict
                if verdicts[v]
            ),
        ),
        _options("account", "Account", ((a, f"{a} ({accounts[a]:,})") for a in sorted(accounts))),
        _options(
            "kind",
            "Kind",
            ((k.value, f"{KIND_NAMES[k]} ({kinds[k]:,})") for k in CredentialKind if kinds[k]),
        ),
        '<label>User<input type="search" name="user" placeholder="name or ARN" '
        'autocomplete="off" spellcheck="false"></label>',
        '<label class="check"><input type="checkbox" name="findings" value="1">'
        "Findings only</label>",
        '<button type="reset">Clear</button>',
        "</form>",
    ]
    heads = "".join(
        f'<th scope="col" data-key="{key}" data-type="{kind}" aria-sort="none">'
        f'<button type="button">{heading}</button></th>'
        for key, heading, kind in _COLUMNS
    )
    total = len(assessments)
    return "\n".join(
        [
            *controls,
            f'<p id="shown" aria-live="polite" data-count="{total}">'
            f"Showing {total} of {total} credentials</p>",
            "<noscript><p>Sorting and filtering need JavaScript; the table below is complete "
            "without it.</p></noscript>",
            '<div class="table-wrap">',
            '<table class="credentials" id="credentials">',
            f"<thead><tr>{heads}</tr></thead>",
            "<tbody>",
        ]
    )


def _write_rows(assessments: list[Assessment], as_of: datetime, out: TextIO) -> None:
    """One ``<tr>`` per credential, findings first, then clean-up candidates, then the rest."""
    ordered = sorted(
        assessments, key=lambda a: (not a.finding_rules, not a.cleanup_candidate, sort_key(a))
    )
    batch: list[str] = []
    for index, assessment in enumerate(ordered):
        batch.append(_row(index, assessment, as_of))
        if len(batch) >= _ROW_BATCH:
            out.write("\n".join(batch) + "\n")
            batch.clear()
    if batch:
        out.write("\n".join(batch) + "\n")


def _table_tail(total: int) -> str:
    return (
        "</tbody>\n</table>\n</div>\n"
        f'<p id="empty"{" hidden" if total else ""}>No credential matches the filters.</p>'
    )


# --- the page -----------------------------------------------------------------------------------


def _headline(scan: ScanOutput, before: Previous | None) -> str:
    """The numbers; ``before`` is the findings of these accounts at their previous scans."""
    summary = scan.summary
    findings = "finding" if summary.findings == 1 else "findings"
    if before is not None:
        some = (
            "" if before.accounts == before.of else f" ({before.accounts} of {before.of} accounts)"
        )
        findings += (
            f'<span class="was">{before.findings:,} at the previous scan, '
            f"{before.as_of:%Y-%m-%d}{some}</span>"
        )
    stats = [
        ("findings", summary.findings, findings),
        ("cleanup", summary.cleanup_candidates, "clean-up candidates"),
        ("credentials", summary.credentials, "credentials"),
        ("users", summary.users, "users"),
    ]
    cards = "".join(
        f'<div class="stat {css}" id="stat-{css}"><span class="n">{count:,}</span>'
        f'<span class="l">{label}</span></div>'
        for css, count, label in stats
    )
    chips = "".join(
        f'<li><span class="chip v-{v.value}">{v.value.replace("_", " ")}: {count:,}</span></li>'
        for v in Verdict
        if (count := summary.by_verdict[v])
    )
    return (
        f'<section class="headline" aria-label="Summary">{cards}</section>\n'
        f'<ul class="verdicts" aria-label="Credentials by verdict">{chips}</ul>'
    )


def _warnings(scan: ScanOutput) -> str:
    log = scan.warnings
    if not len(log):
        return ""
    items = "".join(
        f"<li>{'' if w.line is None else f'line {w.line}: '}{_e(w.message)}</li>" for w in log.items
    )
    if log.dropped:
        items += f"<li>… and {log.dropped:,} more</li>"
    return (
        f'<details class="warnings"><summary>Warnings ({len(log):,})</summary>'
        f"<ul>{items}</ul></details>"
    )


def _trend_figure(series: dict[str, list[TrendPoint]], as_of: datetime) -> str:
    """The "Findings over time" figure of :func:`stalecreds.history.trend.with_scan`'s ``series``.

    The :data:`MAX_TREND_LINES` accounts whose findings changed most get a line each; the
    note gives all accounts' total (each account's latest count carried forward) when more
    accounts were scanned than are drawn.
    """
    drawn = {account: series[account] for account in most_changed(series, MAX_TREND_LINES)}
    earlier = len({p.as_of for points in series.values() for p in points if p.as_of != as_of})
    if not earlier:
        note = (
            "Only this scan so far: later scans recorded with <code>--history</code> "
            "draw the trend."
        )
    else:
        note = f"This scan and {plural(earlier, 'earlier scan')} recorded in the history."
        if len(series) > len(drawn):
            totals = running_total(series)
            note += (
                f" A line each for the {len(drawn)} accounts whose findings changed most; all "
                f"{len(series):,} accounts: {totals[0][1]:,} → {totals[-1][1]:,}."
            )
    return (
        "<figure>\n<figcaption>Findings over time</figcaption>\n"
        f"{trend_chart(drawn)}\n"
        f'<p class="note">{note}</p>\n</figure>'
    )


def render_html(
    scan: ScanOutput, out: TextIO, *, history: Sequence[TrendPoint] | None = None
) -> None:
    """Write ``scan`` to ``out`` as one self-contained HTML page (this module's docstring).

    With ``history`` (earlier scans' findings per account, from the history database), the page
    also charts findings over time, this scan included.
    """
    assessments = list(scan)
    as_of = scan.as_of
    series = None if history is None else with_scan(history, assessments, as_of)
    before = None if series is None else previous(series, as_of)
    source = scan.source
    thresholds = scan.thresholds
    css = _asset("report.css")
    script = _asset("report.js")
    policy = (
        f"default-src 'none'; style-src {_csp_hash(css)}; script-src {_csp_hash(script)}; "
        "img-src 'none'; base-uri 'none'; form-action 'none'"
    )
    facts = [
        f"Credential report <code>{_e(source.name)}</code>" if source.is_file else _e(source.title)
    ]
    if source.generated_time is not None:
        facts.append(f"generated {source.generated_time:%Y-%m-%d %H:%M} UTC")
    facts.append(f"judged as of {as_of:%Y-%m-%d %H:%M} UTC")
    facts.append(
        f"unused after {thresholds.password_days} days (passwords), "
        f"{thresholds.access_key_days} days (access keys)"
    )
    charted = sum(1 for a in assessments if a.kind in CHARTED_KINDS)
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_e(policy)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="stalecreds {_e(__version__)}">
<title>stalecreds: {_e(source.name)} as of {as_of:%Y-%m-%d %H:%M} UTC</title>
<style>{css}</style>
</head>
<body>
<header>
<h1>Unused AWS IAM credentials</h1>
<p class="facts">{" · ".join(facts)}</p>
</header>
<main>
{_headline(scan, before)}
{_warnings(scan)}
<h2>Charts</h2>
<section class="charts">
<figure>
<figcaption>Credentials by verdict, per account</figcaption>
{accounts_chart(assessments)}
</figure>
<figure>
<figcaption>Days since last use</figcaption>
{age_chart(assessments, as_of)}
<p class="note">Passwords and access keys: {charted:,}. Signing certificates are left out
(IAM does not record their use).</p>
</figure>
{"" if series is None else _trend_figure(series, as_of)}
</section>
<h2>Credentials</h2>
{_table_head(assessments)}
"""
    out.write(page)
    _write_rows(assessments, as_of, out)
    out.write(
        f"""{_table_tail(len(assessments))}
</main>
<footer>
Made by stalecreds {_e(__version__)}. Times are UTC; ages are whole days before the as-of time.
</footer>
<script>{script}</script>
</body>
</html>
"""
    )
