"""policies/scan.json is enough for a scan, and every action in it is needed; so are the
management account's policies/root-access-scan.json and policies/root-remediate.json (at the end).

moto enforces IAM auth in server mode after ``POST /moto-api/reset-auth`` with the number of
requests to let through unauthenticated ("0"). That setting is process-global, so it is always
restored to "inf" in a ``finally``. Users, the scanner's inline policy and its key are created
before auth is enforced (the tests' own fake credentials are rejected once it is).

The account, judged as of 2025-06-01 with 90-day windows (window starts 2025-03-03):

* bob: user 2020-01-01, password last used 2024-06-01: unused; key 1 created 2022-01-01, last
  used 2024-01-15: unused. The one password candidate, so its last sign-in comes from GetUser.
* dave: key 1 created 2023-03-01T10:00:00, never used: never_used; key 2 created 2025-04-01,
  used 2025-05-31: in_use.
* scanner: key 1 created 2025-01-01; moto marks a key used whenever a request is signed with it
  (spec §8), so the scan's own calls make it in_use.

A report is generated before each scan, so the scan's GenerateCredentialReport answers COMPLETE
(a cached report) and it re-reads last use: no real waiting, and every action is exercised.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

import pytest
from click.testing import CliRunner

from stalecreds import Thresholds, VerdictRules
from stalecreds.aws.live_options import LiveScanOptions
from stalecreds.aws.live_scan import scan_account
from stalecreds.aws.session import CLIENT_CONFIG, AwsError
from stalecreds.cli import main
from tests.conftest import ROOT, SeedKey, moto_iam_backend, moto_post, seed_user
from tests.fault_injection import FaultInjector

POLICY = json.loads((ROOT / "policies" / "scan.json").read_text(encoding="utf-8"))
POLICY_ACTIONS: list[str] = POLICY["Statement"][0]["Action"]
AS_OF = datetime(2025, 6, 1, tzinfo=UTC)
RULES = VerdictRules(AS_OF, Thresholds(90, 90))
SCANNER_ARN = "arn:aws:iam::123456789012:user/scanner"


def at(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def denied(action: str) -> str:
    """moto's AccessDenied, as AwsError prints it."""
    return (
        f"{action} failed: AccessDenied: User: {SCANNER_ARN} is not authorized to perform: {action}"
    )


def seed(iam: Any, actions: list[str]) -> tuple[str, str]:
    """Seed the account and a scanner user allowed ``actions``; returns its key and secret."""
    seed_user(
        iam,
        "bob",
        created=at(2020, 1, 1),
        password=True,
        password_used=at(2024, 6, 1),
        keys=(SeedKey(at(2022, 1, 1), at(2024, 1, 15)),),
    )
    seed_user(
        iam,
        "dave",
        created=at(2019, 1, 1),
        keys=(SeedKey(at(2023, 3, 1, 10)), SeedKey(at(2025, 4, 1, 10), at(2025, 5, 31, 9))),
    )
    policy = {**POLICY, "Statement": [{**POLICY["Statement"][0], "Action": actions}]}
    iam.create_user(UserName="scanner")
    iam.put_user_policy(
        UserName="scanner", PolicyName="stalecreds-scan", PolicyDocument=json.dumps(policy)
    )
    key = iam.create_access_key(UserName="scanner")["AccessKey"]
    scanner = moto_iam_backend().users["scanner"]
    scanner.create_date = at(2025, 1, 1)
    scanner.access_keys[0].create_date = at(2025, 1, 1)
    # A report is ready, as when IAM serves one up to four hours old: the scan then re-reads
    # last use and passwords (recheck "auto"), the path that needs every action.
    iam.generate_credential_report()
    return key["AccessKeyId"], key["SecretAccessKey"]


@contextlib.contextmanager
def enforced_auth(moto_endpoint: str) -> Iterator[None]:
    """moto checks every request's signature and policies; restored in any case."""
    moto_post(f"{moto_endpoint}/moto-api/reset-auth", "0")
    try:
        yield
    finally:
        moto_post(f"{moto_endpoint}/moto-api/reset-auth", "inf")


def scanner_client(boto_session: Any, key: tuple[str, str], moto_endpoint: str) -> Any:
    """An IAM client like the scan's (adaptive retries), signed with the scanner's key."""
    return boto_session.client(
        "iam",
        aws_access_key_id=key[0],
        aws_secret_access_key=key[1],
        endpoint_url=moto_endpoint,
        config=CLIENT_CONFIG,
    )


def outcome(result: Any) -> list[tuple[str, str, int | None, str]]:
    return [
        (a.owner.user, a.kind.value, getattr(a.credential, "slot", None), a.verdict.value)
        for a in result
    ]


