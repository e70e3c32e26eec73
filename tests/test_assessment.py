"""Finding rules and clean-up candidates, through ``scan_report`` on small reports."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stalecreds import (
    AccessKey,
    Assessment,
    CredentialKind,
    FindingRule,
    Password,
    SigningCertificate,
    Status,
    Thresholds,
    Verdict,
    scan_report,
)
from tests.conftest import report, report_row

AS_OF = datetime(2025, 6, 1, tzinfo=UTC)  # with 90 days the window starts 2025-03-03
UNUSED_RULE = (FindingRule.UNUSED_CREDENTIAL,)
ROOT_RULE = (FindingRule.ROOT_ACCESS_KEY,)
BOTH_RULES = (FindingRule.UNUSED_CREDENTIAL, FindingRule.ROOT_ACCESS_KEY)

ROOT = {
    "user": "<root_account>",
    "arn": "arn:aws:iam::111122223333:root",
    "user_creation_time": "2015-01-01T00:00:00+00:00",
    "password_enabled": "not_supported",
    "password_last_used": "no_information",
    "password_last_changed": "not_supported",
    "password_next_rotation": "not_supported",
}

IN_USE_DATE = "2025-05-30T08:00:00+00:00"
OLD_DATE = "2024-01-01T00:00:00+00:00"
NEW_DATE = "2025-05-20T00:00:00+00:00"


def scan(*rows: str, days: int = 90) -> list[Assessment]:
    result = scan_report(report(*rows), as_of=AS_OF, thresholds=Thresholds(days, days))
    return list(result.assessments)


def summary(assessments: list[Assessment]) -> list[tuple[object, ...]]:
    return [
        (
            a.owner.user,
            a.kind,
            getattr(a.credential, "slot", None),
            a.status,
            a.verdict,
            a.finding_rules,
            a.cleanup_candidate,
        )
        for a in assessments
    ]


def root_key(
    active: str, rotated: str, used: str = "N/A", region: str = "N/A", service: str = "N/A"
) -> dict[str, str]:
    return {
        "access_key_1_active": active,
        "access_key_1_last_rotated": rotated,
        "access_key_1_last_used_date": used,
        "access_key_1_last_used_region": region,
        "access_key_1_last_used_service": service,
    }


# --- passwords --------------------------------------------------------------------------------


# (id, password_last_used, password_last_changed, user_creation_time, verdict, finding?)
PASSWORD_CASES = [
    ("in_use", IN_USE_DATE, OLD_DATE, OLD_DATE, Verdict.IN_USE, False),
    ("new", "no_information", NEW_DATE, OLD_DATE, Verdict.NEW, False),
    ("new-after-reset", "2023-01-01T00:00:00+00:00", NEW_DATE, OLD_DATE, Verdict.NEW, False),
    ("never_used", "no_information", OLD_DATE, OLD_DATE, Verdict.NEVER_USED, True),
    ("unused", "2024-06-01T00:00:00+00:00", OLD_DATE, OLD_DATE, Verdict.UNUSED, True),
    (
        "unused-set-before-tracking",
        "no_information",
        "2013-01-01T00:00:00+00:00",
        "2013-01-01T00:00:00+00:00",
        Verdict.UNUSED,
        True,
    ),
    # password_last_changed N/A: judged by user_creation_time.
    ("fallback-to-user-created-new", "no_information", "N/A", NEW_DATE, Verdict.NEW, False),
    ("fallback-to-user-created-old", "no_information", "N/A", OLD_DATE, Verdict.NEVER_USED, True),
]


@pytest.mark.parametrize(
    ("last_used", "changed", "user_created", "verdict", "finding"),
    [pytest.param(*case[1:], id=case[0]) for case in PASSWORD_CASES],
)
def test_password_verdicts_and_findings(
    last_used: str, changed: str, user_created: str, verdict: Verdict, finding: bool
) -> None:
    (assessment,) = scan(
        report_row(
            user_creation_time=user_created,
            password_enabled="true",
            password_last_used=last_used,
            password_last_changed=changed,
        )
    )
    assert assessment.kind is CredentialKind.PASSWORD
    assert assessment.status is None
    assert assessment.verdict is verdict
    assert assessment.finding_rules == (UNUSED_RULE if finding else ())
    assert assessment.finding is finding
    assert assessment.cleanup_candidate is False
    expected_created = changed if changed != "N/A" else user_created
    assert assessment.created == datetime.fromisoformat(expected_created)


def test_uncertain_password_is_a_finding() -> None:
    (assessment,) = scan_report(
        report(
            report_row(
                user_creation_time="2016-01-01T00:00:00+00:00",
                password_enabled="true",
                password_last_used="2018-01-10T00:00:00+00:00",
                password_last_changed="2016-01-01T00:00:00+00:00",
            )
        ),
        as_of=datetime(2018, 6, 1, tzinfo=UTC),
    ).assessments
    assert assessment.verdict is Verdict.UNCERTAIN
    assert assessment.finding_rules == UNUSED_RULE


def test_disabled_password_with_an_old_last_used_date_is_not_listed() -> None:
    assert scan(report_row(password_enabled="false", password_last_used=OLD_DATE)) == []


@pytest.mark.parametrize(
    ("last_used", "verdict", "rules"),
    [
        (IN_USE_DATE, Verdict.IN_USE, ()),
        # Issue 15: an unused root password is the state CIS asks for (avoid using root); CIS
        # 1.12 and AWS Config's iam-user-unused-credentials-check cover IAM users only. The
        # verdict is still shown, but it is never an unused-credential finding.
        ("2024-06-01T00:00:00+00:00", Verdict.UNUSED, ()),
        # never signed in; judged from the account's creation (password_last_changed is
        # not_supported for root): 2015-01-01, after tracking began 2014-10-20.
        ("no_information", Verdict.NEVER_USED, ()),
    ],
)
def test_root_password(last_used: str, verdict: Verdict, rules: tuple[FindingRule, ...]) -> None:
    (assessment,) = scan(report_row(**{**ROOT, "password_last_used": last_used}))
    assert assessment.owner.is_root is True
    assert assessment.kind is CredentialKind.PASSWORD
    assert assessment.verdict is verdict
    assert assessment.finding_rules == rules
    assert assessment.created == datetime(2015, 1, 1, tzinfo=UTC)


GOV_ROOT = {**ROOT, "arn": "arn:aws-us-gov:iam::111122223333:root"}


def test_govcloud_root_not_supported_has_no_console_password() -> None:
    # Issue 15 (ScoutSuite issue 1132): in AWS GovCloud (US) the root user cannot sign in to the
    # console; the root row's password_enabled=not_supported is no password, not a never_used one.
    assert scan(report_row(**GOV_ROOT)) == []
    (key,) = scan(report_row(**GOV_ROOT, **root_key("true", OLD_DATE, IN_USE_DATE)))
    assert key.kind is CredentialKind.ACCESS_KEY
    assert key.owner.partition == "aws-us-gov"
    assert key.owner.password is None
    assert key.finding_rules == ROOT_RULE


def test_commercial_root_with_recent_sign_in_and_active_key_is_a_root_key_finding_only() -> None:
    # Issue 15: a commercial-partition root row with a recent password use and an Active key.
    password, key = scan(
        report_row(
            **{**ROOT, "password_last_used": IN_USE_DATE},
            **root_key("true", OLD_DATE, IN_USE_DATE, "us-east-1", "s3"),
        )
    )
    assert (password.kind, password.verdict, password.finding_rules) == (
        CredentialKind.PASSWORD,
        Verdict.IN_USE,
        (),
    )
    assert (key.kind, key.verdict, key.finding_rules) == (
        CredentialKind.ACCESS_KEY,
        Verdict.IN_USE,
        ROOT_RULE,
    )


def test_unused_root_password_is_shown_but_never_an_unused_credential_finding() -> None:
    # Issue 15 (steampipe compliance mod issue 276): never signed in for years.
    (password,) = scan(report_row(**{**ROOT, "password_last_used": "2020-01-01T00:00:00+00:00"}))
    assert password.verdict is Verdict.UNUSED
    assert password.finding_rules == ()
    assert password.finding is False


def test_root_password_enabled_false_means_no_password() -> None:
    # Organisation member accounts may show password_enabled=false on the root row.
    (assessment,) = scan(
        report_row(**{**ROOT, "password_enabled": "false"}, **root_key("true", OLD_DATE))
    )
    assert assessment.kind is CredentialKind.ACCESS_KEY


# --- access keys ------------------------------------------------------------------------------


# (id, active, last_rotated, last_used_date, verdict, findings, cleanup)
KEY_CASES = [
    ("active-in_use", "true", OLD_DATE, IN_USE_DATE, Verdict.IN_USE, (), False),
    ("active-new", "true", NEW_DATE, "N/A", Verdict.NEW, (), False),
    ("active-never_used", "true", OLD_DATE, "N/A", Verdict.NEVER_USED, UNUSED_RULE, False),
    (
        "active-unused",
        "true",
        OLD_DATE,
        "2024-02-01T00:00:00+00:00",
        Verdict.UNUSED,
        UNUSED_RULE,
        False,
    ),
    (
        "active-unused-before-tracking",
        "true",
        "2014-01-01T00:00:00+00:00",
        "N/A",
        Verdict.UNUSED,
        UNUSED_RULE,
        False,
    ),
    ("inactive-in_use", "false", OLD_DATE, IN_USE_DATE, Verdict.IN_USE, (), False),
    ("inactive-new", "false", NEW_DATE, "N/A", Verdict.NEW, (), False),
    ("inactive-never_used", "false", OLD_DATE, "N/A", Verdict.NEVER_USED, (), True),
    ("inactive-unused", "false", OLD_DATE, "2024-02-01T00:00:00+00:00", Verdict.UNUSED, (), True),
]


@pytest.mark.parametrize(
    ("active", "rotated", "used", "verdict", "rules", "cleanup"),
    [pytest.param(*case[1:], id=case[0]) for case in KEY_CASES],
)
def test_access_key_findings_and_cleanup(
    active: str,
    rotated: str,
    used: str,
    verdict: Verdict,
    rules: tuple[FindingRule, ...],
    cleanup: bool,
) -> None:
    (assessment,) = scan(report_row(**root_key(active, rotated, used, "us-east-1", "sts")))
    assert assessment.kind is CredentialKind.ACCESS_KEY
    assert assessment.status is (Status.ACTIVE if active == "true" else Status.INACTIVE)
    assert assessment.verdict is verdict
    assert assessment.finding_rules == rules
    assert assessment.cleanup_candidate is cleanup
    assert assessment.created == datetime.fromisoformat(rotated)
    assert assessment.last_used == (None if used == "N/A" else datetime.fromisoformat(used))


def root_key_assessment(key_cells: dict[str, str]) -> Assessment:
    """The root row's access key 1 (the root row also has its password, listed first)."""
    password, key = scan(report_row(**ROOT, **key_cells))
    assert password.kind is CredentialKind.PASSWORD
    assert key.kind is CredentialKind.ACCESS_KEY
    assert key.owner.is_root is True
    return key


