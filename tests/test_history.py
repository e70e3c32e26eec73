"""History: scans recorded in SQLite, credentials over time, trend, and failure handling."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from stalecreds import scan_report
from stalecreds.cli import main
from stalecreds.history.store import History, HistoryError
from stalecreds.rules.verdicts import Thresholds
from tests.conftest import report, report_row

A = "arn:aws:iam::111122223333:user/alice"
B = "arn:aws:iam::444455556666:user/bob"


def _alice(last_used: str) -> str:
    return report_row(
        user="alice",
        arn=A,
        access_key_1_active="true",
        access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
        access_key_1_last_used_date=last_used,
    )


def _record(path, text: str, as_of: datetime) -> None:
    result = scan_report(text, as_of=as_of)
    with History(path) as history:
        history.record(result, as_of=as_of, recorded_at=as_of, source="test")


JAN = datetime(2025, 1, 1, tzinfo=UTC)
FEB = datetime(2025, 2, 1, tzinfo=UTC)
MAR = datetime(2025, 3, 1, tzinfo=UTC)


def test_first_seen_unused_and_resolved_follow_the_scans(tmp_path):
    path = tmp_path / "h.sqlite"
    _record(path, report(_alice("2024-06-01T00:00:00+00:00")), JAN)  # unused: a finding
    _record(path, report(_alice("2024-06-01T00:00:00+00:00")), FEB)  # still unused
    _record(path, report(_alice("2025-02-20T00:00:00+00:00")), MAR)  # used again: resolved
    with History(path) as history:
        (alice,) = history.credentials()
        trend = history.trend()
    assert alice.first_seen_unused == JAN.isoformat()
    assert alice.resolved == MAR.isoformat()
    assert alice.resolution == "used again"
    assert alice.latest_verdict == "in_use"
    assert alice.last_seen == MAR.isoformat()
    assert [(p.account_id, p.as_of, p.findings) for p in trend] == [
        ("111122223333", JAN, 1),
        ("111122223333", FEB, 1),
        ("111122223333", MAR, 0),
    ]


def test_a_credential_gone_from_its_account_is_resolved(tmp_path):
    path = tmp_path / "h.sqlite"
    # The account is seen through its credentials: carol's password keeps it in the scans.
    other = report_row(
        user="carol",
        arn="arn:aws:iam::111122223333:user/carol",
        password_enabled="true",
        password_last_used="2025-01-01T00:00:00+00:00",
        password_last_changed="2024-01-01T00:00:00+00:00",
    )
    _record(path, report(_alice("2024-06-01T00:00:00+00:00"), other), JAN)
    _record(path, report(other), FEB)  # alice's key deleted
    with History(path) as history:
        alice = next(c for c in history.credentials() if c.user == "alice")
    assert alice.resolved == FEB.isoformat()
    assert alice.resolution == "removed"
    assert alice.latest_verdict == "unused"


def test_a_scan_of_another_account_resolves_nothing(tmp_path):
    path = tmp_path / "h.sqlite"
    _record(path, report(_alice("2024-06-01T00:00:00+00:00")), JAN)
    _record(path, report(report_row(user="bob", arn=B)), FEB)
    with History(path) as history:
        alice = next(c for c in history.credentials() if c.user == "alice")
    assert alice.resolved is None
    assert alice.resolution is None


def test_schema_is_versioned(tmp_path):
    path = tmp_path / "h.sqlite"
    History(path).close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "h.sqlite"
    History(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(HistoryError, match="written by a newer stalecreds"):
        History(path)


def test_a_corrupt_file_is_a_history_error(tmp_path):
    path = tmp_path / "h.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(HistoryError, match="cannot open the history database"):
        History(path)


def test_concurrent_scans_all_record(tmp_path):
    path = tmp_path / "h.sqlite"
    History(path).close()
    text = report(_alice("2024-06-01T00:00:00+00:00"))
    errors: list[BaseException] = []

    def work(day: int) -> None:
        try:
            _record(path, text, datetime(2025, 1, day, tzinfo=UTC))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(day,)) for day in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    count = sqlite3.connect(path).execute("SELECT COUNT(*) FROM scans").fetchone()[0]
    assert count == 8


def test_cli_records_and_shows_history(tmp_path):
    path = tmp_path / "h.sqlite"
    runner = CliRunner()
    first = runner.invoke(main, ["scan", "--sample", "--history", str(path), "--exit-zero"])
    assert first.exit_code == 0
    assert f"recorded in the history {path}" in first.stderr
    shown = runner.invoke(main, ["history", "--history", str(path), "--format", "json"])
    assert shown.exit_code == 0
    document = json.loads(shown.stdout)
    assert len(document["credentials"]) == 17
    assert document["trend"] == [
        {
            "account_id": "123456789012",
            "as_of": "2026-11-01T09:14:27+00:00",
            "findings": 7,
            "scan_id": 1,
            "max_age_days": {"password": 90, "access_key": 90},
        }
    ]


def test_json_trend_tells_repeated_scans_of_one_time_apart(tmp_path):
    path = tmp_path / "h.sqlite"
    runner = CliRunner()
    for max_age in ("90", "30"):
        args = ["scan", "--sample", "--max-age", max_age, "--history", str(path), "--exit-zero"]
        assert runner.invoke(main, args).exit_code == 0
    shown = runner.invoke(main, ["history", "--history", str(path), "--format", "json"])
    trend = json.loads(shown.stdout)["trend"]
    assert [(t["scan_id"], t["as_of"], t["max_age_days"]) for t in trend] == [
        (1, "2026-11-01T09:14:27+00:00", {"password": 90, "access_key": 90}),
        (2, "2026-11-01T09:14:27+00:00", {"password": 30, "access_key": 30}),
    ]


def test_a_broken_history_never_loses_the_scan_output(tmp_path):
    path = tmp_path / "h.sqlite"
    path.write_bytes(b"not a database" * 100)
    out = tmp_path / "scan.json"
    result = CliRunner().invoke(
        main, ["scan", "--sample", "--history", str(path), "--format", "json", "-o", str(out)]
    )
    assert result.exit_code == 1  # the sample's findings, as without --history
    assert json.loads(out.read_text())["summary"]["findings"] == 7
    assert "warning: history not recorded" in result.stderr
    assert "Traceback" not in result.output


def test_history_without_a_database_says_how_to_make_one(tmp_path):
    # Issue 12 item 7: no recorded scan yet is a normal state (exit 0), not an error (was 2).
    path = tmp_path / "none.sqlite"
    result = CliRunner().invoke(main, ["history", "--history", str(path)])
    assert result.exit_code == 0
    assert result.stdout == (
        f"no scans recorded yet in {path}; record one with 'stalecreds scan --history'\n"
    )
    assert "error" not in result.stderr
    assert not path.exists()  # looking does not create a database
    as_json = CliRunner().invoke(main, ["history", "--history", str(path), "--format", "json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == {"credentials": [], "trend": []}
    assert "no scans recorded yet" in as_json.stderr


def _key(active: str, last_used: str = "2023-01-01T00:00:00+00:00") -> str:
    return report_row(
        user="ci",
        arn="arn:aws:iam::111122223333:user/ci",
        access_key_1_active=active,
        access_key_1_last_rotated="2022-01-01T00:00:00+00:00",
        access_key_1_last_used_date=last_used,
    )


def _record_key(path, active: str, as_of: datetime, key_id: str = "AKIACI0000000000001") -> None:
    result = scan_report(report(_key(active)), as_of=as_of)
    assessments = [
        a._replace(credential=a.credential._replace(access_key_id=key_id))
        for a in result.assessments
    ]
    with History(path) as history:
        history.record(assessments, as_of=as_of, recorded_at=as_of, source="test")


def test_inactive_since_is_the_first_scan_of_the_latest_inactive_run(tmp_path):
    path = tmp_path / "h.sqlite"
    _record_key(path, "false", JAN)  # inactive
    _record_key(path, "true", FEB)  # reactivated: the run is broken
    _record_key(path, "false", MAR)  # inactive again
    _record_key(path, "false", datetime(2025, 4, 1, tzinfo=UTC))
    with History(path) as history:
        assert history.inactive_since() == {"AKIACI0000000000001": MAR}


def test_an_active_key_has_no_inactive_since(tmp_path):
    path = tmp_path / "h.sqlite"
    _record_key(path, "false", JAN)
    _record_key(path, "true", FEB)
    with History(path) as history:
        assert history.inactive_since() == {}


def test_quarantine_counts_from_when_the_key_was_first_seen_inactive(tmp_path):
    # Last used in 2023, but first seen Inactive on 2025-03-01: deactivated recently (by
    # someone else). Planning on 2025-03-15 with a 30-day quarantine must not delete it yet;
    # without that knowledge the 2023 last use alone would let it be deleted.
    from stalecreds.remediate.plan import PlanPolicy, build_plan
    from stalecreds.rules.verdicts import Thresholds

    as_of = datetime(2025, 3, 15, tzinfo=UTC)
    result = scan_report(report(_key("false")), as_of=as_of)
    assessments = [
        a._replace(credential=a.credential._replace(access_key_id="AKIACI0000000000001"))
        for a in result.assessments
    ]

    def plan(known):
        return build_plan(
            assessments,
            plan_id="p",
            created=as_of,
            as_of=as_of,
            thresholds=Thresholds(),
            policy=PlanPolicy(quarantine_days=30),
            deactivated_at=known,
        )

    assert [s.action.value for s in plan({}).steps] == ["delete-access-key"]
    held = plan({"AKIACI0000000000001": MAR})
    assert held.steps == ()
    (exclusion,) = held.excluded
    assert exclusion.reason == (
        "inactive and unused since 2025-03-01: deleted once it has been inactive for 30 days"
    )


def _stale_account(tmp_path, stale: int, name: str):
    rows = [
        report_row(
            user=f"u{n}",
            arn=f"arn:aws:iam::111122223333:user/u{n}",
            access_key_1_active="true",
            access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
            access_key_1_last_used_date="2021-01-01T00:00:00+00:00",
        )
        for n in range(stale)
    ]
    path = tmp_path / name
    path.write_text(report(*rows, _alice("2025-02-28T00:00:00+00:00")))
    return path


def test_html_report_charts_findings_over_the_recorded_scans(tmp_path):
    history = tmp_path / "h.sqlite"
    runner = CliRunner()
    for stale, as_of in ((5, JAN), (3, FEB)):
        path = _stale_account(tmp_path, stale, f"{stale}.csv")
        args = ["scan", "--report", str(path), "--as-of", as_of.isoformat()]
        assert runner.invoke(main, [*args, "--history", str(history), "--exit-zero"]).exit_code == 0
    latest = _stale_account(tmp_path, 1, "1.csv")
    page = tmp_path / "report.html"
    args = ["scan", "--report", str(latest), "--as-of", MAR.isoformat(), "--format", "html"]
    result = runner.invoke(main, [*args, "--history", str(history), "-o", str(page), "--exit-zero"])
    assert result.exit_code == 0, result.output
    html = page.read_text()
    titles = re.findall(r"<circle [^>]*><title>([^<]*)</title>", html)
    assert titles == [
        "111122223333: 5 findings, 2025-01-01 00:00 UTC",
        "111122223333: 3 findings, 2025-02-01 00:00 UTC",
        "111122223333: 1 finding, 2025-03-01 00:00 UTC",
    ]
    # and the scan was recorded after the page was written
    with History(history) as recorded:
        assert [point.findings for point in recorded.trend()] == [5, 3, 1]


def test_an_unreadable_history_gives_a_report_without_trend(tmp_path):
    history = tmp_path / "h.sqlite"
    history.write_bytes(b"not a database" * 100)
    page = tmp_path / "report.html"
    result = CliRunner().invoke(
        main, ["scan", "--sample", "--history", str(history), "--format", "html", "-o", str(page)]
    )
    assert result.exit_code == 1  # the sample's findings
    assert "warning: the report has no trend" in result.stderr
    assert "warning: history not recorded" in result.stderr
    assert 'id="chart-trend"' not in page.read_text()
    assert 'id="chart-age"' in page.read_text()


def test_a_deactivated_key_is_resolved_as_deactivated(tmp_path):
    path = tmp_path / "h.sqlite"
    _record_key(path, "true", JAN)  # active, unused since 2023: a finding
    _record_key(path, "false", FEB)  # deactivated (by apply, or by hand)
    with History(path) as history:
        (key,) = history.credentials()
    assert (key.first_seen_unused, key.resolved, key.resolution) == (
        JAN.isoformat(),
        FEB.isoformat(),
        "deactivated",
    )


def test_history_table_says_how_each_credential_was_resolved(tmp_path):
    path = tmp_path / "h.sqlite"
    _record_key(path, "true", JAN)
    _record_key(path, "false", FEB)
    result = CliRunner().invoke(main, ["history", "--history", str(path)])
    assert result.exit_code == 0
    assert "2025-02-01 (deactivated)" in result.stdout


# --- scale: one ordered pass, not a subquery per credential


def test_a_big_history_is_read_whole_and_right(tmp_path):
    # 3,000 users x 2 keys x 2 scans: the old correlated subqueries took minutes on this.
    users = 3000

    def rows(key1_used: str) -> str:
        return report(
            *(
                report_row(
                    user=f"u{n}",
                    arn=f"arn:aws:iam::111122223333:user/u{n}",
                    access_key_1_active="true",
                    access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
                    access_key_1_last_used_date=key1_used if n % 2 else "2021-01-01T00:00:00+00:00",
                    access_key_2_active="true",
                    access_key_2_last_rotated="2020-01-01T00:00:00+00:00",
                    access_key_2_last_used_date="2024-12-30T00:00:00+00:00",
                )
                for n in range(users)
            )
        )

    path = tmp_path / "h.sqlite"
    _record(path, rows("2021-01-01T00:00:00+00:00"), JAN)  # every key 1 unused
    _record(path, rows("2025-01-20T00:00:00+00:00"), FEB)  # odd users' key 1 used again
    with History(path) as history:
        credentials = history.credentials()
        trend = history.trend()
    assert len(credentials) == 2 * users
    assert [(c.user, c.slot) for c in credentials[:4]] == [
        ("u0", 1),
        ("u0", 2),
        ("u1", 1),
        ("u1", 2),
    ]
    by_slot = {(c.user, c.slot): c for c in credentials}
    resolved = {n: by_slot[(f"u{n}", 1)] for n in range(users)}
    assert {(c.resolved, c.resolution) for n, c in resolved.items() if n % 2} == {
        (FEB.isoformat(), "used again")
    }
    assert {(c.resolved, c.latest_verdict) for n, c in resolved.items() if not n % 2} == {
        (None, "unused")
    }
    assert {c.first_seen_unused for c in resolved.values()} == {JAN.isoformat()}
    # key 2: used 2024-12-30, in use at both scans (FEB is 33 days later): never a finding
    assert {
        (c.first_seen_unused, c.resolved, c.latest_verdict) for c in credentials if c.slot == 2
    } == {(None, None, "in_use")}
    assert [(p.as_of, p.findings) for p in trend] == [(JAN, users), (FEB, users // 2)]


# --- a key rotated into the same report slot, a password set again


def _alice_rotated(rotated: str, last_used: str) -> str:
    return report_row(
        user="alice",
        arn=A,
        access_key_1_active="true",
        access_key_1_last_rotated=rotated,
        access_key_1_last_used_date=last_used,
    )


def test_a_key_rotated_into_the_same_slot_is_replaced_not_used_again(tmp_path):
    path = tmp_path / "h.sqlite"
    _record(path, report(_alice("2024-06-01T00:00:00+00:00")), JAN)  # unused: a finding
    # The old key deleted, a new one created in slot 1 and used: the old one was never used.
    new_key = _alice_rotated("2025-02-10T00:00:00+00:00", "2025-02-20T00:00:00+00:00")
    _record(path, report(new_key), MAR)
    with History(path) as history:
        (alice,) = history.credentials()
    assert (alice.first_seen_unused, alice.resolved, alice.resolution) == (
        JAN.isoformat(),
        MAR.isoformat(),
        "replaced",
    )
    assert alice.latest_verdict == "in_use"


def test_a_rotated_key_not_used_yet_is_replaced(tmp_path):
    path = tmp_path / "h.sqlite"
    _record(path, report(_alice("2024-06-01T00:00:00+00:00")), JAN)
    _record(path, report(_alice_rotated("2025-02-10T00:00:00+00:00", "N/A")), MAR)  # new
    with History(path) as history:
        (alice,) = history.credentials()
    assert (alice.resolved, alice.resolution, alice.latest_verdict) == (
        MAR.isoformat(),
        "replaced",
        "new",
    )


def _password(changed: str, last_used: str) -> str:
    return report_row(
        user="dave",
        arn="arn:aws:iam::111122223333:user/dave",
        password_enabled="true",
        password_last_changed=changed,
        password_last_used=last_used,
    )


def test_a_password_set_again_is_replaced_and_a_sign_in_is_used_again(tmp_path):
    path = tmp_path / "h.sqlite"
    _record(path, report(_password("2023-01-01T00:00:00+00:00", "2023-02-01T00:00:00+00:00")), JAN)
    # set again (reset by an admin) and signed in with: the old password is gone
    _record(path, report(_password("2025-01-20T00:00:00+00:00", "2025-01-25T00:00:00+00:00")), FEB)
    with History(path) as history:
        (dave,) = history.credentials()
    assert (dave.resolved, dave.resolution) == (FEB.isoformat(), "replaced")

    other = tmp_path / "other.sqlite"
    _record(other, report(_password("2023-01-01T00:00:00+00:00", "2023-02-01T00:00:00+00:00")), JAN)
    _record(other, report(_password("2023-01-01T00:00:00+00:00", "2025-01-25T00:00:00+00:00")), FEB)
    with History(other) as history:
        (dave,) = history.credentials()
    assert (dave.resolved, dave.resolution) == (FEB.isoformat(), "used again")


# --- scans judged with other maximum ages


def _record_with(path, text: str, as_of: datetime, days: int) -> None:
    result = scan_report(text, as_of=as_of, thresholds=Thresholds(days, days))
    with History(path) as history:
        history.record(result, as_of=as_of, recorded_at=as_of, source="test")


def test_a_longer_max_age_is_not_taken_for_use(tmp_path):
    path = tmp_path / "h.sqlite"
    text = report(_alice("2024-06-01T00:00:00+00:00"))  # 214 days before JAN
    _record_with(path, text, JAN, 90)  # a finding
    _record_with(path, text, FEB, 700)  # not a finding with 700 days, though nothing changed
    with History(path) as history:
        (alice,) = history.credentials()
        assert [p.findings for p in history.trend()] == [1, 0]
        assert [p.findings for p in history.trend(thresholds=Thresholds(90, 90))] == [1]
        assert [p.as_of for p in history.trend(thresholds=Thresholds(700, 700))] == [FEB]
        assert history.trend(thresholds=Thresholds(30, 30)) == []
    assert (alice.resolved, alice.resolution, alice.latest_verdict) == (
        FEB.isoformat(),
        "no longer a finding (max age changed)",
        "in_use",
    )
    _record_with(path, text, MAR, 90)  # back to 90 days: a finding again, so unresolved
    with History(path) as history:
        (alice,) = history.credentials()
    assert (alice.resolved, alice.resolution, alice.latest_verdict) == (None, None, "unused")


def test_real_use_under_another_max_age_is_still_used_again(tmp_path):
    path = tmp_path / "h.sqlite"
    _record_with(path, report(_alice("2024-06-01T00:00:00+00:00")), JAN, 90)
    _record_with(path, report(_alice("2025-01-20T00:00:00+00:00")), FEB, 700)
    with History(path) as history:
        (alice,) = history.credentials()
    assert (alice.resolved, alice.resolution) == (FEB.isoformat(), "used again")


def test_only_the_max_age_of_the_credentials_kind_counts(tmp_path):
    path = tmp_path / "h.sqlite"
    text = report(_alice("2024-06-01T00:00:00+00:00"))
    _record_with(path, text, JAN, 90)
    # exempt in FEB, judged with another password max age only: not "max age changed"
    result = scan_report(text, as_of=FEB, thresholds=Thresholds(30, 90))
    exempt = [a._replace(finding_rules=()) for a in result.assessments]
    with History(path) as history:
        history.record(
            exempt, as_of=FEB, recorded_at=FEB, source="test", thresholds=Thresholds(30, 90)
        )
        (alice,) = history.credentials()
    assert alice.resolution == "no longer a finding"


def test_trend_by_thresholds_keeps_scans_of_unknown_thresholds(tmp_path):
    path = tmp_path / "h.sqlite"
    result = scan_report(report(_alice("2024-06-01T00:00:00+00:00")), as_of=JAN)
    with History(path) as history:
        # a plain list of assessments says nothing of the thresholds: NULL, as in old rows
        history.record(list(result), as_of=JAN, recorded_at=JAN, source="test")
    _record_with(path, report(_alice("2024-06-01T00:00:00+00:00")), FEB, 700)
    with History(path) as history:
        assert [p.as_of for p in history.trend(thresholds=Thresholds(90, 90))] == [JAN]
        assert [p.as_of for p in history.trend(thresholds=Thresholds(700, 700))] == [JAN, FEB]
        assert [s.thresholds for s in history.scan_findings()] == [None, Thresholds(700, 700)]


# --- migration from schema 1

_SCHEMA_1 = """
    CREATE TABLE scans (
        id INTEGER PRIMARY KEY, as_of TEXT NOT NULL, recorded_at TEXT NOT NULL,
        source TEXT NOT NULL
    );
    CREATE TABLE observations (
        scan_id INTEGER NOT NULL REFERENCES scans(id), credential TEXT NOT NULL,
        account_id TEXT NOT NULL, user TEXT NOT NULL, arn TEXT NOT NULL, kind TEXT NOT NULL,
        slot INTEGER, access_key_id TEXT, status TEXT, verdict TEXT NOT NULL,
        finding INTEGER NOT NULL, last_used TEXT
    );
    CREATE INDEX observations_by_credential ON observations(credential, scan_id);
    CREATE INDEX observations_by_scan ON observations(scan_id);
    PRAGMA user_version = 1;
