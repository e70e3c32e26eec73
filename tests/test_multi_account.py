"""Scanning many accounts (moto over HTTP): one failing account never stops or spoils the others.

An organisation of four member accounts, each reached through ``OrganizationAccountAccessRole``:

* ``prod`` and ``dev`` are fine; their users' dates are seeded so every verdict is known by
  hand (see :data:`EXPECTED`);
* ``legacy`` has no such role: its ``AssumeRole`` answers ``AccessDenied`` (injected: moto
  assumes any role, existing or not — ``tests/org_helpers.py``);
* ``locked``'s role may not call ``iam:GenerateCredentialReport`` (injected on requests signed
  with that account's assumed credentials: moto IAM cannot deny one call in one account).

The management account (moto's default, the caller) is left out with ``exclude``.
The library path (``scan_accounts`` with ``live_account_scanner``, then ``merge``) runs once per
module; the command line runs the same organisation again.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from stalecreds.accounts.parallel import AccountFailure, merge, scan_accounts
from stalecreds.accounts.selection import select_accounts
from stalecreds.aws.account_scanners import live_account_scanner
from stalecreds.aws.live_options import LiveScanOptions
from stalecreds.aws.organizations import list_accounts
from stalecreds.aws.session import caller_identity
from stalecreds.cli import main
from stalecreds.formats.base import record
from stalecreds.formats.json import render_json
from stalecreds.formats.table import render_table
from stalecreds.report.input import ReportSource
from stalecreds.report.scan import Summary
from stalecreds.rules.verdicts import Thresholds, VerdictRules
from tests.conftest import SeedKey, fake_aws_environment, moto_post
from tests.org_helpers import (
    MANAGEMENT,
    ROLE,
    AccountFaults,
    Organization,
    member_iam,
    new_session,
    seed_member_user,
)

AS_OF = datetime(2025, 6, 1, tzinfo=UTC)
AS_OF_TEXT = "2025-06-01T00:00:00+00:00"


def days(n: float) -> datetime:
    return AS_OF - timedelta(days=n)


# (account name, user, kind, verdict, finding, cleanup candidate, status): what the seeding in
# seed_organisation must give with the default 90-day windows, worked out by hand.
EXPECTED = {
    ("prod", "alice", "password", "in_use", False, False, None),  # signed in 10 days ago
    ("prod", "stale-key", "access_key", "unused", True, False, "Active"),  # used 200 days ago
    ("prod", "never-key", "access_key", "never_used", True, False, "Active"),  # 300 days, never
    ("dev", "bob", "password", "unused", True, False, None),  # last sign-in 120 days ago
    ("dev", "old-inactive", "access_key", "unused", False, True, "Inactive"),  # 300 d, Inactive
    ("dev", "fresh", "access_key", "new", False, False, "Active"),  # created 10 days ago
}


def seed_organisation(session: Any) -> SimpleNamespace:
    """The organisation of the module docstring; returns the account IDs by name."""
    org = Organization(session)
    ids = {name: org.add_account(name) for name in ("prod", "dev", "legacy", "locked")}

    def iam(name: str) -> Any:
        return member_iam(session, ids[name])

    prod, dev = iam("prod"), iam("dev")
    keys: dict[str, str] = {}
    seed_member_user(
        prod, ids["prod"], "alice", created=days(400), password=True, password_used=days(10)
    )
    (keys["stale-key"],) = seed_member_user(
        prod,
        ids["prod"],
        "stale-key",
        created=days(500),
        keys=(SeedKey(days(400), days(200), service="s3"),),
    )
    (keys["never-key"],) = seed_member_user(
        prod, ids["prod"], "never-key", created=days(300), keys=(SeedKey(days(300)),)
    )
    seed_member_user(
        dev, ids["dev"], "bob", created=days(400), password=True, password_used=days(120)
    )
    (keys["old-inactive"],) = seed_member_user(
        dev,
        ids["dev"],
        "old-inactive",
        created=days(600),
        keys=(SeedKey(days(500), days(300), active=False, service="ec2"),),
    )
    (keys["fresh"],) = seed_member_user(
        dev, ids["dev"], "fresh", created=days(10), keys=(SeedKey(days(10)),)
    )
    # Users in the two failing accounts: none of theirs may appear anywhere.
    seed_member_user(
        iam("legacy"), ids["legacy"], "ghost", created=days(500), keys=(SeedKey(days(400)),)
    )
    seed_member_user(
        iam("locked"), ids["locked"], "hidden", created=days(500), keys=(SeedKey(days(400)),)
    )
    return SimpleNamespace(org=org, ids=ids, keys=keys, names={v: k for k, v in ids.items()})


def faults_for(ids: dict[str, str], faults: AccountFaults) -> AccountFaults:
    faults.deny_assume.add(ids["legacy"])
    faults.deny_iam[ids["locked"]] = {"GenerateCredentialReport"}
    return faults


def summarise(records: list[dict[str, Any]], names: dict[str, str]) -> set[tuple]:
    return {
        (
            names.get(r["account_id"], r["account_id"]),
            r["user"],
            r["kind"],
            r["verdict"],
            r["finding"],
            r["cleanup_candidate"],
            r["status"],
        )
        for r in records
    }


@pytest.fixture(scope="module")
def scanned(moto_server: str) -> SimpleNamespace:
    """Seed the organisation and scan it once through the library: outcomes and merged result."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        fake_aws_environment(monkeypatch)
        moto_post(f"{moto_server}/moto-api/reset")
        monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
        seeded = seed_organisation(new_session())
        faults = faults_for(seeded.ids, AccountFaults().install(monkeypatch))
        base = new_session()
        faults.attach(base)  # AssumeRole answers, on the caller's session
        caller = caller_identity(base)
        organisation = list_accounts(base.client("organizations"))
        accounts = select_accounts(organisation, exclude=[MANAGEMENT])
        rules = VerdictRules(AS_OF, Thresholds())
        scan_one = live_account_scanner(
            base, caller, rules, LiveScanOptions(), role_name=ROLE, external_id=None
        )
        done: list[tuple[str, bool]] = []
        outcomes = scan_accounts(
            accounts, scan_one, workers=4, on_done=lambda a, ok: done.append((a.account_id, ok))
        )
        source = ReportSource(name="organization: 4 accounts", format="multi-account")
        result = merge(outcomes, source=source, as_of=AS_OF, thresholds=rules.thresholds)
        out = io.StringIO()
        render_json(result, out)
        document = json.loads(out.getvalue())
    return SimpleNamespace(
        **vars(seeded),
        faults=faults,
        caller=caller,
        accounts=accounts,
        outcomes=outcomes,
        done=done,
        result=result,
        document=document,
    )