def test_root_active_key_in_use_is_a_finding_only_for_being_a_root_key() -> None:
    assessment = root_key_assessment(root_key("true", OLD_DATE, IN_USE_DATE))
    assert assessment.verdict is Verdict.IN_USE
    assert assessment.finding_rules == ROOT_RULE
    assert assessment.finding is True
    assert assessment.cleanup_candidate is False


def test_root_active_new_key_is_a_finding() -> None:
    assessment = root_key_assessment(root_key("true", NEW_DATE))
    assert assessment.verdict is Verdict.NEW
    assert assessment.finding_rules == ROOT_RULE


@pytest.mark.parametrize(
    ("used", "verdict"),
    [("2024-02-01T00:00:00+00:00", Verdict.UNUSED), ("N/A", Verdict.NEVER_USED)],
)
def test_root_active_key_unused_has_both_rules_in_order(used: str, verdict: Verdict) -> None:
    assessment = root_key_assessment(root_key("true", OLD_DATE, used))
    assert assessment.verdict is verdict
    assert assessment.finding_rules == BOTH_RULES
    assert [str(rule) for rule in assessment.finding_rules] == [
        "unused-credential",
        "root-access-key",
    ]


@pytest.mark.parametrize(
    ("used", "verdict", "cleanup"),
    [
        ("2024-02-01T00:00:00+00:00", Verdict.UNUSED, True),
        ("N/A", Verdict.NEVER_USED, True),
        (IN_USE_DATE, Verdict.IN_USE, False),
    ],
)
def test_root_inactive_key_is_not_a_finding(used: str, verdict: Verdict, cleanup: bool) -> None:
    assessment = root_key_assessment(root_key("false", OLD_DATE, used))
    assert assessment.status is Status.INACTIVE
    assert assessment.verdict is verdict
    assert assessment.finding_rules == ()
    assert assessment.cleanup_candidate is cleanup


