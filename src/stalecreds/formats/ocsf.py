"""OCSF: Open Cybersecurity Schema Framework Detection Finding events (OCSF 1.1.0).

The output is a JSON array with one event per finding event (a credential and one of its
finding rules; see :mod:`stalecreds.formats.findings`), as the ASFF output has; credentials that
are not findings are left out. Each event is a Detection Finding (``class_uid`` 2004, category
Findings, ``category_uid`` 2) with activity Create (``activity_id`` 1, ``type_uid`` 200401) and
the Cloud profile (``cloud`` is then required)::

    {
      "activity_id": 1, "activity_name": "Create",
      "category_uid": 2, "category_name": "Findings",
      "class_uid": 2004, "class_name": "Detection Finding",
      "type_uid": 200401, "type_name": "Detection Finding: Create",
      "time": 1793527200000, "timezone_offset": 0,
      "severity_id": 3, "severity": "Medium",
      "status_id": 1, "status": "New",
      "message": "<the title>",
      "metadata": {"version": "1.1.0", "profiles": ["cloud"],
                   "product": {"name": "stalecreds", "vendor_name": "stalecreds",
                               "version": "0.1.0"}},
      "finding_info": {"uid": "<the ASFF Id>", "title": "...", "desc": "...",
                       "created_time": 1793527200000, "types": [...],
                       "analytic": {"uid": "unused-credential", "name": "Unused credential",
                                    "type_id": 1, "type": "Rule"}},
      "resources": [{"uid": "<user ARN>", "name": "bob", "type": "AwsIamUser", ...},
                    {"uid": "<key ID, or user ARN/access-key/slot>",
                     "type": "AwsIamAccessKey", ...}],
      "cloud": {"provider": "AWS",
                "account": {"uid": "123456789012", "type_id": 10, "type": "AWS Account"}},
      "remediation": {"desc": "...", "references": ["https://docs.aws.amazon.com/..."]},
      "unmapped": {"stalecreds": {"verdict": "unused", "reason": "...", ...}}
    }

Times are epoch milliseconds (OCSF ``timestamp_t``) of ``as_of``. ``finding_info.uid`` is the
stable ID of :func:`~stalecreds.formats.findings.finding_uid` (the ASFF ``Id``); resource types
and IDs are those of the ASFF output. Severity captions follow the OCSF enumeration (2 Low,
3 Medium, 4 High, 5 Critical). Written as the report is read.

Source of the shape: the OCSF 1.1.0 schema (schema.ocsf.io, ``detection_finding`` with the
``cloud`` profile); the tests validate against a JSON Schema generated from it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TextIO

from stalecreds import __version__
from stalecreds.formats.base import ScanOutput
from stalecreds.formats.findings import (
    FINDING_TYPES,
    FindingEvent,
    finding_description,
    finding_title,
    finding_uid,
    remediation,
    scan_finding_events,
    severity,
    write_json_array,
)
from stalecreds.model import AccessKey, iam_path
from stalecreds.rules.assessment import FindingRule
from stalecreds.rules.verdicts import age_days

OCSF_VERSION = "1.1.0"
"""The OCSF schema version of the events (``metadata.version``)."""

CLASS_UID = 2004
"""Detection Finding."""
CATEGORY_UID = 2
"""Findings."""
ACTIVITY_CREATE = 1
TYPE_UID = CLASS_UID * 100 + ACTIVITY_CREATE
"""``class_uid * 100 + activity_id``: 200401, "Detection Finding: Create"."""
STATUS_NEW = 1

_ANALYTIC_NAMES = {
    FindingRule.UNUSED_CREDENTIAL: "Unused credential",
    FindingRule.ROOT_ACCESS_KEY: "Root user access key",
    FindingRule.ROOT_CREDENTIALS_PRESENT: "Member account root credential present",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def epoch_millis(moment: datetime) -> int:
    """Whole milliseconds since the Unix epoch (OCSF ``timestamp_t``) of an aware time."""
    return (moment - _EPOCH) // _MILLISECOND


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _resources(event: FindingEvent) -> list[dict[str, object]]:
    assessment = event.assessment
    owner = assessment.owner
    partition = owner.partition
    person: dict[str, object] = {
        "name": owner.user,
        "uid": owner.arn,
        "type_id": 2 if owner.is_root else 1,
        "type": "Admin" if owner.is_root else "User",
    }
    principal_data: dict[str, object] = {
        "arn": owner.arn,
        "created": _iso(owner.created),
        "mfa_active": owner.mfa_active,
    }
    if owner.is_root:
        principal: dict[str, object] = {
            "uid": f"AWS::::Account:{owner.account_id}",
            "name": owner.user,
            "type": "AwsAccount",
        }
    else:
        principal = {"uid": owner.arn, "name": owner.user, "type": "AwsIamUser"}
        principal_data["path"] = iam_path(owner.arn)
    principal["cloud_partition"] = partition
    principal["data"] = principal_data
    resources = [principal]
    credential = assessment.credential
    if isinstance(credential, AccessKey):
        if credential.access_key_id:
            key_uid = name = credential.access_key_id
        elif credential.slot is not None:
            key_uid = f"{owner.arn}/access-key/{credential.slot}"
            name = f"access key {credential.slot}"
        else:
            key_uid = f"{owner.arn}/access-key"
            name = "access key"
        last_use = credential.last_use
        resources.append(
            {
                "uid": key_uid,
                "name": name,
                "type": "AwsIamAccessKey",
                "cloud_partition": partition,
                "owner": person,
                "data": {
                    "access_key_id": credential.access_key_id,
                    "slot": credential.slot,
                    "status": credential.status.value,
                    "created": _iso(credential.created),
                    "last_used": None if last_use is None else _iso(last_use.at),
                    "last_used_region": None if last_use is None else last_use.region,
                    "last_used_service": None if last_use is None else last_use.service,
                },
            }
        )
    return resources


def ocsf_event(event: FindingEvent, as_of: datetime) -> dict[str, object]:
    """One OCSF 1.1.0 Detection Finding (a dict in the shape of this module's docstring).

    ``as_of`` (aware) is when the credentials were judged: the event ``time`` and
    ``finding_info.created_time``.
    """
    assessment = event.assessment
    owner = assessment.owner
    level = severity(event)
    when = epoch_millis(as_of)
    title = finding_title(event)
    fix = remediation(event)
    return {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "type_uid": TYPE_UID,
        "type_name": "Detection Finding: Create",
        "time": when,
        "timezone_offset": 0,
        "severity_id": level.ocsf_id,
        "severity": level.ocsf_name,
        "status_id": STATUS_NEW,
        "status": "New",
        "message": title,
        "metadata": {
            "version": OCSF_VERSION,
            "profiles": ["cloud"],
            "product": {"name": "stalecreds", "vendor_name": "stalecreds", "version": __version__},
        },
        "finding_info": {
            "uid": finding_uid(event),
            "title": title,
            "desc": finding_description(event),
            "created_time": when,
            "types": list(FINDING_TYPES),
            "analytic": {
                "uid": event.rule.value,
                "name": _ANALYTIC_NAMES[event.rule],
                "type_id": 1,
                "type": "Rule",
            },
        },
        "resources": _resources(event),
        "cloud": {
            "provider": "AWS",
            "account": {"uid": owner.account_id, "type_id": 10, "type": "AWS Account"},
        },
        "remediation": {"desc": fix.text, "references": [fix.url]},
        "unmapped": {
            "stalecreds": {
                "finding_rule": event.rule.value,
                "credential_kind": assessment.kind.value,
                "verdict": assessment.verdict.value,
                "reason": assessment.reason,
                "created": _iso(assessment.created),
                "last_used": _iso(assessment.last_used),
                "days_since_last_used": (
                    None if assessment.last_used is None else age_days(assessment.last_used, as_of)
                ),
                "report_line": owner.line,
            }
        },
    }


def render_ocsf(scan: ScanOutput, out: TextIO) -> None:
    """Write the OCSF Detection Findings of ``scan`` to ``out`` as a JSON array (``[]`` if none)."""
    as_of = scan.as_of
    write_json_array((ocsf_event(event, as_of) for event in scan_finding_events(scan)), out)
