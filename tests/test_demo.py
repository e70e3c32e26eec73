"""``stalecreds demo``: the demo account of demo.py, scanned on its own local moto server.

Expected verdicts derived by hand from ``seed_demo_account`` (dates are days before now, which is
also ``as_of``; 90-day windows; in moto a password's date is the user's creation date, so the
"days since set" of demo.py's table is not what the report says):

=============== ========== =================================================== =============
user            credential seed                                                verdict
=============== ========== =================================================== =============
alice           password   user 1400, last sign-in 1                           in_use
alice           key 1      created 300, used 0.2                               in_use
bob             password   user 900, last sign-in 210                          unused
bob             key 1      created 700, used 200                               unused
carol           password   user 3, never signed in                             new
dave            password   user 420 (after 2014-10-20), never signed in        never_used
break-glass     password   user 1600, last sign-in 500; tag stalecreds:exempt  unused, exempt
ci-deploy       key 1      created 400, used 0.05                              in_use
ci-deploy       key 2      Inactive, created 900, used 400                     unused, clean-up
data-pipeline   key 1      created 300, never used                             never_used
data-pipeline   key 2      created 700, used 1                                 in_use
legacy-backup   key 1      created 4650 (before 2015-04-22), never used        unused
reporting       key 1      created 10, never used                              new
=============== ========== =================================================== =============

Findings: bob (2), dave, data-pipeline key 1, legacy-backup: 5. break-glass is exempt.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from click.testing import CliRunner

from stalecreds.cli import main

ACCESS_KEY_TRACKING_START = datetime(2015, 4, 22, tzinfo=UTC)


def legacy_backup_verdict() -> str:
    # 4650 days before now is 2014-03-08 on 2026-11-30; it stays before IAM began tracking key
    # use (2015-04-22) until 2028-01-14, after which the same key is never_used.
    created = datetime.now(UTC) - timedelta(days=4650)
    return "unused" if created < ACCESS_KEY_TRACKING_START else "never_used"


def test_demo_json_verdicts_and_key_ids(moto_endpoint: str) -> None:
    # moto_endpoint resets moto's in-process backend, which the demo's own server shares.
    result = CliRunner().invoke(main, ["demo", "--format", "json"])

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == (
        "stalecreds: this was a demo account on a local moto server; "
        "run 'stalecreds scan' to scan yours"
    )
    document = json.loads(result.stdout)
    rows = [
        (
            c["user"],
            c["kind"],
            c["slot"],
            c["status"],
            c["verdict"],
            c["finding"],
            c["cleanup_candidate"],
            c["days_since_created"],
            c["days_since_last_used"],
        )
        for c in document["credentials"]
    ]
    legacy = legacy_backup_verdict()
    assert rows == [
        ("alice", "password", None, None, "in_use", False, False, 1400, 1),
        ("alice", "access_key", 1, "Active", "in_use", False, False, 300, 0),
        ("bob", "password", None, None, "unused", True, False, 900, 210),
        ("bob", "access_key", 1, "Active", "unused", True, False, 700, 200),
        ("carol", "password", None, None, "new", False, False, 3, None),
        ("dave", "password", None, None, "never_used", True, False, 420, None),
        ("break-glass", "password", None, None, "unused", False, False, 1600, 500),
        ("ci-deploy", "access_key", 1, "Active", "in_use", False, False, 400, 0),
        ("ci-deploy", "access_key", 2, "Inactive", "unused", False, True, 900, 400),
        ("data-pipeline", "access_key", 1, "Active", "never_used", True, False, 300, None),
        ("data-pipeline", "access_key", 2, "Active", "in_use", False, False, 700, 1),
        ("legacy-backup", "access_key", 1, "Active", legacy, True, False, 4650, None),
        ("reporting", "access_key", 1, "Active", "new", False, False, 10, None),
    ]
    assert document["summary"] == {
        "users": 9,
        "credentials": 13,
        "findings": 5,
        "cleanup_candidates": 1,
        "by_verdict": {
            "in_use": 4,
            "new": 2,
            "uncertain": 0,
            "never_used": 2 + (legacy == "never_used"),
            "unused": 4 + (legacy == "unused"),
            "untracked": 0,
            "unknown": 0,
        },
    }
    source = document["source"]
    assert (source["file"], source["format"]) == (
        "credential report of account 123456789012",
        "iam-credential-report",
    )
    # The demo says the report was generated when it was fetched (moto says 2015).
    generated = datetime.fromisoformat(source["generated_time"])
    as_of = datetime.fromisoformat(document["as_of"])
    assert abs(generated - as_of) < timedelta(minutes=1)

    # Key IDs (one demo run serves both checks: each takes a second).
    ids: dict[tuple[str, Any], Any] = {
        (c["user"], c["slot"]): c["access_key_id"]
        for c in document["credentials"]
        if c["kind"] == "access_key"
    }
    # alice's only key is in use: her keys are not listed. Every other user with a key has one
    # that is not in use, so all its keys are matched to IDs (moto's are 20 characters, AKIA…).
    assert ids.pop(("alice", 1)) is None
    assert sorted(ids) == [
        ("bob", 1),
        ("ci-deploy", 1),
        ("ci-deploy", 2),
        ("data-pipeline", 1),
        ("data-pipeline", 2),
        ("legacy-backup", 1),
        ("reporting", 1),
    ]
    assert all(key.startswith("AKIA") and len(key) == 20 for key in ids.values())
    assert len(set(ids.values())) == 7


def test_demo_serve_keeps_the_account_up_for_plan_and_apply(tmp_path):
    import json
    import os
    import re
    import signal
    import subprocess
    import sys

    with subprocess.Popen(
        [sys.executable, "-m", "stalecreds", "demo", "--serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as server:
        try:
            lines = []
            for line in server.stdout:  # type: ignore[union-attr]
                lines.append(line)
                if line.startswith("Press Ctrl-C"):
                    break
            endpoint = re.search(r"AWS_ENDPOINT_URL=(http://127\.0\.0\.1:\d+)", "".join(lines))
            assert endpoint is not None
            env = dict(
                os.environ,
                AWS_ENDPOINT_URL=endpoint.group(1),
                AWS_ACCESS_KEY_ID="AKIADEMODEMODEMODEMO",
                AWS_SECRET_ACCESS_KEY="demo-secret-not-a-real-key",
                XDG_DATA_HOME=str(tmp_path),
            )
            plan = tmp_path / "plan.json"
            made = subprocess.run(
                [sys.executable, "-m", "stalecreds", "plan", "--out", str(plan)],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert made.returncode == 0, made.stderr
            steps = json.loads(plan.read_text())["steps"]
            # bob's password and key, dave's password, data-pipeline's and legacy-backup's keys,
            # and ci-deploy's long-inactive key (past the 30-day quarantine): see demo.py's seed.
            assert len(steps) == 6
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    assert server.returncode == 0