def by_name(scanned: SimpleNamespace) -> dict[str, Any]:
    return {scanned.names[o.account.account_id]: o for o in scanned.outcomes}


# --- the library: scan_accounts and merge --------------------------------------------------------


def test_every_member_account_is_scanned_once_in_order(scanned):
    ids = scanned.ids
    assert [a.account_id for a in scanned.accounts] == sorted(ids.values())
    assert [o.account for o in scanned.outcomes] == scanned.accounts
    assert {a.name for a in scanned.accounts} == {"prod", "dev", "legacy", "locked"}
    assert sorted(scanned.done) == sorted(
        (ids[n], n in ("prod", "dev")) for n in ("prod", "dev", "legacy", "locked")
    )
    # Every member account is reached through the role, never the management account.
    assert scanned.faults.assumed_accounts() == sorted(ids.values())
    assert {(c.role_name, c.session_name, c.external_id) for c in scanned.faults.assume_calls} == {
        (ROLE, "stalecreds", None)
    }


def test_the_fine_accounts_have_results_and_no_failure(scanned):
    outcomes = by_name(scanned)
    for name in ("prod", "dev"):
        assert outcomes[name].failure is None
        assert outcomes[name].result is not None
        assert outcomes[name].result.errors == ()


def test_the_account_denying_the_credential_report_fails_at_the_scan_step(scanned):
    locked = by_name(scanned)["locked"]
    assert locked.result is None
    assert locked.failure == AccountFailure(
        "scan",
        "iam:GenerateCredentialReport",
        "AccessDenied",
        f"User: arn:aws:sts::{scanned.ids['locked']}:assumed-role/{ROLE}/stalecreds is not "
        "authorized to perform: iam:GenerateCredentialReport on resource: *",
    )


def test_the_account_without_the_role_fails_with_its_code(scanned):
    legacy = by_name(scanned)["legacy"]
    assert legacy.result is None
    assert legacy.failure is not None
    assert legacy.failure.code == "AccessDenied"
    assert legacy.failure.message == (
        f"User: arn:aws:sts::{MANAGEMENT}:user/moto is not authorized to perform: sts:AssumeRole "
        f"on resource: arn:aws:iam::{scanned.ids['legacy']}:role/{ROLE}"
    )


