"""report_input.read_report: bare CSV, and the JSON printed by 'aws iam get-credential-report'.

Facts: spec §5 (GetCredentialReport: Content is base64, ReportFormat only text/csv, GeneratedTime
a timestamp; the API examples use 'Z') and §9 (placebo fixtures carry plain CSV in Content).
"""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from stalecreds import InputError, scan_report
from stalecreds.report.input import ReportSource, read_report
from tests.conftest import report, report_row

CSV = report(
    report_row(
        password_enabled="true",
        password_last_used="2025-05-20T00:00:00+00:00",
        password_last_changed="2024-01-01T00:00:00+00:00",
    ),
    report_row(
        user="svc",
        arn="arn:aws:iam::111122223333:user/svc",
        access_key_1_active="true",
        access_key_1_last_rotated="2024-01-01T00:00:00+00:00",
    ),
)
AS_OF = datetime(2025, 6, 1, tzinfo=UTC)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def cli_json(content: str, generated: object = "2025-06-01T08:30:00Z", **extra: object) -> bytes:
    """The document 'aws iam get-credential-report' prints (4-space indent, as the CLI does)."""
    document = {"Content": content, "ReportFormat": "text/csv", "GeneratedTime": generated}
    document.update(extra)
    return json.dumps(document, indent=4).encode()


def read(data: bytes, name: str = "in.json") -> tuple[str, ReportSource]:
    lines, source = read_report(io.BytesIO(data), name)
    return "".join(lines), source


def read_error(data: bytes, name: str = "in.json") -> InputError:
    with pytest.raises(InputError) as info:
        read(data, name)
    error = info.value
    assert error.source == name
    assert "\n" not in str(error)
    return error


GENERATED = datetime(2025, 6, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "generated", ["2025-06-01T08:30:00Z", "2025-06-01T08:30:00+00:00", "2025-06-01T10:30:00+02:00"]
)
def test_aws_cli_json_with_base64_content(generated):
    text, source = read(cli_json(b64(CSV), generated))
    assert text == CSV
    assert source == ReportSource(name="in.json", format="aws-cli-json", generated_time=GENERATED)
    assert source.generated_time.utcoffset() == timedelta(0)
    assert source.generated_time.tzname() == "UTC"
    assert source.label == "in.json (Content)"


def test_aws_cli_json_compact_and_without_optional_fields():
    text, source = read(json.dumps({"Content": b64(CSV)}).encode())
    assert text == CSV
    assert source == ReportSource(name="in.json", format="aws-cli-json", generated_time=None)


def test_aws_cli_json_with_leading_whitespace_and_bom():
    text, source = read(b"\xef\xbb\xbf\n  " + cli_json(b64(CSV)))
    assert text == CSV
    assert source.format == "aws-cli-json"


def test_content_holding_plain_csv_text_is_accepted():
    text, source = read(cli_json(CSV, "2015-02-02T20:02:02Z"))
    assert text == CSV
    assert source == ReportSource(
        name="in.json",
        format="aws-cli-json",
        generated_time=datetime(2015, 2, 2, 20, 2, 2, tzinfo=UTC),
    )


def test_base64_content_with_crlf_and_bom_inside():
    text, _ = read(cli_json(b64("\ufeff" + CSV.replace("\n", "\r\n"))))
    assert text == CSV.replace("\n", "\r\n")


def test_bare_csv_is_format_csv_without_generated_time():
    text, source = read(CSV.encode(), "report.csv")
    assert text == CSV
    assert source == ReportSource(name="report.csv", format="csv", generated_time=None)
    assert source.label == "report.csv"


def test_bare_csv_bom_is_dropped():
    text, _ = read(b"\xef\xbb\xbf" + CSV.encode(), "report.csv")
    assert text == CSV


def test_scan_of_aws_cli_json_end_to_end():
    result = scan_report(cli_json(b64(CSV)), as_of=AS_OF, name="cr.json")
    assert result.source == ReportSource("cr.json", "aws-cli-json", GENERATED)
    # Password last used 2025-05-20, inside the 90-day window (from 2025-03-03): in_use.
    # Key created 2024-01-01, never used, after 2015-04-22: never_used.
    assert [(a.owner.user, a.kind.value, a.verdict.value) for a in result] == [
        ("alice", "password", "in_use"),
        ("svc", "access_key", "never_used"),
    ]