def test_active_key_without_a_date_is_not_listed_and_warns() -> None:
    result = scan_report(report(report_row(**root_key("true", "N/A"))), as_of=AS_OF)
    assert result.assessments == ()
    assert [(w.line, w.message) for w in result.warnings.items] == [
        (
            2,
            "access_key_1_active is true but access_key_1_last_rotated is 'N/A'; without a date "
            "the key cannot be judged and is not listed",
        )
    ]


def test_keys_are_judged_one_by_one() -> None:
    # Key 1 is young and never used; key 2 is old but used yesterday. Neither is a finding:
    # "old" (key 2) and "never used" (key 1) must not combine.
    assessments = scan(
        report_row(
            user_creation_time="2023-01-01T00:00:00+00:00",
            access_key_1_active="true",
            access_key_1_last_rotated="2025-05-20T00:00:00+00:00",
            access_key_2_active="true",
            access_key_2_last_rotated="2023-01-01T00:00:00+00:00",
            access_key_2_last_used_date="2025-05-31T10:15:00+00:00",
            access_key_2_last_used_region="us-east-1",
            access_key_2_last_used_service="s3",
        ),
        days=60,
    )
    assert summary(assessments) == [
        ("alice", "access_key", 1, Status.ACTIVE, Verdict.NEW, (), False),
        ("alice", "access_key", 2, Status.ACTIVE, Verdict.IN_USE, (), False),
    ]
    assert assessments[0].last_used is None
    assert assessments[1].last_used == datetime(2025, 5, 31, 10, 15, tzinfo=UTC)