def test_the_account_without_the_role_fails_at_the_assume_role_step(scanned):
    # Once a bug: aws-assume-role-lib defers AssumeRole to the first use of the credentials
    # (DeferredRefreshableCredentials), so account_session() returns without calling STS and the
    # AccessDenied surfaces inside the first IAM call: step "scan", action
    # "iam:GenerateCredentialReport" (or iam:ListUsers with --source api). The README promises
    # the step and API call that failed.
    legacy = by_name(scanned)["legacy"]
    assert legacy.failure is not None
    assert (legacy.failure.step, legacy.failure.action) == ("assume-role", "sts:AssumeRole")


def test_the_fine_accounts_findings_are_all_present_and_right(scanned):
    records = scanned.document["credentials"]
    assert summarise(records, scanned.names) == EXPECTED
    assert len(records) == len(EXPECTED)
    assert not any(r["user"] in ("ghost", "hidden") for r in records)
    # Live scans know every access key's ID.
    keys = {r["user"]: r["access_key_id"] for r in records if r["kind"] == "access_key"}
    assert keys == scanned.keys


def test_account_name_is_set_on_every_credential(scanned):
    for outcome in scanned.outcomes:
        if outcome.result is None:
            continue
        for assessment in outcome.result:
            assert assessment.owner.account_name == scanned.names[assessment.owner.account_id]
            assert assessment.owner.account_id == outcome.account.account_id
    assert {(r["account_id"], r["account_name"]) for r in scanned.document["credentials"]} == {
        (scanned.ids["prod"], "prod"),
        (scanned.ids["dev"], "dev"),
    }


def test_the_merged_summary_is_the_sum_of_the_accounts(scanned):
    outcomes = by_name(scanned)
    total = Summary()
    for name in ("prod", "dev"):
        part = outcomes[name].result.summary
        total.users += part.users
        total.credentials += part.credentials
        total.findings += part.findings
        total.cleanup_candidates += part.cleanup_candidates
        total.by_verdict.update(part.by_verdict)
    assert scanned.result.summary == total
    assert scanned.result.summary.as_dict() == {
        "users": 6,
        "credentials": 6,
        "findings": 3,
        "cleanup_candidates": 1,
        "by_verdict": {
            "unused": 3,
            "never_used": 1,
            "uncertain": 0,
            "unknown": 0,
            "in_use": 1,
            "new": 1,
            "untracked": 0,
        },
    }
    assert scanned.document["summary"] == scanned.result.summary.as_dict()
    assert [o.account.account_id for o in scanned.result.failures] == sorted(
        [scanned.ids["legacy"], scanned.ids["locked"]]
    )
    assert scanned.result.errors == ()


def test_warnings_of_each_account_are_prefixed_with_it(scanned):
    # moto's report always says GeneratedTime 2015-02-02: each fine account warns of it.
    messages = [w["message"] for w in scanned.document["warnings"]]
    assert sorted(m.split(":", 1)[0] for m in messages) == sorted(
        f"account {scanned.ids[n]}" for n in ("prod", "dev")
    )
    assert all("the report was generated 2015-02-02" in m for m in messages)


def test_the_merged_result_iterates_the_accounts_in_order(scanned):
    owners = [a.owner.account_id for a in scanned.result]
    order = [a.account_id for a in scanned.accounts]
    assert owners == sorted(owners, key=order.index)
    # Iterating twice gives the same (materialised) assessments.
    assert [record(a, AS_OF) for a in scanned.result] == [record(a, AS_OF) for a in scanned.result]


# --- formats: the JSON "accounts" section and the Accounts table -------------------------------


def test_json_accounts_rows(scanned):
    ids = scanned.ids
    rows = {scanned.names[r["account_id"]]: r for r in scanned.document["accounts"]}
    assert [r["account_id"] for r in scanned.document["accounts"]] == sorted(ids.values())
    assert rows["prod"] == {
        "account_id": ids["prod"],
        "name": "prod",
        "status": "scanned",
        "users": 3,
        "credentials": 3,
        "findings": 2,
        "error": None,
    }
    assert rows["dev"] == {
        "account_id": ids["dev"],
        "name": "dev",
        "status": "scanned",
        "users": 3,
        "credentials": 3,
        "findings": 1,
        "error": None,
    }
    assert rows["locked"] == {
        "account_id": ids["locked"],
        "name": "locked",
        "status": "failed",
        "users": None,
        "credentials": None,
        "findings": None,
        "error": {
            "step": "scan",
            "action": "iam:GenerateCredentialReport",
            "code": "AccessDenied",
            "message": f"User: arn:aws:sts::{ids['locked']}:assumed-role/{ROLE}/stalecreds is not "
            "authorized to perform: iam:GenerateCredentialReport on resource: *",
        },
    }
    legacy = rows["legacy"]
    assert (legacy["status"], legacy["users"], legacy["error"]["code"]) == (
        "failed",
        None,
        "AccessDenied",
    )
    assert set(legacy["error"]) == {"step", "action", "code", "message"}


