"""The plan document: a versioned JSON file people review and ``stalecreds apply`` reads.

Shape (``plan_version`` 1)::

    {"plan_version": 1, "plan_id": "…", "created": "…", "account_id": "111122223333",
     "caller": {"arn": "…", "account_id": "…", "access_key_id": "AKIA…"} | null,
     "as_of": "…", "max_age_days": {"password": 90, "access_key": 90},
     "policy": {"key_action": "deactivate", "password_action": "delete", "quarantine_days": 30,
                "exempt_tag": "stalecreds:exempt", "include_root": true (only when true)},
     "steps": [{"step_id", "account_id", "user", "arn", "kind", "slot", "access_key_id",
                "action", "expect": {"status": "Active" | null, "unused_before": "…"},
                "evidence": {"verdict", "reason", "created", "last_used", "last_used_region",
                             "last_used_service"},
                "credential_id": "…" (root signing certificates and MFA devices only)}],
     "excluded": [{"account_id", "user", "arn", "kind", "slot", "access_key_id", "verdict",
                   "reason"}]}

``policy.exempt_tag`` may be missing (plans written before it was recorded): the default tag.
Errors name fields by their JSON path, indexes from 0 as in the document (``steps[0]``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from stalecreds.errors import InputError
from stalecreds.files import MIB, read_text_bounded
from stalecreds.model import Caller, CredentialKind, Status
from stalecreds.remediate.actions import Action
from stalecreds.remediate.plan import Evidence, Exclusion, Plan, PlanPolicy, Step
from stalecreds.rules.exemptions import DEFAULT_TAG_KEY
from stalecreds.rules.verdicts import Thresholds, Verdict
from stalecreds.timestamps import parse_time

PLAN_VERSION = 1
"""The version of the plan document this code writes and reads."""

PLAN_MAX_BYTES = 64 * MIB
"""The largest plan read: about 80,000 steps. A bigger file is refused before it is read."""

_T = TypeVar("_T")


class PlanFormatError(InputError):
    """A plan file cannot be read: not JSON, another version, or a missing or bad field."""


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def plan_to_json(plan: Plan) -> str:
    """The plan as an indented JSON document (UTF-8 text, trailing newline)."""
    document = {
        "plan_version": PLAN_VERSION,
        "plan_id": plan.plan_id,
        "created": _iso(plan.created),
        "account_id": plan.account_id,
        "caller": None if plan.caller is None else plan.caller._asdict(),
        "as_of": _iso(plan.as_of),
        "max_age_days": {
            "password": plan.thresholds.password_days,
            "access_key": plan.thresholds.access_key_days,
        },
        "policy": _policy_json(plan.policy),
        "steps": [
            {
                "step_id": step.step_id,
                "account_id": step.account_id,
                "user": step.user,
                "arn": step.arn,
                "kind": step.kind.value,
                "slot": step.slot,
                "access_key_id": step.access_key_id,
                "action": step.action.value,
                "expect": {
                    "status": None if step.expect_status is None else step.expect_status.value,
                    "unused_before": _iso(step.unused_before),
                },
                "evidence": {
                    "verdict": step.evidence.verdict.value,
                    "reason": step.evidence.reason,
                    "created": _iso(step.evidence.created),
                    "last_used": _iso(step.evidence.last_used),
                    "last_used_region": step.evidence.last_used_region,
                    "last_used_service": step.evidence.last_used_service,
                },
                # Root signing certificates and MFA devices only (root actions).
                **({} if step.credential_id is None else {"credential_id": step.credential_id}),
            }
            for step in plan.steps
        ],
        "excluded": [
            {
                **exclusion._asdict(),
                "kind": exclusion.kind.value,
                "verdict": exclusion.verdict.value,
            }
            for exclusion in plan.excluded
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _policy_json(policy: PlanPolicy) -> dict[str, object]:
    """The ``policy`` object, with ``include_root`` only when true.

    Plans without root steps keep the shape they always had.
    """
    document: dict[str, object] = policy._asdict()
    if not policy.include_root:
        del document["include_root"]
    return document


class _Reader:
    """Typed field access that names the field of any bad value."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, where: str, message: str) -> PlanFormatError:
        return PlanFormatError(self.name, f"{where}: {message}")

    def optional(self, data: Any, key: str, kind: type[_T], where: str) -> _T | None:
        if not isinstance(data, dict) or key not in data:
            raise self.fail(where, f"missing field {key!r}")
        value = data[key]
        if value is None:
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(where, f"{key!r} must be {kind.__name__}, got {value!r}")
        return value

    def get(self, data: Any, key: str, kind: type[_T], where: str) -> _T:
        value = self.optional(data, key, kind, where)
        if value is None:
            raise self.fail(where, f"{key!r} must not be null")
        return value

    def optional_moment(self, data: Any, key: str, where: str) -> datetime | None:
        value = self.optional(data, key, str, where)
        if value is None:
            return None
        try:
            return parse_time(value)
        except ValueError as error:
            raise self.fail(where, f"{key!r} {error}") from None

    def moment(self, data: Any, key: str, where: str) -> datetime:
        value = self.optional_moment(data, key, where)
        if value is None:
            raise self.fail(where, f"{key!r} must not be null")
        return value

    def enum(self, data: Any, key: str, make: Callable[[str], _T], where: str) -> _T:
        value = self.get(data, key, str, where)
        try:
            return make(value)
        except ValueError:
            raise self.fail(where, f"{key!r} has an unknown value {value!r}") from None


