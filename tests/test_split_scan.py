"""A report file scanned in two processes gives exactly the output of a scan in one.

Each test scans the same file both ways, with the split :func:`find_split` chooses (the tests use
small files; the size threshold is the CLI's business), and compares the rendered bytes, the
summary, the warnings, or the error message. Whether the child's half was taken or the parent
read on is visible in where the parent's reader stopped.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from stalecreds.cli import main
from stalecreds.errors import InputError
from stalecreds.formats.csv import render_csv
from stalecreds.formats.json import render_json
from stalecreds.report import split_scan
from stalecreds.report.input import read_report
from stalecreds.report.scan import ReportScan
from stalecreds.report.split_scan import Split, SplitReportScan, find_split, report_scan
from stalecreds.rules.verdicts import Thresholds, VerdictRules
from tests.conftest import HEADER, report_row

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
RULES = VerdictRules(AS_OF, Thresholds())


def _stamp(moment: datetime) -> str:
    return moment.isoformat()


def user_row(number: int, account: str = "111122223333", name: str | None = None) -> str:
    """A user with a password and one or two keys; dates vary with ``number``."""
    name = name or f"user{number}"
    created = datetime(2015, 1, 1, tzinfo=UTC) + timedelta(days=number % 3000)
    used = created + timedelta(days=(number * 7) % 4000, minutes=number % 60)
    cells = {
        "user": name,
        "arn": f"arn:aws:iam::{account}:user/{name}",
        "user_creation_time": _stamp(created),
        "password_enabled": "true" if number % 2 else "false",
        "password_last_used": _stamp(used) if number % 3 else "no_information",
        "password_last_changed": _stamp(created) if number % 2 else "N/A",
        "mfa_active": "true" if number % 5 else "false",
        "access_key_1_active": "true",
        "access_key_1_last_rotated": _stamp(created),
        "access_key_1_last_used_date": _stamp(used) if number % 4 else "N/A",
        "access_key_1_last_used_region": "us-east-1" if number % 4 else "N/A",
        "access_key_1_last_used_service": "s3" if number % 4 else "N/A",
    }
    if number % 7 == 0:
        cells.update(
            access_key_2_active="false",
            access_key_2_last_rotated=_stamp(created),
            access_key_2_last_used_date="N/A",
        )
    return report_row(**cells)


def rows(count: int, start: int = 0, account: str = "111122223333") -> list[str]:
    return [user_row(number, account) for number in range(start, start + count)]


def write(tmp_path: Path, lines: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "report.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8", newline="")
    return path


def render(scan: ReportScan, renderer=render_json) -> str:
    out = io.StringIO()
    renderer(scan, out)
    return out.getvalue()


def both_ways(path: Path, rules: VerdictRules = RULES, renderer=render_json):
    """(serial output, split output, the split scan); errors as their messages."""
    results = []
    with path.open("rb") as probe:
        split = find_split(probe, path.stat().st_size)
    assert split is not None
    for kind in ("serial", "split"):
        with path.open("rb") as stream:
            lines, source = read_report(stream, str(path))
            if kind == "serial":
                scan: ReportScan = ReportScan(lines, source, rules)
            else:
                scan = SplitReportScan(str(path), split, lines, source, rules)
            try:
                results.append((render(scan, renderer), scan))
            except InputError as error:
                results.append((f"error: {error}", scan))
    (serial, _), (split_output, split_scan_) = results
    assert isinstance(split_scan_, SplitReportScan)
    return serial, split_output, split_scan_


def took_child_half(scan: SplitReportScan) -> bool:
    """True when the parent stopped at the split (it read on otherwise)."""
    return scan.reader.next_line == scan.split.line


# --- find_split ------------------------------------------------------------------------------


def test_find_split_takes_the_first_line_start_after_the_middle():
    data = b"header\n" + b"".join(b"row %d\n" % n for n in range(10))
    split = find_split(io.BytesIO(data), len(data))
    assert split is not None
    assert split.offset > len(data) // 2
    assert data[split.offset - 1 : split.offset] == b"\n"
    assert b"\n" not in data[len(data) // 2 : split.offset - 1]
    assert split.line == data[: split.offset].count(b"\n") + 1
    assert data.splitlines()[split.line - 1] == data[split.offset :].split(b"\n", 1)[0]


@pytest.mark.parametrize(
    "data",
    [
        b"one line without an end, long enough to have a middle",
        b"header\nthe last line ends at the end of the data\n",
        b'header\n"a quoted field\nthat spans the middle of the data",x\n',
    ],
    ids=["no-line-feed", "last-line", "odd-quotes"],
)
def test_find_split_gives_none_without_a_usable_line_start(data):
    assert find_split(io.BytesIO(data), len(data)) is None


# --- the same output -------------------------------------------------------------------------


@pytest.mark.parametrize("renderer", [render_json, render_csv], ids=["json", "csv"])
def test_split_scan_output_is_the_serial_output(tmp_path, renderer):
    path = write(tmp_path, rows(400))
    serial, split, scan = both_ways(path, renderer=renderer)
    assert split == serial
    assert took_child_half(scan)


def test_line_numbers_and_warnings_on_both_sides_of_the_split(tmp_path):
    lines = rows(300)
    lines[10] = lines[10].replace("2015-01-", "2027-01-")  # dates after the as-of time
    lines[-10] = lines[-10].replace("2015-", "2028-")
    lines.insert(250, "")  # a blank line after the split: line numbers shift
    lines[-3] = report_row(
        user="nodate", arn="arn:aws:iam::111122223333:user/nodate", access_key_1_active="true"
    )
    path = write(tmp_path, lines)
    serial, split, scan = both_ways(path)
    assert split == serial
    assert took_child_half(scan)
    assert len(scan.warnings.items) >= 3
    assert '"report_line":' + str(len(lines) + 1) in split


def test_warning_limit_spans_the_halves(tmp_path):
    # Judged in 2014, every credential is dated after the as-of time: a warning each.
    path = write(tmp_path, rows(1500))
    early = VerdictRules(datetime(2014, 1, 1, tzinfo=UTC), Thresholds())
    serial, split, scan = both_ways(path, rules=early)
    assert split == serial
    assert took_child_half(scan)
    assert scan.warnings.dropped > 0
    assert len(scan.warnings.items) == scan.warnings.limit


def test_reports_concatenated_with_their_headers(tmp_path):
    lines = [*rows(150, account="111122223333"), HEADER, *rows(150, account="444455556666")]
    serial, split, scan = both_ways(write(tmp_path, lines))
    assert split == serial
    assert took_child_half(scan)


def test_a_user_in_both_halves_is_read_on_in_one_process(tmp_path):
    lines = rows(300)
    lines.append(lines[5])  # the same user again, after the split
    serial, split, scan = both_ways(write(tmp_path, lines))
    assert split == serial
    assert "already appeared on line 7" in split
    assert not took_child_half(scan)


def test_an_odd_account_in_both_halves_is_warned_about_once(tmp_path):
    lines = rows(300, account="12345")
    serial, split, scan = both_ways(write(tmp_path, lines))
    assert split == serial
    assert split.count("is not 12 digits") == 1
    assert not took_child_half(scan)


def test_a_quoted_field_across_the_split_is_read_on_in_one_process(tmp_path):
    lines = rows(300)
    name = "x" + "\n" * 600 + "y"
    lines[150] = user_row(150, name=f'"{name}"').replace(f'/"{name}"', "/xy")
    lines[149] = 'y"z' + lines[149]  # a literal quote: the quote count is even again
    path = write(tmp_path, lines)
    serial, split, scan = both_ways(path)
    data = path.read_bytes()
    assert data.rfind(b'"x\n', 0, scan.split.offset) > data.rfind(b'y",', 0, scan.split.offset)
    assert split == serial
    assert not took_child_half(scan)


@pytest.mark.parametrize("where", [5, 148, 152, 299])
@pytest.mark.parametrize(
    "damage",
    [
        lambda row: row.replace("2015-", "2015-13-", 1),  # a bad date
        lambda row: row.rsplit(",", 3)[0],  # a short row
        lambda row: row[:3] + "\x00" + row[3:],  # a NUL byte
    ],
    ids=["bad-date", "short-row", "nul"],
)
def test_errors_are_the_serial_errors(tmp_path, where, damage):
    lines = rows(300)
    lines[where] = damage(lines[where])
    serial, split, _ = both_ways(write(tmp_path, lines))
    assert serial.startswith("error: ")
    assert f"line {where + 2}" in serial
    assert split == serial


# --- when the CLI splits ---------------------------------------------------------------------


def test_report_scan_splits_only_large_regular_csv_files(tmp_path, monkeypatch):
    path = write(tmp_path, rows(50))
    for minimum, expected in ((path.stat().st_size + 1, ReportScan), (1, SplitReportScan)):
        monkeypatch.setattr(split_scan, "MIN_SPLIT_BYTES", minimum)
        with path.open("rb") as stream:
            lines, source = read_report(stream, str(path))
            assert type(report_scan(str(path), stream, lines, source, RULES)) is expected


def test_cli_output_is_the_same_split_or_not(tmp_path, monkeypatch):
    path = write(tmp_path, rows(300))
    args = ["scan", "--report", str(path), "--format", "json", "--as-of", AS_OF.isoformat()]
    outputs = []
    for minimum in (path.stat().st_size + 1, 1):
        monkeypatch.setattr(split_scan, "MIN_SPLIT_BYTES", minimum)
        result = CliRunner().invoke(main, args)
        outputs.append((result.exit_code, result.stdout, result.stderr))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == 1


def test_split_is_frozen():
    with pytest.raises(AttributeError):
        Split(1, 2).line = 3  # type: ignore[misc]
