"""live_scan.scan_account and ``stalecreds scan`` against a moto IAM server.

The account is seeded over HTTP, its dates set in moto's backend (tests/conftest.py). Answers
moto cannot give come from tests/fault_injection.py; each use names the moto gap. Judged as of
2025-06-01T00:00:00Z with 90-day windows: the window starts 2025-03-03T00:00:00Z.

The standard account (:func:`seed_account`), verdicts derived by hand:

========== ============ ===================================================== ==============
user       credential   dates                                                 verdict
========== ============ ===================================================== ==============
alice      password     user 2020-01-01, last sign-in 2025-05-30             in_use
alice      key 1        created 2021-01-01, used 2025-05-31                   in_use
bob        password     user 2020-01-01, last sign-in 2024-06-01             unused
bob        key 1        created 2022-01-01, used 2024-01-15 (ec2)             unused
carol      password     user 2025-05-20, never signed in                     new
dave       key 1        created 2023-03-01T10:00:00.123456, never used        never_used
dave       key 2        created 2025-04-01T10:00:00, used 2025-05-31          in_use
erin       key 1        Inactive, created 2020-01-01, used 2021-01-01         unused (clean-up)
old        key 1        created 2015-01-01 (before 2015-04-22), never used    unused
========== ============ ===================================================== ==============

Findings: bob's password and key, dave's key 1, old's key 1. In moto a password's date is the
user's creation date. Report lines: header 1, alice 2, bob 3, carol 4, dave 5, erin 6, old 7.

Most tests have a report ready before the scan (:func:`serve_cached_report`), as when IAM serves
one generated up to four hours earlier: GenerateCredentialReport answers COMPLETE and the scan
re-reads the last use of every credential that is not in_use. When the scan itself has IAM
generate the report (moto answers STARTED), last use is taken from the report (``recheck``
``auto``) and only key IDs are looked up.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from stalecreds import FindingRule, Thresholds, Verdict, VerdictRules, scan_report
from stalecreds.aws.live_options import LiveScanOptions
from stalecreds.aws.live_scan import scan_account
from stalecreds.aws.session import AwsError, iam_client, make_session
from stalecreds.cli import main
from stalecreds.model import AccessKey, LastUse, Status
from stalecreds.report.scan import ScanResult
from stalecreds.rules.exemptions import ExemptionRule, Exemptions
from tests.conftest import SeedKey, moto_iam_backend, seed_user
from tests.fault_injection import FaultInjector, access_denied

AS_OF = datetime(2025, 6, 1, tzinfo=UTC)
RULES = VerdictRules(AS_OF, Thresholds(90, 90))
WINDOW = "the 90-day window that starts 2025-03-03"
FRESH = AS_OF - timedelta(minutes=10)
"""A GeneratedTime ten minutes before as_of."""


def at(year: int, month: int, day: int, hour: int = 0, microsecond: int = 0) -> datetime:
    return datetime(year, month, day, hour, microsecond=microsecond, tzinfo=UTC)


def seed_account(iam: Any, *, dave_tags: dict[str, str] | None = None) -> dict[str, list[str]]:
    """The standard account of the module docstring; returns key IDs by user, in slot order."""
    ids = {
        "alice": seed_user(
            iam,
            "alice",
            path="/engineering/",
            created=at(2020, 1, 1),
            password=True,
            password_used=at(2025, 5, 30, 12),
            keys=(SeedKey(at(2021, 1, 1), at(2025, 5, 31, 8)),),
        ),
        "bob": seed_user(
            iam,
            "bob",
            path="/engineering/",
            created=at(2020, 1, 1),
            password=True,
            password_used=at(2024, 6, 1),
            keys=(SeedKey(at(2022, 1, 1), at(2024, 1, 15), service="ec2"),),
        ),
        "carol": seed_user(
            iam, "carol", path="/engineering/", created=at(2025, 5, 20), password=True
        ),
        "dave": seed_user(
            iam,
            "dave",
            path="/service/",
            created=at(2019, 1, 1),
            keys=(
                SeedKey(at(2023, 3, 1, 10, microsecond=123456)),
                SeedKey(at(2025, 4, 1, 10), at(2025, 5, 31, 9)),
            ),
            tags=dave_tags,
        ),
        "erin": seed_user(
            iam,
            "erin",
            path="/service/",
            created=at(2019, 6, 1),
            keys=(SeedKey(at(2020, 1, 1), at(2021, 1, 1), active=False, service="s3"),),
        ),
        "old": seed_user(
            iam,
            "old",
            path="/service/legacy/",
            created=at(2014, 1, 1),
            keys=(SeedKey(at(2015, 1, 1)),),
        ),
    }
    return ids


STANDARD_VERDICTS = [
    ("alice", "password", None, "in_use"),
    ("alice", "access_key", 1, "in_use"),
    ("bob", "password", None, "unused"),
    ("bob", "access_key", 1, "unused"),
    ("carol", "password", None, "new"),
    ("dave", "access_key", 1, "never_used"),
    ("dave", "access_key", 2, "in_use"),
    ("erin", "access_key", 1, "unused"),
    ("old", "access_key", 1, "unused"),
]
STANDARD_REASONS = {
    ("alice", None): f"Last sign-in 2025-05-30, inside {WINDOW}.",
    ("alice", 1): f"Last used 2025-05-31, inside {WINDOW}.",
    ("bob", None): f"Last sign-in 2024-06-01, before {WINDOW}.",
    ("bob", 1): f"Last used 2024-01-15, before {WINDOW}.",
    ("carol", None): f"No sign-in yet; password set 2025-05-20, inside {WINDOW}.",
    ("dave", 1): f"Never used since created 2023-03-01, before {WINDOW}.",
    ("dave", 2): f"Last used 2025-05-31, inside {WINDOW}.",
    ("erin", 1): f"Last used 2021-01-01, before {WINDOW}.",
    ("old", 1): (
        f"No use since IAM began recording it on 2015-04-22; created 2015-01-01, before {WINDOW}."
    ),
}
STANDARD_FINDINGS = [("bob", None), ("bob", 1), ("dave", 1), ("old", 1)]


def slot_of(assessment: Any) -> int | None:
    return getattr(assessment.credential, "slot", None)


def verdicts(result: Any) -> list[tuple[str, str, int | None, str]]:
    return [(a.owner.user, a.kind.value, slot_of(a), a.verdict.value) for a in result]


def findings(result: Any) -> list[tuple[str, int | None]]:
    return [(a.owner.user, slot_of(a)) for a in result if a.finding]


def key_of(result: Any, user: str, slot: int | None) -> AccessKey:
    [key] = [
        a.credential
        for a in result
        if a.owner.user == user
        and isinstance(a.credential, AccessKey)
        and a.credential.slot == slot
    ]
    return key


def assessment_of(result: Any, user: str, slot: int | None) -> Any:
    [found] = [a for a in result if a.owner.user == user and slot_of(a) == slot]
    return found


def warnings(result: Any) -> list[tuple[int | None, str]]:
    return [(w.line, w.message) for w in result.warnings.items]


def stamp_generated_time(faults: FaultInjector, when: datetime = FRESH) -> list[bytes]:
    """moto gap: GeneratedTime is always 2015-02-02; say ``when``. Returns the contents seen."""
    contents: list[bytes] = []

    def edit(parsed: dict[str, Any], _: dict[str, Any]) -> None:
        parsed["GeneratedTime"] = when
        contents.append(bytes(parsed["Content"]))

    faults.after("GetCredentialReport", edit)
    return contents


def serve_cached_report(iam: Any) -> None:
    """Have a report ready, as IAM serves one generated up to four hours earlier.

    The scan's GenerateCredentialReport then answers COMPLETE at once (moto does once a report
    exists), so the report may be stale and the scan re-reads last use (``recheck="auto"``).
    Called before the fault layer is set up, so the call is not recorded.
    """
    assert iam.generate_credential_report()["State"] == "STARTED"


def scan(iam: Any, options: LiveScanOptions | None = None, *, cached: bool = True) -> ScanResult:
    waits: list[float] = []
    result = scan_account(iam, RULES, options or LiveScanOptions(), sleep=waits.append)
    # A cached report is downloaded at once; for a new one moto says STARTED: one 0.25 s wait.
    assert waits == ([] if cached else [0.25])
    return result


def calls(faults: FaultInjector, operation: str, param: str = "UserName") -> list[str]:
    return sorted(params[param] for params in faults.params_of(operation))


@pytest.fixture
def account(iam: Any) -> tuple[Any, dict[str, list[str]], FaultInjector]:
    """The standard account, with a cached report ready; the fault layer on the scan's client."""
    ids = seed_account(iam)
    serve_cached_report(iam)
    return iam, ids, FaultInjector(iam)