REPORT_VERDICTS = [
    ("bob", "password", None, "unused"),
    ("bob", "access_key", 1, "unused"),
    ("dave", "access_key", 1, "never_used"),
    ("dave", "access_key", 2, "in_use"),
    ("scanner", "access_key", 1, "in_use"),
]
API_VERDICTS = [(user, kind, None, verdict) for user, kind, _, verdict in REPORT_VERDICTS]


def test_the_policy_is_enough_and_every_action_in_it_is_called(
    iam: Any, moto_endpoint: str, boto_session: Any
) -> None:
    key = seed(iam, POLICY_ACTIONS)
    scanner = scanner_client(boto_session, key, moto_endpoint)
    calls = FaultInjector(scanner)  # records the calls only; nothing is injected
    with enforced_auth(moto_endpoint):
        with pytest.raises(Exception, match="InvalidClientTokenId"):
            iam.list_users()  # auth is on: the tests' fake key is rejected
        from_report = scan_account(scanner, RULES, sleep=lambda _: None)
        from_api = scan_account(scanner, RULES, LiveScanOptions(source="api"))

    assert outcome(from_report) == REPORT_VERDICTS
    assert outcome(from_api) == API_VERDICTS
    assert from_report.errors == from_api.errors == ()
    assert [a.owner.user for a in from_report.findings] == ["bob", "bob", "dave"]
    called = {f"iam:{operation}" for operation in calls.operations()}
    assert called == set(POLICY_ACTIONS)
    assert len(POLICY_ACTIONS) == len(set(POLICY_ACTIONS)) == 8
    assert POLICY["Statement"][0]["Effect"] == "Allow"
    assert POLICY["Statement"][0]["Resource"] == "*"
    assert len(POLICY["Statement"]) == 1


MISSING_ACTION_CASES = {
    # action: (source, the AwsError raised, or the errors of the result and who is unknown)
    "iam:GenerateCredentialReport": ("report", denied("iam:GenerateCredentialReport"), None),
    "iam:GetCredentialReport": ("report", denied("iam:GetCredentialReport"), None),
    "iam:ListUsers": ("api", denied("iam:ListUsers"), None),
    "iam:GetUser": (
        "report",
        None,
        ([f"bob: {denied('iam:GetUser')}"], [("bob", None)]),
    ),
    "iam:GetLoginProfile": (
        "report",
        None,
        ([f"bob: {denied('iam:GetLoginProfile')}"], [("bob", None)]),
    ),
    "iam:ListAccessKeys": (
        "report",
        None,
        (
            [f"bob: {denied('iam:ListAccessKeys')}", f"dave: {denied('iam:ListAccessKeys')}"],
            [("bob", 1), ("dave", 1)],
        ),
    ),
    "iam:GetAccessKeyLastUsed": (
        "report",
        None,
        (
            [
                f"bob: {denied('iam:GetAccessKeyLastUsed')}",
                f"dave: {denied('iam:GetAccessKeyLastUsed')}",
            ],
            [("bob", 1), ("dave", 1)],
        ),
    ),
    "iam:ListUserTags": (
        "report",
        None,
        (
            [
                f"bob: {denied('iam:ListUserTags')}; the exemption tag was not checked",
                f"dave: {denied('iam:ListUserTags')}; the exemption tag was not checked",
            ],
            [],
        ),
    ),
}


def test_the_missing_action_cases_cover_the_policy() -> None:
    assert set(MISSING_ACTION_CASES) == set(POLICY_ACTIONS)


@pytest.mark.parametrize("missing", list(MISSING_ACTION_CASES))
def test_without_one_action_the_message_names_it(
    iam: Any, moto_endpoint: str, boto_session: Any, missing: str
) -> None:
    source, raised_error, partial = MISSING_ACTION_CASES[missing]
    key = seed(iam, [action for action in POLICY_ACTIONS if action != missing])
    scanner = scanner_client(boto_session, key, moto_endpoint)
    options = LiveScanOptions(source=source)

    with enforced_auth(moto_endpoint):
        if raised_error is not None:
            with pytest.raises(AwsError) as raised:
                scan_account(scanner, RULES, options, sleep=lambda _: None)
        else:
            result = scan_account(scanner, RULES, options, sleep=lambda _: None)

    if raised_error is not None:
        assert str(raised.value) == raised_error
        assert raised.value.action == missing
        return
    assert partial is not None
    errors, unknown = partial
    assert sorted(result.errors) == errors
    unknowns = [a for a in result if a.verdict.value == "unknown"]
    assert [(a.owner.user, getattr(a.credential, "slot", None)) for a in unknowns] == unknown
    for assessment in unknowns:
        assert missing in assessment.reason
        assert assessment.reason.startswith(f"Could not read its use from IAM: {missing} failed")
        assert not assessment.finding


