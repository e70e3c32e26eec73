"""Merging JSON results: ``--shard`` runs of one organisation give what one unsharded run gives.

The shard outputs are real: ``stalecreds scan --accounts-file F --shard K/2`` (and without
``--shard``) against moto, through ``CliRunner``, over four member accounts whose IDs are fixed
so that both shards hold some. The rest of the rules (same ``max_age_days``, duplicates kept
once with a warning, ``as_of`` the earliest) are checked on small documents too.
"""

from __future__ import annotations

import copy
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from stalecreds.accounts.selection import shard_of
from stalecreds.cli import main
from stalecreds.errors import InputError
from stalecreds.formats.base import SCHEMA_VERSION
from stalecreds.formats.merge import merge_documents
from tests.conftest import SeedKey, fake_aws_environment, moto_post
from tests.org_helpers import member_iam, new_session, seed_member_user

AS_OF = datetime(2025, 6, 1, tzinfo=UTC)
AS_OF_TEXT = "2025-06-01T00:00:00+00:00"
ACCOUNTS = ("111122223333", "444455556666", "777788889999", "000000000000")
"""Member accounts (moto assumes a role in any account): shards 1, 2, 1 and 2 of 2."""


def days(n: float) -> datetime:
    return AS_OF - timedelta(days=n)


def seed_accounts(*, credential_less_user: bool = False) -> None:
    session = new_session()
    for index, account_id in enumerate(ACCOUNTS):
        iam = member_iam(session, account_id)
        seed_member_user(
            iam,
            account_id,
            f"person-{index}",
            created=days(400),
            password=True,
            password_used=days(5 if index % 2 else 200),
        )
        seed_member_user(
            iam,
            account_id,
            f"svc-{index}",
            created=days(700),
            keys=(SeedKey(days(600), days(300)), SeedKey(days(20), days(1))),
        )
        seed_member_user(
            iam,
            account_id,
            "deploy",  # the same user name in every account
            created=days(300),
            keys=(SeedKey(days(300), None, active=index % 2 == 0),),
        )
        if credential_less_user and index == 1:
            # A user with no password and no key: in the report, counted in summary.users.
            seed_member_user(iam, account_id, "no-creds", created=days(50))
        # Warm the report: moto answers the first GenerateCredentialReport of an account STARTED
        # (the scan then trusts its fresh report) and later ones COMPLETE (a cached report: the
        # scan re-reads what is not in use through the API). moto's report has no last-used
        # region or service (N/A) while GetAccessKeyLastUsed has them, so a cold and a warm run
        # would differ there; warming makes every run read the same.
        iam.generate_credential_report()


def write_accounts_file(folder: Path) -> Path:
    path = folder / "accounts.txt"
    path.write_text("# the organisation\n" + "\n".join(ACCOUNTS) + "\n", encoding="utf-8")
    return path


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), prog_name="stalecreds")


def scan_to(out: Path, accounts_file: Path, *args: str) -> dict[str, Any]:
    result = cli(
        "scan",
        "--accounts-file",
        str(accounts_file),
        "--as-of",
        AS_OF_TEXT,
        "--format",
        "json",
        "--output",
        str(out),
        *args,
    )
    assert result.exit_code == 1, result.stderr  # findings, no failure
    return json.loads(out.read_text(encoding="utf-8"))


def credential_key(record: dict[str, Any]) -> tuple:
    return (record["account_id"], record["arn"], record["kind"], record["slot"] or 0)


def comparable(document: dict[str, Any]) -> tuple[list, list, dict]:
    credentials = sorted(document["credentials"], key=credential_key)
    accounts = sorted(document["accounts"], key=lambda a: a["account_id"])
    return credentials, accounts, document["summary"]


def test_the_fixed_accounts_fall_in_both_shards():
    assert [shard_of(a, 2) for a in ACCOUNTS] == [1, 2, 1, 2]


