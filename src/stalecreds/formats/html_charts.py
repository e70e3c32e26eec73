"""The HTML report's charts, drawn here as inline SVG (no charting script, nothing fetched).

Each function returns one ``<svg class="chart">`` element as a string; every value from the
report is escaped. Bars and lines carry CSS classes (``v-<verdict>``, ``k-<kind>``, ``s-<n>``)
that the report's stylesheet colours, and each bar or point has a ``<title>`` with its count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import NamedTuple

from stalecreds.formats.base import printable
from stalecreds.history.trend import TrendPoint
from stalecreds.model import CredentialKind
from stalecreds.rules.assessment import Assessment
from stalecreds.rules.verdicts import Verdict, age_days
from stalecreds.wording import plural

MAX_CHART_ACCOUNTS = 20
"""Accounts drawn one bar each in the per-account chart; the others share one bar."""

CHART_WIDTH = 640
"""Every chart's width in SVG units: its width in CSS pixels on a laptop. The stylesheet never
shrinks a chart below 92% of it, so that 12 px axis text stays at least 11 px."""

CHAR_WIDTH = 7.8
"""The widest a character of 13 px chart text is, on average, in SVG units (for layout)."""

AXIS_CHAR_WIDTH = 7.2
"""The same for the 12 px axis labels."""


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

KIND_NAMES = {
    CredentialKind.PASSWORD: "password",
    CredentialKind.ACCESS_KEY: "access key",
    CredentialKind.SIGNING_CERTIFICATE: "signing certificate",
    CredentialKind.MFA_DEVICE: "MFA device",
}
CHARTED_KINDS = (CredentialKind.PASSWORD, CredentialKind.ACCESS_KEY)


def esc(value: object) -> str:
    """Any value as escaped HTML text or attribute value (quotes included).

    Control and format characters (such as a right-to-left override that would reorder how a
    name reads) are shown escaped, as :func:`~stalecreds.formats.base.printable` does.
    """
    return escape(printable(str(value)), quote=True)


def nice_ceiling(value: int) -> int:
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
        parts.append(f'<text x="{x + 16:.0f}" y="{y:.0f}">{esc(label)}</text>')
        x += 28 + CHAR_WIDTH * len(label)
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
    width, label_width, right_pad, row, bar = CHART_WIDTH, 150, 60, 28, 18
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
            f'<text x="{label_width - 8}" y="{y + 13}" text-anchor="end">{esc(account)}</text>'
        )
        x = float(label_width)
        for verdict in present:
            count = counts[verdict]
            if not count:
                continue
            span = max(plot * count / most, 1.0)
            parts.append(
                f'<rect class="bar v-{verdict.value}" x="{x:.1f}" y="{y}" width="{span:.1f}" '
                f'height="{bar}"><title>{esc(account)}: {count:,} '
                f"{esc(verdict.value.replace('_', ' '))}</title></rect>"
            )
            x += span
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 13}">{total:,}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _age_bucket(assessment: Assessment, as_of: datetime) -> int:
    """The index into :data:`AGE_BUCKETS`, or ``len(AGE_BUCKETS)`` for no recorded use.

    A use dated in the future is no recorded use (its verdict is ``uncertain``).
    """
    last_used = assessment.last_used
    days = None if last_used is None else age_days(last_used, as_of)
    if days is None:
        return len(AGE_BUCKETS)
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
        if assessment.kind in CHARTED_KINDS:
            counts[_age_bucket(assessment, as_of)][assessment.kind] += 1
    width, height, left, right, top, bottom = CHART_WIDTH, 280, 44, 12, 34, 236
    slot = (width - left - right) / len(labels)
    largest = max(c.total() for c in counts)
    step = nice_ceiling(-(-largest // 4))  # four steps or fewer, each a whole number
    most = max(step * -(-largest // step), 1)
    scale = (bottom - top) / most
    parts = [
        f'<svg class="chart" id="chart-age" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-age-title">',
        '<title id="chart-age-title">Credentials by days since last use</title>',
    ]
    parts += _legend([(f"k-{k.value}", f"{KIND_NAMES[k]}s") for k in CHARTED_KINDS], left, 16)
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
        for kind in CHARTED_KINDS:
            count = counts[index][kind]
            if not count:
                continue
            span = count * scale
            y -= span
            parts.append(
                f'<rect class="bar k-{kind.value}" x="{x:.1f}" y="{y:.1f}" '
                f'width="{bar_width:.1f}" height="{span:.1f}"><title>{esc(label)} days: '
                f"{plural(count, KIND_NAMES[kind])}</title></rect>"
            )
        total = counts[index].total()
        centre = x + bar_width / 2
        if total:
            parts.append(
                f'<text x="{centre:.1f}" y="{y - 4:.1f}" text-anchor="middle">{total:,}</text>'
            )
        parts.append(
            f'<text class="axis" x="{centre:.1f}" y="{bottom + 16}" '
            f'text-anchor="middle">{esc(label)}</text>'
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


MAX_TREND_LINES = 6
"""Accounts drawn one line each in the trend chart (the caller picks which)."""

MAX_TIME_LABELS = 6
"""Scan times labelled on the trend chart's x axis; with more scans, evenly chosen ones."""


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _labelled(
    moments: list[datetime], x_of: Callable[[datetime], float], label_width: float
) -> list[tuple[datetime, str]]:
    """The scan times to label, with each label's ``text-anchor``, so that no two overlap.

    ``moments`` are sorted and distinct; ``x_of`` places one on the axis; ``label_width`` is the
    width of a label. At most :data:`MAX_TIME_LABELS`, spread out; the last scan (this one) is
    always labelled and ends at the plot's right edge, the first starts at its left edge.
    Others are labelled only where they leave a gap beside their neighbours.
    """
    gap = 8.0
    last = len(moments) - 1
    if last <= 0:
        return [(moment, "middle") for moment in moments]

    def extent(index: int) -> tuple[float, float, str]:
        x = x_of(moments[index])
        if index == 0:
            return x, x + label_width, "start"
        if index == last:
            return x - label_width, x, "end"
        return x - label_width / 2, x + label_width / 2, "middle"

    wanted = sorted({round(i * last / (MAX_TIME_LABELS - 1)) for i in range(MAX_TIME_LABELS)})
    wanted = [last, 0] + [i for i in wanted if i not in (0, last)]
    kept: dict[int, tuple[float, float, str]] = {}
    for index in wanted:
        low, high, anchor = extent(index)
        if all(high + gap <= other[0] or low >= other[1] + gap for other in kept.values()):
            kept[index] = (low, high, anchor)
    return [(moments[index], kept[index][2]) for index in sorted(kept)]


