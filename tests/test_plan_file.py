"""The plan document: exact JSON shape, round trip, and errors that name the file and field."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from stalecreds.errors import InputError
from stalecreds.model import Caller, CredentialKind, Status
from stalecreds.remediate.actions import Action
from stalecreds.remediate.plan import Evidence, Exclusion, Plan, PlanPolicy, Step
from stalecreds.remediate.plan_file import (
    PLAN_VERSION,
    PlanFormatError,
    plan_from_json,
    plan_to_json,
)
from stalecreds.rules.verdicts import Thresholds, Verdict

ACCOUNT = "111122223333"
CREATED = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
AS_OF = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
KEY_CUTOFF = datetime(2025, 4, 2, 9, 0, tzinfo=UTC)
PASSWORD_CUTOFF = datetime(2025, 4, 17, 9, 0, tzinfo=UTC)


def arn(user: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{user}"


def key_step(user: str, key_id: str, action: Action, status: Status) -> Step:
    return Step(
        f"{ACCOUNT}/{user}/{key_id}/{action.value}",
        ACCOUNT,
        user,
        arn(user),
        CredentialKind.ACCESS_KEY,
        2,
        key_id,
        action,
        status,
        KEY_CUTOFF,
        Evidence(
            Verdict.UNUSED,
            "Last used 2024-11-01, before the 60-day window that starts 2025-04-02.",
            datetime(2024, 1, 1, tzinfo=UTC),
            datetime(2024, 11, 1, 10, 0, 5, tzinfo=UTC),
            "eu-west-1",
            "s3",
        ),
    )


def password_step(user: str, action: Action) -> Step:
    return Step(
        f"{ACCOUNT}/{user}/password/{action.value}",
        ACCOUNT,
        user,
        arn(user),
        CredentialKind.PASSWORD,
        None,
        None,
        action,
        None,
        PASSWORD_CUTOFF,
        Evidence(
            Verdict.NEVER_USED,
            "No sign-in since the password was set 2024-01-01, before the 45-day window …",
            datetime(2024, 1, 1, tzinfo=UTC),
            None,
            None,
            None,
        ),
    )


PLAN = Plan(
    plan_id="20250601T093000Z-0badcafe",
    created=CREATED,
    account_id=ACCOUNT,
    caller=Caller(arn("ops"), ACCOUNT, "AKIAEXAMPLECALLER01"),
    as_of=AS_OF,
    thresholds=Thresholds(password_days=45, access_key_days=60),
    policy=PlanPolicy("delete", "reset", 14),
    steps=(
        key_step("alice", "AKIAALICE00000000001", Action.DEACTIVATE_ACCESS_KEY, Status.ACTIVE),
        key_step("bob", "AKIABOB0000000000001", Action.DELETE_ACCESS_KEY, Status.INACTIVE),
        password_step("carol", Action.DELETE_LOGIN_PROFILE),
        password_step("dave", Action.RESET_LOGIN_PROFILE),
    ),
    excluded=(
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
        Exclusion(
            ACCOUNT,
            "<root_account>",
            f"arn:aws:iam::{ACCOUNT}:root",
            CredentialKind.PASSWORD,
            None,
            None,
            Verdict.UNUSED,
            "root user credentials are never changed automatically: …",
        ),
    ),
)


def document() -> dict:
    return json.loads(plan_to_json(PLAN))


def read(data: dict | str) -> Plan:
    text = data if isinstance(data, str) else json.dumps(data)
    return plan_from_json(text, "plan.json")


def error_of(data: dict | str) -> PlanFormatError:
    with pytest.raises(PlanFormatError) as caught:
        read(data)
    return caught.value


# --- writing and reading ----------------------------------------------------------------------


def test_document_shape_is_exact():
    text = plan_to_json(PLAN)
    assert text.endswith("}\n")
    assert text.startswith('{\n  "plan_version": 1,\n  "plan_id": "20250601T093000Z-0badcafe",')
    data = json.loads(text)
    assert list(data) == [
        "plan_version",
        "plan_id",
        "created",
        "account_id",
        "caller",
        "as_of",
        "max_age_days",
        "policy",
        "steps",
        "excluded",
    ]
    assert data["created"] == "2025-06-01T09:30:00+00:00"
    assert data["as_of"] == "2025-06-01T09:00:00+00:00"
    assert data["caller"] == {
        "arn": "arn:aws:iam::111122223333:user/ops",
        "account_id": ACCOUNT,
        "access_key_id": "AKIAEXAMPLECALLER01",
    }
    assert data["max_age_days"] == {"password": 45, "access_key": 60}
    assert data["policy"] == {
        "key_action": "delete",
        "password_action": "reset",
        "quarantine_days": 14,
        "exempt_tag": "stalecreds:exempt",
    }
    assert data["steps"][1] == {
        "step_id": "111122223333/bob/AKIABOB0000000000001/delete-access-key",
        "account_id": ACCOUNT,
        "user": "bob",
        "arn": "arn:aws:iam::111122223333:user/bob",
        "kind": "access_key",
        "slot": 2,
        "access_key_id": "AKIABOB0000000000001",
        "action": "delete-access-key",
        "expect": {"status": "Inactive", "unused_before": "2025-04-02T09:00:00+00:00"},
        "evidence": {
            "verdict": "unused",
            "reason": "Last used 2024-11-01, before the 60-day window that starts 2025-04-02.",
            "created": "2024-01-01T00:00:00+00:00",
            "last_used": "2024-11-01T10:00:05+00:00",
            "last_used_region": "eu-west-1",
            "last_used_service": "s3",
        },
    }
    assert data["steps"][3]["expect"] == {
        "status": None,
        "unused_before": "2025-04-17T09:00:00+00:00",
    }
    assert data["steps"][3]["action"] == "reset-login-profile"
    assert data["excluded"][1] == {
        "account_id": ACCOUNT,
        "user": "<root_account>",
        "arn": "arn:aws:iam::111122223333:root",
        "kind": "password",
        "slot": None,
        "access_key_id": None,
        "verdict": "unused",
        "reason": "root user credentials are never changed automatically: …",
    }
    # Non-ASCII stays readable (ensure_ascii=False).
    assert "…" in text


def test_round_trip_equals_the_plan():
    assert read(plan_to_json(PLAN)) == PLAN


def test_round_trip_without_caller_and_steps():
    empty = PLAN._replace(caller=None, steps=(), excluded=(), account_id="")
    assert read(plan_to_json(empty)) == empty


def test_round_trip_of_a_caller_without_key_id():
    plan = PLAN._replace(caller=Caller(arn("ops"), ACCOUNT, None))
    assert read(plan_to_json(plan)).caller == Caller(arn("ops"), ACCOUNT, None)


def test_times_with_another_offset_are_read_as_utc():
    data = document()
    data["created"] = "2025-06-01T11:30:00+02:00"
    plan = read(data)
    assert plan.created == CREATED
    assert plan.created.tzinfo is UTC


def test_plan_version_is_1():
    assert PLAN_VERSION == 1
    assert document()["plan_version"] == 1


# --- errors -----------------------------------------------------------------------------------


def test_not_json_names_line_and_column():
    error = error_of('{\n  "plan_version": 1,\n  oops\n}')
    assert (error.line, error.column) == (3, 3)
    assert str(error) == (
        "plan.json, line 3, column 3: not valid JSON: "
        "Expecting property name enclosed in double quotes"
    )
    assert isinstance(error, InputError)


def test_empty_file_is_not_json():
    assert str(error_of("")) == "plan.json, line 1, column 1: not valid JSON: Expecting value"


@pytest.mark.parametrize("version", [2, 0])
def test_other_plan_versions_are_refused(version):
    data = document()
    data["plan_version"] = version
    assert str(error_of(data)) == (
        f"plan.json: plan: plan_version {version} is not supported (this is 1)"
    )


def test_plan_version_must_be_an_integer():
    data = document()
    data["plan_version"] = "1"
    assert str(error_of(data)) == "plan.json: plan: 'plan_version' must be int, got '1'"


def test_a_json_array_is_not_a_plan():
    assert str(error_of("[]")) == "plan.json: plan: missing field 'plan_version'"


@pytest.mark.parametrize(
    "field", ["step_id", "account_id", "user", "arn", "kind", "slot", "action", "expect"]
)
def test_missing_step_field_is_named(field):
    data = document()
    del data["steps"][1][field]
    assert str(error_of(data)) == f"plan.json: steps[1]: missing field {field!r}"


def test_missing_expect_and_evidence_fields_are_named():
    data = document()
    del data["steps"][0]["expect"]["unused_before"]
    assert str(error_of(data)) == "plan.json: steps[0].expect: missing field 'unused_before'"
    data = document()
    del data["steps"][2]["evidence"]["last_used_service"]
    assert str(error_of(data)) == "plan.json: steps[2].evidence: missing field 'last_used_service'"


def test_bad_action_is_named():
    data = document()
    data["steps"][0]["action"] = "disable-access-key"
    assert str(error_of(data)) == (
        "plan.json: steps[0]: 'action' has an unknown value 'disable-access-key'"
    )


@pytest.mark.parametrize(
    ("where", "field", "value", "message"),
    [
        ("step", "kind", "certificate", "steps[0]: 'kind' has an unknown value 'certificate'"),
        (
            "expect",
            "status",
            "Disabled",
            "steps[0].expect: 'status' has an unknown value 'Disabled'",
        ),
        (
            "evidence",
            "verdict",
            "stale",
            "steps[0].evidence: 'verdict' has an unknown value 'stale'",
        ),
        ("step", "slot", True, "steps[0]: 'slot' must be int, got True"),
        ("step", "slot", "2", "steps[0]: 'slot' must be int, got '2'"),
        ("step", "user", None, "steps[0]: 'user' must not be null"),
        ("step", "access_key_id", None, "steps[0]: an access key step needs an access_key_id"),
    ],
)
def test_bad_step_values_are_named(where, field, value, message):
    data = document()
    step = data["steps"][0]
    target = step if where == "step" else step[where]
    target[field] = value
    assert str(error_of(data)) == f"plan.json: {message}"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yesterday", "plan: 'created' is not an ISO 8601 time: 'yesterday'"),
        ("2025-06-01T09:30:00", "plan: 'created' has no UTC offset: '2025-06-01T09:30:00'"),
        (None, "plan: 'created' must not be null"),
        (1748770200, "plan: 'created' must be str, got 1748770200"),
    ],
)
def test_bad_plan_time_is_named(value, message):
    data = document()
    data["created"] = value
    assert str(error_of(data)) == f"plan.json: {message}"


def test_bad_step_time_is_named():
    data = document()
    data["steps"][1]["expect"]["unused_before"] = "2025-13-01T00:00:00+00:00"
    assert str(error_of(data)) == (
        "plan.json: steps[1].expect: 'unused_before' is not an ISO 8601 time: "
        "'2025-13-01T00:00:00+00:00'"
    )
    data = document()
    data["steps"][0]["evidence"]["last_used"] = "2024-11-01"
    assert str(error_of(data)) == (
        "plan.json: steps[0].evidence: 'last_used' has no UTC offset: '2024-11-01'"
    )


def test_bad_exclusion_is_named():
    data = document()
    del data["excluded"][1]["reason"]
    assert str(error_of(data)) == "plan.json: excluded[1]: missing field 'reason'"
    data = document()
    data["excluded"][0]["verdict"] = "fine"
    assert str(error_of(data)) == "plan.json: excluded[0]: 'verdict' has an unknown value 'fine'"


def test_bad_caller_and_policy_are_named():
    data = document()
    del data["caller"]["account_id"]
    assert str(error_of(data)) == "plan.json: caller: missing field 'account_id'"
    data = document()
    data["policy"]["quarantine_days"] = "30"
    assert str(error_of(data)) == "plan.json: policy: 'quarantine_days' must be int, got '30'"
    data = document()
    del data["steps"]
    assert str(error_of(data)) == "plan.json: plan: missing field 'steps'"


def test_indexes_in_errors_are_the_documents_own_from_zero():
    # steps[1] in the JSON is the second step: the error says steps[1], as jq and editors do.
    data = document()
    data["steps"][1]["action"] = "disable-access-key"
    assert str(error_of(data)) == (
        "plan.json: steps[1]: 'action' has an unknown value 'disable-access-key'"
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "key_action",
            "disable",
            "policy: 'key_action' has an unknown value 'disable' (one of ('deactivate', 'delete'))",
        ),
        (
            "password_action",
            "lock",
            "policy: 'password_action' has an unknown value 'lock' (one of ('delete', 'reset'))",
        ),
        ("quarantine_days", -1, "policy: 'quarantine_days' must not be negative, got -1"),
        ("exempt_tag", 7, "policy: 'exempt_tag' must be str, got 7"),
        ("exempt_tag", "", "policy: 'exempt_tag' must not be empty"),
        ("exempt_tag", None, "policy: 'exempt_tag' must not be null"),
    ],
)
def test_bad_policy_values_are_named(field, value, message):
    data = document()
    data["policy"][field] = value
    assert str(error_of(data)) == f"plan.json: {message}"


def test_the_exemption_tag_round_trips_and_defaults_for_older_plans():
    tagged = PLAN._replace(policy=PLAN.policy._replace(exempt_tag="team:keep"))
    assert read(json.loads(plan_to_json(tagged))).policy.exempt_tag == "team:keep"
    data = document()
    del data["policy"]["exempt_tag"]  # a plan written before the tag was recorded
    assert read(data).policy == PlanPolicy("delete", "reset", 14, "stalecreds:exempt")


def test_max_age_below_one_day_is_refused():
    data = document()
    data["max_age_days"]["access_key"] = 0
    assert str(error_of(data)) == "plan.json: max_age_days: maximum ages must be at least 1 day"