def test_json_document_shape(scanned):
    document = scanned.document
    assert list(document) == [
        "schema_version",
        "tool",
        "as_of",
        "max_age_days",
        "source",
        "credentials",
        "accounts",
        "summary",
        "warnings",
        "warnings_omitted",
    ]
    assert document["as_of"] == AS_OF_TEXT
    assert document["source"]["format"] == "multi-account"


def test_the_table_shows_the_accounts_table(scanned):
    out = io.StringIO()
    render_table(scanned.result, out)
    text = out.getvalue()
    ids = scanned.ids
    assert "Accounts (4)" in text
    accounts_part = text[text.index("Accounts (4)") :]
    lines = accounts_part.splitlines()
    header = next(line for line in lines if "Account" in line and "Status" in line)
    for column in ("Name", "Users", "Credentials", "Findings", "Error"):
        assert column in header

    def row(name: str) -> str:
        return next(line for line in lines if ids[name] in line)

    assert "prod" in row("prod") and "scanned" in row("prod")
    assert "failed" in row("locked")
    assert "scan: iam:GenerateCredentialReport AccessDenied" in accounts_part
    assert "failed" in row("legacy")
    # The findings tables name the account, since there are several.
    assert ids["prod"] in text[: text.index("Accounts (4)")]
    assert "6 users · 6 credentials · 3 findings · 1 clean-up candidate" in text


# --- the command line --------------------------------------------------------------------------


def scan_cli(*args: str) -> Any:
    return CliRunner().invoke(
        main,
        ["scan", "--as-of", AS_OF_TEXT, "--format", "json", *args],
        prog_name="stalecreds",
    )


@pytest.fixture
def organisation(moto_endpoint) -> SimpleNamespace:
    return seed_organisation(new_session())


def test_cli_org_scan_with_failing_accounts_exits_4_with_the_accounts_section(
    organisation, monkeypatch
):
    faults_for(organisation.ids, AccountFaults().install(monkeypatch))
    result = scan_cli("--org", "--exclude-account", MANAGEMENT, "--max-workers", "4")
    assert result.exit_code == 4, result.stderr
    document = json.loads(result.stdout)
    assert summarise(document["credentials"], organisation.names) == EXPECTED
    rows = {organisation.names[r["account_id"]]: r for r in document["accounts"]}
    assert {n: r["status"] for n, r in rows.items()} == {
        "prod": "scanned",
        "dev": "scanned",
        "legacy": "failed",
        "locked": "failed",
    }
    assert rows["locked"]["error"]["action"] == "iam:GenerateCredentialReport"
    assert rows["legacy"]["error"]["code"] == "AccessDenied"
    assert document["source"]["file"] == "organization: 4 accounts"
    stderr = result.stderr
    locked, legacy = organisation.ids["locked"], organisation.ids["legacy"]
    assert (
        f"stalecreds: account {locked} (locked) failed at scan: iam:GenerateCredentialReport "
        "AccessDenied: " in stderr
    )
    assert f"stalecreds: account {legacy} (legacy) failed at " in stderr
    assert "stalecreds: 2 accounts could not be scanned; the result is partial" in stderr


def test_cli_org_scan_of_one_ou(organisation, monkeypatch):
    faults = AccountFaults().install(monkeypatch)
    org, ids = organisation.org, organisation.ids
    unit = org.add_ou("workloads")
    for name in ("prod", "dev"):
        org.client.move_account(
            AccountId=ids[name], SourceParentId=org.root, DestinationParentId=unit
        )
    result = scan_cli("--org", "--ou", unit)
    assert result.exit_code == 1, result.stderr  # findings, nothing failed
    document = json.loads(result.stdout)
    assert summarise(document["credentials"], organisation.names) == EXPECTED
    assert faults.assumed_accounts() == sorted([ids["prod"], ids["dev"]])
    assert "OUs " + unit in document["source"]["file"]


def test_cli_a_real_assume_role_failure_exits_4(organisation):
    # No injection: an ExternalId shorter than STS allows (2 characters) fails every AssumeRole
    # before it is sent (botocore's parameter validation), while the caller's own account is
    # scanned with the caller's credentials.
    ids = organisation.ids
    result = scan_cli("--accounts", f"{MANAGEMENT},{ids['prod']}", "--external-id", "x")
    assert result.exit_code == 4, result.stderr
    document = json.loads(result.stdout)
    rows = {r["account_id"]: r for r in document["accounts"]}
    assert rows[MANAGEMENT]["status"] == "scanned"
    assert rows[MANAGEMENT]["name"] is None
    failure = rows[ids["prod"]]
    assert failure["status"] == "failed"
    assert failure["error"]["step"] == "assume-role"
    assert failure["error"]["action"] == "sts:AssumeRole"
    assert failure["error"]["code"] == "ParamValidationError"
    assert "ExternalId" in failure["error"]["message"]
    assert document["credentials"] == []  # the management account has no users
    assert f"stalecreds: account {ids['prod']} failed at assume-role: sts:AssumeRole " in (
        result.stderr
    )