# --- the same verdicts as the report, made exact and fresh ------------------------------------


def test_live_scan_gives_the_report_verdicts_plus_key_ids(account: Any) -> None:
    iam, ids, faults = account
    contents = stamp_generated_time(faults)

    result = scan(iam)

    offline = scan_report(contents[0], as_of=AS_OF)
    assert verdicts(offline) == STANDARD_VERDICTS
    assert verdicts(result) == STANDARD_VERDICTS
    assert {(a.owner.user, slot_of(a)): a.reason for a in result} == STANDARD_REASONS
    assert [(a.reason, a.finding_rules) for a in result] == [
        (a.reason, a.finding_rules) for a in offline
    ]
    assert findings(result) == STANDARD_FINDINGS
    # IDs for every key of a user whose keys were re-checked; alice's were not.
    assert [
        (a.owner.user, slot_of(a), a.credential.access_key_id)
        for a in result
        if a.kind == "access_key"
    ] == [
        ("alice", 1, None),
        ("bob", 1, ids["bob"][0]),
        ("dave", 1, ids["dave"][0]),
        ("dave", 2, ids["dave"][1]),
        ("erin", 1, ids["erin"][0]),
        ("old", 1, ids["old"][0]),
    ]
    assert key_of(result, "erin", 1).status is Status.INACTIVE
    assert [a.owner.user for a in result if a.cleanup_candidate] == ["erin"]
    # Fresh last use comes from GetAccessKeyLastUsed, with region and service (moto's report
    # says not_supported for both).
    assert key_of(result, "bob", 1).last_use == LastUse(at(2024, 1, 15), "us-east-1", "ec2")
    assert key_of(offline, "bob", 1).last_use == LastUse(at(2024, 1, 15), None, None)
    assert result.errors == ()
    assert warnings(result) == []
    assert result.source.name == "credential report of account 123456789012"
    assert result.source.format == "iam-credential-report"
    assert result.source.generated_time == FRESH
    assert result.as_of == AS_OF
    summary = result.summary.as_dict()
    assert summary == {
        "users": 6,
        "credentials": 9,
        "findings": 4,
        "cleanup_candidates": 1,
        "by_verdict": {
            "in_use": 3,
            "new": 1,
            "uncertain": 0,
            "never_used": 1,
            "unused": 4,
            "untracked": 0,
            "unknown": 0,
        },
    }


