"""What the finding formats (ASFF, OCSF) and the report formats (Markdown, HTML) share.

A *finding event* is one credential and one of its finding rules: the root user's unused active
access key is two events (``unused-credential`` and ``root-access-key``), as AWS Security Hub
keeps "unused credentials" (IAM.8/IAM.22) and "root access key" (IAM.4) apart.

Severity (the same in ASFF ``Severity.Label`` and OCSF ``severity_id``):

====================================================  ==========
event                                                 severity
====================================================  ==========
``root-access-key``: the root user has an active key  CRITICAL
``root-credentials-present``: a member root credential HIGH
``unused-credential``, an access key                  MEDIUM
``unused-credential``, a password without MFA         MEDIUM
``unused-credential``, a password with MFA            LOW
``unused-credential`` with verdict ``uncertain``      LOW
====================================================  ==========

Sources: Security Hub rates IAM.4 ("IAM root user access key should not exist") CRITICAL and
IAM.8/IAM.22 (unused IAM user credentials) MEDIUM. A password guarded by MFA still needs a second
factor to be abused, and an ``uncertain`` password may have been used in IAM's 2018 gap in
recording sign-ins, so both are LOW. ``mfa_active`` unknown (the IAM API path) counts as no MFA.
A member account's root credential under centralized root access is HIGH: AWS recommends none
(IAM User Guide, "Centrally manage root access for member accounts"); CIS has no number for it.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import NamedTuple, TextIO

import orjson

from stalecreds.model import (
    AccessKey,
    CredentialKind,
    MfaDevice,
    SigningCertificate,
    UserCredentials,
)
from stalecreds.rules.assessment import Assessment, FindingRule
from stalecreds.rules.verdicts import Verdict, age_days


class Severity(enum.StrEnum):
    """A finding's severity; the value is the ASFF ``Severity.Label``."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @property
    def ocsf_id(self) -> int:
        """OCSF ``severity_id``: 2 Low, 3 Medium, 4 High, 5 Critical."""
        return _OCSF_SEVERITY_IDS[self]

    @property
    def ocsf_name(self) -> str:
        """OCSF ``severity`` (the caption of ``severity_id``): ``Low`` … ``Critical``."""
        return self.value.capitalize()


_OCSF_SEVERITY_IDS = {Severity.LOW: 2, Severity.MEDIUM: 3, Severity.HIGH: 4, Severity.CRITICAL: 5}


class Remediation(NamedTuple):
    """What to do about a finding: a sentence or three and an AWS documentation page."""

    text: str
    url: str


class FindingEvent(NamedTuple):
    """One credential and one finding rule that applies to it."""

    assessment: Assessment
    rule: FindingRule


FINDING_TYPES = (
    "Software and Configuration Checks/Industry and Regulatory Standards/"
    "CIS AWS Foundations Benchmark",
    "Software and Configuration Checks/AWS Security Best Practices",
)
"""ASFF ``Types`` (``namespace/category/classifier``) of every finding event."""

CIS_REQUIREMENTS = {
    FindingRule.UNUSED_CREDENTIAL: "CIS AWS Foundations Benchmark v3.0.0/1.12",
    FindingRule.ROOT_ACCESS_KEY: "CIS AWS Foundations Benchmark v3.0.0/1.4",
}
"""The CIS recommendation behind each rule: 1.12 "Ensure credentials unused for 45 days or
greater are disabled", 1.4 "Ensure no 'root' user account access key exists" (the numbers are
the same in v1.4.0 and v2.0.0). ``root-credentials-present`` has none."""

_UNUSED_URL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html"
_ROOT_BEST_PRACTICES_URL = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html"
)
_ROOT_ACCESS_URL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html"
_ROOT_KEY_URL = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user_manage_delete-key.html"
)


def finding_events(assessment: Assessment) -> list[FindingEvent]:
    """The finding events of one assessment, in the order of its ``finding_rules`` (often none)."""
    return [FindingEvent(assessment, rule) for rule in assessment.finding_rules]


def credential_part(assessment: Assessment) -> str:
    """The credential's part of a finding ID.

    ``password``, ``access-key/AKIA…`` (when the key ID is known), ``access-key-slot/1`` (report
    keys), or ``signing-certificate-slot/1``.
    """
    credential = assessment.credential
    if isinstance(credential, AccessKey):
        if credential.access_key_id:
            return f"access-key/{credential.access_key_id}"
        if credential.slot is not None:
            return f"access-key-slot/{credential.slot}"
        return f"access-key-created/{credential.created.isoformat()}"
    if isinstance(credential, SigningCertificate):
        if credential.certificate_id:
            return f"signing-certificate/{credential.certificate_id}"
        return f"signing-certificate-slot/{credential.slot}"
    if isinstance(credential, MfaDevice):
        return f"mfa-device/{credential.serial_number}"
    return "password"


