"""The Markdown summary: golden file, and the document as a CommonMark + GFM-tables parser
(markdown-it-py, which rich already brings) reads it: the tables, their cells and the escaping."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from stalecreds import scan_report
from stalecreds.formats import OutputFormat
from stalecreds.formats.markdown import MAX_OTHER_ROWS, escape, render_markdown
from tests.conftest import (
    SAMPLE_AS_OF,
    TRICKY_ACCOUNTS,
    TRICKY_USERS,
    report,
    report_row,
    sample_scan,
    tricky_scan,
)

GFM = MarkdownIt("commonmark").enable(["table", "strikethrough"])
WORD_JOINER = "\u2060"


def render(scan: Any) -> str:
    out = io.StringIO()
    render_markdown(scan, out)
    return out.getvalue()


def plain(inline: Token) -> str:
    """The text a reader sees in an inline token; fails on any markup inside it."""
    parts = []
    for child in inline.children or []:
        assert child.type in {"text", "softbreak"}, (child.type, inline.content)
        parts.append(child.content)
    return "".join(parts)


def tables(text: str) -> list[list[list[str]]]:
    """Every table as rows of plain cell texts (header row first)."""
    found: list[list[list[str]]] = []
    in_table = False
    for token in GFM.parse(text):
        if token.type == "table_open":
            found.append([])
            in_table = True
        elif token.type == "table_close":
            in_table = False
        elif in_table and token.type == "tr_open":
            found[-1].append([])
        elif in_table and token.type == "inline":
            found[-1][-1].append(plain(token))
    return found


def test_golden(golden):
    golden("sample.md", render(sample_scan()))


def test_registered_and_collects():
    assert OutputFormat("markdown").renderer() is render_markdown
    assert OutputFormat.MARKDOWN.streams is False


def test_sample_structure():
    text = render(sample_scan())
    assert text.startswith("### stalecreds: 7 findings in 17 credentials\n")
    headline, findings, others = tables(text)
    assert headline == [["Users", "Credentials", "Findings", "Clean-up candidates"], [
        "11", "17", "7", "1"]]  # fmt: skip
    assert findings[0] == ["User", "Credential", "Verdict", "Last used", "Reason"]
    assert len(findings) == 1 + 7 and len(others) == 1 + 10
    assert findings[1] == [
        "<root_account>",
        "access key 1 (Active)",
        "unused",
        "2019-06-11 (2,699 d)",
        "Last used 2019-06-11, before the 90-day window that starts 2026-08-03. "
        "The root user should have no access keys.",
    ]
    assert others[1][:3] == ["ci-deploy", "access key 2 (Inactive)", "unused (clean-up candidate)"]
    assert "**Verdicts:** 6 in use · 2 new · 2 never used · 6 unused · 1 untracked" in text
    # The other credentials are collapsed: an HTML block opens and closes around their table.
    blocks = [t.content.strip() for t in GFM.parse(text) if t.type == "html_block"]
    assert blocks == ["<details>\n<summary>Other credentials (10)</summary>", "</details>"]


def test_hostile_values_are_plain_text_in_their_cells():
    text = render(tricky_scan())
    assert not re.search(r"(?<!\\)<(script|img)", text)
    tokens = GFM.parse(text)
    markup = {"html_inline", "code_inline", "link_open", "em_open", "strong_open", "s_open"}
    marked = [
        t.content
        for t in tokens
        if t.type == "inline" and any(c.type in markup for c in t.children or [])
    ]
    assert marked == ["**Verdicts:** 6 in use · 6 never used · 4 unused"]  # only our own bold
    _, findings, others = tables(text)
    assert findings[0][:2] == ["Account", "User"]
    users = [row[1].replace(WORD_JOINER, "") for row in findings[1:] + others[1:]]
    assert sorted(users) == sorted(
        name
        for name in TRICKY_USERS
        for _ in TRICKY_ACCOUNTS
        for _ in range(2)  # password and access key each
    )
    assert all(len(row) == 6 for row in findings + others)  # a pipe never split a cell
    # The report's name (with a pipe, backticks and tags) is plain text too.
    paragraph = next(t for t in tokens if t.type == "inline" and "judged as of" in t.content)
    assert plain(paragraph).startswith("Credential report tricky|`<b>report</b>`.csv,")


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("a|b", "a\\|b"),
        ("`code`", "\\`code\\`"),
        ("<b>x</b>", "\\<b\\>x\\</b\\>"),
        ("*a* _b_ ~c~", "\\*a\\* \\_b\\_ \\~c\\~"),
        ("[x](http://e)", "\\[x\\](http://e)"),
        ("a &amp; b", "a \\&amp; b"),
        ("$x$", "\\$x\\$"),
        ("back\\slash", "back\\\\slash"),
        ("line\nbreak\r\nand\ttab", "line break and tab"),
        ("# heading", "\\# heading"),
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        ("> quote", "\\> quote"),
        ("1. one", "1\\. one"),
        ("2) two", "2\\) two"),
        ("2026-03-10", "2026-03-10"),
        ("@security-team", "@\u2060security-team"),
        ("ops@example.com", "ops@example.com"),
        ("ci-deploy.prod+x=y,z", "ci-deploy.prod+x=y,z"),
    ],
)
def test_escape(value, escaped):
    assert escape(value) == escaped


@pytest.mark.parametrize(
    "value",
    ["a|b", "`x`", "<i>x</i>", "**x**", "[a](b)", "&lt;", "# h", "- l", "> q", "1. o", "~~s~~"],
)
def test_escaped_values_read_back_as_themselves(value):
    for context in (f"{escape(value)}\n", f"| a |\n| --- |\n| {escape(value)} |\n"):
        inline = [t for t in GFM.parse(context) if t.type == "inline"]
        assert plain(inline[-1]) == value


def test_no_findings_and_warnings():
    scanned = scan_report(
        report(report_row(), report_row()),  # alice twice: a warning
        as_of=SAMPLE_AS_OF,
        name="r.csv",
    )
    text = render(scanned)
    assert "No findings: every working credential was used within its window." in text
    assert "<summary>Warnings (1)</summary>" in text
    assert "- line 3: user 'alice' (arn:aws:iam::111122223333:user/alice) already appeared" in text


def test_other_credentials_are_cut():
    rows = [
        report_row(
            user=f"u{n:04d}",
            arn=f"arn:aws:iam::111122223333:user/u{n:04d}",
            password_enabled="true",
            password_last_used="2026-10-30T00:00:00+00:00",
            password_last_changed="2024-01-01T00:00:00+00:00",
        )
        for n in range(MAX_OTHER_ROWS + 3)
    ]
    text = render(scan_report(report(*rows), as_of=SAMPLE_AS_OF))
    (_, others) = tables(text)
    assert len(others) == 1 + MAX_OTHER_ROWS
    assert "… and 3 more (see the JSON output)." in text


def test_escape_shows_control_and_bidi_characters():
    assert escape("esc\x1b[31mRED\x07") == r"esc\\x1b\[31mRED\\x07"
    assert "\u202e" not in escape("bidi\u202egnp.exe")
    assert escape("bidi\u202egnp.exe") == r"bidi\\x202egnp.exe"