def test_only_credentials_not_in_use_are_looked_up(account: Any) -> None:
    iam, ids, faults = account
    stamp_generated_time(faults)

    scan(iam)

    assert Counter(faults.operations()) == {
        "GenerateCredentialReport": 1,
        "GetCredentialReport": 1,
        "ListUsers": 1,  # two password candidates (bob, carol): one ListUsers page is cheaper
        "GetLoginProfile": 2,
        "ListAccessKeys": 4,
        "GetAccessKeyLastUsed": 3,
        "ListUserTags": 3,
    }
    assert calls(faults, "GetLoginProfile") == ["bob", "carol"]
    assert calls(faults, "ListAccessKeys") == ["bob", "dave", "erin", "old"]
    # erin's key was Inactive in the report and still is: it signed no request since, so its
    # last use is not read again (recheck "always" reads it: see the next test).
    assert calls(faults, "GetAccessKeyLastUsed", "AccessKeyId") == sorted(
        [ids["bob"][0], ids["dave"][0], ids["old"][0]]
    )
    # Tags are read only for users with candidate findings (not alice, carol, erin).
    assert calls(faults, "ListUserTags") == ["bob", "dave", "old"]


def test_recheck_always_on_a_cached_report_rereads_every_credential_not_in_use(
    account: Any,
) -> None:
    iam, ids, faults = account
    stamp_generated_time(faults)

    result = scan(iam, LiveScanOptions(recheck="always"))

    assert Counter(faults.operations()) == {
        "GenerateCredentialReport": 1,
        "GetCredentialReport": 1,
        "ListUsers": 1,
        "GetLoginProfile": 2,
        "ListAccessKeys": 4,
        "GetAccessKeyLastUsed": 4,
        "ListUserTags": 3,
    }
    assert calls(faults, "GetAccessKeyLastUsed", "AccessKeyId") == sorted(
        [ids["bob"][0], ids["dave"][0], ids["erin"][0], ids["old"][0]]
    )
    assert key_of(result, "erin", 1).last_use == LastUse(at(2021, 1, 1), "us-east-1", "s3")
    assert verdicts(result) == STANDARD_VERDICTS


def test_a_report_this_scan_had_generated_is_trusted_for_last_use(iam: Any) -> None:
    ids = seed_account(iam)
    faults = FaultInjector(iam)
    contents = stamp_generated_time(faults)

    result = scan(iam, cached=False)  # moto: STARTED, so IAM built the report just now

    # Keys still get their IDs (ListAccessKeys); last use and passwords are not read again.
    assert Counter(faults.operations()) == {
        "GenerateCredentialReport": 2,
        "GetCredentialReport": 1,
        "ListAccessKeys": 4,
        "ListUserTags": 3,
    }
    assert verdicts(result) == STANDARD_VERDICTS
    assert [(a.reason, a.finding_rules) for a in result] == [
        (a.reason, a.finding_rules) for a in scan_report(contents[0], as_of=AS_OF)
    ]
    assert key_of(result, "bob", 1).access_key_id == ids["bob"][0]
    assert key_of(result, "bob", 1).last_use == LastUse(at(2024, 1, 15), None, None)  # report's


def test_recheck_always_rereads_last_use_of_a_new_report(iam: Any) -> None:
    seed_account(iam)
    faults = FaultInjector(iam)
    stamp_generated_time(faults)

    result = scan(iam, LiveScanOptions(recheck="always"), cached=False)

    assert len(faults.params_of("GetAccessKeyLastUsed")) == 4
    assert calls(faults, "GetLoginProfile") == ["bob", "carol"]
    assert key_of(result, "bob", 1).last_use == LastUse(at(2024, 1, 15), "us-east-1", "ec2")
    assert verdicts(result) == STANDARD_VERDICTS