"""


def _schema_1(path) -> None:
    """A database as stalecreds wrote it before schema 2, with alice's key unused in JAN."""
    db = sqlite3.connect(path)
    db.executescript(_SCHEMA_1)
    db.execute("INSERT INTO scans VALUES (1, ?, ?, 'test')", (JAN.isoformat(), JAN.isoformat()))
    db.execute(
        "INSERT INTO observations VALUES (1, ?, '111122223333', 'alice', ?, 'access_key', 1, "
        "NULL, 'Active', 'unused', 1, '2024-06-01T00:00:00+00:00')",
        (f"111122223333|{A}|access_key|slot1", A),
    )
    db.commit()
    db.close()


def test_a_schema_1_history_is_migrated_and_still_read(tmp_path):
    path = tmp_path / "h.sqlite"
    _schema_1(path)
    with History(path) as history:
        (alice,) = history.credentials()
        (point,) = history.scan_findings()
    assert (alice.first_seen_unused, alice.latest_verdict, alice.resolved) == (
        JAN.isoformat(),
        "unused",
        None,
    )
    assert (point.scan_id, point.as_of, point.findings, point.thresholds) == (1, JAN, 1, None)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    assert db.execute(
        "SELECT password_max_age_days, access_key_max_age_days FROM scans"
    ).fetchall() == [(None, None)]
    assert db.execute("SELECT created FROM observations").fetchall() == [(None,)]
    db.close()
    # A new scan of a key rotated into the slot: the old row has no creation time, so
    # "replaced" cannot be told; the later last use says "used again", as before.
    new_key = _alice_rotated("2025-02-10T00:00:00+00:00", "2025-02-20T00:00:00+00:00")
    _record(path, report(new_key), MAR)
    with History(path) as history:
        (alice,) = history.credentials()
        assert [s.thresholds for s in history.scan_findings()] == [None, Thresholds()]
    assert (alice.resolved, alice.resolution) == (MAR.isoformat(), "used again")


