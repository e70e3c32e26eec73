"""The command line's bytes, before and after a refactoring: ``scan --sample`` in every format and
a live scan of the demo account as JSON, compared with files recorded before the library API
(issue 10 item 6). ``pytest --update-golden`` rewrites them; review the diff before committing.

The live scan seeds the demo account (demo.py) at a fixed time on the test moto server and
scans it with ``--as-of`` that time, so every date is fixed; moto's random IDs (access key IDs,
user IDs) are replaced by placeholders in the order they first appear.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from stalecreds.cli import main
from stalecreds.formats import OutputFormat

DEMO_AS_OF = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
_MOTO_IDS = re.compile(r"\bA(?:KIA|IDA)[A-Z0-9]{16}\b")


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), prog_name="stalecreds")


def _placeholders(text: str) -> str:
    """Replace each distinct moto-generated ID by ``<ID n>`` (n in order of first appearance)."""
    seen: dict[str, str] = {}

    def name(match: re.Match[str]) -> str:
        return seen.setdefault(match.group(0), f"<ID {len(seen) + 1}>")

    return _MOTO_IDS.sub(name, text)


@pytest.mark.parametrize("chosen", [f.value for f in OutputFormat])
def test_scan_sample_is_byte_identical(golden, chosen):
    result = _invoke("scan", "--sample", "--format", chosen)

    assert result.exit_code == 1  # the sample has findings
    assert result.stderr == ""
    extension = {"markdown": "md", "asff": "asff.json", "ocsf": "ocsf.json"}.get(chosen, chosen)
    golden(f"cli-scan-sample.{extension}", result.stdout)


def test_live_scan_of_the_demo_account_is_byte_identical(golden, iam):
    from stalecreds.demo import seed_demo_account

    seed_demo_account(iam, DEMO_AS_OF)
    result = _invoke("scan", "--format", "json", "--as-of", DEMO_AS_OF.isoformat())

    assert result.exit_code == 1  # bob, dave, data-pipeline and legacy-backup have findings
    golden("cli-scan-demo-account.json", _placeholders(result.stdout))
    # The wait for moto's report, and the warning that moto's report is old (it always says
    # it was generated in 2015), so the credentials not in use were re-checked live.
    golden("cli-scan-demo-account.stderr", result.stderr)


def test_folder_scan_is_byte_identical(golden, tmp_path):
    from tests.conftest import report, report_row

    folder = tmp_path / "exports"
    folder.mkdir()
    for account, user in (("111122223333", "alice"), ("444455556666", "svc")):
        row = report_row(
            user=user,
            arn=f"arn:aws:iam::{account}:user/{user}",
            access_key_1_active="true",
            access_key_1_last_rotated="2024-01-01T00:00:00+00:00",
        )
        (folder / f"{account}.csv").write_text(report(row), encoding="utf-8")
    (folder / "z-broken.csv").write_text(report(report_row(user_creation_time="x")), "utf-8")
    result = _invoke(
        "scan", "--report", str(folder), "--format", "json", "--as-of", DEMO_AS_OF.isoformat()
    )

    assert result.exit_code == 4  # one report file could not be read
    golden("cli-scan-folder.json", result.stdout.replace(str(tmp_path), "<tmp>"))
    golden("cli-scan-folder.stderr", result.stderr.replace(str(tmp_path), "<tmp>"))


_PLAN_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{8}")
_MADE = re.compile(r"made \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC|\"created\": \"[^\"]+\"")


def _stable(text: str, tmp_path) -> str:
    """``text`` without what changes from run to run: IDs, the plan's time, the temporary path."""
    text = _PLAN_ID.sub("<plan id>", text.replace(str(tmp_path), "<tmp>"))
    return _placeholders(_MADE.sub("<made>", text))


def test_live_plan_apply_and_undo_are_byte_identical(golden, iam, tmp_path, monkeypatch):
    from stalecreds.demo import seed_demo_account

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    seed_demo_account(iam, DEMO_AS_OF)
    plan_path, journal = tmp_path / "plan.json", tmp_path / "journal.jsonl"
    outputs = {}
    as_of = DEMO_AS_OF.isoformat()
    for name, args, code in (
        ("plan", ("plan", "--as-of", as_of, "--out", str(plan_path)), 0),
        ("apply-dry-run", ("apply", str(plan_path), "--dry-run", "--journal", str(journal)), 0),
        ("apply", ("apply", str(plan_path), "--yes", "--journal", str(journal)), 0),
        ("undo", ("undo", str(journal), "--yes"), 0),
    ):
        result = _invoke(*args)
        assert result.exit_code == code, (name, result.stderr)
        outputs[name] = result
        if name == "plan":
            outputs["plan-file"] = plan_path.read_text(encoding="utf-8")

    for name, value in outputs.items():
        if isinstance(value, str):
            golden(f"cli-{name}-demo-account.json", _stable(value, tmp_path))
        else:
            text = f"{value.stdout}--- stderr ---\n{value.stderr}"
            golden(f"cli-{name}-demo-account.txt", _stable(text, tmp_path))


def test_history_is_byte_identical(golden, tmp_path):
    database = tmp_path / "history.db"
    recorded = _invoke("scan", "--sample", "--format", "csv", "--history", str(database))
    table = _invoke("history", "--history", str(database))
    document = _invoke("history", "--history", str(database), "--format", "json")

    assert (recorded.exit_code, table.exit_code, document.exit_code) == (1, 0, 0)
    assert recorded.stderr == f"stalecreds: recorded in the history {database}\n"
    golden("cli-history-sample.txt", table.stdout)
    golden("cli-history-sample.json", document.stdout)


@pytest.mark.parametrize(
    "command", ["", "scan", "plan", "apply", "undo", "merge", "history", "demo"]
)
def test_help_is_byte_identical(golden, command):
    result = _invoke(*([command] if command else []), "--help")

    assert result.exit_code == 0
    golden(f"cli-help-{command or 'main'}.txt", result.stdout)