def test_one_password_candidate_reads_get_user_instead_of_list_users(iam: Any) -> None:
    seed_user(iam, "bob", created=at(2020, 1, 1), password=True, password_used=at(2024, 6, 1))
    seed_user(iam, "alice", created=at(2020, 1, 1), password=True, password_used=at(2025, 5, 30))
    serve_cached_report(iam)
    faults = FaultInjector(iam)
    stamp_generated_time(faults)

    result = scan(iam)

    assert verdicts(result) == [
        ("bob", "password", None, "unused"),
        ("alice", "password", None, "in_use"),
    ]
    assert calls(faults, "GetUser") == ["bob"]
    assert faults.params_of("ListUsers") == []


def test_all_key_ids_maps_keys_in_use_too_without_looking_up_their_use(account: Any) -> None:
    iam, ids, faults = account
    stamp_generated_time(faults)

    result = scan(iam, LiveScanOptions(all_key_ids=True))

    assert key_of(result, "alice", 1).access_key_id == ids["alice"][0]
    assert calls(faults, "ListAccessKeys") == ["alice", "bob", "dave", "erin", "old"]
    assert ids["alice"][0] not in calls(faults, "GetAccessKeyLastUsed", "AccessKeyId")
    assert verdicts(result) == STANDARD_VERDICTS


def test_use_after_the_report_makes_the_credential_in_use(account: Any) -> None:
    iam, _, faults = account
    contents = stamp_generated_time(faults)

    def bob_signs_in_and_uses_his_key(parsed: dict[str, Any], _: dict[str, Any]) -> None:
        # After the report was fetched (its content is already in hand), bob signs in and uses
        # his key; the report still says otherwise.
        from moto.iam.models import AccessKeyLastUsed

        bob = moto_iam_backend().users["bob"]
        bob.access_keys[0].last_used = AccessKeyLastUsed(at(2025, 5, 31, 12), "s3", "eu-west-1")
        bob.password_last_used = at(2025, 5, 29, 7)

    faults.after("GetCredentialReport", bob_signs_in_and_uses_his_key)

    result = scan(iam)

    offline = scan_report(contents[0], as_of=AS_OF)
    assert assessment_of(offline, "bob", 1).verdict is Verdict.UNUSED
    assert assessment_of(offline, "bob", None).verdict is Verdict.UNUSED
    bob_key = assessment_of(result, "bob", 1)
    assert bob_key.verdict is Verdict.IN_USE
    assert bob_key.reason == f"Last used 2025-05-31, inside {WINDOW}."
    assert bob_key.last_used == at(2025, 5, 31, 12)
    assert bob_key.credential.last_use == LastUse(at(2025, 5, 31, 12), "eu-west-1", "s3")
    bob_password = assessment_of(result, "bob", None)
    assert bob_password.verdict is Verdict.IN_USE
    assert bob_password.last_used == at(2025, 5, 29, 7)
    assert findings(result) == [("dave", 1), ("old", 1)]
    assert calls(faults, "ListUserTags") == ["dave", "old"]  # bob has no finding left
    # bob's ListUsers sign-in is inside the window: in use, so GetLoginProfile is not needed.
    assert calls(faults, "GetLoginProfile") == ["carol"]


def test_a_key_deleted_after_the_report_is_not_listed(account: Any, boto_session: Any) -> None:
    iam, ids, faults = account
    stamp_generated_time(faults)
    other = boto_session.client("iam")  # another client: no fault layer

    def delete_bobs_key(parsed: dict[str, Any], _: dict[str, Any]) -> None:
        other.delete_access_key(UserName="bob", AccessKeyId=ids["bob"][0])

    faults.after("GetCredentialReport", delete_bobs_key)

    result = scan(iam)

    assert [v for v in verdicts(result) if v[0] == "bob"] == [("bob", "password", None, "unused")]
    assert warnings(result) == [
        (
            3,
            "bob: access key 1 (created 2022-01-01T00:00:00+00:00) is no longer listed by "
            "ListAccessKeys: deleted or replaced since the report; not listed",
        )
    ]
    assert result.summary.credentials == 8
    assert result.errors == ()


def test_a_password_deleted_after_the_report_is_not_listed(account: Any, boto_session: Any) -> None:
    iam, _, faults = account
    stamp_generated_time(faults)
    other = boto_session.client("iam")

    def delete_bobs_password(parsed: dict[str, Any], _: dict[str, Any]) -> None:
        other.delete_login_profile(UserName="bob")

    faults.after("GetCredentialReport", delete_bobs_password)

    result = scan(iam)

    assert [v for v in verdicts(result) if v[0] == "bob"] == [("bob", "access_key", 1, "unused")]
    assert warnings(result) == [
        (
            3,
            "bob: the console password no longer exists (GetLoginProfile: NoSuchEntity); "
            "not listed",
        )
    ]
    assert result.errors == ()