def test_a_schema_1_history_opened_by_several_scans_at_once_migrates_once(tmp_path):
    path = tmp_path / "h.sqlite"
    _schema_1(path)
    errors: list[BaseException] = []

    def work(day: int) -> None:
        try:
            _record(path, report(_alice("2024-06-01T00:00:00+00:00")), FEB.replace(day=day))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(day,)) for day in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db = sqlite3.connect(path)
    assert db.execute("SELECT COUNT(*) FROM scans").fetchone()[0] == 7
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2


# --- the history table


def test_history_table_counts_scans_and_dates_first_and_latest(tmp_path):
    path = tmp_path / "h.sqlite"
    bob = report_row(
        user="bob",
        arn=B,
        access_key_1_active="true",
        access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
        access_key_1_last_used_date="2021-01-01T00:00:00+00:00",
    )
    _record(path, report(_alice("2024-06-01T00:00:00+00:00")), JAN)
    _record(path, report(_alice("2024-06-01T00:00:00+00:00"), bob), FEB)
    _record(path, report(_alice("2025-02-20T00:00:00+00:00"), bob), MAR)
    result = CliRunner().invoke(main, ["history", "--history", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any("2025-01-01 to 2025-03-01" in line for line in lines)
    alice = next(
        line
        for line in lines
        if "111122223333" in line and "Findings" not in line and "alice" not in line
    )
    bob_line = next(line for line in lines if "444455556666" in line and "bob" not in line)
    # columns: account, scans, trend (one per scan time: JAN FEB MAR), first, latest
    assert re.search(r"111122223333 +│ +3 +│ +██▁ +│ +1 \(2025-01-01\) +│ +0 \(2025-03-01\)", alice)
    assert re.search(
        r"444455556666 +│ +2 +│ +·██ +│ +1 \(2025-02-01\) +│ +1 \(2025-03-01\)", bob_line
    )


def test_the_html_trend_leaves_out_scans_with_other_maximum_ages(tmp_path):
    history = tmp_path / "h.sqlite"
    runner = CliRunner()
    path = _stale_account(tmp_path, 4, "4.csv")
    base = ["scan", "--report", str(path), "--history", str(history), "--exit-zero"]
    assert runner.invoke(main, [*base, "--as-of", JAN.isoformat()]).exit_code == 0
    assert (
        runner.invoke(main, [*base, "--as-of", FEB.isoformat(), "--max-age", "3000"]).exit_code == 0
    )
    page = tmp_path / "report.html"
    result = runner.invoke(
        main, [*base, "--as-of", MAR.isoformat(), "--format", "html", "-o", str(page)]
    )
    assert result.exit_code == 0, result.output
    titles = re.findall(r"<circle [^>]*><title>([^<]*)</title>", page.read_text())
    assert titles == [
        "111122223333: 4 findings, 2025-01-01 00:00 UTC",  # the 3,000-day scan is left out
        "111122223333: 4 findings, 2025-03-01 00:00 UTC",
    ]


def test_history_piped_to_head_keeps_its_exit_code(tmp_path):
    """``stalecreds history | head``: exit 0, no traceback (rich alone would exit 1)."""
    path = tmp_path / "h.sqlite"
    rows = [
        report_row(
            user=f"user-{n:04d}",
            arn=f"arn:aws:iam::111122223333:user/user-{n:04d}",
            access_key_1_active="true",
            access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
            access_key_1_last_used_date="2021-01-01T00:00:00+00:00",
        )
        for n in range(1500)  # a table far larger than a pipe's buffer
    ]
    _record(path, report(*rows), JAN)
    command = [sys.executable, "-m", "stalecreds", "history", "--history", str(path)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read(10)
        process.stdout.close()
        errors = process.stderr.read().decode()
        assert process.wait(timeout=60) == 0
    assert "Traceback" not in errors
