"""The region of ASFF findings (issue 12, item 8).

Once a bug: every finding said ``us-east-1`` (product ARN and resources), so ``aws securityhub
batch-import-findings`` in any other region refused them; ``--region`` was refused for report
scans as live-only. Now a live scan follows ``--region``, ``AWS_REGION``, ``AWS_DEFAULT_REGION``
(the session's region); a report scan takes ``--region`` with ``--format asff``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from stalecreds.cli import main
from tests.conftest import MOTO_ACCOUNT_ID, SeedKey, seed_user


def regions(findings: list[dict[str, Any]]) -> set[str]:
    """Every region a finding names: its product ARN's and its resources'."""
    found = {f["ProductArn"].split(":")[3] for f in findings}
    found |= {r["Region"] for f in findings for r in f["Resources"]}
    return found


def sample_asff(*args: str) -> Any:
    return CliRunner().invoke(main, ["scan", "--sample", "--format", "asff", *args])


def test_a_report_scan_takes_region_for_asff():
    result = sample_asff("--region", "eu-west-1")
    assert result.exit_code == 1, result.stderr
    findings = json.loads(result.stdout)
    assert findings
    assert regions(findings) == {"eu-west-1"}
    assert all(f["ProductArn"].startswith("arn:aws:securityhub:eu-west-1:") for f in findings)


def test_without_region_a_report_keeps_the_partition_default(monkeypatch):
    # A report's findings depend on the file and options alone, not on the environment.
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    findings = json.loads(sample_asff().stdout)
    assert regions(findings) == {"us-east-1"}


def test_region_is_still_refused_for_other_formats_of_a_report():
    result = CliRunner().invoke(main, ["scan", "--sample", "--region", "eu-west-1"])
    assert result.exit_code == 2
    assert "--region needs a live scan or --format asff" in result.stderr


@pytest.mark.parametrize("bad", ["eu_west_1", "../../etc", "EU-WEST-1", "eu-west-1\x1b[2J"])
def test_a_name_that_is_not_a_region_is_refused(bad):
    result = sample_asff("--region", bad)
    assert result.exit_code == 2
    assert "is not an AWS region name" in result.stderr
    assert result.stdout == ""


def seed_unused_key(moto_endpoint: str, boto_session: Any) -> None:
    from stalecreds.aws.session import iam_client

    old = datetime.now(UTC) - timedelta(days=400)
    seed_user(iam_client(boto_session), "idle", created=old, keys=(SeedKey(old, old),))


def live_asff(monkeypatch: pytest.MonkeyPatch, *args: str, **env: str) -> list[dict[str, Any]]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["scan", "--format", "asff", *args])
    assert result.exit_code == 1, result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    assert findings and {f["AwsAccountId"] for f in findings} == {MOTO_ACCOUNT_ID}
    return findings


def test_a_live_scan_follows_the_session_region(moto_endpoint, boto_session, monkeypatch):
    seed_unused_key(moto_endpoint, boto_session)
    default = live_asff(monkeypatch, AWS_DEFAULT_REGION="eu-central-1")
    assert regions(default) == {"eu-central-1"}
    preferred = live_asff(monkeypatch, AWS_REGION="ap-southeast-2")  # as the AWS CLI prefers it
    assert regions(preferred) == {"ap-southeast-2"}
    given = live_asff(monkeypatch, "--region", "sa-east-1")
    assert regions(given) == {"sa-east-1"}
    assert all(f["ProductArn"].startswith("arn:aws:securityhub:sa-east-1:") for f in given)


def test_a_bad_region_from_the_environment_is_refused(moto_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "not a region")
    result = CliRunner().invoke(main, ["scan", "--format", "asff"])
    assert result.exit_code == 2
    assert "AWS_REGION" in result.stderr and "'not a region'" in result.stderr