def test_old_generated_time_is_warned_about(account: Any) -> None:
    iam, _, faults = account
    generated = AS_OF - timedelta(hours=5)
    stamp_generated_time(faults, generated)

    result = scan(iam)

    assert result.source.generated_time == generated
    # A report file generated more than scan.OLD_REPORT_AGE (1 h) before as_of gets a warning;
    # spec §10.6: show GeneratedTime and warn when it is old. The live scan re-checks credentials
    # that are not in_use, but the rest (in_use ones, the root row, MFA) still rest on the report.
    assert any("2025-05-31T19:00:00+00:00" in message for _, message in warnings(result)), warnings(
        result
    )


def test_a_fresh_report_has_no_age_warning(account: Any) -> None:
    iam, _, faults = account
    stamp_generated_time(faults, AS_OF - timedelta(minutes=59))

    result = scan(iam)

    assert warnings(result) == []


# --- errors of single lookups are results; errors of the whole read are raised ----------------


def test_access_denied_on_one_key_makes_it_unknown_not_a_finding(account: Any) -> None:
    iam, ids, faults = account
    stamp_generated_time(faults)
    denied = access_denied("iam:GetAccessKeyLastUsed")
    # moto gap: it cannot deny one call for one key while allowing the rest.
    faults.always(
        "GetAccessKeyLastUsed",
        lambda params: denied if params["AccessKeyId"] == ids["bob"][0] else None,
    )

    result = scan(iam)

    error = (
        "iam:GetAccessKeyLastUsed failed: AccessDenied: User: "
        "arn:aws:iam::123456789012:user/scanner is not authorized to perform: "
        "iam:GetAccessKeyLastUsed on resource: *"
    )
    bob_key = assessment_of(result, "bob", 1)
    assert bob_key.verdict is Verdict.UNKNOWN
    assert bob_key.reason == f"Could not read its use from IAM: {error}."
    assert bob_key.finding_rules == ()
    assert bob_key.credential.access_key_id == ids["bob"][0]
    assert bob_key.credential.lookup_error == error
    assert result.errors == (f"bob: {error}",)
    assert (None, f"bob: {error}") in warnings(result)
    assert findings(result) == [("bob", None), ("dave", 1), ("old", 1)]
    assert result.summary.by_verdict[Verdict.UNKNOWN] == 1


def test_a_report_that_cannot_be_generated_is_an_error_not_an_empty_account(iam: Any) -> None:
    seed_user(iam, "bob", created=at(2020, 1, 1), password=True)
    faults = FaultInjector(iam)
    faults.script("GenerateCredentialReport", access_denied("iam:GenerateCredentialReport"))

    with pytest.raises(AwsError) as raised:
        scan_account(iam, RULES, sleep=lambda _: None)

    assert raised.value.action == "iam:GenerateCredentialReport"
    assert raised.value.code == "AccessDenied"
    assert faults.operations() == ["GenerateCredentialReport"]


@pytest.mark.parametrize("source", ["report", "api"])
def test_results_and_failed_lookups_are_the_same_whatever_the_number_of_workers(
    account: Any, source: str
) -> None:
    # Each user's calls run as one task on the pool; results are taken in the users' order.
    iam, ids, faults = account
    stamp_generated_time(faults)
    # moto gap: it cannot deny one call for one user (or key) while allowing the rest.
    faults.always(
        "ListAccessKeys",
        lambda params: (
            access_denied("iam:ListAccessKeys") if params["UserName"] == "erin" else None
        ),
    )
    faults.always(
        "GetAccessKeyLastUsed",
        lambda params: (
            access_denied("iam:GetAccessKeyLastUsed")
            if params["AccessKeyId"] == ids["dave"][0]
            else None
        ),
    )
    faults.always(
        "ListUserTags",
        lambda params: access_denied("iam:ListUserTags") if params["UserName"] == "bob" else None,
    )

    results = [
        scan_account(
            iam, RULES, LiveScanOptions(source=source, workers=workers), sleep=lambda _: None
        )
        for workers in (1, 8, 3)
    ]

    first = results[0]
    for other in results[1:]:
        assert list(other) == list(first)
        assert other.errors == first.errors
        assert warnings(other) == warnings(first)
    # Failed credential lookups in the users' order, then failed exemption-tag reads.
    assert [error.split(":")[0] for error in first.errors] == ["dave", "erin", "bob"]
    assert first.errors[-1].endswith("; the exemption tag was not checked")
    dave_keys = [
        a.credential for a in first if a.owner.user == "dave" and a.kind.value != "password"
    ]
    assert [key.lookup_error is not None for key in dave_keys] == [True, False]