def test_cli_table_lists_the_accounts(organisation, monkeypatch):
    faults_for(organisation.ids, AccountFaults().install(monkeypatch))
    result = CliRunner().invoke(
        main,
        ["scan", "--as-of", AS_OF_TEXT, "--org", "--exclude-account", MANAGEMENT],
        prog_name="stalecreds",
    )
    assert result.exit_code == 4
    assert "Accounts (4)" in result.stdout
    assert "Findings (3)" in result.stdout


def test_cli_nothing_left_to_scan_is_an_error(organisation):
    ids = organisation.ids
    result = scan_cli("--accounts", ids["prod"], "--exclude-account", ids["prod"])
    assert result.exit_code == 2
    assert "no accounts to scan (after --exclude-account)" in result.stderr


def test_cli_an_empty_shard_is_an_empty_result_not_an_error(organisation):
    # A CI matrix with more shards than accounts: the extra jobs must pass, with nothing.
    import json as _json

    result = scan_cli("--accounts", organisation.ids["prod"], "--shard", "1/1", "--format", "json")
    assert result.exit_code in (0, 1)
    empty = [
        k
        for k in range(1, 9)
        if scan_cli("--accounts", organisation.ids["prod"], "--shard", f"{k}/8").exit_code == 0
        and not _json.loads(
            scan_cli(
                "--accounts", organisation.ids["prod"], "--shard", f"{k}/8", "--format", "json"
            ).stdout
        )["credentials"]
    ]
    assert len(empty) == 7  # one account lands in exactly one of 8 shards


def test_cli_an_account_with_a_failed_lookup_is_partial_and_exits_3(organisation, monkeypatch):
    # dev's role may not read tags: bob's exemption tag cannot be checked. The account is
    # scanned (its findings are listed) but partial; nothing failed outright, so exit 3, not 4.
    faults = AccountFaults().install(monkeypatch)
    faults.deny_iam[organisation.ids["dev"]] = {"ListUserTags"}
    result = scan_cli("--accounts", f"{organisation.ids['prod']},{organisation.ids['dev']}")
    assert result.exit_code == 3, result.stderr
    document = json.loads(result.stdout)
    rows = {organisation.names[r["account_id"]]: r for r in document["accounts"]}
    assert (rows["prod"]["status"], rows["dev"]["status"]) == ("scanned", "partial")
    assert rows["dev"]["error"] is None
    assert rows["dev"]["findings"] == 1
    assert any(
        w["message"].startswith(f"account {organisation.ids['dev']}: bob: iam:ListUserTags failed")
        for w in document["warnings"]
    )
    assert "1 IAM lookup failed" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--accounts", "12345"], "--accounts: '12345' is not a 12-digit account ID"),
        (["--ou", "ou-abcd-12345678"], "--ou needs --org"),
        (["--org", "--sample"], "--org, --ou, --accounts and several --profile need a live scan"),
        (["--org", "--shard", "3/2"], "--shard 3/2: K must be between 1 and N"),
        (["--org", "--shard", "half"], "--shard must be K/N, like 2/8; got 'half'"),
        (["--org", "--max-workers", "0"], "Invalid value for '--max-workers'"),
        (["--org", "--accounts", "111122223333"], "give either --org or --accounts"),
        (["--shard", "1/2"], "--shard splits the accounts of --org"),
        (["--report", ".", "--shard", "1/2"], "--shard splits the accounts of --org"),
        (
            ["--profile", "a", "--profile", "b", "--accounts", "111122223333"],
            "several --profile name the accounts themselves",
        ),
    ],
)
def test_cli_account_option_errors_exit_2(moto_endpoint, args, message):
    result = scan_cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_cli_a_bad_accounts_file_line_exits_2_naming_it(moto_endpoint, tmp_path):
    path = tmp_path / "accounts.txt"
    path.write_text("# team accounts\n111122223333\n4444-5555-6666\n", encoding="utf-8")
    result = scan_cli("--accounts-file", str(path))
    assert result.exit_code == 2
    assert result.stderr == (
        f"stalecreds: error: {path}, line 3: '4444-5555-6666' is not a 12-digit account ID\n"
    )
