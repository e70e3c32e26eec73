"""HTML: one self-contained report file (``--format html --output report.html``).

The page holds everything it shows: CSS and a small script (``html_assets/``) inline, charts
as inline SVG (``html_charts``), no fonts, images or requests. A Content-Security-Policy allows
only that one stylesheet and that one script (by SHA-256 hash) and nothing from anywhere, so the
page can make no network request even if a value slipped through escaping. Every value from
the report is HTML-escaped.

It shows, in order:

* when the result is partial, a notice that says so and lists each account or report file that
  could not be scanned and why, and the failed IAM lookups; report files skipped for a newer
  report of the same account are listed too (:mod:`stalecreds.formats.partial`);
* the headline numbers (users, credentials, findings, clean-up candidates) and verdict counts;
* a chart of credentials by verdict per account (stacked bars, the :data:`MAX_CHART_ACCOUNTS`
  largest accounts; the rest in one bar), and a histogram of days since last use of passwords
  and access keys (stacked by kind; never-used ones in their own bar);
* with the scan history (``scan --history --format html``): findings over time up to this
  scan, a line per account (the :data:`~stalecreds.formats.html_charts.MAX_TREND_LINES` whose
  findings changed most; the note gives all accounts' total), and the accounts' count at their
  previous scans beside the findings (saying so when some accounts are new);
* the report's warnings, collapsed;
* when the scan spans several accounts (or report files), one row per account: status, counts
  of credentials, findings and clean-up candidates, and why it failed or was skipped;
* a table of the credentials (findings first, then clean-up candidates, then the rest), at most
  :data:`MAX_TABLE_ROWS` of them, so that the page stays usable for an Organization-sized scan
  (a note then says how many are left out and where the full list is); it sorts by any column
  and filters by
  verdict, account, kind, user (name or ARN, substring) and "findings only". The filters and
  sort are kept in the URL fragment (``#verdict=unused&account=…&kind=access_key&user=bob&
  findings=1&sort=last_used&dir=desc``), so a link can open the report filtered.

Dates are UTC days with the age in whole days before the as-of time. The table reads well
without JavaScript and prints without the controls.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from importlib import resources
from typing import TextIO

from stalecreds import __version__
from stalecreds.formats.base import ScanOutput
from stalecreds.formats.findings import age_text, credential_label, sort_key
from stalecreds.formats.html_charts import (
    CHARTED_KINDS,
    KIND_NAMES,
    MAX_TREND_LINES,
    accounts_chart,
    age_chart,
    trend_chart,
)
from stalecreds.formats.html_charts import esc as _e
from stalecreds.formats.partial import omissions
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

MAX_TABLE_ROWS = 10_000
"""At most this many credentials are listed in the table (about 9 MB of HTML, which Chromium
opens in a second or two): findings first, so that a scan of fewer than this many findings lists
them all. The others are counted in the headline, the charts and the accounts table."""

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
        f'<span class="age">({age_text(moment, as_of)})</span></td>'
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


MAX_WHOLE_NAME = 64
"""IAM user names have at most 64 characters (``CreateUser``); such a name is never broken in
the table. A longer one (from a hand-edited report) may wrap anywhere, to stay inside the page."""


def _user_class(name: str) -> str:
    return "user whole" if len(name) <= MAX_WHOLE_NAME else "user"


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
        f'<td class="{_user_class(owner.user)}" title="{_e(owner.arn)}">{_e(owner.user)}</td>'
        f'<td class="cred">{_e(credential_label(assessment))}</td>'
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


def _table_rows(assessments: list[Assessment]) -> list[Assessment]:
    """The credentials the table lists, at most :data:`MAX_TABLE_ROWS`.

    Findings first, then clean-up candidates, then the rest, each by account and user.
    """
    findings = [a for a in assessments if a.finding_rules]
    cleanup = [a for a in assessments if a.cleanup_candidate and not a.finding_rules]
    rest = [a for a in assessments if not a.finding_rules and not a.cleanup_candidate]
    ordered: list[Assessment] = []
    for group in (findings, cleanup, rest):
        room = MAX_TABLE_ROWS - len(ordered)
        if room <= 0:
            break
        # Only the first ``room`` of a group are listed: no need to sort the whole of it.
        if len(group) > room:
            ordered += heapq.nsmallest(room, group, key=sort_key)
        else:
            ordered += sorted(group, key=sort_key)
    return ordered


def _capped_note(shown: list[Assessment], scan: ScanOutput) -> str:
    """Says how many credentials the table leaves out, and where the full list is; or ``""``."""
    summary = scan.summary
    total = summary.credentials
    if len(shown) >= total:
        return ""
    findings = sum(1 for a in shown if a.finding_rules)
    if findings < summary.findings:
        which = f"the first {findings:,} of {summary.findings:,} findings (by account and user)"
    else:
        which = f"all {summary.findings:,} findings and {len(shown) - findings:,} other credentials"
    return (
        f'<p class="note capped" id="capped">This table lists {which}: {len(shown):,} of '
        f"{total:,} credentials, so that the page stays quick to open. Every credential is "
        "counted above and per account. For the full list, scan again with "
        "<code>--format csv --output credentials.csv</code> (or <code>--format json</code>).</p>"
    )


def _write_rows(ordered: list[Assessment], as_of: datetime, out: TextIO) -> None:
    """One ``<tr>`` per credential of ``ordered`` (:func:`_table_rows`)."""
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


def _omissions(scan: ScanOutput) -> str:
    """The partial-result notice and the skipped reports, or ``""`` for a complete scan."""
    left_out = omissions(scan)
    parts = []
    headline = left_out.headline()
    if headline is not None:
        items = "".join(
            f"<li><strong>{_e(item.who)}</strong>: {_e(item.why)}</li>" for item in left_out.failed
        )
        items += "".join(f"<li>{_e(error)}</li>" for error in left_out.lookup_errors)
        parts.append(
            '<section class="partial" id="partial" role="alert" aria-labelledby="partial-title">'
            f'<h2 id="partial-title">Partial result</h2><p>{_e(headline)} The numbers, charts '
            f"and table below leave these out.</p><ul>{items}</ul></section>"
        )
    if left_out.skipped:
        items = "".join(
            f"<li><strong>{_e(item.who)}</strong>: {_e(item.why)}</li>" for item in left_out.skipped
        )
        parts.append(
            f'<details class="skipped" id="skipped"><summary>Skipped reports '
            f"({len(left_out.skipped):,}): a newer report of the same account was read"
            f"</summary><ul>{items}</ul></details>"
        )
    return "\n".join(parts)


_ACCOUNT_COLUMNS = ("Account", "Name", "Status", "Credentials", "Findings", "Clean-up", "Note")


def _accounts(scan: ScanOutput, assessments: list[Assessment]) -> str:
    """One row per account (or report file): status, counts and why it failed or was skipped.

    ``""`` for a scan of one account. Counts come from the credentials; status, name and the
    failure from the scan's ``account_rows`` when it has them.
    """
    counts = {
        "credentials": Counter(a.owner.account_id for a in assessments),
        "findings": Counter(a.owner.account_id for a in assessments if a.finding_rules),
        "cleanup": Counter(a.owner.account_id for a in assessments if a.cleanup_candidate),
    }
    accounts = counts["credentials"]
    account_rows = getattr(scan, "account_rows", None)
    rows: list[dict[str, object]] = (
        account_rows()
        if account_rows is not None
        else [{"account_id": a, "name": None, "status": "scanned"} for a in sorted(accounts)]
    )
    if len(rows) < 2 and len(accounts) < 2:
        return ""
    body = []
    for row in rows:
        account = str(row["account_id"] or "")
        status = str(row["status"])
        error = row.get("error")
        note = ""
        if isinstance(error, dict):
            note = f"{error['step']}: {error['action']} {error['code']}: {error['message']}"
        elif row.get("superseded_by"):
            note = f"a newer report was read: {row['superseded_by']}"
        scanned = status in ("scanned", "partial")
        cells = [
            f'<td class="nowrap">{_e(account or "?")}</td>',
            f'<td class="name">{_e(str(row.get("name") or ""))}</td>',
            f'<td><span class="status s-{_e(status)}">{_e(status)}</span></td>',
            *(
                f'<td class="n">{f"{counts[key][account]:,}" if scanned else ""}</td>'
                for key in ("credentials", "findings", "cleanup")
            ),
            f'<td class="reason">{_e(note)}</td>',
        ]
        body.append(f"<tr>{''.join(cells)}</tr>")
    heads = "".join(f'<th scope="col">{heading}</th>' for heading in _ACCOUNT_COLUMNS)
    return (
        f'<h2>Accounts ({len(rows):,})</h2>\n<div class="table-wrap">'
        f'<table class="accounts" id="accounts"><thead><tr>{heads}</tr></thead><tbody>\n'
        + "\n".join(body)
        + "\n</tbody></table></div>"
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
    rows = _table_rows(assessments)
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
{_omissions(scan)}
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
{_accounts(scan, assessments)}
<h2>Credentials</h2>
{_capped_note(rows, scan)}
{_table_head(rows)}
"""
    out.write(page)
    _write_rows(rows, as_of, out)
    out.write(
        f"""{_table_tail(len(rows))}
</main>
<footer>
Made by stalecreds {_e(__version__)}. Times are UTC; ages are whole days before the as-of time.
</footer>
<script>{script}</script>
</body>
</html>
"""
    )