# --- exemptions ------------------------------------------------------------------------------


def test_exemption_by_tag(iam: Any) -> None:
    seed_account(iam, dave_tags={"stalecreds:exempt": "Deploy robot, rotated by hand"})
    serve_cached_report(iam)
    faults = FaultInjector(iam)
    stamp_generated_time(faults)

    result = scan(iam)

    assert verdicts(result) == STANDARD_VERDICTS  # still listed, with verdicts
    assert [a.exemption for a in result if a.owner.user == "dave"] == [
        "Deploy robot, rotated by hand (tag stalecreds:exempt)"
    ] * 2
    assert {a.exemption for a in result if a.owner.user != "dave"} == {None}
    assert findings(result) == [("bob", None), ("bob", 1), ("old", 1)]


def test_exemption_by_config_skips_the_tag_lookup(account: Any) -> None:
    iam, _, faults = account
    stamp_generated_time(faults)
    rules = (ExemptionRule("path", "/service/*", "Service users: owned by the platform team"),)

    result = scan(iam, LiveScanOptions(exemptions=Exemptions(rules)))

    reason = "Service users: owned by the platform team (config: path = '/service/*')"
    assert {a.owner.user: a.exemption for a in result} == {
        "alice": None,
        "bob": None,
        "carol": None,
        "dave": reason,
        "erin": reason,
        "old": reason,  # /service/legacy/ matches /service/*
    }
    assert findings(result) == [("bob", None), ("bob", 1)]
    assert calls(faults, "ListUserTags") == ["bob"]


# --- api-cases 5-8 ---------------------------------------------------------------------------


def page_list_users(faults: FaultInjector, first_page: int) -> None:
    """moto gap: ListUsers ignores MaxItems/Marker and never pages. Page its full list."""

    def page(parsed: dict[str, Any], params: dict[str, Any]) -> None:
        users = parsed["Users"]
        if params.get("Marker") is None:
            parsed["Users"] = users[:first_page]
            parsed["IsTruncated"] = True
            parsed["Marker"] = "m1"
        else:
            assert params["Marker"] == "m1"
            parsed["Users"] = users[first_page:]
            parsed["IsTruncated"] = False

    faults.after("ListUsers", page)


def test_case_5_list_users_pages_are_all_read(iam: Any) -> None:
    names = [f"u{number:03d}" for number in range(101)]
    for name in names[:-1]:
        iam.create_user(UserName=name)
    seed_user(iam, "u100", created=at(2023, 1, 1), keys=(SeedKey(at(2023, 3, 1)),))
    faults = FaultInjector(iam)
    page_list_users(faults, 100)

    result = scan_account(iam, RULES, LiveScanOptions(source="api"), sleep=lambda _: None)

    assert faults.params_of("ListUsers") == [{"MaxItems": 1000}, {"MaxItems": 1000, "Marker": "m1"}]
    assert result.summary.users == 101
    assert calls(faults, "GetLoginProfile") == names
    assert calls(faults, "ListAccessKeys") == names
    # u100 is on the second page: its key is judged, with its ID and no slot.
    [only] = result.assessments
    assert (only.owner.user, only.verdict, only.credential.slot) == (
        "u100",
        Verdict.NEVER_USED,
        None,
    )
    assert (
        only.credential.access_key_id
        == moto_iam_backend().users["u100"].access_keys[0].access_key_id
    )
    assert only.reason == f"Never used since created 2023-03-01, before {WINDOW}."
    assert result.source.name == "IAM API of account 123456789012"
    assert result.source.format == "iam-api"
    assert result.source.generated_time is None


def test_case_5_a_short_first_page_that_is_truncated_is_followed(iam: Any) -> None:
    names = ["a1", "a2", "a3", "a4", "a5"]
    for name in names:
        seed_user(iam, name, created=at(2020, 1, 1), password=True, password_used=at(2024, 1, 1))
    faults = FaultInjector(iam)
    page_list_users(faults, 2)  # 2 users, fewer than MaxItems, and IsTruncated true

    result = scan_account(iam, RULES, LiveScanOptions(source="api"), sleep=lambda _: None)

    assert len(faults.params_of("ListUsers")) == 2
    assert verdicts(result) == [(name, "password", None, "unused") for name in names]
    assert [a.owner.created for a in result] == [at(2020, 1, 1)] * 5


def test_case_6_a_removed_password_leaves_only_history(iam: Any) -> None:
    # moto models this case itself: ListUsers gives PasswordLastUsed, GetLoginProfile says
    # NoSuchEntity (404).
    seed_user(iam, "former", created=at(2016, 1, 1), password_used=at(2017, 4, 21, 10))
    seed_user(iam, "current", created=at(2016, 1, 1), password=True, password_used=at(2025, 5, 30))
    assert iam.list_users()["Users"][0]["PasswordLastUsed"] == at(2017, 4, 21, 10)
    faults = FaultInjector(iam)

    result = scan_account(iam, RULES, LiveScanOptions(source="api"), sleep=lambda _: None)

    assert calls(faults, "GetLoginProfile") == ["current", "former"]
    assert verdicts(result) == [("current", "password", None, "in_use")]
    assert result.summary.users == 2
    assert result.errors == ()


