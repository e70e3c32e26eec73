"""ASFF: AWS Security Finding Format findings, ready for Security Hub ``BatchImportFindings``.

The output is a JSON array with one finding per finding event (a credential and one of its
finding rules; see :mod:`stalecreds.formats.findings`); credentials that are not findings are
left out, so an empty scan or a clean one gives ``[]``. Each finding::

    {
      "SchemaVersion": "2018-10-08",
      "Id": "stalecreds/aws/123456789012/unused-credential/<32 hex digits>",
      "ProductArn": "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
      "GeneratorId": "stalecreds/unused-credential",
      "AwsAccountId": "123456789012",
      "Types": [FINDING_TYPES...],
      "CreatedAt": as_of, "UpdatedAt": as_of, "LastObservedAt": as_of,
      "Severity": {"Label": "MEDIUM", "Original": "MEDIUM"},
      "Title": "...", "Description": "...",
      "Remediation": {"Recommendation": {"Text": "...", "Url": "https://docs.aws.amazon.com/..."}},
      "ProductFields": {"stalecreds/Verdict": "unused", ...},
      "Resources": [{"Type": "AwsIamUser", "Id": user ARN, ...},
                    {"Type": "AwsIamAccessKey", "Id": key ID or "<user ARN>/access-key/<slot>"}],
      "Compliance": {"Status": "FAILED", "RelatedRequirements": ["CIS AWS Foundations ..."]},
      "RecordState": "ACTIVE", "Workflow": {"Status": "NEW"}
    }

Times are RFC 3339 UTC with milliseconds (``2026-11-01T10:00:00.000Z``): ``as_of``, when the
credentials were judged. The root user is an ``AwsAccount`` resource (``AWS::::Account:<id>``),
as Security Hub's own IAM.4 control reports it, not an ``AwsIamUser``. The product ARN is the
account's own "default" product, used for custom integrations. Its region, and every resource's,
is the ``region`` given to :func:`render_asff` (the CLI's ``--region``; for a live scan also
``AWS_REGION`` or the session's region), else :data:`PRODUCT_REGIONS` by partition; the ARN's
partition is the credential's (``aws``, ``aws-cn``, ``aws-us-gov``). Import with ``aws
securityhub batch-import-findings --findings file://findings.json`` (in that region), at most 100
findings per call. Written as the report is read.

Source of the shape: the Security Hub service model shipped with botocore
(``BatchImportFindings`` input, ``AwsSecurityFinding``), against which the tests validate.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TextIO

from stalecreds import __version__
from stalecreds.formats.base import ScanOutput
from stalecreds.formats.findings import (
    CIS_REQUIREMENTS,
    FINDING_TYPES,
    FindingEvent,
    finding_description,
    finding_title,
    finding_uid,
    remediation,
    scan_finding_events,
    severity,
    utc_iso_millis,
    write_json_array,
)
from stalecreds.model import AccessKey, CredentialKind, iam_path

SCHEMA_VERSION = "2018-10-08"
"""The ASFF ``SchemaVersion``: the only one there is."""

DEFAULT_REGION = "us-east-1"
"""The region of the product ARN and of the resources in the ``aws`` partition."""

PRODUCT_REGIONS = {
    "aws": DEFAULT_REGION,
    "aws-cn": "cn-north-1",
    "aws-us-gov": "us-gov-west-1",
}
"""The region used for each partition (IAM is global; Security Hub findings are regional).
A partition not listed here uses :data:`DEFAULT_REGION`."""

_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
"""The shape of an AWS region name: ``us-east-1``, ``us-gov-west-1``, ``eu-isoe-west-1``."""


def is_region(name: str) -> bool:
    """True when ``name`` has the shape of an AWS region name (``eu-west-1``).

    A region goes into every finding's ARNs: anything else (a typo, a path) is refused.
    """
    return _REGION.fullmatch(name) is not None


_PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov"})
"""The values the ASFF ``Resource.Partition`` enumeration allows."""

# Security Hub's limits on text fields (BatchImportFindings documentation).
_TITLE_LIMIT = 256
_DESCRIPTION_LIMIT = 1024
_RECOMMENDATION_LIMIT = 512


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def product_arn(partition: str, account_id: str, region: str) -> str:
    """``arn:{partition}:securityhub:{region}:{account}:product/{account}/default``."""
    return f"arn:{partition}:securityhub:{region}:{account_id}:product/{account_id}/default"


def _resources(event: FindingEvent, region: str) -> list[dict[str, object]]:
    assessment = event.assessment
    owner = assessment.owner
    common: dict[str, object] = {"Region": region}
    if owner.partition in _PARTITIONS:
        common = {"Partition": owner.partition, "Region": region}
    resources: list[dict[str, object]]
    if owner.is_root:
        resources = [{"Type": "AwsAccount", "Id": f"AWS::::Account:{owner.account_id}", **common}]
    else:
        user: dict[str, object] = {
            "UserName": owner.user,
            "CreateDate": utc_iso_millis(owner.created),
        }
        path = iam_path(owner.arn)
        if path is not None:
            user["Path"] = path
        resources = [
            {"Type": "AwsIamUser", "Id": owner.arn, **common, "Details": {"AwsIamUser": user}}
        ]
    credential = assessment.credential
    if isinstance(credential, AccessKey):
        key: dict[str, object] = {
            "Status": credential.status.value,
            "CreatedAt": utc_iso_millis(credential.created),
            "PrincipalType": "Root" if owner.is_root else "IAMUser",
            "PrincipalName": owner.user,
            "AccountId": owner.account_id,
        }
        if credential.access_key_id:
            key["AccessKeyId"] = credential.access_key_id
            key_id = credential.access_key_id
        elif credential.slot is not None:
            key_id = f"{owner.arn}/access-key/{credential.slot}"
        else:
            key_id = f"{owner.arn}/access-key"
        resources.append(
            {"Type": "AwsIamAccessKey", "Id": key_id, **common, "Details": {"AwsIamAccessKey": key}}
        )
    return resources


def _product_fields(event: FindingEvent) -> dict[str, str]:
    assessment = event.assessment
    fields = {
        "stalecreds/Version": __version__,
        "stalecreds/FindingRule": event.rule.value,
        "stalecreds/CredentialKind": assessment.kind.value,
        "stalecreds/Verdict": assessment.verdict.value,
        "stalecreds/Reason": assessment.reason,
    }
    credential = assessment.credential
    if isinstance(credential, AccessKey) and credential.slot is not None:
        fields["stalecreds/AccessKeySlot"] = str(credential.slot)
    if assessment.last_used is not None:
        fields["stalecreds/LastUsed"] = utc_iso_millis(assessment.last_used)
    if assessment.created is not None:
        fields["stalecreds/Created"] = utc_iso_millis(assessment.created)
    if assessment.kind is CredentialKind.PASSWORD and assessment.owner.mfa_active is not None:
        fields["stalecreds/MfaActive"] = "true" if assessment.owner.mfa_active else "false"
    if assessment.owner.line is not None:
        fields["stalecreds/ReportLine"] = str(assessment.owner.line)
    return fields


def asff_finding(
    event: FindingEvent, as_of: datetime, *, region: str | None = None
) -> dict[str, object]:
    """One ASFF finding (a dict in the shape of this module's docstring) for a finding event.

    ``as_of`` (aware) is when the credentials were judged; ``region`` defaults to the region of
    the owner's partition in :data:`PRODUCT_REGIONS`.
    """
    owner = event.assessment.owner
    region = region or PRODUCT_REGIONS.get(owner.partition, DEFAULT_REGION)
    when = utc_iso_millis(as_of)
    level = severity(event).value
    fix = remediation(event)
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_uid(event),
        "ProductArn": product_arn(owner.partition, owner.account_id, region),
        "GeneratorId": f"stalecreds/{event.rule.value}",
        "AwsAccountId": owner.account_id,
        "Types": list(FINDING_TYPES),
        "CreatedAt": when,
        "UpdatedAt": when,
        "LastObservedAt": when,
        "Severity": {"Label": level, "Original": level},
        "Title": _clip(finding_title(event), _TITLE_LIMIT),
        "Description": _clip(finding_description(event), _DESCRIPTION_LIMIT),
        "Remediation": {
            "Recommendation": {"Text": _clip(fix.text, _RECOMMENDATION_LIMIT), "Url": fix.url}
        },
        "ProductFields": _product_fields(event),
        "Resources": _resources(event, region),
        "Compliance": _compliance(event),
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "NEW"},
    }


def render_asff(scan: ScanOutput, out: TextIO, *, region: str | None = None) -> None:
    """Write the ASFF findings of ``scan`` to ``out`` as a JSON array (``[]`` when none).

    ``region`` is the Security Hub region the findings are for (``BatchImportFindings`` accepts
    only findings whose product ARN is in its own region); ``None`` uses each partition's region
    in :data:`PRODUCT_REGIONS`. Raises ``ValueError`` for a name that is not a region's.
    """
    if region is not None and not is_region(region):
        raise ValueError(f"{region!r} is not an AWS region name (like eu-west-1)")
    as_of = scan.as_of
    write_json_array(
        (asff_finding(event, as_of, region=region) for event in scan_finding_events(scan)), out
    )


def _compliance(event: FindingEvent) -> dict[str, object]:
    """``Compliance``: FAILED, with the CIS recommendation of the rule when it has one."""
    requirement = CIS_REQUIREMENTS.get(event.rule)
    if requirement is None:
        return {"Status": "FAILED"}
    return {"Status": "FAILED", "RelatedRequirements": [requirement]}