def trend_chart(series: dict[str, list[TrendPoint]]) -> str:
    """An SVG line chart of findings per account over time.

    ``series`` maps account IDs to their points, oldest first
    (:func:`stalecreds.history.trend.by_account`);
    the accounts are drawn in the given order, one line each (at most :data:`MAX_TREND_LINES`;
    the caller picks them). The x axis is time (UTC), labelled at the scans' own times; the y
    axis findings. Every point has a ``<title>`` with the account, count and time, and the
    legend gives each account's first and latest count.
    """
    lines = [
        (f"s-{index}", account, [(p.as_of, p.findings) for p in points])
        for index, (account, points) in enumerate(series.items())
    ]
    moments = sorted({moment for _, _, points in lines for moment, _ in points})
    width, left, right = CHART_WIDTH, 44, 16
    legend_columns, legend_row = 2, 18
    legend_rows = -(-len(lines) // legend_columns)
    top = 18 + legend_rows * legend_row + 8
    bottom = top + 200
    height = bottom + 44
    parts = [
        f'<svg class="chart" id="chart-trend" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-trend-title">',
        '<title id="chart-trend-title">Findings per account over time</title>',
    ]
    column_width = (width - left) / legend_columns
    for index, (css, name, points) in enumerate(lines):
        x = left + (index % legend_columns) * column_width
        y = 16.0 + (index // legend_columns) * legend_row
        change = f"{points[0][1]:,} → {points[-1][1]:,}" if len(points) > 1 else f"{points[0][1]:,}"
        parts.append(f'<rect class="{css}" x="{x:.0f}" y="{y - 10:.0f}" width="12" height="12"/>')
        parts.append(f'<text x="{x + 16:.0f}" y="{y:.0f}">{esc(name)}: {change}</text>')
    if not moments:
        parts.append(f'<text x="{left}" y="{top + 16}">No scans recorded.</text>')
        parts.append("</svg>")
        return "\n".join(parts)
    first, last = moments[0], moments[-1]
    span = (last - first).total_seconds()
    plot = width - left - right

    def x_of(moment: datetime) -> float:
        if not span:
            return left + plot / 2
        return left + plot * (moment - first).total_seconds() / span

    largest = max(findings for _, _, points in lines for _, findings in points)
    step = nice_ceiling(-(-largest // 4))
    most = max(step * -(-largest // step), 1)
    scale = (bottom - top) / most
    for value in range(0, most + 1, step):
        y = bottom - value * scale
        parts.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value:,}</text>'
        )
    day_format = "%Y-%m-%d" if span >= 3 * 86_400 else "%m-%d %H:%M"
    label_width = AXIS_CHAR_WIDTH * len(f"{first:{day_format}}")
    for moment, anchor in _labelled(moments, x_of, label_width):
        parts.append(
            f'<text class="axis" x="{x_of(moment):.1f}" y="{bottom + 16}" '
            f'text-anchor="{anchor}">{moment:{day_format}}</text>'
        )
    parts.append(
        f'<line class="base" x1="{left}" y1="{bottom}" x2="{width - right}" y2="{bottom}"/>'
    )
    parts.append(
        f'<text class="axis" x="{left + plot / 2:.0f}" y="{height - 8}" '
        'text-anchor="middle">scan as-of time (UTC)</text>'
    )
    for css, name, points in lines:
        coordinates = [(x_of(moment), bottom - findings * scale) for moment, findings in points]
        if len(coordinates) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
            parts.append(f'<polyline class="line {css}" points="{path}"/>')
        for (x, y), (moment, findings) in zip(coordinates, points, strict=True):
            parts.append(
                f'<circle class="dot {css}" cx="{x:.1f}" cy="{y:.1f}" r="3.5">'
                f"<title>{esc(name)}: {plural(findings, 'finding')}, {_when(moment)}</title>"
                "</circle>"
            )
    parts.append("</svg>")
    return "\n".join(parts)