def test_case_6_in_the_report_too(iam: Any) -> None:
    seed_user(iam, "former", created=at(2016, 1, 1), password_used=at(2017, 4, 21, 10))
    serve_cached_report(iam)
    faults = FaultInjector(iam)
    stamp_generated_time(faults)

    result = scan(iam)

    assert verdicts(result) == []
    assert result.summary.users == 1
    assert faults.params_of("GetLoginProfile") == []


ROOT_ROW = (
    "<root_account>,arn:aws:iam::123456789012:root,2014-01-01T00:00:00+00:00,not_supported,"
    "2024-01-01T00:00:00+00:00,not_supported,not_supported,true,true,2016-01-01T00:00:00+00:00,"
    "N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
)


def test_case_7_the_root_row_is_never_passed_to_a_user_api(account: Any) -> None:
    iam, _, faults = account
    stamp_generated_time(faults)

    def add_root_row(parsed: dict[str, Any], _: dict[str, Any]) -> None:
        # moto gap: its report has no <root_account> row. IAM puts it first.
        header, rest = bytes(parsed["Content"]).split(b"\n", 1)
        parsed["Content"] = header + b"\n" + ROOT_ROW.encode() + b"\n" + rest

    faults.after("GetCredentialReport", add_root_row)

    result = scan(iam)

    assert all("<root_account>" not in call.params.values() for call in faults.calls)
    assert all(call.params.get("UserName") != "<root_account>" for call in faults.calls)
    root = [a for a in result if a.owner.is_root]
    # Issue 15: the unused root password keeps its verdict but is never an unused-credential
    # finding (CIS asks for an unused root password); the root key stays a finding.
    assert [(a.kind.value, slot_of(a), a.verdict.value, a.finding_rules) for a in root] == [
        ("password", None, "unused", ()),
        (
            "access_key",
            1,
            "never_used",
            (FindingRule.UNUSED_CREDENTIAL, FindingRule.ROOT_ACCESS_KEY),
        ),
    ]
    assert root[1].credential.access_key_id is None  # judged from the report alone
    assert verdicts(result)[2:] == STANDARD_VERDICTS
    assert calls(faults, "ListUserTags") == ["bob", "dave", "old"]


def test_case_8_slot_matched_to_the_key_by_create_date_whatever_the_order(account: Any) -> None:
    iam, ids, faults = account
    stamp_generated_time(faults)
    listed: dict[str, datetime] = {}

    def reverse(parsed: dict[str, Any], _: dict[str, Any]) -> None:
        # moto gap: it lists keys in creation order; IAM may list them in any order.
        parsed["AccessKeyMetadata"].reverse()
        for key in parsed["AccessKeyMetadata"]:
            listed[key["AccessKeyId"]] = key["CreateDate"]

    faults.after("ListAccessKeys", reverse)

    result = scan(iam)

    never_used = key_of(result, "dave", 1)
    assert never_used.access_key_id == ids["dave"][0]
    assert listed[ids["dave"][0]] == at(2023, 3, 1, 10, microsecond=123456)
    assert never_used.created == at(2023, 3, 1, 10)  # the report's last_rotated
    assert key_of(result, "dave", 2).access_key_id == ids["dave"][1]
    assert listed[ids["dave"][1]] == at(2025, 4, 1, 10)
    assert ids["dave"][1] not in calls(faults, "GetAccessKeyLastUsed", "AccessKeyId")
    assert verdicts(result) == STANDARD_VERDICTS


def test_case_8_ambiguous_creation_second_gives_no_id_and_a_warning(iam: Any) -> None:
    seed_user(
        iam,
        "twin",
        created=at(2020, 1, 1),
        keys=(
            SeedKey(at(2023, 3, 1, 10, microsecond=100000)),
            SeedKey(at(2023, 3, 1, 10, microsecond=900000)),
        ),
    )
    serve_cached_report(iam)
    faults = FaultInjector(iam)
    stamp_generated_time(faults)

    result = scan(iam)

    assert verdicts(result) == [
        ("twin", "access_key", 1, "never_used"),
        ("twin", "access_key", 2, "never_used"),
    ]
    assert [key_of(result, "twin", slot).access_key_id for slot in (1, 2)] == [None, None]
    assert warnings(result) == [
        (
            2,
            f"twin: access key {slot} (created 2023-03-01T10:00:00+00:00) matches more than one "
            "key by creation time; its ID is unknown and it is judged from the report only",
        )
        for slot in (1, 2)
    ]
    assert faults.params_of("GetAccessKeyLastUsed") == []


# --- the client --------------------------------------------------------------------------------