def test_keys_judged_one_by_one_the_other_way_round() -> None:
    # Key 1 old and used long ago; key 2 used yesterday: only key 1 is a finding.
    assessments = scan(
        report_row(
            access_key_1_active="true",
            access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
            access_key_1_last_used_date="2021-01-01T00:00:00+00:00",
            access_key_2_active="true",
            access_key_2_last_rotated="2020-01-01T00:00:00+00:00",
            access_key_2_last_used_date=IN_USE_DATE,
        )
    )
    assert summary(assessments) == [
        ("alice", "access_key", 1, Status.ACTIVE, Verdict.UNUSED, UNUSED_RULE, False),
        ("alice", "access_key", 2, Status.ACTIVE, Verdict.IN_USE, (), False),
    ]


# --- certificates -----------------------------------------------------------------------------


def test_certificates_are_listed_untracked_and_never_findings() -> None:
    assessments = scan(
        report_row(
            cert_1_active="true",
            cert_1_last_rotated="2012-03-04T05:06:07+00:00",
            cert_2_active="false",
            cert_2_last_rotated="2013-01-01T00:00:00+00:00",
        )
    )
    assert summary(assessments) == [
        ("alice", "signing_certificate", 1, Status.ACTIVE, Verdict.UNTRACKED, (), False),
        ("alice", "signing_certificate", 2, Status.INACTIVE, Verdict.UNTRACKED, (), False),
    ]
    assert [a.created for a in assessments] == [
        datetime(2012, 3, 4, 5, 6, 7, tzinfo=UTC),
        datetime(2013, 1, 1, tzinfo=UTC),
    ]
    assert [a.last_used for a in assessments] == [None, None]
    assert assessments[0].reason == "IAM does not record when a signing certificate is used."