def test_cli_access_denied_exits_3_with_one_line(
    iam: Any, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_id, secret = seed(
        iam, [action for action in POLICY_ACTIONS if action != "iam:GenerateCredentialReport"]
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)

    with enforced_auth(moto_endpoint):
        result = CliRunner().invoke(main, ["scan", "--format", "json"])

    assert result.exit_code == 3
    assert result.stderr == (
        "stalecreds: error: iam:GenerateCredentialReport failed: AccessDenied: User: "
        "arn:aws:iam::123456789012:user/scanner is not authorized to perform: "
        "iam:GenerateCredentialReport\n"
    )
    assert result.stdout == ""


def test_cli_partial_result_exits_3_and_lists_unknown_credentials(
    iam: Any, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_id, secret = seed(
        iam, [action for action in POLICY_ACTIONS if action != "iam:GetAccessKeyLastUsed"]
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)

    with enforced_auth(moto_endpoint):
        result = CliRunner().invoke(
            main, ["scan", "--format", "json", "--as-of", "2025-06-01T00:00:00Z"]
        )

    assert result.exit_code == 3
    document = json.loads(result.stdout)
    assert [
        (c["user"], c["slot"], c["verdict"], c["finding"]) for c in document["credentials"]
    ] == [
        ("bob", None, "unused", True),
        ("bob", 1, "unknown", False),
        ("dave", 1, "unknown", False),
        ("dave", 2, "in_use", False),
        ("scanner", 1, "in_use", False),
    ]
    assert result.stderr.splitlines()[-1] == (
        "stalecreds: 2 IAM lookups failed; those credentials are 'unknown' (the result is partial)"
    )


# --- centralized root access: the management account's policies ---------------------------------
#
# moto implements neither sts:AssumeRoot nor iam:ListOrganizationsFeatures, so moto cannot enforce
# these policies: the calls the management account makes are recorded by the test layer in front
# of moto (tests.root_access_proxy.RootAccessProxy) and checked against the policy documents
# here, with their resources and the sts:TaskPolicyArn condition.

ROOT_SCAN_POLICY = json.loads(
    (ROOT / "policies" / "root-access-scan.json").read_text(encoding="utf-8")
)
ROOT_REMEDIATE_POLICY = json.loads(
    (ROOT / "policies" / "root-remediate.json").read_text(encoding="utf-8")
)
TASK_ARN = "arn:aws:iam::aws:policy/root-task/"


def allows(policy: dict[str, Any], action: str, resource: str, task: str | None) -> bool:
    """Whether an Allow statement grants ``action`` on ``resource`` (its condition included)."""
    for statement in policy["Statement"]:
        actions = statement["Action"]
        actions = [actions] if isinstance(actions, str) else actions
        resources = statement["Resource"]
        resources = [resources] if isinstance(resources, str) else resources
        if statement["Effect"] != "Allow" or action not in actions:
            continue
        if not any(fnmatchcase(resource, pattern) for pattern in resources):
            continue
        condition = statement.get("Condition", {}).get("StringEquals", {})
        if "sts:TaskPolicyArn" in condition and task not in condition["sts:TaskPolicyArn"]:
            continue
        return True
    return False


def policy_actions(policy: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for statement in policy["Statement"]:
        actions = statement["Action"]
        found.update([actions] if isinstance(actions, str) else actions)
    return found


def management_calls(proxy: Any) -> set[tuple[str, str, str | None]]:
    """(action, resource, task policy ARN) of every call signed by the management account."""
    from tests.conftest import FAKE_ACCESS_KEY_ID

    calls: set[tuple[str, str, str | None]] = set()
    for call in proxy.calls:
        if call.action == "AssumeRoot":
            resource = f"arn:aws:iam::{call.account_id}:root"
            calls.add(("sts:AssumeRoot", resource, call.form["TaskPolicyArn.arn"]))
        elif call.action == "ListOrganizationsFeatures":
            calls.add(("iam:ListOrganizationsFeatures", "*", None))
    for key_id, service, action in proxy.forwarded:
        if key_id == FAKE_ACCESS_KEY_ID:
            calls.add((f"{service}:{action}", "*", None))
    return calls


@pytest.fixture
def root_proxy(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from tests.root_access_proxy import proxy_in_front_of

    with proxy_in_front_of(moto_server, monkeypatch) as layer:
        yield layer


def org_cli(*args: str) -> Any:
    return CliRunner().invoke(main, [*args, "--org", "--as-of", "2025-06-01T00:00:00Z"])


def test_the_root_access_scan_policy_is_enough_and_every_action_in_it_is_called(root_proxy):
    from tests.test_root_access import seed as seed_org

    seed_org(root_proxy)
    assert org_cli("scan", "--format", "json").exit_code == 1  # carol's finding
    plain = management_calls(root_proxy)
    root_proxy.calls.clear()
    root_proxy.forwarded.clear()
    assert org_cli("scan", "--format", "json", "--root-access").exit_code == 4
    with_root = management_calls(root_proxy)

    added = {call for call in with_root if call not in plain}
    assert (
        {action for action, _, _ in added}
        == policy_actions(ROOT_SCAN_POLICY)
        == {
            "iam:ListOrganizationsFeatures",
            "organizations:DescribeOrganization",
            "sts:AssumeRoot",
        }
    )
    for action, resource, task in added:
        assert allows(ROOT_SCAN_POLICY, action, resource, task), (action, resource, task)
    # A scan policy can never delete: AssumeRoot with the delete task policy is not granted.
    assert not allows(
        ROOT_SCAN_POLICY,
        "sts:AssumeRoot",
        "arn:aws:iam::111122223333:root",
        TASK_ARN + "IAMDeleteRootUserCredentials",
    )
    assert not allows(ROOT_SCAN_POLICY, "sts:AssumeRoot", "arn:aws:iam::111122223333:root", None)


def test_the_root_remediate_policy_is_enough_and_every_task_in_it_is_used(root_proxy, tmp_path):
    from tests.test_root_access import seed as seed_org

    seed_org(root_proxy)
    plan_path = tmp_path / "plan.json"
    assert (
        org_cli("plan", "--root-access", "--include-root", "--out", str(plan_path)).exit_code == 4
    )
    root_proxy.calls.clear()
    root_proxy.forwarded.clear()
    applied = CliRunner().invoke(
        main, ["apply", str(plan_path), "--yes", "--journal", str(tmp_path / "j.jsonl")]
    )
    assert applied.exit_code == 0, applied.stdout + applied.stderr

    assume_root = {call for call in management_calls(root_proxy) if call[0] == "sts:AssumeRoot"}
    assert assume_root
    for action, resource, task in assume_root:
        assert allows(ROOT_REMEDIATE_POLICY, action, resource, task), (resource, task)
    (statement,) = ROOT_REMEDIATE_POLICY["Statement"]
    granted = set(statement["Condition"]["StringEquals"]["sts:TaskPolicyArn"])
    assert (
        {task for _, _, task in assume_root}
        == granted
        == {
            TASK_ARN + "IAMAuditRootUserCredentials",
            TASK_ARN + "IAMDeleteRootUserCredentials",
        }
    )
    assert policy_actions(ROOT_REMEDIATE_POLICY) == {"sts:AssumeRoot"}


def test_with_policies_scan_json_tags_fall_back_to_list_user_tags(
    iam: Any, moto_endpoint: str, boto_session: Any
) -> None:
    # policies/scan.json leaves out iam:GetAccountAuthorizationDetails (it would also let the
    # scanner read every policy document). With 10 users needing an exemption-tag read the scan
    # tries it once, is denied, and reads the tags per user: same result, no error.
    for number in range(10):
        seed_user(
            iam,
            f"stale-{number}",
            created=at(2020, 1, 1),
            keys=(SeedKey(at(2022, 1, 1), at(2024, 1, 15)),),
            tags={"stalecreds:exempt": "approved"} if number == 0 else None,
        )
    key = seed(iam, POLICY_ACTIONS)
    scanner = scanner_client(boto_session, key, moto_endpoint)
    calls = FaultInjector(scanner)
    with enforced_auth(moto_endpoint):
        result = scan_account(scanner, RULES, sleep=lambda _: None)

    assert "iam:GetAccountAuthorizationDetails" not in POLICY_ACTIONS
    assert calls.operations().count("GetAccountAuthorizationDetails") == 1
    assert len(calls.params_of("ListUserTags")) == 12  # bob, dave and the 10 stale users
    assert result.errors == ()
    assert [a.owner.user for a in result if a.exemption] == ["stale-0"]
    assert len([a for a in result if a.finding]) == 3 + 9


def test_with_get_account_authorization_details_allowed_tags_come_in_one_call(
    iam: Any, moto_endpoint: str, boto_session: Any
) -> None:
    for number in range(10):
        seed_user(
            iam,
            f"stale-{number}",
            created=at(2020, 1, 1),
            keys=(SeedKey(at(2022, 1, 1), at(2024, 1, 15)),),
            tags={"stalecreds:exempt": "approved"} if number == 0 else None,
        )
    key = seed(iam, [*POLICY_ACTIONS, "iam:GetAccountAuthorizationDetails"])
    scanner = scanner_client(boto_session, key, moto_endpoint)
    calls = FaultInjector(scanner)
    with enforced_auth(moto_endpoint):
        result = scan_account(scanner, RULES, sleep=lambda _: None)

    assert calls.operations().count("GetAccountAuthorizationDetails") == 1
    assert calls.params_of("ListUserTags") == []
    assert result.errors == ()
    assert [a.owner.user for a in result if a.exemption] == ["stale-0"]
    assert len([a for a in result if a.finding]) == 3 + 9