def test_invalid_json_gives_line_and_column():
    data = b'{\n    "Content": "x"\n    "ReportFormat": "text/csv"\n}\n'
    error = read_error(data)
    # The comma after "x" is missing; the parser stops at the next key, line 3, column 5.
    assert (error.line, error.column) == (3, 5)
    assert error.message.startswith("not valid JSON")
    assert str(error).startswith("in.json, line 3, column 5: not valid JSON")


def test_truncated_json_gives_line_and_column():
    error = read_error(b'{"Content": "dXNlcg==", ')
    assert (error.line, error.column) == (1, 25)


@pytest.mark.parametrize(
    "data",
    [
        b'{"ReportFormat": "text/csv", "GeneratedTime": "2025-06-01T08:30:00Z"}',
        b'{"Content": null}',
        b'{"Content": 42}',
        b"{}",
    ],
)
def test_json_without_content_string(data):
    error = read_error(data)
    assert "'Content'" in error.message
    assert error.line is None


@pytest.mark.parametrize(
    "content",
    [
        "this is not base64!",
        base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\x00").decode(),  # base64 of bytes, not UTF-8
        "dXNlcg=",  # bad padding
    ],
)
def test_content_neither_base64_nor_csv(content):
    error = read_error(cli_json(content))
    assert "neither base64 nor CSV" in error.message


def test_report_format_other_than_text_csv():
    error = read_error(cli_json(b64(CSV), ReportFormat="application/json"))
    assert "'application/json'" in error.message
    assert "text/csv" in error.message


@pytest.mark.parametrize("generated", ["yesterday", "2025-13-01T00:00:00Z", 1748766600, ["x"]])
def test_generated_time_that_is_not_a_timestamp(generated):
    error = read_error(cli_json(b64(CSV), generated))
    assert error.message.startswith(f"GeneratedTime {generated!r}")
    assert "not an ISO 8601 timestamp" in error.message


def test_empty_input():
    error = read_error(b"", "<stdin>")
    assert str(error).startswith("<stdin>: the input is empty")


def test_bad_utf8_in_csv_is_located_while_reading():
    data = CSV.encode().replace(b"svc,", b"sv\xffc,", 1)
    with pytest.raises(InputError) as info:
        read(data, "report.csv")
    assert (info.value.line, info.value.column) == (3, 3)
    assert "0xff" in info.value.message


# --- fixes: each of these failed before (found by a helper's review) ---------------------------


def _cli_json(content: str, **fields: object) -> bytes:
    import json as _json

    return _json.dumps({"Content": content, **fields}).encode()


def test_wrapped_base64_content_is_read():
    import base64 as _b64
    import textwrap

    from tests.conftest import report, report_row

    encoded = _b64.b64encode(report(report_row()).encode()).decode()
    wrapped = "\n".join(textwrap.wrap(encoded, 76))
    lines, _ = read_report(io.BytesIO(_cli_json(wrapped)), "w.json")
    assert [line.split(",", 1)[0] for line in lines] == ["user", "alice"]


def test_content_lines_split_only_at_csv_line_ends():
    # U+001C and U+2028 are line breaks to str.splitlines but ordinary characters in CSV.
    from tests.conftest import report, report_row

    text = report(report_row(user="a\x1cb\u2028c"))
    lines, _ = read_report(io.BytesIO(_cli_json(text)), "s.json")
    assert len(list(lines)) == 2


def test_generated_time_without_offset_is_an_error():
    from tests.conftest import report, report_row

    data = _cli_json(report(report_row()), GeneratedTime="2025-06-01T00:00:00")
    with pytest.raises(InputError) as caught:
        read_report(io.BytesIO(data), "g.json")
    assert str(caught.value) == "g.json: GeneratedTime '2025-06-01T00:00:00' has no UTC offset"