def finding_uid(event: FindingEvent) -> str:
    """A stable ID for a finding event: the same credential and rule give the same ID every run.

    Shape: ``stalecreds/{partition}/{account_id}/{rule}/{digest}``, where ``digest`` is the first
    32 hex digits of the SHA-256 of partition, account ID, user ARN, :func:`credential_part` and
    rule, one per line. A report has no access key IDs, so a key scanned from a report (by slot)
    and the same key scanned live (by ID) get different IDs. At most 88 characters.
    """
    owner = event.assessment.owner
    identity = "\n".join(
        (
            owner.partition,
            owner.account_id,
            owner.arn,
            credential_part(event.assessment),
            event.rule.value,
        )
    )
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]
    return f"stalecreds/{owner.partition}/{owner.account_id}/{event.rule.value}/{digest}"


def severity(event: FindingEvent) -> Severity:
    """The severity of a finding event (the table in this module's docstring)."""
    assessment = event.assessment
    if event.rule is FindingRule.ROOT_ACCESS_KEY:
        return Severity.CRITICAL
    if event.rule is FindingRule.ROOT_CREDENTIALS_PRESENT:
        return Severity.HIGH
    if assessment.verdict is Verdict.UNCERTAIN:
        return Severity.LOW
    if assessment.kind is CredentialKind.PASSWORD and assessment.owner.mfa_active:
        return Severity.LOW
    return Severity.MEDIUM


def principal_label(owner: UserCredentials) -> str:
    """``the root user of 123456789012`` or ``IAM user bob``."""
    if owner.is_root:
        return f"the root user of {owner.account_id}"
    return f"IAM user {owner.user}"


def credential_label(assessment: Assessment) -> str:
    """How a credential is named in text, with its status.

    ``password``, ``root password``, ``AKIA… (Active)``, ``access key 2 (Inactive)`` or
    ``signing certificate 1 (Active)``.
    """
    credential = assessment.credential
    if isinstance(credential, AccessKey):
        name = credential.access_key_id or f"access key {credential.slot}"
        return f"{name} ({credential.status.value})"
    if isinstance(credential, SigningCertificate):
        name = credential.certificate_id or str(credential.slot)
        return f"signing certificate {name} ({credential.status.value})"
    if isinstance(credential, MfaDevice):
        return f"MFA device {credential.serial_number}"
    return "root password" if assessment.owner.is_root else "password"


def _credential_name(assessment: Assessment) -> str:
    """``Console password``, ``Access key AKIA…`` or ``Access key 1``, without the status."""
    credential = assessment.credential
    if isinstance(credential, AccessKey):
        if credential.access_key_id:
            return f"Access key {credential.access_key_id}"
        if credential.slot is not None:
            return f"Access key {credential.slot}"
        return "Access key"
    if isinstance(credential, SigningCertificate):
        return f"Signing certificate {credential.certificate_id or credential.slot}"
    if isinstance(credential, MfaDevice):
        return f"MFA device {credential.serial_number}"
    return "Console password"


_VERDICT_WORDS = {
    Verdict.UNUSED: "unused",
    Verdict.NEVER_USED: "never used",
    Verdict.UNCERTAIN: "possibly unused",
}


def finding_title(event: FindingEvent) -> str:
    """A one-line title for a finding event.

    ``Access key 1 of IAM user bob is unused``, ``Console password of IAM user dave is never
    used``, ``The root user of 123456789012 has an active access key``.
    """
    assessment = event.assessment
    owner = assessment.owner
    if event.rule is FindingRule.ROOT_ACCESS_KEY:
        return f"The root user of {owner.account_id} has an active access key"
    if event.rule is FindingRule.ROOT_CREDENTIALS_PRESENT:
        return f"{_credential_name(assessment)} of {principal_label(owner)} exists"
    words = _VERDICT_WORDS.get(assessment.verdict, assessment.verdict.value.replace("_", " "))
    return f"{_credential_name(assessment)} of {principal_label(owner)} is {words}"


def finding_description(event: FindingEvent) -> str:
    """The finding explained: the verdict's reason (naming the dates) and what the rule means."""
    assessment = event.assessment
    principal = principal_label(assessment.owner)
    if event.rule is FindingRule.ROOT_ACCESS_KEY:
        return (
            f"{_credential_name(assessment)} of {principal} is active. The root user should have "
            f"no access keys (CIS 1.4): they cannot be limited by IAM policies. Its use: "
            f"{assessment.reason}"
        )
    if event.rule is FindingRule.ROOT_CREDENTIALS_PRESENT:
        return (
            f"{_credential_name(assessment)} of {principal} exists. With centralized root access "
            f"enabled, AWS recommends member accounts have no root credentials. Its use: "
            f"{assessment.reason}"
        )
    verdict = assessment.verdict.value
    words = _VERDICT_WORDS.get(assessment.verdict, verdict.replace("_", " "))
    if words != verdict:
        words += f" (verdict {verdict})"
    return (
        f"{_credential_name(assessment)} of {principal} still works but is {words}: "
        f"{assessment.reason} Credentials nobody uses should be disabled or removed (CIS 1.12)."
    )


