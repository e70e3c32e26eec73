"""HTML: one self-contained report file (``--format html --output report.html``).

The page holds everything it shows: CSS and a small script (``html_assets/``) inline, charts as
inline SVG drawn here, no fonts, images or requests. A Content-Security-Policy allows only that
one stylesheet and that one script (by SHA-256 hash) and nothing from anywhere, so the page can
make no network request even if a value slipped through escaping. Every value from the report
is HTML-escaped.

It shows, in order:

* the headline numbers (users, credentials, findings, clean-up candidates) and verdict counts;
* a chart of credentials by verdict per account (stacked bars, the :data:`MAX_CHART_ACCOUNTS`
  largest accounts; the rest in one bar), and a histogram of days since last use of passwords
  and access keys (stacked by kind; never-used ones in their own bar);
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
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from html import escape
from importlib import resources
from typing import NamedTuple, TextIO

from stalecreds import __version__
from stalecreds.assessment import Assessment, FindingRule
from stalecreds.formats.base import ScanOutput
from stalecreds.formats.findings import credential_label, sort_key
from stalecreds.model import CredentialKind
from stalecreds.verdicts import Verdict

_ROW_BATCH = 1000
"""Table rows joined per write to the output stream."""

MAX_CHART_ACCOUNTS = 20
"""Accounts drawn one bar each in the per-account chart; the others share one bar."""


class AgeBucket(NamedTuple):
    """A bar of the days-since-last-use histogram: ``low`` to ``high`` days, both included."""

    label: str
    low: int
    high: int


AGE_BUCKETS = (
    AgeBucket("0-7", 0, 7),
    AgeBucket("8-30", 8, 30),
    AgeBucket("31-45", 31, 45),
    AgeBucket("46-90", 46, 90),
    AgeBucket("91-180", 91, 180),
    AgeBucket("181-365", 181, 365),
    AgeBucket("1-2 y", 366, 730),
    AgeBucket("> 2 y", 731, 10**9),
)
"""The histogram's bars by days since last use (45 and 90 days: the CIS and default windows).
A last use after ``as_of`` counts as 0 days; credentials with no recorded use get a last bar,
``never``."""

_KIND_NAMES = {
    CredentialKind.PASSWORD: "password",
    CredentialKind.ACCESS_KEY: "access key",
    CredentialKind.SIGNING_CERTIFICATE: "signing certificate",
}
_CHARTED_KINDS = (CredentialKind.PASSWORD, CredentialKind.ACCESS_KEY)
_RULE_LABELS = {
    FindingRule.UNUSED_CREDENTIAL: "unused credential",
    FindingRule.ROOT_ACCESS_KEY: "root access key",
}


def _e(value: object) -> str:
    """Any value as escaped HTML text or attribute value (quotes included)."""
    return escape(str(value), quote=True)


@cache
def _asset(name: str) -> str:
    return resources.files("stalecreds.formats").joinpath("html_assets", name).read_text("utf-8")


def _csp_hash(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return f"'sha256-{digest}'"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


# --- charts -------------------------------------------------------------------------------------


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``value`` (and at least 1)."""
    if value <= 1:
        return 1
    power = 1
    while power * 10 <= value:
        power *= 10
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _legend(items: list[tuple[str, str]], x: float, y: float) -> list[str]:
    """Swatches and labels in a row from ``(x, y)``: ``items`` are ``(css class, label)``."""
    parts = []
    for css, label in items:
        parts.append(f'<rect class="{css}" x="{x:.0f}" y="{y - 10:.0f}" width="12" height="12"/>')
        parts.append(f'<text x="{x + 16:.0f}" y="{y:.0f}">{_e(label)}</text>')
        x += 28 + 7.2 * len(label)
    return parts


def accounts_chart(assessments: list[Assessment]) -> str:
    """An SVG of credentials by verdict per account: one stacked horizontal bar per account.

    The :data:`MAX_CHART_ACCOUNTS` accounts with most credentials (then by ID) get a bar each;
    the rest share an ``N other accounts`` bar. Each segment has a ``<title>`` with its count.
    """
    by_account: dict[str, Counter[Verdict]] = {}
    for assessment in assessments:
        by_account.setdefault(assessment.owner.account_id, Counter())[assessment.verdict] += 1
    ranked = sorted(by_account.items(), key=lambda item: (-item[1].total(), item[0]))
    bars: list[tuple[str, Counter[Verdict]]] = list(ranked[:MAX_CHART_ACCOUNTS])
    rest = ranked[MAX_CHART_ACCOUNTS:]
    if rest:
        merged: Counter[Verdict] = Counter()
        for _, counts in rest:
            merged.update(counts)
        bars.append((f"{len(rest):,} other accounts", merged))
    present = [v for v in Verdict if any(counts[v] for _, counts in bars)]
    width, label_width, right_pad, row, bar = 720, 150, 60, 28, 18
    top = 34
    height = top + max(len(bars), 1) * row + 10
    plot = width - label_width - right_pad
    most = max((counts.total() for _, counts in bars), default=0)
    parts = [
        f'<svg class="chart" id="chart-accounts" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-accounts-title">',
        '<title id="chart-accounts-title">Credentials by verdict, per account</title>',
    ]
    parts += _legend([(f"v-{v.value}", v.value.replace("_", " ")) for v in present], 0, 16)
    if not bars:
        parts.append(f'<text x="0" y="{top + 16}">No credentials.</text>')
    for index, (account, counts) in enumerate(bars):
        y = top + index * row
        total = counts.total()
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 13}" text-anchor="end">{_e(account)}</text>'
        )
        x = float(label_width)
        for verdict in present:
            count = counts[verdict]
            if not count:
                continue
            span = max(plot * count / most, 1.0)
            parts.append(
                f'<rect class="bar v-{verdict.value}" x="{x:.1f}" y="{y}" width="{span:.1f}" '
                f'height="{bar}"><title>{_e(account)}: {count:,} '
                f"{_e(verdict.value.replace('_', ' '))}</title></rect>"
            )
            x += span
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 13}">{total:,}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _age_bucket(assessment: Assessment, as_of: datetime) -> int:
    """The index into :data:`AGE_BUCKETS`, or ``len(AGE_BUCKETS)`` for no recorded use."""
    last_used = assessment.last_used
    if last_used is None:
        return len(AGE_BUCKETS)
    days = max((as_of - last_used).days, 0)
    for index, bucket in enumerate(AGE_BUCKETS):
        if days <= bucket.high:
            return index
    return len(AGE_BUCKETS) - 1  # pragma: no cover - the last bucket has no real end