def test_active_certificate_without_a_date_is_listed_and_inactive_without_one_is_not() -> None:
    assessments = scan(report_row(cert_1_active="true", cert_2_active="false"))
    assert summary(assessments) == [
        ("alice", "signing_certificate", 1, Status.ACTIVE, Verdict.UNTRACKED, (), False),
    ]
    assert assessments[0].created is None


def test_root_certificate_is_not_a_finding() -> None:
    (assessment,) = scan(
        report_row(
            **{**ROOT, "password_enabled": "false"},
            cert_1_active="true",
            cert_1_last_rotated="2008-06-25T02:07:10+00:00",
        )
    )
    assert assessment.verdict is Verdict.UNTRACKED
    assert assessment.finding_rules == ()


# --- order and counts -------------------------------------------------------------------------


def test_order_is_password_key1_key2_cert1_cert2_then_next_row() -> None:
    assessments = scan(
        report_row(
            user="bob",
            arn="arn:aws:iam::111122223333:user/bob",
            password_enabled="true",
            password_last_used="no_information",
            password_last_changed=OLD_DATE,
            access_key_1_active="false",
            access_key_1_last_rotated=OLD_DATE,
            access_key_2_active="true",
            access_key_2_last_rotated=OLD_DATE,
            access_key_2_last_used_date=IN_USE_DATE,
            cert_1_active="true",
            cert_1_last_rotated=OLD_DATE,
            cert_2_active="true",
            cert_2_last_rotated=OLD_DATE,
        ),
        report_row(**ROOT, **root_key("true", OLD_DATE)),
    )
    assert summary(assessments) == [
        ("bob", "password", None, None, Verdict.NEVER_USED, UNUSED_RULE, False),
        ("bob", "access_key", 1, Status.INACTIVE, Verdict.NEVER_USED, (), True),
        ("bob", "access_key", 2, Status.ACTIVE, Verdict.IN_USE, (), False),
        ("bob", "signing_certificate", 1, Status.ACTIVE, Verdict.UNTRACKED, (), False),
        ("bob", "signing_certificate", 2, Status.ACTIVE, Verdict.UNTRACKED, (), False),
        ("<root_account>", "password", None, None, Verdict.NEVER_USED, (), False),
        ("<root_account>", "access_key", 1, Status.ACTIVE, Verdict.NEVER_USED, BOTH_RULES, False),
    ]
    assert [type(a.credential) for a in assessments] == [
        Password,
        AccessKey,
        AccessKey,
        SigningCertificate,
        SigningCertificate,
        Password,
        AccessKey,
    ]


def test_summary_counts_findings_and_cleanup_candidates() -> None:
    result = scan_report(
        report(
            report_row(
                password_enabled="true",
                password_last_used="no_information",
                password_last_changed=OLD_DATE,
                access_key_1_active="false",
                access_key_1_last_rotated=OLD_DATE,
                cert_1_active="true",
            ),
            report_row(**ROOT, **root_key("true", OLD_DATE, IN_USE_DATE)),
            report_row(user="nobody", arn="arn:aws:iam::111122223333:user/nobody"),
        ),
        as_of=AS_OF,
    )
    assert result.summary.as_dict() == {
        "users": 3,
        "credentials": 5,
        "findings": 2,
        "cleanup_candidates": 1,
        "by_verdict": {
            "in_use": 1,
            "new": 0,
            "uncertain": 0,
            "never_used": 3,
            "unused": 0,
            "untracked": 1,
            "unknown": 0,
        },
    }
    assert [(a.owner.user, a.kind, a.finding_rules) for a in result.findings] == [
        ("alice", "password", UNUSED_RULE),
        ("<root_account>", "access_key", ROOT_RULE),
    ]


# --- property: every credential in a row gets exactly one assessment and one verdict ---------

