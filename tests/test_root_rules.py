"""Member root users read through centralized root access, without AWS: rules, findings, plan.

The live path (AssumeRoot through the test layer in front of moto) is in test_root_access.py.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stalecreds.formats import OutputFormat
from stalecreds.formats.asff import asff_finding
from stalecreds.formats.findings import FindingEvent, credential_part, severity
from stalecreds.formats.plan_view import apply_question
from stalecreds.model import (
    AccessKey,
    Caller,
    CredentialKind,
    LastUse,
    MfaDevice,
    Password,
    SigningCertificate,
    Status,
    UserCredentials,
)
from stalecreds.remediate.actions import Action
from stalecreds.remediate.apply import PlanRefused, check_plan
from stalecreds.remediate.plan import PlanPolicy, build_plan
from stalecreds.remediate.plan_file import plan_from_json, plan_to_json
from stalecreds.report.credential_report import WarningLog
from stalecreds.report.input import ReportSource
from stalecreds.report.scan import ScanResult, Summary
from stalecreds.rules.assessment import FindingRule, assess
from stalecreds.rules.verdicts import Thresholds, Verdict, VerdictRules

AS_OF = datetime(2025, 6, 1, tzinfo=UTC)
RULES = VerdictRules(AS_OF, Thresholds(90, 90))
MEMBER = "222233334444"
MANAGEMENT = "111122223333"
CALLER = Caller(f"arn:aws:iam::{MANAGEMENT}:user/ops", MANAGEMENT, "AKIAOPS0000000000001")
SERIAL = f"arn:aws:iam::{MEMBER}:mfa/root-account-mfa-device"
PRESENT = FindingRule.ROOT_CREDENTIALS_PRESENT


def member_root(**changes: Any) -> UserCredentials:
    root = UserCredentials(
        "<root_account>",
        f"arn:aws:iam::{MEMBER}:root",
        MEMBER,
        "aws",
        True,
        datetime(2019, 1, 1, tzinfo=UTC),
        True,
        Password(datetime(2020, 1, 1, tzinfo=UTC), datetime(2025, 5, 30, tzinfo=UTC)),
        (
            AccessKey(
                None,
                "AKIAROOT000000000001",
                Status.ACTIVE,
                datetime(2021, 1, 1, tzinfo=UTC),
                LastUse(datetime(2024, 1, 1, tzinfo=UTC), "us-east-1", "s3"),
            ),
        ),
        (SigningCertificate(1, Status.ACTIVE, datetime(2022, 1, 1, tzinfo=UTC), "CERT01"),),
        account_name="member",
        mfa_devices=(MfaDevice(1, SERIAL, datetime(2020, 1, 2, tzinfo=UTC)),),
        root_access=True,
    )
    return root._replace(**changes)


def test_every_credential_of_a_member_root_is_a_root_credentials_present_finding():
    assessments = assess(member_root(), RULES)
    assert [(a.kind, a.verdict, a.finding_rules) for a in assessments] == [
        # The password is in use: never an unused-credential finding, but it exists.
        (CredentialKind.PASSWORD, Verdict.IN_USE, (PRESENT,)),
        (
            CredentialKind.ACCESS_KEY,
            Verdict.UNUSED,
            (FindingRule.UNUSED_CREDENTIAL, FindingRule.ROOT_ACCESS_KEY, PRESENT),
        ),
        (CredentialKind.SIGNING_CERTIFICATE, Verdict.UNTRACKED, (PRESENT,)),
        (CredentialKind.MFA_DEVICE, Verdict.UNTRACKED, (PRESENT,)),
    ]
    assert assessments[3].reason == "IAM does not record when an MFA device is used."
    assert assessments[3].status is None


def test_an_exempt_member_root_has_no_findings():
    assessments = assess(member_root(exemption="break-glass account"), RULES)
    assert [a.finding_rules for a in assessments] == [()] * 4


def test_a_root_from_a_credential_report_has_no_root_credentials_present_finding():
    assessments = assess(member_root(root_access=False, mfa_devices=()), RULES)
    assert all(PRESENT not in a.finding_rules for a in assessments)


def test_root_credentials_present_findings_are_high_with_ids_and_no_cis_number():
    _password, key, cert, mfa = assess(member_root(), RULES)
    event = FindingEvent(mfa, PRESENT)
    assert severity(event).value == "HIGH"
    assert severity(FindingEvent(key, FindingRule.ROOT_ACCESS_KEY)).value == "CRITICAL"
    assert credential_part(cert) == "signing-certificate/CERT01"
    assert credential_part(mfa) == f"mfa-device/{SERIAL}"
    finding = asff_finding(event, AS_OF)
    assert finding["Compliance"] == {"Status": "FAILED"}
    assert finding["Title"] == f"MFA device {SERIAL} of the root user of {MEMBER} exists"
    assert asff_finding(FindingEvent(key, FindingRule.ROOT_ACCESS_KEY), AS_OF)["Compliance"] == {
        "Status": "FAILED",
        "RelatedRequirements": ["CIS AWS Foundations Benchmark v3.0.0/1.4"],
    }


def root_plan(include_root: bool = True) -> Any:
    return build_plan(
        assess(member_root(), RULES),
        plan_id="p1",
        created=AS_OF,
        as_of=AS_OF,
        thresholds=RULES.thresholds,
        policy=PlanPolicy(include_root=include_root),
        caller=CALLER,
    )


def test_include_root_plans_one_root_action_per_credential_and_round_trips():
    plan = root_plan()
    assert [(s.action, s.access_key_id, s.credential_id) for s in plan.steps] == [
        (Action.DELETE_ROOT_LOGIN_PROFILE, None, None),
        (Action.DELETE_ROOT_ACCESS_KEY, "AKIAROOT000000000001", None),
        (Action.DELETE_ROOT_SIGNING_CERTIFICATE, None, "CERT01"),
        (Action.DEACTIVATE_ROOT_MFA_DEVICE, None, SERIAL),
    ]
    assert plan.excluded == ()
    assert not any(step.action.undoable for step in plan.steps)
    assert plan_from_json(plan_to_json(plan), "plan.json") == plan
    check_plan(plan, CALLER, AS_OF + timedelta(minutes=5), timedelta(hours=24))


def test_without_include_root_nothing_of_the_root_is_planned():
    plan = root_plan(include_root=False)
    assert plan.steps == ()
    assert len(plan.excluded) == 4


def test_the_apply_question_counts_the_steps_that_cannot_be_undone():
    assert apply_question(root_plan()) == (
        f"Apply 4 steps to {MEMBER}? 4 of them cannot be undone (1 deactivate-root-mfa-device, "
        "1 delete-root-access-key, 1 delete-root-login-profile, 1 "
        "delete-root-signing-certificate). A deleted root password comes back only through root "
        "password recovery, once the management account allows it again."
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"account_id": MANAGEMENT}, "does not match|is not the root user"),
        ({"arn": f"arn:aws:iam::{MEMBER}:user/root"}, "is not the root user of account"),
        ({"credential_id": "CERT02"}, "does not match its account, user, credential"),
        ({"action": Action.DELETE_ROOT_ACCESS_KEY}, "does not fit a signing_certificate"),
    ],
)
def test_an_edited_root_step_is_refused(edit: dict[str, Any], message: str):
    plan = root_plan()
    steps = list(plan.steps)
    steps[2] = steps[2]._replace(**edit)
    with pytest.raises(PlanRefused, match=message):
        check_plan(
            plan._replace(steps=tuple(steps), account_id=""),
            CALLER,
            AS_OF + timedelta(minutes=5),
            timedelta(hours=24),
        )


def test_a_root_step_for_the_plan_makers_own_account_is_refused():
    plan = root_plan()
    own = plan._replace(caller=CALLER._replace(account_id=MEMBER))
    with pytest.raises(PlanRefused, match="plan maker's own account"):
        check_plan(own, CALLER._replace(account_id=MEMBER), AS_OF, timedelta(hours=24))


@pytest.mark.parametrize("chosen", list(OutputFormat), ids=str)
def test_every_format_renders_a_member_root_with_its_ids(chosen: OutputFormat):
    assessments = tuple(assess(member_root(), RULES))
    summary = Summary()
    summary.users = 1
    for assessment in assessments:
        summary.add(assessment)
    source = ReportSource(name="organization", format="multi-account")
    result = ScanResult(source, AS_OF, RULES.thresholds, assessments, summary, WarningLog())
    out = io.StringIO()
    chosen.renderer()(result, out)
    text = out.getvalue()
    if chosen is OutputFormat.ASFF or chosen is OutputFormat.OCSF:
        assert "root-credentials-present" in text
    if chosen in (OutputFormat.JSON, OutputFormat.CSV):
        assert "mfa_device" in text
    assert "AKIAROOT000000000001" in text
    assert SERIAL in text
    assert "CERT01" in text