@pytest.fixture(scope="module")
def runs(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """The organisation scanned three times: shard 1/2, shard 2/2, and whole."""
    folder = tmp_path_factory.mktemp("merge")
    with pytest.MonkeyPatch.context() as monkeypatch:
        fake_aws_environment(monkeypatch)
        moto_post(f"{moto_server}/moto-api/reset")
        monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
        seed_accounts()
        accounts_file = write_accounts_file(folder)
        paths = SimpleNamespace(
            one=folder / "shard-1.json", two=folder / "shard-2.json", whole=folder / "whole.json"
        )
        one = scan_to(paths.one, accounts_file, "--shard", "1/2", "--max-workers", "2")
        two = scan_to(paths.two, accounts_file, "--shard", "2/2")
        whole = scan_to(paths.whole, accounts_file, "--max-workers", "1")
        # A shard judged with other windows.
        paths.strict = folder / "shard-2-60d.json"
        strict = scan_to(paths.strict, accounts_file, "--shard", "2/2", "--max-age", "60")
    return SimpleNamespace(folder=folder, paths=paths, one=one, two=two, whole=whole, strict=strict)


def test_each_shard_scans_only_its_accounts(runs):
    def ids(document: dict[str, Any]) -> list[str]:
        return [a["account_id"] for a in document["accounts"]]

    assert ids(runs.one) == [ACCOUNTS[0], ACCOUNTS[2]]
    assert ids(runs.two) == [ACCOUNTS[1], ACCOUNTS[3]]
    assert ids(runs.whole) == list(ACCOUNTS)
    assert {c["account_id"] for c in runs.one["credentials"]} == {ACCOUNTS[0], ACCOUNTS[2]}
    assert {c["account_id"] for c in runs.two["credentials"]} == {ACCOUNTS[1], ACCOUNTS[3]}
    assert runs.one["source"]["file"] == "accounts: 2 accounts, shard 1/2"


def test_merged_shards_equal_the_unsharded_run(runs):
    merged = merge_documents([(str(runs.paths.one), runs.one), (str(runs.paths.two), runs.two)])
    assert comparable(merged) == comparable(runs.whole)
    assert merged["summary"]["findings"] > 0
    assert merged["max_age_days"] == runs.whole["max_age_days"]
    assert merged["as_of"] == AS_OF_TEXT
    assert merged["as_of_range"] == [AS_OF_TEXT, AS_OF_TEXT]
    assert merged["source"] == {
        "type": "merged",
        "inputs": [
            {"file": str(runs.paths.one), "source": runs.one["source"]},
            {"file": str(runs.paths.two), "source": runs.two["source"]},
        ],
    }
    # Warnings of the inputs are kept; none is added (there are no duplicates).
    assert merged["warnings"] == runs.one["warnings"] + runs.two["warnings"]


def test_merge_order_does_not_change_the_result(runs):
    forward = merge_documents([("1", runs.one), ("2", runs.two)])
    backward = merge_documents([("2", runs.two), ("1", runs.one)])
    assert comparable(forward) == comparable(backward)


def test_merge_cli_writes_the_merged_json(runs, tmp_path):
    out = tmp_path / "all.json"
    result = cli("merge", str(runs.paths.one), str(runs.paths.two), "--output", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    written = json.loads(out.read_text(encoding="utf-8"))
    count = runs.whole["summary"]["credentials"]
    assert result.stderr == f"stalecreds: wrote {out} ({count} credentials from 2 inputs)\n"
    assert comparable(written) == comparable(runs.whole)
    assert written == merge_documents(
        [(str(runs.paths.one), runs.one), (str(runs.paths.two), runs.two)]
    )
    assert written["schema_version"] == SCHEMA_VERSION
    # Without --output: the same document on standard output.
    again = cli("merge", str(runs.paths.one), str(runs.paths.two))
    assert again.exit_code == 0
    assert json.loads(again.stdout) == written


def test_a_merged_result_can_be_merged_again(runs, tmp_path):
    first = tmp_path / "first.json"
    assert cli("merge", str(runs.paths.one), "-o", str(first)).exit_code == 0
    merged = merge_documents(
        [(str(first), json.loads(first.read_text())), (str(runs.paths.two), runs.two)]
    )
    assert comparable(merged) == comparable(runs.whole)


def test_duplicates_are_kept_once_with_a_warning(runs, tmp_path):
    copy_path = tmp_path / "shard-1-again.json"
    shutil.copy(runs.paths.one, copy_path)
    merged = merge_documents(
        [
            (str(runs.paths.one), runs.one),
            (str(runs.paths.two), runs.two),
            (str(copy_path), json.loads(copy_path.read_text())),
        ]
    )
    assert comparable(merged) == comparable(runs.whole)
    added = merged["warnings"][len(runs.one["warnings"]) + len(runs.two["warnings"]) :]
    duplicates = [w["message"] for w in added if "more than one input" in w["message"]]
    credential_warnings = sorted(m for m in duplicates if "a credential of" in m)
    assert credential_warnings == sorted(
        f"{copy_path}: a credential of {c['arn']} is in more than one input; kept once"
        for c in runs.one["credentials"]
    )
    assert sorted(m for m in duplicates if "account " in m and "a credential" not in m) == sorted(
        f"{copy_path}: account {a} is in more than one input; kept once"
        for a in (ACCOUNTS[0], ACCOUNTS[2])
    )
    assert all(w["line"] is None for w in added)


def test_different_max_age_cannot_be_merged(runs):
    other, strict = runs.paths.strict, runs.strict
    assert strict["max_age_days"] == {"password": 60, "access_key": 60}
    with pytest.raises(InputError) as caught:
        merge_documents([(str(runs.paths.one), runs.one), (str(other), strict)])
    assert str(caught.value) == (
        f"{other}: max_age_days {{'password': 60, 'access_key': 60}} differs from "
        "{'password': 90, 'access_key': 90}: results judged by different rules cannot be merged"
    )
    result = cli("merge", str(runs.paths.one), str(other))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"stalecreds: error: {other}: max_age_days ")


def test_merged_shards_count_users_without_credentials_like_one_run(moto_endpoint, tmp_path):
    # Once a bug: merge_documents counts summary.users again from the credentials, so a user
    # with no password and no key (counted by a scan) vanishes from the merged summary; the
    # inputs' "accounts" rows carry each account's user count.
    seed_accounts(credential_less_user=True)
    accounts_file = write_accounts_file(tmp_path)
    one = scan_to(tmp_path / "1.json", accounts_file, "--shard", "1/2")
    two = scan_to(tmp_path / "2.json", accounts_file, "--shard", "2/2")
    whole = scan_to(tmp_path / "whole.json", accounts_file)
    merged = merge_documents([("1.json", one), ("2.json", two)])
    assert whole["summary"]["users"] == sum(a["users"] for a in whole["accounts"])
    assert merged["summary"] == whole["summary"]


# --- merge rules on small documents -------------------------------------------------------------


def document(as_of: str, *credentials: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "as_of": as_of,
        "max_age_days": {"password": 90, "access_key": 90},
        "source": {"type": "credential_report", "file": "x"},
        "credentials": list(credentials),
        "warnings": [],
        "warnings_omitted": 0,
        **extra,
    }


def credential(account: str, user: str, verdict: str = "unused", **extra: Any) -> dict[str, Any]:
    return {
        "account_id": account,
        "arn": f"arn:aws:iam::{account}:user/{user}",
        "user": user,
        "kind": "password",
        "slot": None,
        "access_key_id": None,
        "report_line": 2,
        "verdict": verdict,
        "finding": verdict == "unused",
        "cleanup_candidate": False,
        **extra,
    }


def test_as_of_is_the_earliest_input_and_the_range_both_ends():
    merged = merge_documents(
        [
            ("b", document("2025-06-02T00:00:00+00:00", credential(ACCOUNTS[0], "a"))),
            ("a", document("2025-06-01T00:00:00+00:00", credential(ACCOUNTS[1], "a"))),
            ("c", document("2025-06-03T00:00:00+00:00")),
        ]
    )
    assert merged["as_of"] == "2025-06-01T00:00:00+00:00"
    assert merged["as_of_range"] == ["2025-06-01T00:00:00+00:00", "2025-06-03T00:00:00+00:00"]
    assert merged["summary"]["users"] == 2
    assert "accounts" not in merged  # no input had an accounts section
    assert merged["warnings"] == [
        {
            "line": None,
            "message": "the inputs were judged at different times (2025-06-01T00:00:00+00:00 "
            "to 2025-06-03T00:00:00+00:00); as_of is the earliest, as_of_range gives both",
        }
    ]


def test_a_result_merged_with_itself_counts_its_users_once():
    # two users with credentials, and a summary that also counts one without any
    one = document(
        AS_OF_TEXT,
        credential(ACCOUNTS[0], "a"),
        credential(ACCOUNTS[0], "b"),
        summary={"users": 3},
    )
    assert merge_documents([("x", one)])["summary"]["users"] == 3
    assert merge_documents([("x", one), ("x-again", one)])["summary"]["users"] == 3


def test_warnings_omitted_are_summed_and_warnings_kept_in_order():
    merged = merge_documents(
        [
            (
                "a",
                document(AS_OF_TEXT, warnings=[{"line": 3, "message": "one"}], warnings_omitted=2),
            ),
            (
                "b",
                document(
                    AS_OF_TEXT, warnings=[{"line": None, "message": "two"}], warnings_omitted=5
                ),
            ),
        ]
    )
    assert merged["warnings"] == [{"line": 3, "message": "one"}, {"line": None, "message": "two"}]
    assert merged["warnings_omitted"] == 7


def test_summary_is_counted_from_the_credentials():
    merged = merge_documents(
        [
            (
                "a",
                document(
                    AS_OF_TEXT,
                    credential(ACCOUNTS[0], "a"),
                    credential(ACCOUNTS[0], "b", "in_use"),
                    credential(ACCOUNTS[0], "c", "new", cleanup_candidate=True),
                    # Users come from the inputs' summaries (users without credentials count too);
                    # everything else is counted from the credentials.
                    summary={"users": 5},
                ),
            )
        ]
    )
    assert merged["summary"] == {
        "users": 5,
        "credentials": 3,
        "findings": 1,
        "cleanup_candidates": 1,
        "by_verdict": {
            "unused": 1,
            "never_used": 0,
            "uncertain": 0,
            "unknown": 0,
            "in_use": 1,
            "new": 1,
            "untracked": 0,
        },
    }


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ([], "not a stalecreds JSON result (no 'credentials' list)"),
        ({"credentials": {}}, "not a stalecreds JSON result (no 'credentials' list)"),
        (
            document(AS_OF_TEXT) | {"schema_version": 99},
            f"schema_version 99; this stalecreds merges version {SCHEMA_VERSION}",
        ),
    ],
)
def test_what_cannot_be_merged_is_named(bad, message):
    good = document(AS_OF_TEXT, credential(ACCOUNTS[0], "a"))
    with pytest.raises(InputError) as caught:
        merge_documents([("good.json", good), ("bad.json", copy.deepcopy(bad))])
    assert str(caught.value) == f"bad.json: {message}"


def test_nothing_to_merge():
    with pytest.raises(InputError, match=r"^merge: no documents to merge$"):
        merge_documents([])


def test_merge_cli_input_errors(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"credentials": [\n  1,\n', encoding="utf-8")
    result = cli("merge", str(broken))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"stalecreds: error: {broken}, line 3, column 1: not valid JSON"
    )
    assert result.stdout == ""
    missing = cli("merge", str(tmp_path / "missing.json"))
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr
