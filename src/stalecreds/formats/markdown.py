"""Markdown: a summary of a scan for tickets and pull-request comments (GitHub-flavoured).

Shape::

    ### stalecreds: 7 findings in 17 credentials

    > **Partial result:** 1 report file could not be scanned: the result is partial.
    > - report file exports/bad.csv: failed at read: exports/bad.csv, line 3, column 3 ...

    Credential report sample.json (generated 2026-11-01 09:14 UTC), judged as of
    2026-11-01 10:00 UTC. Unused after 90 days (passwords) and 90 days (access keys).

    | Users | Credentials | Findings | Clean-up candidates |
    | ---: | ---: | ---: | ---: |
    | 11 | 17 | 7 | 1 |

    **Verdicts:** 6 in use · 2 new · 2 never used · 6 unused · 1 untracked

    #### Findings (7)

    | User | Credential | Verdict | Last used | Reason |
    | --- | --- | --- | --- | --- |
    | bob | access key 1 (Active) | unused | 2026-03-10 (235 d) | Last used ... |

    <details>
    <summary>Other credentials (10)</summary>

    | User | Credential | Verdict | Last used | Reason |
    ...

    </details>

The partial-result notice (only when accounts, report files or IAM lookups failed; see
:mod:`stalecreds.formats.partial`) lists each with why; report files skipped for a newer report
of the same account are listed after the counts. An ``Account`` column comes first when the
scan spans accounts. Findings are sorted by account,
user and credential; every one is listed. The other credentials (clean-up candidates first) are
collapsed and cut at :data:`MAX_OTHER_ROWS` rows, so that a comment stays within GitHub's size
limit. Warnings, if any, are collapsed at the end. Dates are UTC days with the age in days.

Every value from the report is escaped: Markdown punctuation gets a backslash (so ``|`` cannot
end a table cell, a backtick cannot open code, and ``<`` cannot open HTML) and line breaks
become spaces.
"""

from __future__ import annotations

import re
from typing import TextIO

from stalecreds.formats.base import ScanOutput, printable
from stalecreds.formats.findings import credential_label, day_and_age, sort_key
from stalecreds.formats.partial import omissions
from stalecreds.rules.assessment import Assessment, FindingRule
from stalecreds.rules.verdicts import Verdict
from stalecreds.wording import plural

MAX_OTHER_ROWS = 200
"""At most this many credentials that are not findings are listed; the rest are counted."""

_INLINE = re.compile(r"([\\`*_\[\]<>|~&$])")
"""Characters that open inline syntax: code, emphasis, links, HTML, entities, GFM tables and
strikethrough, and GitHub's math. CommonMark allows a backslash before any ASCII punctuation,
which then stands for itself."""
_BLOCK_START = re.compile(r"^(\d+(?=[.)])|)([#+\-=>.)])")
"""What opens a block (heading, list, quote) at the start of a line or list item."""
_MENTION = re.compile(r"(?<![0-9A-Za-z])@(?=[0-9A-Za-z])")
"""An ``@`` that GitHub would turn into a mention (a user or team notified)."""
_BREAKS = re.compile(r"[\r\n\t\f\v\u0085\u2028\u2029]+")
_WORD_JOINER = "\u2060"


def escape(text: str) -> str:
    r"""``text`` as literal Markdown, safe in a GFM table cell or at the start of a list item.

    Inline syntax characters get a backslash (so ``|`` cannot end a table cell, a backtick
    cannot open code, ``<`` cannot open HTML); a leading ``#``, ``-``, ``+``, ``=``, ``>`` or
    ``1.`` is escaped too; line breaks and tabs become spaces; an ``@`` that would mention
    someone on GitHub is followed by an invisible word joiner (U+2060); other control and
    format characters (terminal escapes, bidirectional overrides) are shown as ````.
    """
    text = _INLINE.sub(r"\\\1", printable(_BREAKS.sub(" ", text)))
    text = _BLOCK_START.sub(r"\1\\\2", text, count=1)
    return _MENTION.sub("@" + _WORD_JOINER, text)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(rows: list[Assessment], scan: ScanOutput, *, many_accounts: bool) -> list[str]:
    header = ["User", "Credential", "Verdict", "Last used", "Reason"]
    align = ["---"] * len(header)
    if many_accounts:
        header.insert(0, "Account")
        align.insert(0, "---")
    lines = [_row(header), _row(align)]
    as_of = scan.as_of
    for assessment in rows:
        owner = assessment.owner
        reason = assessment.reason
        if FindingRule.ROOT_ACCESS_KEY in assessment.finding_rules:
            reason += " The root user should have no access keys."
        if assessment.exemption is not None:
            reason = f"Exempt: {assessment.exemption}. {reason}"
        verdict = assessment.verdict.value
        if assessment.cleanup_candidate:
            verdict += " (clean-up candidate)"
        cells = [
            escape(owner.user),
            escape(credential_label(assessment)),
            escape(verdict),
            escape(day_and_age(assessment.last_used, as_of, missing="never")),
            escape(reason),
        ]
        if many_accounts:
            cells.insert(0, escape(owner.account_id))
        lines.append(_row(cells))
    return lines


def render_markdown(scan: ScanOutput, out: TextIO) -> None:
    """Write ``scan`` to ``out`` as a GitHub-flavoured Markdown summary (this module's shape)."""
    assessments = sorted(scan, key=sort_key)
    summary = scan.summary
    source = scan.source
    thresholds = scan.thresholds
    many_accounts = len({a.owner.account_id for a in assessments}) > 1
    lines = [
        f"### stalecreds: {plural(summary.findings, 'finding')} in "
        f"{plural(summary.credentials, 'credential')}",
        "",
    ]
    facts = escape(source.title)
    if source.generated_time is not None:
        facts += f" (generated {source.generated_time:%Y-%m-%d %H:%M} UTC)"
    facts += (
        f", judged as of {scan.as_of:%Y-%m-%d %H:%M} UTC. Unused after "
        f"{thresholds.password_days} days (passwords) and {thresholds.access_key_days} days "
        "(access keys)."
    )
    left_out = omissions(scan)
    headline = left_out.headline()
    if headline is not None:
        lines.append(f"> **Partial result:** {escape(headline)}")
        lines += [f"> - {escape(item.who)}: {escape(item.why)}" for item in left_out.failed]
        lines += [f"> - {escape(error)}" for error in left_out.lookup_errors]
        lines.append("")
    lines += [facts, ""]
    lines += [
        _row(["Users", "Credentials", "Findings", "Clean-up candidates"]),
        _row(["---:"] * 4),
        _row(
            [
                f"{summary.users:,}",
                f"{summary.credentials:,}",
                f"{summary.findings:,}",
                f"{summary.cleanup_candidates:,}",
            ]
        ),
        "",
    ]
    counts = " · ".join(
        f"{count:,} {verdict.value.replace('_', ' ')}"
        for verdict in Verdict
        if (count := summary.by_verdict[verdict])
    )
    if counts:
        lines += [f"**Verdicts:** {counts}", ""]
    if left_out.skipped:
        lines += [
            f"**Skipped reports ({len(left_out.skipped):,}):** a newer report of the same "
            "account was read.",
            "",
        ]
        lines += [f"- {escape(item.who)}: {escape(item.why)}" for item in left_out.skipped]
        lines.append("")
    findings = [a for a in assessments if a.finding_rules]
    if findings:
        lines += [f"#### Findings ({len(findings):,})", ""]
        lines += _table(findings, scan, many_accounts=many_accounts)
        lines.append("")
    else:
        lines += ["No findings: every working credential was used within its window.", ""]
    others = [a for a in assessments if not a.finding_rules]
    others.sort(key=lambda a: not a.cleanup_candidate)  # stable: clean-up candidates first
    if others:
        shown = others[:MAX_OTHER_ROWS]
        lines += [
            "<details>",
            f"<summary>Other credentials ({len(others):,})</summary>",
            "",
        ]
        lines += _table(shown, scan, many_accounts=many_accounts)
        if len(others) > len(shown):
            lines += ["", f"… and {len(others) - len(shown):,} more (see the JSON output)."]
        lines += ["", "</details>", ""]
    warnings = scan.warnings
    if len(warnings):
        lines += ["<details>", f"<summary>Warnings ({len(warnings):,})</summary>", ""]
        for warning in warnings.items:
            where = f"line {warning.line}: " if warning.line is not None else ""
            lines.append(f"- {escape(where + warning.message)}")
        if warnings.dropped:
            lines.append(f"- … and {warnings.dropped:,} more")
        lines += ["", "</details>", ""]
    out.write("\n".join(lines).rstrip("\n") + "\n")
