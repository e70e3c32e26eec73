"""build_plan: which findings become steps, which are excluded and why, and the expected state.

Assessments come from small credential reports (scan_report / ReportScan); reports have no key
IDs, so keys that should be actionable get theirs with ``_replace``, as a live scan fills them.
Dates: as_of 2025-06-01T00:00Z with 90-day windows, so both windows start 2025-03-03T00:00Z.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from stalecreds import scan_report
from stalecreds.model import AccessKey, CredentialKind, Status
from stalecreds.remediate.actions import Action
from stalecreds.remediate.plan import (
    DEFAULT_QUARANTINE_DAYS,
    Caller,
    Evidence,
    Exclusion,
    Plan,
    PlanPolicy,
    Step,
    build_plan,
)
from stalecreds.report.input import read_report
from stalecreds.report.scan import ReportScan
from stalecreds.rules.assessment import Assessment, assess
from stalecreds.rules.exemptions import ExemptionRule, Exemptions
from stalecreds.rules.verdicts import Thresholds, Verdict, VerdictRules
from tests.conftest import report, report_row

ACCOUNT = "111122223333"
AS_OF = datetime(2025, 6, 1, tzinfo=UTC)
CUTOFF_90 = datetime(2025, 3, 3, tzinfo=UTC)
THRESHOLDS = Thresholds()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def arn(user: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{user}"


ALICE = report_row(
    user="alice",
    arn=arn("alice"),
    password_enabled="true",
    password_last_used="2024-12-01T08:00:00+00:00",
    password_last_changed="2024-01-01T00:00:00+00:00",
    access_key_1_active="true",
    access_key_1_last_rotated="2024-01-01T00:00:00+00:00",
    access_key_1_last_used_date="2024-11-01T10:00:00+00:00",
    access_key_1_last_used_region="us-east-1",
    access_key_1_last_used_service="s3",
)
"""Password unused (last sign-in 2024-12-01); key 1 Active, unused (last used 2024-11-01)."""
BOB = report_row(
    user="bob",
    arn=arn("bob"),
    access_key_1_active="true",
    access_key_1_last_rotated="2024-02-01T00:00:00+00:00",
    access_key_2_active="true",
    access_key_2_last_rotated="2025-05-01T00:00:00+00:00",
)
"""Key 1 Active, never used since 2024-02-01; key 2 Active, new (created 2025-05-01)."""
CAROL = report_row(
    user="carol",
    arn=arn("carol"),
    password_enabled="true",
    password_last_used="2025-05-30T08:00:00+00:00",
    password_last_changed="2024-01-01T00:00:00+00:00",
    access_key_1_active="true",
    access_key_1_last_rotated="2024-01-01T00:00:00+00:00",
    access_key_1_last_used_date="2025-05-31T10:00:00+00:00",
    access_key_1_last_used_region="us-east-1",
    access_key_1_last_used_service="sts",
)
"""Everything in use."""
DAVE = report_row(
    user="dave",
    arn=arn("dave"),
    access_key_1_active="false",
    access_key_1_last_rotated="2023-06-01T00:00:00+00:00",
    access_key_1_last_used_date="2024-06-01T00:00:00+00:00",
    access_key_1_last_used_region="eu-west-1",
    access_key_1_last_used_service="ec2",
)
"""Key 1 Inactive, unused since 2024-06-01: a clean-up candidate."""

KEY_IDS = {
    ("alice", 1): "AKIAALICE00000000001",
    ("bob", 1): "AKIABOB0000000000001",
    ("bob", 2): "AKIABOB0000000000002",
    ("carol", 1): "AKIACAROL00000000001",
    ("dave", 1): "AKIADAVE000000000001",
}

ALICE_PASSWORD_REASON = "Last sign-in 2024-12-01, before the 90-day window that starts 2025-03-03."
ALICE_KEY_REASON = "Last used 2024-11-01, before the 90-day window that starts 2025-03-03."
BOB_KEY_REASON = (
    "Never used since created 2024-02-01, before the 90-day window that starts 2025-03-03."
)
DAVE_KEY_REASON = "Last used 2024-06-01, before the 90-day window that starts 2025-03-03."
ROOT_REASON = (
    "root user credentials are never changed automatically: sign in as the root user "
    "and remove them (Security credentials page)"
)
NO_KEY_ID_REASON = "access key ID unknown (a credential report has none): scan the live account"


def with_key_ids(assessments: list[Assessment] | tuple[Assessment, ...]) -> list[Assessment]:
    """Give each report key the ID a live scan would have found (KEY_IDS)."""
    filled = []
    for assessment in assessments:
        credential = assessment.credential
        if isinstance(credential, AccessKey):
            key_id = KEY_IDS[(assessment.owner.user, credential.slot)]
            assessment = assessment._replace(credential=credential._replace(access_key_id=key_id))
        filled.append(assessment)
    return filled


def scanned(*rows: str, thresholds: Thresholds = THRESHOLDS, as_of: datetime = AS_OF):
    return with_key_ids(scan_report(report(*rows), as_of=as_of, thresholds=thresholds).assessments)


def plan_of(assessments, **kwargs) -> Plan:
    options = {
        "plan_id": "p1",
        "created": AS_OF,
        "as_of": AS_OF,
        "thresholds": THRESHOLDS,
        **kwargs,
    }
    return build_plan(assessments, **options)


# --- steps ------------------------------------------------------------------------------------


def test_default_policy_plan_is_exact():
    plan = plan_of(scanned(ALICE, BOB, CAROL, DAVE))
    assert plan == Plan(
        plan_id="p1",
        created=AS_OF,
        account_id=ACCOUNT,
        caller=None,
        as_of=AS_OF,
        thresholds=THRESHOLDS,
        policy=PlanPolicy("deactivate", "delete", 30),
        steps=(
            Step(
                f"{ACCOUNT}/alice/password/delete-login-profile",
                ACCOUNT,
                "alice",
                arn("alice"),
                CredentialKind.PASSWORD,
                None,
                None,
                Action.DELETE_LOGIN_PROFILE,
                None,
                CUTOFF_90,
                Evidence(
                    Verdict.UNUSED,
                    ALICE_PASSWORD_REASON,
                    utc("2024-01-01T00:00:00Z"),
                    utc("2024-12-01T08:00:00Z"),
                    None,
                    None,
                ),
            ),
            Step(
                f"{ACCOUNT}/alice/AKIAALICE00000000001/deactivate-access-key",
                ACCOUNT,
                "alice",
                arn("alice"),
                CredentialKind.ACCESS_KEY,
                1,
                "AKIAALICE00000000001",
                Action.DEACTIVATE_ACCESS_KEY,
                Status.ACTIVE,
                CUTOFF_90,
                Evidence(
                    Verdict.UNUSED,
                    ALICE_KEY_REASON,
                    utc("2024-01-01T00:00:00Z"),
                    utc("2024-11-01T10:00:00Z"),
                    "us-east-1",
                    "s3",
                ),
            ),
            Step(
                f"{ACCOUNT}/bob/AKIABOB0000000000001/deactivate-access-key",
                ACCOUNT,
                "bob",
                arn("bob"),
                CredentialKind.ACCESS_KEY,
                1,
                "AKIABOB0000000000001",
                Action.DEACTIVATE_ACCESS_KEY,
                Status.ACTIVE,
                CUTOFF_90,
                Evidence(
                    Verdict.NEVER_USED,
                    BOB_KEY_REASON,
                    utc("2024-02-01T00:00:00Z"),
                    None,
                    None,
                    None,
                ),
            ),
            # dave's Inactive key: unused since 2024-06-01, 365 days before the plan: > 30 days.
            Step(
                f"{ACCOUNT}/dave/AKIADAVE000000000001/delete-access-key",
                ACCOUNT,
                "dave",
                arn("dave"),
                CredentialKind.ACCESS_KEY,
                1,
                "AKIADAVE000000000001",
                Action.DELETE_ACCESS_KEY,
                Status.INACTIVE,
                CUTOFF_90,
                Evidence(
                    Verdict.UNUSED,
                    DAVE_KEY_REASON,
                    utc("2023-06-01T00:00:00Z"),
                    utc("2024-06-01T00:00:00Z"),
                    "eu-west-1",
                    "ec2",
                ),
            ),
        ),
        excluded=(),
    )


def test_in_use_and_new_credentials_never_appear():
    plan = plan_of(scanned(BOB, CAROL))
    listed = [(s.user, s.access_key_id) for s in plan.steps] + [
        (e.user, e.access_key_id) for e in plan.excluded
    ]
    # carol's password and key are in_use; bob's key 2 is new.
    assert listed == [("bob", "AKIABOB0000000000001")]


def test_delete_and_reset_policy():
    plan = plan_of(scanned(ALICE, BOB), policy=PlanPolicy("delete", "reset"))
    assert [(s.step_id, s.action, s.expect_status) for s in plan.steps] == [
        (f"{ACCOUNT}/alice/password/reset-login-profile", Action.RESET_LOGIN_PROFILE, None),
        (
            f"{ACCOUNT}/alice/AKIAALICE00000000001/delete-access-key",
            Action.DELETE_ACCESS_KEY,
            Status.ACTIVE,
        ),
        (
            f"{ACCOUNT}/bob/AKIABOB0000000000001/delete-access-key",
            Action.DELETE_ACCESS_KEY,
            Status.ACTIVE,
        ),
    ]
    assert plan.policy == PlanPolicy("delete", "reset", DEFAULT_QUARANTINE_DAYS)


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (PlanPolicy(key_action="remove"), "unknown key action 'remove'"),
        (PlanPolicy(password_action="disable"), "unknown password action 'disable'"),
    ],
)
def test_unknown_policy_action_is_a_value_error(policy, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        plan_of(scanned(ALICE), policy=policy)


def test_unused_before_is_as_of_minus_max_age_per_kind():
    # 2025-06-01 minus 45 days is 2025-04-17; minus 60 days is 2025-04-02.
    thresholds = Thresholds(password_days=45, access_key_days=60)
    plan = plan_of(scanned(ALICE, thresholds=thresholds), thresholds=thresholds)
    assert [(s.kind, s.unused_before) for s in plan.steps] == [
        (CredentialKind.PASSWORD, datetime(2025, 4, 17, tzinfo=UTC)),
        (CredentialKind.ACCESS_KEY, datetime(2025, 4, 2, tzinfo=UTC)),
    ]
    assert plan.thresholds == thresholds


def test_step_ids_are_stable_across_builds():
    assessments = scanned(ALICE, BOB, DAVE)
    first = plan_of(assessments, plan_id="first", created=AS_OF)
    second = plan_of(assessments, plan_id="second", created=AS_OF + timedelta(hours=5))
    assert (
        [s.step_id for s in first.steps]
        == [s.step_id for s in second.steps]
        == [
            f"{ACCOUNT}/alice/password/delete-login-profile",
            f"{ACCOUNT}/alice/AKIAALICE00000000001/deactivate-access-key",
            f"{ACCOUNT}/bob/AKIABOB0000000000001/deactivate-access-key",
            f"{ACCOUNT}/dave/AKIADAVE000000000001/delete-access-key",
        ]
    )
    assert len({s.step_id for s in first.steps}) == 4


# --- exclusions -------------------------------------------------------------------------------


def test_root_user_credentials_are_excluded():
    root = report_row(
        user="<root_account>",
        arn=f"arn:aws:iam::{ACCOUNT}:root",
        password_enabled="true",
        password_last_used="2024-01-01T00:00:00+00:00",
        access_key_1_active="true",
        access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
        access_key_1_last_used_date="2024-05-01T00:00:00+00:00",
        access_key_2_active="true",
        access_key_2_last_rotated="2020-01-01T00:00:00+00:00",
        access_key_2_last_used_date="2025-05-31T00:00:00+00:00",
    )
    assessments = scan_report(report(root), as_of=AS_OF).assessments
    plan = plan_of(assessments)
    assert plan.steps == ()
    root_arn = f"arn:aws:iam::{ACCOUNT}:root"
    user = "<root_account>"
    # Key 2 is in use, but an Active root key is a finding of its own (root-access-key). The
    # unused root password is no finding at all since issue 15 (CIS asks for an unused root
    # password), so it is neither a step nor an exclusion.
    assert [a.kind for a in assessments if a.finding_rules] == [CredentialKind.ACCESS_KEY] * 2
    assert plan.excluded == (
        Exclusion(
            ACCOUNT, user, root_arn, CredentialKind.ACCESS_KEY, 1, None, Verdict.UNUSED, ROOT_REASON
        ),
        Exclusion(
            ACCOUNT, user, root_arn, CredentialKind.ACCESS_KEY, 2, None, Verdict.IN_USE, ROOT_REASON
        ),
    )


def test_root_key_with_an_id_is_still_excluded():
    root = report_row(
        user="<root_account>",
        arn=f"arn:aws:iam::{ACCOUNT}:root",
        access_key_1_active="true",
        access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
    )
    (assessment,) = scan_report(report(root), as_of=AS_OF).assessments
    key = assessment.credential._replace(access_key_id="AKIAROOT000000000001")
    plan = plan_of([assessment._replace(credential=key)])
    assert plan.steps == ()
    assert [(e.access_key_id, e.reason) for e in plan.excluded] == [
        ("AKIAROOT000000000001", ROOT_REASON)
    ]


def test_exempt_user_is_excluded_with_its_reason():
    erin = report_row(
        user="erin",
        arn=arn("erin"),
        password_enabled="true",
        password_last_used="2024-01-01T00:00:00+00:00",
        password_last_changed="2023-01-01T00:00:00+00:00",
        access_key_1_active="true",
        access_key_1_last_rotated="2024-01-01T00:00:00+00:00",
        access_key_1_last_used_date="2025-05-31T00:00:00+00:00",
    )
    lines, source = read_report(io.BytesIO(report(erin).encode()), "report.csv")
    exemptions = Exemptions((ExemptionRule("user", "erin", "Break-glass account"),))
    assessments = list(ReportScan(lines, source, VerdictRules(AS_OF, THRESHOLDS), exemptions))
    plan = plan_of(assessments)
    assert plan.steps == ()
    # The key is in use: an exempt user's credentials are listed only when they would be steps.
    assert plan.excluded == (
        Exclusion(
            ACCOUNT,
            "erin",
            arn("erin"),
            CredentialKind.PASSWORD,
            None,
            None,
            Verdict.UNUSED,
            "exempt: Break-glass account (config: user = 'erin')",
        ),
    )


def test_uncertain_password_is_excluded():
    # as_of 2018-07-01, 90 days: the window starts 2018-04-02 and reaches into the 2018 gap;
    # the last sign-in (2018-03-01) is before the gap.
    frank = report_row(
        user="frank",
        arn=arn("frank"),
        password_enabled="true",
        password_last_used="2018-03-01T00:00:00+00:00",
        password_last_changed="2017-01-01T00:00:00+00:00",
    )
    as_of = datetime(2018, 7, 1, tzinfo=UTC)
    plan = plan_of(scan_report(report(frank), as_of=as_of).assessments, as_of=as_of, created=as_of)
    assert plan.steps == ()
    assert plan.excluded == (
        Exclusion(
            ACCOUNT,
            "frank",
            arn("frank"),
            CredentialKind.PASSWORD,
            None,
            None,
            Verdict.UNCERTAIN,
            "uncertain: a sign-in in IAM's 2018 recording gap would not show",
        ),
    )


def test_a_user_listed_on_two_rows_is_not_acted_on():
    # The rows disagree: the first shows no sign-in, the second a recent one (a hand-edited or
    # concatenated report); the finding of the first row must not become a step.
    never = report_row(
        user="chris",
        arn=arn("chris"),
        password_enabled="true",
        password_last_used="no_information",
        password_last_changed="2024-01-01T00:00:00+00:00",
    )
    recent = never.replace("no_information", "2025-05-30T00:00:00+00:00")
    plan = plan_of(scan_report(report(never, recent), as_of=AS_OF).assessments)
    assert plan.steps == ()
    assert [(e.user, e.verdict, e.reason) for e in plan.excluded] == [
        (
            "chris",
            Verdict.NEVER_USED,
            "the report lists this user on more than one row (lines 2, 3)",
        )
    ]


def test_unknown_verdicts_are_excluded():
    (password, key) = scan_report(report(ALICE), as_of=AS_OF).assessments
    owner = password.owner
    failed = owner._replace(
        password=owner.password._replace(lookup_error="iam:GetUser failed: AccessDenied: no"),
        access_keys=(
            key.credential._replace(
                access_key_id="AKIAALICE00000000001",
                lookup_error="iam:GetAccessKeyLastUsed failed: AccessDenied: no",
            ),
        ),
    )
    plan = plan_of(assess(failed, VerdictRules(AS_OF, THRESHOLDS)))
    assert plan.steps == ()
    reason = "unknown: its use could not be read from IAM"
    assert plan.excluded == (
        Exclusion(
            ACCOUNT,
            "alice",
            arn("alice"),
            CredentialKind.PASSWORD,
            None,
            None,
            Verdict.UNKNOWN,
            reason,
        ),
        Exclusion(
            ACCOUNT,
            "alice",
            arn("alice"),
            CredentialKind.ACCESS_KEY,
            1,
            "AKIAALICE00000000001",
            Verdict.UNKNOWN,
            reason,
        ),
    )


def test_report_keys_without_an_id_are_excluded():
    # Straight from a report: no key IDs (api-cases 8: a slot is not a key ID).
    plan = plan_of(scan_report(report(ALICE, BOB, DAVE), as_of=AS_OF).assessments)
    assert [s.step_id for s in plan.steps] == [f"{ACCOUNT}/alice/password/delete-login-profile"]
    assert plan.excluded == (
        Exclusion(
            ACCOUNT,
            "alice",
            arn("alice"),
            CredentialKind.ACCESS_KEY,
            1,
            None,
            Verdict.UNUSED,
            NO_KEY_ID_REASON,
        ),
        Exclusion(
            ACCOUNT,
            "bob",
            arn("bob"),
            CredentialKind.ACCESS_KEY,
            1,
            None,
            Verdict.NEVER_USED,
            NO_KEY_ID_REASON,
        ),
        Exclusion(
            ACCOUNT,
            "dave",
            arn("dave"),
            CredentialKind.ACCESS_KEY,
            1,
            None,
            Verdict.UNUSED,
            NO_KEY_ID_REASON,
        ),
    )


def test_the_callers_own_key_is_excluded_never_a_step():
    # api-cases 9: ops signs with AKIAEXAMPLECALLER01, unused for 200 days (since 2024-11-13).
    ops = report_row(
        user="ops",
        arn=arn("ops"),
        access_key_1_active="true",
        access_key_1_last_rotated="2023-01-01T00:00:00+00:00",
        access_key_1_last_used_date="2024-11-13T00:00:00+00:00",
        access_key_1_last_used_region="us-east-1",
        access_key_1_last_used_service="iam",
    )
    (assessment,) = scan_report(report(ops), as_of=AS_OF).assessments
    key = assessment.credential._replace(access_key_id="AKIAEXAMPLECALLER01")
    assert assessment.verdict is Verdict.UNUSED
    caller = Caller(arn("ops"), ACCOUNT, "AKIAEXAMPLECALLER01")
    plan = plan_of([assessment._replace(credential=key)], caller=caller)
    assert plan.steps == ()
    assert plan.caller == caller
    assert plan.excluded == (
        Exclusion(
            ACCOUNT,
            "ops",
            arn("ops"),
            CredentialKind.ACCESS_KEY,
            1,
            "AKIAEXAMPLECALLER01",
            Verdict.UNUSED,
            "this is the access key the run itself signs with",
        ),
    )


def test_another_callers_key_is_not_excluded():
    caller = Caller(arn("ops"), ACCOUNT, "AKIAEXAMPLECALLER01")
    plan = plan_of(scanned(BOB), caller=caller)
    assert [s.access_key_id for s in plan.steps] == ["AKIABOB0000000000001"]
    assert plan.excluded == ()


# --- staged clean-up of Inactive keys ---------------------------------------------------------

DAVE_KEY = "AKIADAVE000000000001"


def dave_plan(**kwargs) -> Plan:
    return plan_of(scanned(DAVE), **kwargs)


def quarantine_exclusion(reason: str) -> tuple[Exclusion, ...]:
    return (
        Exclusion(
            ACCOUNT,
            "dave",
            arn("dave"),
            CredentialKind.ACCESS_KEY,
            1,
            DAVE_KEY,
            Verdict.UNUSED,
            reason,
        ),
    )


def test_inactive_key_deactivated_recently_waits_for_the_quarantine():
    plan = dave_plan(deactivated_at={DAVE_KEY: datetime(2025, 5, 20, 12, tzinfo=UTC)})
    assert plan.steps == ()
    assert plan.excluded == quarantine_exclusion(
        "inactive and unused since 2025-05-20: deleted once it has been inactive for 30 days"
    )


def test_inactive_key_deleted_once_exactly_30_days_inactive():
    plan = dave_plan(deactivated_at={DAVE_KEY: AS_OF - timedelta(days=30)})
    assert [(s.action, s.expect_status) for s in plan.steps] == [
        (Action.DELETE_ACCESS_KEY, Status.INACTIVE)
    ]
    one_second_short = dave_plan(deactivated_at={DAVE_KEY: AS_OF - timedelta(days=30, seconds=-1)})
    assert one_second_short.steps == ()
    assert one_second_short.excluded == quarantine_exclusion(
        "inactive and unused since 2025-05-02: deleted once it has been inactive for 30 days"
    )


def test_quarantine_counts_from_the_plan_creation_not_as_of():
    # Deactivated 2025-05-20; judged as of 2025-06-01 but planned on 2025-06-25: 36 days.
    plan = dave_plan(
        created=datetime(2025, 6, 25, tzinfo=UTC),
        deactivated_at={DAVE_KEY: datetime(2025, 5, 20, tzinfo=UTC)},
    )
    assert [s.action for s in plan.steps] == [Action.DELETE_ACCESS_KEY]


def test_without_a_journal_the_last_use_bounds_the_quarantine():
    plan = dave_plan(policy=PlanPolicy(quarantine_days=400))
    assert plan.steps == ()
    assert plan.excluded == quarantine_exclusion(
        "inactive and unused since 2024-06-01: deleted once it has been inactive for 400 days"
    )
    # 365 days since the last use: enough for a 365-day quarantine.
    assert [s.action for s in dave_plan(policy=PlanPolicy(quarantine_days=365)).steps] == [
        Action.DELETE_ACCESS_KEY
    ]


def test_never_used_inactive_key_counts_from_its_creation():
    gina = report_row(
        user="gina",
        arn=arn("gina"),
        access_key_1_active="false",
        access_key_1_last_rotated="2024-01-01T00:00:00+00:00",
    )
    (assessment,) = scan_report(report(gina), as_of=AS_OF).assessments
    assessment = assessment._replace(
        credential=assessment.credential._replace(access_key_id="AKIAGINA000000000001")
    )
    waiting = plan_of([assessment], policy=PlanPolicy(quarantine_days=600))
    assert [e.reason for e in waiting.excluded] == [
        "inactive and unused since 2024-01-01: deleted once it has been inactive for 600 days"
    ]
    assert waiting.excluded[0].verdict is Verdict.NEVER_USED
    ready = plan_of([assessment])
    assert [(s.step_id, s.evidence.verdict) for s in ready.steps] == [
        (f"{ACCOUNT}/gina/AKIAGINA000000000001/delete-access-key", Verdict.NEVER_USED)
    ]


def test_inactive_key_in_use_or_new_is_not_a_candidate():
    harry = report_row(
        user="harry",
        arn=arn("harry"),
        access_key_1_active="false",
        access_key_1_last_rotated="2024-01-01T00:00:00+00:00",
        access_key_1_last_used_date="2025-05-01T00:00:00+00:00",
        access_key_2_active="false",
        access_key_2_last_rotated="2025-05-01T00:00:00+00:00",
    )
    assessments = scan_report(report(harry), as_of=AS_OF).assessments
    plan = plan_of(assessments)
    assert (plan.steps, plan.excluded) == ((), ())


# --- the plan's account -----------------------------------------------------------------------


def test_account_of_an_empty_plan_is_the_callers():
    caller = Caller(arn("ops"), "444455556666", None)
    assert plan_of([], caller=caller).account_id == "444455556666"
    assert plan_of([]).account_id == ""


def test_a_multi_account_plan_names_no_single_account():
    other = report_row(
        user="ivan",
        arn="arn:aws:iam::444455556666:user/ivan",
        password_enabled="true",
        password_last_changed="2024-01-01T00:00:00+00:00",
    )
    assessments = [
        *scan_report(report(other), as_of=AS_OF).assessments,
        *scanned(BOB),
    ]
    caller = Caller(arn("ops"), ACCOUNT, None)
    plan = plan_of(assessments, caller=caller)
    assert plan.account_id == ""  # each step names its own account
    assert [s.step_id for s in plan.steps] == [
        "444455556666/ivan/password/delete-login-profile",
        f"{ACCOUNT}/bob/AKIABOB0000000000001/deactivate-access-key",
    ]
    assert plan_of(assessments).account_id == ""
