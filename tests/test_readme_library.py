"""The README's "As a library" snippets, run exactly as written (extracted from README.md) against
moto on 127.0.0.1: a report file, a live account, an Organization, and a plan/apply.

The caller's account (moto's default, which becomes the organisation's management account) and
one member account are seeded with dates relative to now (the snippets judge as of now), in a
temporary working folder that holds the snippet's ``report.csv`` and the journals.
"""

from __future__ import annotations

import contextlib
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, SeedKey, report, report_row, seed_user
from tests.org_helpers import MANAGEMENT, Organization, member_iam, new_session, seed_member_user


def library_snippets() -> list[str]:
    """The ```python blocks of the README's "As a library" section, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## As a library\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def run(snippet: str) -> list[str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(snippet, "README.md", "exec"), {})  # the README's own code
    return out.getvalue().splitlines()


@pytest.fixture
def world(iam: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    now = datetime.now(UTC)

    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    (tmp_path / "report.csv").write_text(
        report(
            report_row(
                user="svc",
                arn="arn:aws:iam::111122223333:user/svc",
                access_key_1_active="true",
                access_key_1_last_rotated="2024-01-01T00:00:00+00:00",
            )
        ),
        encoding="utf-8",
    )
    seed_user(iam, "stale", created=ago(500), keys=(SeedKey(ago(400), ago(200)),))
    seed_user(iam, "fresh", created=ago(400), password=True, password_used=ago(3))
    seed_user(iam, "dormant", created=ago(300), password=True, password_used=ago(100))
    session = new_session()
    member = Organization(session).add_account("workloads")
    seed_member_user(
        member_iam(session, member), member, "old-ci", created=ago(900), keys=(SeedKey(ago(900)),)
    )
    return {"member": member, "data": tmp_path / "data"}


def test_the_readme_has_the_four_snippets():
    snippets = library_snippets()
    assert len(snippets) == 4
    assert "scan_report(" in snippets[0]
    assert "ScanRequest(thresholds=" in snippets[1]
    assert "org=True" in snippets[2]
    assert "apply_plan(prepared)" in snippets[3]


def test_the_readme_snippets_run_against_moto(world):
    report_file, live, organization, plan_apply = library_snippets()

    assert run(report_file) == [
        "svc access_key never_used Never used since created 2024-01-01, before the 45-day "
        "window that starts 2025-04-17."
    ]
    assert sorted(run(live)) == sorted(
        [
            "stale access_key unused",
            "dormant password unused",
            "2 findings, 0 failed lookups",
        ]
    )
    rows = run(organization)
    assert sorted(rows[:-1]) == sorted(
        [
            f"{MANAGEMENT} master scanned 2",
            f"{world['member']} workloads scanned 1",
        ]
    )
    assert rows[-1] == "0 accounts not scanned"
    lines = run(plan_apply)
    assert sorted(lines[:-1]) == sorted(
        [
            "planned: stale deactivate-access-key",
            "planned: dormant delete-login-profile",
            "stale deactivate-access-key applied",
            "dormant delete-login-profile applied",
        ]
    )
    assert re.fullmatch(r"journal: \d{8}T\d{6}Z-[0-9a-f]{8}\.jsonl", lines[-1])
    (journal,) = (world["data"] / "stalecreds" / "journals").glob("*.jsonl")
    assert lines[-1] == f"journal: {journal.name}"