def age_chart(assessments: list[Assessment], as_of: datetime) -> str:
    """An SVG histogram of days since last use, passwords and access keys stacked by kind.

    Bars follow :data:`AGE_BUCKETS`, then ``never`` for credentials with no recorded use.
    Signing certificates are left out: IAM does not record their use.
    """
    labels = [bucket.label for bucket in AGE_BUCKETS] + ["never"]
    counts = [Counter[CredentialKind]() for _ in labels]
    for assessment in assessments:
        if assessment.kind in _CHARTED_KINDS:
            counts[_age_bucket(assessment, as_of)][assessment.kind] += 1
    width, height, left, right, top, bottom = 720, 280, 44, 12, 34, 236
    slot = (width - left - right) / len(labels)
    largest = max(c.total() for c in counts)
    step = _nice_ceiling(-(-largest // 4))  # four steps or fewer, each a whole number
    most = max(step * -(-largest // step), 1)
    scale = (bottom - top) / most
    parts = [
        f'<svg class="chart" id="chart-age" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-age-title">',
        '<title id="chart-age-title">Credentials by days since last use</title>',
    ]
    parts += _legend([(f"k-{k.value}", f"{_KIND_NAMES[k]}s") for k in _CHARTED_KINDS], left, 16)
    for value in range(0, most + 1, step):
        y = bottom - value * scale
        label = f"{value:,}"
        parts.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>'
        )
    for index, label in enumerate(labels):
        x = left + index * slot + slot * 0.15
        bar_width = slot * 0.7
        y = float(bottom)
        for kind in _CHARTED_KINDS:
            count = counts[index][kind]
            if not count:
                continue
            span = count * scale
            y -= span
            parts.append(
                f'<rect class="bar k-{kind.value}" x="{x:.1f}" y="{y:.1f}" '
                f'width="{bar_width:.1f}" height="{span:.1f}"><title>{_e(label)} days: '
                f"{_plural(count, _KIND_NAMES[kind])}</title></rect>"
            )
        total = counts[index].total()
        centre = x + bar_width / 2
        if total:
            parts.append(
                f'<text x="{centre:.1f}" y="{y - 4:.1f}" text-anchor="middle">{total:,}</text>'
            )
        parts.append(
            f'<text class="axis" x="{centre:.1f}" y="{bottom + 16}" '
            f'text-anchor="middle">{_e(label)}</text>'
        )
    parts.append(
        f'<line class="base" x1="{left}" y1="{bottom}" x2="{width - right}" y2="{bottom}"/>'
    )
    parts.append(
        f'<text class="axis" x="{(left + width - right) / 2:.0f}" y="{height - 8}" '
        'text-anchor="middle">days since last use (UTC, whole days before the as-of time)</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


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
            ((k.value, f"{_KIND_NAMES[k]} ({kinds[k]:,})") for k in CredentialKind if kinds[k]),
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


def _headline(scan: ScanOutput) -> str:
    summary = scan.summary
    stats = [
        ("findings", summary.findings, "findings"),
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


def render_html(scan: ScanOutput, out: TextIO) -> None:
    """Write ``scan`` to ``out`` as one self-contained HTML page (this module's docstring)."""
    assessments = list(scan)
    as_of = scan.as_of
    source = scan.source
    thresholds = scan.thresholds
    css = _asset("report.css")
    script = _asset("report.js")
    policy = (
        f"default-src 'none'; style-src {_csp_hash(css)}; script-src {_csp_hash(script)}; "
        "img-src 'none'; base-uri 'none'; form-action 'none'"
    )
    facts = [f"Credential report <code>{_e(source.name)}</code>"]
    if source.generated_time is not None:
        facts.append(f"generated {source.generated_time:%Y-%m-%d %H:%M} UTC")
    facts.append(f"judged as of {as_of:%Y-%m-%d %H:%M} UTC")
    facts.append(
        f"unused after {thresholds.password_days} days (passwords), "
        f"{thresholds.access_key_days} days (access keys)"
    )
    charted = sum(1 for a in assessments if a.kind in _CHARTED_KINDS)
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
{_headline(scan)}
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