dates = st.datetimes(
    min_value=datetime(2012, 1, 1), max_value=datetime(2026, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0).isoformat())
flags = st.sampled_from(["true", "false"])


@settings(max_examples=100, deadline=None)
@given(
    password_enabled=flags,
    password_last_used=st.one_of(st.just("no_information"), dates),
    password_last_changed=st.one_of(st.just("N/A"), dates),
    keys=st.lists(
        st.tuples(flags, st.one_of(st.just("N/A"), dates), st.one_of(st.just("N/A"), dates)),
        min_size=2,
        max_size=2,
    ),
    certs=st.lists(st.tuples(flags, st.one_of(st.just("N/A"), dates)), min_size=2, max_size=2),
)
def test_each_credential_gets_exactly_one_assessment(
    password_enabled: str,
    password_last_used: str,
    password_last_changed: str,
    keys: list[tuple[str, str, str]],
    certs: list[tuple[str, str]],
) -> None:
    cells = {
        "password_enabled": password_enabled,
        "password_last_used": password_last_used if password_enabled == "true" else "N/A",
        "password_last_changed": password_last_changed,
    }
    expected: list[tuple[str, int | None]] = []
    if password_enabled == "true":
        expected.append(("password", None))
    for slot, (active, rotated, used) in enumerate(keys, start=1):
        cells |= {
            f"access_key_{slot}_active": active,
            f"access_key_{slot}_last_rotated": rotated,
            f"access_key_{slot}_last_used_date": used,
        }
        if rotated != "N/A":
            expected.append(("access_key", slot))
    for slot, (active, rotated) in enumerate(certs, start=1):
        cells |= {f"cert_{slot}_active": active, f"cert_{slot}_last_rotated": rotated}
        if active == "true" or rotated != "N/A":
            expected.append(("signing_certificate", slot))

    assessments = scan(report_row(**cells))

    assert [(a.kind.value, getattr(a.credential, "slot", None)) for a in assessments] == expected
    for assessment in assessments:
        assert type(assessment.verdict) is Verdict
        if assessment.kind is CredentialKind.SIGNING_CERTIFICATE:
            assert assessment.verdict is Verdict.UNTRACKED
        else:
            assert assessment.verdict in {
                Verdict.IN_USE,
                Verdict.NEW,
                Verdict.UNCERTAIN,
                Verdict.NEVER_USED,
                Verdict.UNUSED,
            }
        assert assessment.finding_rules in ((), UNUSED_RULE)  # not root
        working = assessment.kind is CredentialKind.PASSWORD or assessment.status is Status.ACTIVE
        is_finding = working and assessment.kind is not CredentialKind.SIGNING_CERTIFICATE
        is_finding = is_finding and assessment.verdict in {
            Verdict.UNUSED,
            Verdict.NEVER_USED,
            Verdict.UNCERTAIN,
        }
        assert assessment.finding is is_finding
        assert assessment.cleanup_candidate is (
            assessment.status is Status.INACTIVE
            and assessment.kind is CredentialKind.ACCESS_KEY
            and assessment.verdict in {Verdict.UNUSED, Verdict.NEVER_USED}
        )


def test_a_password_without_a_set_date_is_judged_by_creation_and_says_so():
    as_of = datetime(2026, 11, 1, tzinfo=UTC)
    root = report_row(
        user="<root_account>",
        arn="arn:aws:iam::111122223333:root",
        user_creation_time="2020-01-01T00:00:00+00:00",
        password_enabled="not_supported",
        password_last_used="no_information",
        password_last_changed="not_supported",
    )
    user = report_row(
        user="ops",
        arn="arn:aws:iam::111122223333:user/ops",
        user_creation_time="2021-01-01T00:00:00+00:00",
        password_enabled="true",
        password_last_used="no_information",
        password_last_changed="N/A",
    )
    reasons = [a.reason for a in scan_report(report(root, user), as_of=as_of)]
    window = "before the 90-day window that starts 2026-08-03."
    assert reasons == [
        f"No sign-in since the account was created 2020-01-01, {window}",
        f"No sign-in since the user was created 2021-01-01, {window}",
    ]