def test_the_scan_client_makes_at_most_max_attempts_attempts() -> None:
    # aws.MAX_ATTEMPTS says "Attempts per API call, first included" (10). botocore reads
    # retries["max_attempts"] as retries *after* the first attempt, so total_max_attempts is 11.
    client = iam_client(make_session())
    assert client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 10}


# --- the command line over moto ---------------------------------------------------------------


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, ["scan", "--as-of", "2025-06-01T00:00:00Z", *args])


def test_cli_exit_0_when_every_credential_is_in_use(iam: Any) -> None:
    seed_user(
        iam,
        "alice",
        created=at(2020, 1, 1),
        password=True,
        password_used=at(2025, 5, 30),
        keys=(SeedKey(at(2021, 1, 1), at(2025, 5, 31)),),
    )
    iam.generate_credential_report()  # the CLI's own Generate is then COMPLETE: no real wait

    result = cli()

    assert result.exit_code == 0, result.output
    assert "No findings" in result.stdout
    assert "1 user · 2 credentials · 0 findings · 0 clean-up candidates" in result.stdout
    assert "waiting for the credential report" not in result.stderr


def test_cli_exit_1_and_json_with_key_ids(iam: Any) -> None:
    ids = seed_account(iam)
    iam.generate_credential_report()

    result = cli("--format", "json")

    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["source"] == {
        "type": "credential_report",
        "file": "credential report of account 123456789012",
        "format": "iam-credential-report",
        "generated_time": "2015-02-02T20:02:02+00:00",  # moto's constant, as IAM said it
    }
    rows = [
        (c["user"], c["kind"], c["slot"], c["access_key_id"], c["verdict"], c["finding"])
        for c in document["credentials"]
    ]
    assert rows == [
        ("alice", "password", None, None, "in_use", False),
        ("alice", "access_key", 1, None, "in_use", False),
        ("bob", "password", None, None, "unused", True),
        ("bob", "access_key", 1, ids["bob"][0], "unused", True),
        ("carol", "password", None, None, "new", False),
        ("dave", "access_key", 1, ids["dave"][0], "never_used", True),
        ("dave", "access_key", 2, ids["dave"][1], "in_use", False),
        ("erin", "access_key", 1, ids["erin"][0], "unused", False),
        ("old", "access_key", 1, ids["old"][0], "unused", True),
    ]
    bob_key = document["credentials"][3]
    assert (bob_key["last_used_region"], bob_key["last_used_service"]) == ("us-east-1", "ec2")
    assert document["summary"]["findings"] == 4


def test_cli_calls_per_account_bounds_concurrency_without_changing_the_output(iam: Any) -> None:
    seed_account(iam)
    iam.generate_credential_report()

    one, many = (cli("--format", "json", "--calls-per-account", n) for n in ("1", "32"))
    refused = cli("--calls-per-account", "0")

    assert (one.exit_code, many.exit_code) == (1, 1), one.output + many.output
    assert json.loads(one.stdout) == json.loads(many.stdout)
    assert refused.exit_code == 2
    assert "--calls-per-account" in refused.stderr


def test_cli_recheck_always_on_a_new_report_shows_progress_and_fresh_use(iam: Any) -> None:
    ids = seed_account(iam)  # no report yet: the CLI's GenerateCredentialReport says STARTED

    result = cli("--format", "json", "--recheck", "always")  # one real 0.25 s wait

    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[0] == (
        "stalecreds: waiting for the credential report (STARTED)"
    )
    bob_key = json.loads(result.stdout)["credentials"][3]
    assert (
        bob_key["access_key_id"],
        bob_key["last_used_region"],
        bob_key["last_used_service"],
    ) == (
        ids["bob"][0],
        "us-east-1",
        "ec2",
    )


def test_cli_source_api(iam: Any) -> None:
    ids = seed_account(iam)

    result = cli("--source", "api", "--format", "json")

    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["source"]["file"] == "IAM API of account 123456789012"
    assert document["source"]["format"] == "iam-api"
    assert document["source"]["type"] == "iam_api"
    rows = [
        (c["user"], c["kind"], c["slot"], c["access_key_id"], c["verdict"])
        for c in document["credentials"]
    ]
    assert rows == [
        ("alice", "password", None, None, "in_use"),
        ("alice", "access_key", None, ids["alice"][0], "in_use"),
        ("bob", "password", None, None, "unused"),
        ("bob", "access_key", None, ids["bob"][0], "unused"),
        ("carol", "password", None, None, "new"),
        ("dave", "access_key", None, ids["dave"][0], "never_used"),
        ("dave", "access_key", None, ids["dave"][1], "in_use"),
        ("erin", "access_key", None, ids["erin"][0], "unused"),
        ("old", "access_key", None, ids["old"][0], "unused"),
    ]
    assert [c["mfa_active"] for c in document["credentials"]] == [None] * 9
    assert document["summary"]["findings"] == 4
