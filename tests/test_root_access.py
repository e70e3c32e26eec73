"""Member accounts' root credentials through centralized root access (issue 15).

An Organization of 10 member accounts on the moto server, behind
:class:`tests.root_access_proxy.RootAccessProxy` (the test layer that answers
``sts:AssumeRoot``, ``iam:ListOrganizationsFeatures`` and the root-scoped IAM calls, which moto
does not implement; everything else is moto over HTTP):

* ``root-pw``: the root has a password (set 2020-02-01, last sign-in 2024-01-10) and an MFA device;
* ``root-key``: the root has an Active access key (created 2021-01-01, last used 2025-05-20 in
  s3) and an Inactive one (created 2019-01-01, never used);
* ``root-cert``: the root has an Active signing certificate;
* ``refuser``: ``AssumeRoot`` is refused (AccessDenied);
* six more members whose roots have no credentials; one of them (``member-0``) has an IAM user
  ``carol`` with a password last used 2024-06-01 (an unused-credential finding).

The management account (moto's default, the caller) has a root fixture with a key too: it must
never be touched. Judged as of 2025-06-01 with 90-day windows (they start 2025-03-03).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from stalecreds.cli import main
from tests.conftest import MOTO_ACCOUNT_ID
from tests.org_helpers import Organization, member_iam, new_session, seed_member_user
from tests.root_access_proxy import (
    AUDIT,
    DELETE,
    RootAccessProxy,
    RootFixture,
    RootKey,
    proxy_in_front_of,
)

AS_OF = "2025-06-01T00:00:00+00:00"
MEMBERS = ("root-pw", "root-key", "root-cert", "refuser", *(f"member-{n}" for n in range(6)))
MFA_SERIAL = "arn:aws:iam::{}:mfa/root-account-mfa-device"
CERT_ID = "CERTROOT0000000000000000001"


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


@pytest.fixture
def proxy(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[RootAccessProxy]:
    with proxy_in_front_of(moto_server, monkeypatch) as layer:
        yield layer


def seed(proxy: RootAccessProxy) -> SimpleNamespace:
    session = new_session()
    org = Organization(session)
    ids = {name: org.add_account(name) for name in MEMBERS}
    for account_id in ids.values():
        proxy.roots[account_id] = RootFixture(at(2019, 6, 1))
    proxy.roots[ids["root-pw"]] = RootFixture(
        at(2019, 6, 1),
        password=at(2020, 2, 1),
        password_used=at(2024, 1, 10),
        mfa={MFA_SERIAL.format(ids["root-pw"]): at(2020, 2, 2)},
    )
    proxy.roots[ids["root-key"]] = RootFixture(
        at(2019, 6, 1),
        keys={
            "AKIAROOTKEYACTIVE001": RootKey(at(2021, 1, 1), used=at(2025, 5, 20)),
            "AKIAROOTKEYINACTIVE1": RootKey(at(2019, 1, 1), status="Inactive"),
        },
    )
    proxy.roots[ids["root-cert"]] = RootFixture(
        at(2019, 6, 1), certificates={"CERTROOT0000000000000000001": ("Active", at(2022, 3, 1))}
    )
    proxy.roots[MOTO_ACCOUNT_ID] = RootFixture(
        at(2015, 1, 1), keys={"AKIAMANAGEMENTROOT01": RootKey(at(2016, 1, 1))}
    )
    proxy.refuse.add(ids["refuser"])
    seed_member_user(
        member_iam(session, ids["member-0"]),
        ids["member-0"],
        "carol",
        created=at(2023, 1, 1),
        password=True,
        password_used=at(2024, 6, 1),
    )
    return SimpleNamespace(ids=ids, names={v: k for k, v in ids.items()})


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), prog_name="stalecreds")


def scan(*extra: str) -> Any:
    return run("scan", "--org", "--as-of", AS_OF, "--format", "json", "--max-workers", "4", *extra)


def roots(document: dict[str, Any], names: dict[str, str]) -> set[tuple[Any, ...]]:
    return {
        (
            names.get(c["account_id"], c["account_id"]),
            c["kind"],
            c["access_key_id"],
            c["status"],
            c["verdict"],
            tuple(c["finding_rules"]),
        )
        for c in document["credentials"]
        if c["is_root"]
    }


PRESENT = "root-credentials-present"
EXPECTED_ROOTS = {
    ("root-pw", "password", None, None, "unused", (PRESENT,)),
    ("root-pw", "mfa_device", None, None, "untracked", (PRESENT,)),
    (
        "root-key",
        "access_key",
        "AKIAROOTKEYACTIVE001",
        "Active",
        "in_use",
        ("root-access-key", PRESENT),
    ),
    ("root-key", "access_key", "AKIAROOTKEYINACTIVE1", "Inactive", "never_used", (PRESENT,)),
    ("root-cert", "signing_certificate", None, "Active", "untracked", (PRESENT,)),
}


def test_root_access_scan_lists_member_root_credentials_as_findings(proxy):
    org = seed(proxy)
    result = scan("--root-access")
    assert result.exit_code == 4, result.stderr  # one account failed
    document = json.loads(result.stdout)
    assert roots(document, org.names) == EXPECTED_ROOTS
    # The IAM user of a member account is scanned as before (through the role).
    carol = [c for c in document["credentials"] if c["user"] == "carol"]
    assert [(c["verdict"], c["finding_rules"]) for c in carol] == [
        ("unused", ["unused-credential"])
    ]
    rows = {org.names.get(r["account_id"], "management"): r for r in document["accounts"]}
    assert rows["refuser"]["status"] == "failed"
    assert rows["refuser"]["error"] == {
        "step": "assume-root",
        "action": "sts:AssumeRoot",
        "code": "AccessDenied",
        "message": f"User is not authorized to perform: sts:AssumeRoot on resource: "
        f"{org.ids['refuser']}",
    }
    assert {n: r["status"] for n, r in rows.items() if n != "refuser"} == dict.fromkeys(
        [n for n in (*MEMBERS, "management") if n != "refuser"], "scanned"
    )
    assert (
        f"stalecreds: account {org.ids['refuser']} (refuser) failed at assume-root: "
        "sts:AssumeRoot AccessDenied: " in result.stderr
    )
    # The management account's root is never touched: no AssumeRoot for it, no root row.
    assume = [c for c in proxy.calls if c.action == "AssumeRoot"]
    assert sorted(c.account_id for c in assume) == sorted(org.ids.values())
    assert all(c.task == AUDIT for c in assume)
    assert all(c.form["DurationSeconds"] == "900" for c in assume)
    assert all(
        c.form["TaskPolicyArn.arn"]
        == "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
        for c in assume
    )
    assert MOTO_ACCOUNT_ID not in {c.account_id for c in proxy.calls}
    # Root-scoped calls only (no UserName), and only reads.
    root_calls = [c for c in proxy.calls if c.task is not None and c.action != "AssumeRoot"]
    assert root_calls
    assert all("UserName" not in c.form and c.task == AUDIT for c in root_calls)
    assert not any(c.task == DELETE for c in proxy.calls)


def test_root_access_with_the_feature_disabled_reads_no_root_and_says_why(proxy):
    org = seed(proxy)
    proxy.enabled = False
    result = scan("--root-access")
    assert result.exit_code == 1, result.stderr  # carol's finding; no account failed
    document = json.loads(result.stdout)
    assert roots(document, org.names) == set()
    assert proxy.actions() == ["ListOrganizationsFeatures"]
    assert "centralized root credentials management is not enabled" in result.stderr
    assert all(r["status"] == "scanned" for r in document["accounts"])


def test_without_root_access_no_root_is_read(proxy):
    org = seed(proxy)
    result = scan()
    assert result.exit_code == 1, result.stderr
    assert roots(json.loads(result.stdout), org.names) == set()
    assert proxy.calls == []


def test_root_access_needs_org():
    result = run("scan", "--root-access", "--accounts", "111122223333")
    assert result.exit_code == 2
    assert "--root-access needs --org" in result.stderr


# --- plan and apply ------------------------------------------------------------------------------


def plan_cli(tmp_path: Path, *extra: str) -> tuple[Any, dict[str, Any]]:
    out = tmp_path / "plan.json"
    result = run("plan", "--org", "--root-access", "--as-of", AS_OF, "--out", str(out), *extra)
    return result, json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}


def journal_outcomes(path: Path) -> dict[str, tuple[str, str]]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return {r["step_id"]: (r["outcome"], r["detail"]) for r in records if r["event"] == "step-end"}


def step_ids(org: SimpleNamespace) -> dict[str, str]:
    pw, key, cert = org.ids["root-pw"], org.ids["root-key"], org.ids["root-cert"]
    return {
        "password": f"{pw}/<root_account>/password/delete-root-login-profile",
        "mfa": f"{pw}/<root_account>/{MFA_SERIAL.format(pw)}/deactivate-root-mfa-device",
        "active": f"{key}/<root_account>/AKIAROOTKEYACTIVE001/delete-root-access-key",
        "inactive": f"{key}/<root_account>/AKIAROOTKEYINACTIVE1/delete-root-access-key",
        "cert": f"{cert}/<root_account>/{CERT_ID}/delete-root-signing-certificate",
    }


def test_plan_without_include_root_lists_root_credentials_as_excluded(proxy, tmp_path):
    org = seed(proxy)
    result, plan = plan_cli(tmp_path)
    assert result.exit_code == 4, result.stderr  # the refusing account could not be scanned
    assert [s["user"] for s in plan["steps"]] == ["carol"]
    root_reasons = {e["reason"] for e in plan["excluded"] if e["user"] == "<root_account>"}
    assert root_reasons == {
        "a member account's root credential: plan with --root-access --include-root to delete "
        "it through centralized root access (not undoable)"
    }
    assert len([e for e in plan["excluded"] if e["user"] == "<root_account>"]) == 5
    assert "include_root" not in plan["policy"]
    assert not any(c.task == DELETE for c in proxy.calls)
    assert org.ids["refuser"] not in {s["account_id"] for s in plan["steps"]}


def test_include_root_needs_root_access():
    result = run("plan", "--org", "--include-root", "--out", "never-written.json")
    assert result.exit_code == 2
    assert "--include-root needs --org --root-access" in result.stderr


def test_plan_then_apply_removes_exactly_the_planned_root_credentials(proxy, tmp_path):
    org = seed(proxy)
    result, plan = plan_cli(tmp_path, "--include-root")
    assert result.exit_code == 4, result.stderr
    ids = step_ids(org)
    root_steps = {s["step_id"]: s for s in plan["steps"] if s["user"] == "<root_account>"}
    assert set(root_steps) == set(ids.values())
    assert plan["policy"]["include_root"] is True
    assert root_steps[ids["cert"]]["credential_id"] == "CERTROOT0000000000000000001"
    assert root_steps[ids["mfa"]]["credential_id"] == MFA_SERIAL.format(org.ids["root-pw"])
    assert root_steps[ids["active"]]["access_key_id"] == "AKIAROOTKEYACTIVE001"
    assert "credential_id" not in root_steps[ids["active"]]
    assert [s["user"] for s in plan["steps"] if s["user"] != "<root_account>"] == ["carol"]
    # Planning read only: nothing was deleted yet.
    assert not any(c.task == DELETE for c in proxy.calls)
    assert proxy.roots[org.ids["root-pw"]].password is not None

    journal = tmp_path / "journal.jsonl"
    applied = run("apply", str(tmp_path / "plan.json"), "--yes", "--journal", str(journal))
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    outcomes = journal_outcomes(journal)
    assert {step: outcomes[step][0] for step in ids.values()} == dict.fromkeys(
        ids.values(), "applied"
    )
    assert [o for s, o in outcomes.items() if s not in ids.values()] == [
        ("applied", "console password (login profile) deleted")
    ]
    for name in ("root-pw", "root-key", "root-cert"):
        assert proxy.roots[org.ids[name]].empty, name
    # Every other root is as it was; the management root was never reached.
    assert proxy.roots[MOTO_ACCOUNT_ID].keys
    assert MOTO_ACCOUNT_ID not in {c.account_id for c in proxy.calls}
    deletes = [c for c in proxy.calls if c.task == DELETE and c.action != "AssumeRoot"]
    assert sorted(c.action for c in deletes) == [
        "DeactivateMFADevice",
        "DeleteAccessKey",
        "DeleteAccessKey",
        "DeleteLoginProfile",
        "DeleteSigningCertificate",
    ]
    assert all("UserName" not in c.form for c in deletes)
    records = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    assert {r["credential_id"] for r in records if r.get("step_id") == ids["mfa"]} == {
        MFA_SERIAL.format(org.ids["root-pw"])
    }

    # Undo cannot bring root credentials back, and says how a root password comes back.
    undone = run("undo", str(journal), "--yes")
    assert undone.exit_code == 0, undone.stdout + undone.stderr
    assert "root password recovery" in " ".join(undone.stdout.split())


def test_apply_skips_a_root_key_deleted_or_used_since_the_plan(proxy, tmp_path):
    org = seed(proxy)
    result, _ = plan_cli(tmp_path, "--include-root")
    assert result.exit_code == 4, result.stderr
    keys = proxy.roots[org.ids["root-key"]].keys
    del keys["AKIAROOTKEYINACTIVE1"]  # deleted by someone else in between
    keys["AKIAROOTKEYACTIVE001"].used = datetime.now(UTC).replace(microsecond=0)  # used since
    journal = tmp_path / "journal.jsonl"
    applied = run("apply", str(tmp_path / "plan.json"), "--yes", "--journal", str(journal))
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    outcomes = journal_outcomes(journal)
    ids = step_ids(org)
    assert outcomes[ids["inactive"]] == (
        "skipped",
        "root access key AKIAROOTKEYINACTIVE1 no longer exists",
    )
    outcome, detail = outcomes[ids["active"]]
    assert outcome == "skipped"
    assert detail.startswith("root access key AKIAROOTKEYACTIVE001 was used ")
    assert detail.endswith(", after the scan the plan was made from")
    assert list(keys) == ["AKIAROOTKEYACTIVE001"]  # still there
    assert outcomes[ids["password"]][0] == outcomes[ids["cert"]][0] == "applied"
    assert not any(c.action == "DeleteAccessKey" and c.task == DELETE for c in proxy.calls)


def test_a_root_step_in_a_plan_without_include_root_is_refused(proxy, tmp_path):
    org = seed(proxy)
    plan_cli(tmp_path, "--include-root")
    path = tmp_path / "plan.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    del document["policy"]["include_root"]  # edited: root steps without include_root
    path.write_text(json.dumps(document), encoding="utf-8")
    applied = run("apply", str(path), "--yes", "--journal", str(tmp_path / "j.jsonl"))
    assert applied.exit_code == 2
    assert "which only a plan made with --include-root does" in applied.stderr
    assert proxy.roots[org.ids["root-pw"]].password is not None


# --- the root session: regional STS, renewed before it expires --------------------------------


def test_assume_root_goes_to_a_regional_sts_endpoint(monkeypatch):
    import boto3

    from stalecreds.aws.root_access import regional_sts

    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy")  # would pick the global one
    assert regional_sts(boto3.Session(region_name="us-east-1")).meta.endpoint_url == (
        "https://sts.us-east-1.amazonaws.com"
    )
    assert regional_sts(boto3.Session(region_name="eu-west-1")).meta.endpoint_url == (
        "https://sts.eu-west-1.amazonaws.com"
    )
    assert regional_sts(boto3.Session()).meta.endpoint_url.startswith("https://sts.")


def test_a_root_session_is_renewed_before_it_expires(proxy):
    from stalecreds.aws.root_access import RootReads, root_session
    from stalecreds.aws.session import iam_client

    org = seed(proxy)
    account_id = org.ids["root-pw"]
    proxy.lifetime = 60  # a session closer to its end than botocore's 2-minute mandatory refresh
    reads = RootReads(iam_client(root_session(new_session(), account_id, AUDIT, partition="aws")))
    assert reads.login_profile() == at(2020, 2, 1)
    assert reads.login_profile() == at(2020, 2, 1)
    assumed = [c for c in proxy.calls if c.action == "AssumeRoot"]
    assert len(assumed) >= 3  # the first, then one renewal before each call
    assert {c.account_id for c in assumed} == {account_id}
    assert not any(
        c.action == "GetLoginProfile" and c.task is None for c in proxy.calls
    )  # every read in a root session


def test_a_long_session_is_not_renewed_on_every_call(proxy):
    from stalecreds.aws.root_access import RootReads, root_session
    from stalecreds.aws.session import iam_client

    org = seed(proxy)
    reads = RootReads(
        iam_client(root_session(new_session(), org.ids["root-key"], AUDIT, partition="aws"))
    )
    for _ in range(3):
        reads.access_keys()
    assert proxy.actions(org.ids["root-key"]).count("AssumeRoot") == 1