def remediation(event: FindingEvent) -> Remediation:
    """What to do, by rule and credential kind, with the AWS page that explains it."""
    assessment = event.assessment
    is_root = assessment.owner.is_root
    if event.rule is FindingRule.ROOT_CREDENTIALS_PRESENT:
        return Remediation(
            "Delete the member account's root credentials from the management account with "
            "centralized root access (sts:AssumeRoot with IAMDeleteRootUserCredentials): "
            "'stalecreds plan --org --root-access --include-root' and 'stalecreds apply' do "
            "this after re-checking it live. Not undoable.",
            _ROOT_ACCESS_URL,
        )
    if event.rule is FindingRule.ROOT_ACCESS_KEY or (
        is_root and assessment.kind is CredentialKind.ACCESS_KEY
    ):
        return Remediation(
            "Sign in as the root user and delete its access keys (Security credentials, Access "
            "keys); use IAM roles or users with least privilege instead. stalecreds never "
            "changes root credentials.",
            _ROOT_KEY_URL,
        )
    if is_root:
        return Remediation(
            "Keep the root user's password unused but safe: make sure MFA is on and the "
            "password is stored where only its custodians reach it, or delete the root "
            "credentials of an AWS Organizations member account with centralized root access. "
            "stalecreds never changes root credentials.",
            _ROOT_BEST_PRACTICES_URL,
        )
    if assessment.kind is CredentialKind.PASSWORD:
        return Remediation(
            "Confirm with the user's owner, then remove the console password (IAM "
            "DeleteLoginProfile). 'stalecreds plan' and 'stalecreds apply' do this after "
            "re-checking live IAM.",
            _UNUSED_URL,
        )
    return Remediation(
        "Deactivate the access key (IAM UpdateAccessKey to Inactive), check that nothing "
        "breaks, then delete it. 'stalecreds plan' and 'stalecreds apply' do this after "
        "re-checking live IAM, and 'stalecreds undo' reactivates it.",
        _UNUSED_URL,
    )


def age_text(moment: datetime, as_of: datetime) -> str:
    """``235 d``: whole days before ``as_of``, never negative.

    ``in the future`` for a date beyond :data:`~stalecreds.rules.verdicts.FUTURE_TOLERANCE`
    after it.
    """
    days = age_days(moment, as_of)
    return "in the future" if days is None else f"{days:,} d"


def day_and_age(moment: datetime | None, as_of: datetime, *, missing: str = "-") -> str:
    """``2026-03-10 (235 d)``: the UTC day and whole days before ``as_of``; ``missing`` if None.

    A date in the future shows ``(in the future)``, never a negative age.
    """
    if moment is None:
        return missing
    return f"{moment.date().isoformat()} ({age_text(moment, as_of)})"


_KIND_ORDER = {
    CredentialKind.PASSWORD: 0,
    CredentialKind.ACCESS_KEY: 1,
    CredentialKind.SIGNING_CERTIFICATE: 2,
    CredentialKind.MFA_DEVICE: 3,
}


def sort_key(assessment: Assessment) -> tuple[str, str, str, int, int]:
    """Account, user (case-insensitive), ARN, then password, keys and certificates by slot."""
    owner = assessment.owner
    slot = getattr(assessment.credential, "slot", None) or 0
    return (owner.account_id, owner.user.lower(), owner.arn, _KIND_ORDER[assessment.kind], slot)


def utc_iso_millis(moment: datetime) -> str:
    """``2026-11-01T10:00:00.000Z``: RFC 3339 in UTC with milliseconds, as ASFF shows times."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def write_json_array(items: Iterable[dict[str, object]], out: TextIO) -> None:
    """Write ``items`` to ``out`` as a JSON array, each as it comes.

    ``[``, the items indented by two spaces and separated by ``,``, then ``]`` and a newline;
    ``[]`` when there are none.
    """
    wrote_any = False
    for item in items:
        text = orjson.dumps(item, option=orjson.OPT_INDENT_2).decode()
        out.write((",\n  " if wrote_any else "[\n  ") + text.replace("\n", "\n  "))
        wrote_any = True
    out.write("\n]\n" if wrote_any else "[]\n")


def scan_finding_events(assessments: Iterable[Assessment]) -> Iterable[FindingEvent]:
    """The finding events of every assessment, in order (lazily: a scan is read once)."""
    for assessment in assessments:
        if assessment.finding_rules:
            yield from finding_events(assessment)