def _policy(r: _Reader, data: dict[str, Any]) -> PlanPolicy:
    """The plan's ``policy``: each value one the ``plan`` command can write."""
    choices = {"key_action": ("deactivate", "delete"), "password_action": ("delete", "reset")}
    for key, allowed in choices.items():
        value = r.get(data, key, str, "policy")
        if value not in allowed:
            raise r.fail("policy", f"{key!r} has an unknown value {value!r} (one of {allowed})")
    days = r.get(data, "quarantine_days", int, "policy")
    if days < 0:
        raise r.fail("policy", f"'quarantine_days' must not be negative, got {days}")
    tag = r.get(data, "exempt_tag", str, "policy") if "exempt_tag" in data else DEFAULT_TAG_KEY
    if not tag:
        raise r.fail("policy", "'exempt_tag' must not be empty")
    include_root = r.get(data, "include_root", bool, "policy") if "include_root" in data else False
    return PlanPolicy(data["key_action"], data["password_action"], days, tag, include_root)


def read_plan_file(path: Path) -> Plan:
    """Read the plan file at ``path``: at most :data:`PLAN_MAX_BYTES` of UTF-8 JSON.

    Raises :class:`~stalecreds.errors.InputError` (:class:`PlanFormatError` for the content)
    naming the file.
    """
    return plan_from_json(read_text_bounded(path, PLAN_MAX_BYTES, "a plan"), str(path))


def plan_from_json(text: str, name: str) -> Plan:
    """Read a plan document. Raises :class:`PlanFormatError` naming the file and the field.

    Times must have a UTC offset and lie in the years 1970 to 9000; maximum ages at most
    :data:`~stalecreds.rules.verdicts.MAX_AGE_LIMIT_DAYS` (as :class:`Thresholds` checks).
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise PlanFormatError(
            name, f"not valid JSON: {error.msg}", line=error.lineno, column=error.colno
        ) from None
    except RecursionError:
        raise PlanFormatError(name, "not a plan: JSON nested too deeply") from None
    r = _Reader(name)
    version = r.get(data, "plan_version", int, "plan")
    if version != PLAN_VERSION:
        raise r.fail("plan", f"plan_version {version} is not supported (this is {PLAN_VERSION})")
    caller_data = r.optional(data, "caller", dict, "plan")
    caller = None
    if caller_data is not None:
        caller = Caller(
            r.get(caller_data, "arn", str, "caller"),
            r.get(caller_data, "account_id", str, "caller"),
            r.optional(caller_data, "access_key_id", str, "caller"),
        )
    ages = r.get(data, "max_age_days", dict, "plan")
    policy = r.get(data, "policy", dict, "plan")
    steps = []
    for number, item in enumerate(r.get(data, "steps", list, "plan")):
        where = f"steps[{number}]"
        expect = r.get(item, "expect", dict, where)
        evidence = r.get(item, "evidence", dict, where)
        status = r.optional(expect, "status", str, where + ".expect")
        steps.append(
            Step(
                r.get(item, "step_id", str, where),
                r.get(item, "account_id", str, where),
                r.get(item, "user", str, where),
                r.get(item, "arn", str, where),
                r.enum(item, "kind", CredentialKind, where),
                r.optional(item, "slot", int, where),
                r.optional(item, "access_key_id", str, where),
                r.enum(item, "action", Action, where),
                None if status is None else r.enum(expect, "status", Status, where + ".expect"),
                r.moment(expect, "unused_before", where + ".expect"),
                Evidence(
                    r.enum(evidence, "verdict", Verdict, where + ".evidence"),
                    r.get(evidence, "reason", str, where + ".evidence"),
                    r.optional_moment(evidence, "created", where + ".evidence"),
                    r.optional_moment(evidence, "last_used", where + ".evidence"),
                    r.optional(evidence, "last_used_region", str, where + ".evidence"),
                    r.optional(evidence, "last_used_service", str, where + ".evidence"),
                ),
                r.optional(item, "credential_id", str, where) if "credential_id" in item else None,
            )
        )
        if steps[-1].kind == CredentialKind.ACCESS_KEY and steps[-1].access_key_id is None:
            raise r.fail(where, "an access key step needs an access_key_id")
    excluded = [
        Exclusion(
            r.get(item, "account_id", str, f"excluded[{n}]"),
            r.get(item, "user", str, f"excluded[{n}]"),
            r.get(item, "arn", str, f"excluded[{n}]"),
            r.enum(item, "kind", CredentialKind, f"excluded[{n}]"),
            r.optional(item, "slot", int, f"excluded[{n}]"),
            r.optional(item, "access_key_id", str, f"excluded[{n}]"),
            r.enum(item, "verdict", Verdict, f"excluded[{n}]"),
            r.get(item, "reason", str, f"excluded[{n}]"),
        )
        for n, item in enumerate(r.get(data, "excluded", list, "plan"))
    ]
    try:
        thresholds = Thresholds(
            r.get(ages, "password", int, "max_age_days"),
            r.get(ages, "access_key", int, "max_age_days"),
        )
    except ValueError as error:
        raise r.fail("max_age_days", str(error)) from None
    return Plan(
        r.get(data, "plan_id", str, "plan"),
        r.moment(data, "created", "plan"),
        r.get(data, "account_id", str, "plan"),
        caller,
        r.moment(data, "as_of", "plan"),
        thresholds,
        _policy(r, policy),
        tuple(steps),
        tuple(excluded),
    )
